import { needsDoctor } from "@pifu/core";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { CheckResult } from "../check.js";
import { errorText } from "../errors.js";
import { describeClass, LOCALE_TAGS, type Locale, type Translate, useLocale } from "../i18n/index.js";
import { formatPercent } from "../i18n/percent.js";
import type { Classifier } from "../model/classifier.js";
import { occlusionMap } from "../model/heatmap.js";

interface ResultProps {
  check: CheckResult;
  classifier: Classifier;
  feedbackSaved: boolean;
  /** Why this result could not be saved to history (the result itself is fine); undefined when it was. */
  notInHistory: string | undefined;
  /** What else to say about this result's saved feedback (History could not note it); undefined when nothing. */
  feedbackNotice: string | undefined;
  onDoctor(): void;
  onNew(): void;
}

const GRID = 6;

function useObjectUrl(blob: Blob): string {
  const url = useMemo(() => URL.createObjectURL(blob), [blob]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return url;
}

function Heatmap({ check, classifier, photo }: { check: CheckResult; classifier: Classifier; photo: string }) {
  const { t } = useLocale();
  const [cells, setCells] = useState<Float32Array | "working" | undefined>();
  const [error, setError] = useState<string>();
  const top = check.interpretation.top[0]?.index ?? 0;
  const show = async () => {
    setCells("working");
    setError(undefined);
    try {
      setCells(await occlusionMap(classifier, check.input, top, GRID));
    } catch (failure) {
      setCells(undefined);
      setError(t("heatmapFailed", { error: errorText(failure, t) }));
    }
  };
  if (cells === undefined) {
    return (
      <>
        <button type="button" class="button" onClick={show}>
          {t("heatmapShow")}
        </button>
        {error && (
          <output class="status warn" data-testid="heatmap-error">
            {error}
          </output>
        )}
      </>
    );
  }
  if (cells === "working") return <output>{t("heatmapWorking")}</output>;
  return (
    <figure class="heatmap" data-testid="heatmap">
      <div class="heatmap-frame">
        <img src={photo} alt="" />
        <div class="heatmap-grid" style={{ gridTemplateColumns: `repeat(${GRID}, 1fr)` }}>
          {Array.from(cells, (value, i) => (
            <span key={i} style={{ background: `rgba(220, 0, 0, ${(value * 0.6).toFixed(2)})` }} />
          ))}
        </div>
      </div>
      <figcaption>{t("heatmapTitle")}</figcaption>
    </figure>
  );
}

/** "too dark and blurred", in the user's language. */
function problemList(check: CheckResult, locale: Locale, t: Translate): string {
  const list = new Intl.ListFormat(LOCALE_TAGS[locale], { type: "conjunction" });
  return list.format(check.qualityProblems.map((problem) => t(`photoWas_${problem}`)));
}

export function Result({
  check,
  classifier,
  feedbackSaved,
  notInHistory,
  feedbackNotice,
  onDoctor,
  onNew,
}: ResultProps) {
  const { locale, t } = useLocale();
  const { interpretation, card } = check;
  const rows = interpretation.top.map(({ index, probability }) => {
    const id = card.classes[index]?.id ?? "";
    return { id, probability, ...describeClass(card, id, locale) };
  });
  const classIds = card.classes.map((c) => c.id);
  const poorPhoto = check.qualityProblems.length > 0;
  const seeDoctor = needsDoctor({ ...interpretation, poorPhoto }, classIds);
  const photo = useObjectUrl(check.thumbnail);
  return (
    <section aria-labelledby="result-title" data-testid="result">
      <p class="note" role="note">
        {t("notDiagnosis")}
      </p>
      {interpretation.unsure && (
        <div class="unsure" data-testid="unsure">
          <h2>{t("unsureTitle")}</h2>
          <p>{t("unsureBody")}</p>
        </div>
      )}
      {poorPhoto && (
        <p class="status warn" data-testid="quality-warning">
          {t("resultPoorPhoto", { problems: problemList(check, locale, t) })}
        </p>
      )}
      <div class="result-head">
        <img
          class="checked-photo"
          src={photo}
          alt={t("checkedPhoto")}
          title={t("checkedPhoto")}
          width={96}
          height={96}
          data-testid="checked-photo"
        />
        <h1 id="result-title">{t("resultTitle")}</h1>
      </div>
      <ol class="matches">
        {rows.map((row) => (
          <li key={row.id} data-testid="match" data-class={row.id}>
            <div class="match-head">
              <span class="match-name">{row.name}</span>
              <span class="match-percent">{formatPercent(row.probability, t)}</span>
            </div>
            <meter class="bar" min={0} max={1} value={row.probability} aria-label={row.name} />
            {row.description && <p class="muted">{row.description}</p>}
          </li>
        ))}
      </ol>
      <p class={seeDoctor ? "advice urgent" : "advice"} data-testid="advice">
        {seeDoctor ? t("adviceDoctor") : t("adviceSelfCare")}
      </p>
      {notInHistory && (
        <output class="status warn" data-testid="history-notice">
          {t("historyNotSaved", { error: notInHistory })}
        </output>
      )}
      {/* The map reruns the model: only the one that made this result may draw it. */}
      {check.card.version === classifier.card.version && (
        <Heatmap check={check} classifier={classifier} photo={photo} />
      )}
      {feedbackSaved && <output class="status">{t("feedbackSaved")}</output>}
      {feedbackNotice && (
        <output class="status warn" data-testid="feedback-notice">
          {feedbackNotice}
        </output>
      )}
      <div class="actions">
        {!feedbackSaved && (
          <button type="button" class="button" onClick={onDoctor}>
            {t("doctorMode")}
          </button>
        )}
        <button type="button" class="button primary" onClick={onNew}>
          {t("newCheck")}
        </button>
      </div>
    </section>
  );
}
