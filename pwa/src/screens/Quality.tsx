import { useLocale } from "../i18n/index.js";
import type { QualityReport } from "../quality/quality.js";

interface QualityProps {
  report: QualityReport;
  shortSide: number;
  minSide: number;
  /** Progress or an error of "Check anyway". */
  status?: string;
  /** A check is running: "Check anyway" waits for it. */
  busy: boolean;
  onRetake(): void;
  onContinue(): void;
}

export function Quality({ report, shortSide, minSide, status, busy, onRetake, onContinue }: QualityProps) {
  const { t } = useLocale();
  return (
    <section aria-labelledby="quality-title" data-testid="quality">
      <h1 id="quality-title">{t("qualityTitle")}</h1>
      <ul class="problems">
        {report.problems.map((problem) => (
          <li key={problem} data-problem={problem}>
            {t(`problem_${problem}`, { size: shortSide, min: minSide })}
          </li>
        ))}
      </ul>
      {status && <output class="status">{status}</output>}
      <div class="actions">
        <button type="button" class="button primary" onClick={onRetake}>
          {t("retake")}
        </button>
        <button type="button" class="button" disabled={busy} onClick={onContinue}>
          {t("continueAnyway")}
        </button>
      </div>
    </section>
  );
}
