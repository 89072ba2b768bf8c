/** A doctor's answer on a check, turned into the anonymized record the API takes. */
import type { BODY_SITES, FeedbackRecord } from "@pifu/core";
import { type CheckResult, today, topLabels } from "../check.js";
import type { Locale } from "../i18n/index.js";

export interface DoctorAnswer {
  confirmedLabel: string;
  /** "doctor" only when the person saving says they are a clinician: anyone can open Doctor mode. */
  confirmedBy: FeedbackRecord["confirmedBy"];
  bodySite?: (typeof BODY_SITES)[number];
  fitzpatrick?: number;
}

/** The record carries the check's feedback id, so every save for one check is the same record. */
export function feedbackRecord(
  check: CheckResult,
  answer: DoctorAnswer,
  locale: Locale,
  day = today(),
): FeedbackRecord {
  return {
    id: check.feedbackId,
    modelVersion: check.card.version,
    prediction: topLabels(check),
    confirmedLabel: answer.confirmedLabel,
    confirmedBy: answer.confirmedBy,
    ...(answer.bodySite ? { bodySite: answer.bodySite } : {}),
    ...(answer.fitzpatrick ? { fitzpatrick: answer.fitzpatrick } : {}),
    locale,
    day,
  };
}
