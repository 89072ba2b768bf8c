/**
 * The anonymized feedback record a phone sends when a doctor or patient confirms or corrects a
 * result. Deliberately no photo, free text, location, device id or time of day.
 */
import { z } from "zod";
import { CLASS_ID_PATTERN, UNKNOWN_LABEL } from "./labels.js";
import { SEMVER_PATTERN } from "./model-card.js";

export const BODY_SITES = [
  "head_neck",
  "face",
  "scalp",
  "trunk",
  "arm",
  "hand",
  "leg",
  "foot",
  "nail",
  "genital",
  "other",
] as const;
export const FITZPATRICK_TYPES = [1, 2, 3, 4, 5, 6] as const;
export const LOCALES = ["en", "zh"] as const;

const UUID_V4_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ClassId = z.string().regex(CLASS_ID_PATTERN, "a class id is lower_snake_case");

export const FeedbackRecordSchema = z.strictObject({
  /**
   * Client-generated idempotency key, as crypto.randomUUID() makes it: a random (v4) UUID in lower
   * case. Other versions embed a time or a device's MAC, and one spelling per id keeps a resend a duplicate.
   */
  id: z
    .string()
    .regex(UUID_V4_PATTERN, "id must be a random UUID (version 4) in lower case, as crypto.randomUUID() makes"),
  modelVersion: z.string().regex(SEMVER_PATTERN, "modelVersion must be semver"),
  /** The model's top results, best first (1 to 3). */
  prediction: z
    .array(z.strictObject({ label: ClassId, probability: z.number().min(0).max(1) }))
    .min(1)
    .max(3),
  /** The label the person confirmed or chose, or "unknown". */
  confirmedLabel: ClassId.or(z.literal(UNKNOWN_LABEL)),
  confirmedBy: z.enum(["doctor", "patient"]),
  bodySite: z.enum(BODY_SITES).optional(),
  fitzpatrick: z.number().int().min(1).max(6).optional(),
  locale: z.enum(LOCALES),
  /**
   * Calendar day only (YYYY-MM-DD), never a time: the phone's day, which a phone with a wrong clock gets
   * wrong. It is not bounded, so such a phone's labels are not lost; the API records the day it
   * received each record beside it (exports filter on either).
   */
  day: z.iso.date(),
});
export type FeedbackRecord = z.infer<typeof FeedbackRecordSchema>;

/**
 * Why the API refused a record of a batch: it fails the schema, names a version that is not
 * published, or uses a label that is not one of that version's classes. Only `unknown_model` can
 * change with time (the version may be published later), so only it is worth sending again.
 */
export const FEEDBACK_REFUSAL_CODES = ["invalid_record", "unknown_model", "unknown_label"] as const;
export type FeedbackRefusalCode = (typeof FEEDBACK_REFUSAL_CODES)[number];

/**
 * The API's message for a record whose model version is not published. The PWA's queue before
 * refusal codes kept only this text, and recognises those records by it.
 */
export const unpublishedModelMessage = (version: string) => `model ${version} is not published`;

/** The API's answer for one record of `POST /v1/feedback/batch`; `code` and `error` come with `invalid`. */
export interface FeedbackBatchResult {
  index: number;
  id: string | null;
  status: "created" | "duplicate" | "invalid";
  code?: FeedbackRefusalCode;
  error?: string;
}

/** Column order of the CSV export, which the training engine reads back. */
export const FEEDBACK_CSV_COLUMNS = [
  "id",
  "day",
  "modelVersion",
  "confirmedLabel",
  "confirmedBy",
  "top1",
  "top1Probability",
  "top2",
  "top2Probability",
  "top3",
  "top3Probability",
  "bodySite",
  "fitzpatrick",
  "locale",
] as const;

/** One CSV row (values in FEEDBACK_CSV_COLUMNS order) for a record; no cell needs quoting by construction. */
export function feedbackToCsvRow(record: FeedbackRecord): string {
  const top = (i: number) => record.prediction[i];
  const cells = [
    record.id,
    record.day,
    record.modelVersion,
    record.confirmedLabel,
    record.confirmedBy,
    top(0)?.label ?? "",
    top(0)?.probability ?? "",
    top(1)?.label ?? "",
    top(1)?.probability ?? "",
    top(2)?.label ?? "",
    top(2)?.probability ?? "",
    record.bodySite ?? "",
    record.fitzpatrick ?? "",
    record.locale,
  ];
  return cells.join(",");
}

/**
 * A record as the API may have stored it: before ids had to be lower-case v4 UUIDs it took any UUID,
 * and exports of those records must still read back.
 */
const StoredFeedbackSchema = FeedbackRecordSchema.extend({ id: z.uuid() });

/** Parses one CSV row written by feedbackToCsvRow back into a validated record. */
export function feedbackFromCsvRow(row: string): FeedbackRecord {
  const cells = row.split(",");
  if (cells.length !== FEEDBACK_CSV_COLUMNS.length) {
    throw new Error(`feedback CSV row has ${cells.length} cells, expected ${FEEDBACK_CSV_COLUMNS.length}`);
  }
  const get = (name: (typeof FEEDBACK_CSV_COLUMNS)[number]) => cells[FEEDBACK_CSV_COLUMNS.indexOf(name)] ?? "";
  const prediction = [1, 2, 3]
    .map((n) => ({
      label: get(`top${n}` as "top1"),
      probability: Number(get(`top${n}Probability` as "top1Probability")),
    }))
    .filter((p) => p.label !== "");
  return StoredFeedbackSchema.parse({
    id: get("id"),
    day: get("day"),
    modelVersion: get("modelVersion"),
    confirmedLabel: get("confirmedLabel"),
    confirmedBy: get("confirmedBy"),
    prediction,
    bodySite: get("bodySite") || undefined,
    fitzpatrick: get("fitzpatrick") ? Number(get("fitzpatrick")) : undefined,
    locale: get("locale"),
  });
}
