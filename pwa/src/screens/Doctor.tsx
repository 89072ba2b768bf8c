import { BODY_SITES, FITZPATRICK_TYPES, UNKNOWN_LABEL } from "@pifu/core";
import { useState } from "preact/hooks";
import type { CheckResult } from "../check.js";
import { errorText } from "../errors.js";
import type { DoctorAnswer } from "../feedback/record.js";
import { describeClass, useLocale } from "../i18n/index.js";

interface DoctorProps {
  check: CheckResult;
  /** Whether the box "I am a clinician" starts ticked (the last answer this session). */
  clinician: boolean;
  /** Saves the answer; a rejection is shown here and the doctor can save again. */
  onSubmit(answer: DoctorAnswer): Promise<void>;
  onCancel(): void;
}

const BODY_SITE_NAMES: Record<(typeof BODY_SITES)[number], { en: string; zh: string }> = {
  head_neck: { en: "Head or neck", zh: "头颈部" },
  face: { en: "Face", zh: "面部" },
  scalp: { en: "Scalp", zh: "头皮" },
  trunk: { en: "Trunk", zh: "躯干" },
  arm: { en: "Arm", zh: "手臂" },
  hand: { en: "Hand", zh: "手" },
  leg: { en: "Leg", zh: "腿" },
  foot: { en: "Foot", zh: "脚" },
  nail: { en: "Nail", zh: "指（趾）甲" },
  genital: { en: "Genital area", zh: "生殖器部位" },
  other: { en: "Other", zh: "其他" },
};

export function Doctor({ check, clinician: clinicianBefore, onSubmit, onCancel }: DoctorProps) {
  const { locale, t } = useLocale();
  const topIndex = check.interpretation.top[0]?.index ?? 0;
  const [label, setLabel] = useState(check.card.classes[topIndex]?.id ?? UNKNOWN_LABEL);
  const [bodySite, setBodySite] = useState("");
  const [fitzpatrick, setFitzpatrick] = useState("");
  const [clinician, setClinician] = useState(clinicianBefore);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (saving) return;
    setSaving(true);
    setError(undefined);
    try {
      await onSubmit({
        confirmedLabel: label,
        confirmedBy: clinician ? "doctor" : "patient",
        bodySite: bodySite ? (bodySite as DoctorAnswer["bodySite"]) : undefined,
        fitzpatrick: fitzpatrick ? Number(fitzpatrick) : undefined,
      });
    } catch (failure) {
      setError(t("feedbackFailed", { error: errorText(failure, t) }));
    } finally {
      setSaving(false);
    }
  };
  const options = [...check.card.classes.map((c) => c.id), UNKNOWN_LABEL];
  return (
    <form aria-labelledby="doctor-title" data-testid="doctor" onSubmit={submit}>
      <h1 id="doctor-title">{t("doctorTitle")}</h1>
      <fieldset>
        <legend>{t("doctorLabel")}</legend>
        {options.map((id) => (
          <label key={id} class="choice">
            <input type="radio" name="label" value={id} checked={label === id} onChange={() => setLabel(id)} />
            {id === UNKNOWN_LABEL ? t("doctorUnknown") : describeClass(check.card, id, locale).name}
          </label>
        ))}
      </fieldset>
      <label class="field">
        {t("bodySite")}
        <select name="bodySite" value={bodySite} onChange={(e) => setBodySite(e.currentTarget.value)}>
          <option value="">{t("notGiven")}</option>
          {BODY_SITES.map((site) => (
            <option key={site} value={site}>
              {BODY_SITE_NAMES[site][locale]}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        {t("fitzpatrick")}
        <select name="fitzpatrick" value={fitzpatrick} onChange={(e) => setFitzpatrick(e.currentTarget.value)}>
          <option value="">{t("notGiven")}</option>
          {FITZPATRICK_TYPES.map((type) => (
            <option key={type} value={type}>
              {["I", "II", "III", "IV", "V", "VI"][type - 1]}
            </option>
          ))}
        </select>
      </label>
      <label class="choice">
        <input
          type="checkbox"
          name="clinician"
          checked={clinician}
          onChange={(e) => setClinician(e.currentTarget.checked)}
        />
        {t("confirmedByClinician")}
      </label>
      <p class="muted">{t("confirmedByHint")}</p>
      <p class="muted">{t("feedbackContains")}</p>
      {error && (
        <output class="status warn" data-testid="feedback-error">
          {error}
        </output>
      )}
      <div class="actions">
        <button type="submit" class="button primary" disabled={saving}>
          {t("submitFeedback")}
        </button>
        <button type="button" class="button" onClick={onCancel}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}
