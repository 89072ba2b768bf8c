import { useEffect, useState } from "preact/hooks";
import { today } from "../check.js";
import type { HistoryEntry } from "../db.js";
import { errorText } from "../errors.js";
import { clearHistory, deleteHistory, listHistory } from "../history/store.js";
import { useLocale } from "../i18n/index.js";
import { formatPercent } from "../i18n/percent.js";

function Thumbnail({ blob }: { blob: Blob }) {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    const objectUrl = URL.createObjectURL(blob);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [blob]);
  return url ? <img src={url} alt="" width={64} height={64} /> : null;
}

export function History({ nameOf }: { nameOf(id: string): string }) {
  const { t } = useLocale();
  const [entries, setEntries] = useState<HistoryEntry[]>();
  const [confirming, setConfirming] = useState(false);
  /** Why the history could not be read or a delete failed; the list shown stays as it was. */
  const [error, setError] = useState<string>();
  const errorNotice = error && (
    <output class="status warn" data-testid="history-error">
      {error}
    </output>
  );
  const reload = async () => {
    try {
      setEntries(await listHistory());
    } catch (failure) {
      setError(t("historyNotRead", { error: errorText(failure, t) }));
    }
  };
  useEffect(() => {
    void reload();
  }, []);
  /** Deletes, then shows what is left; on failure says why and leaves the confirm dialog open to retry. */
  const deleting = async (step: () => Promise<void>) => {
    setError(undefined);
    try {
      await step();
    } catch (failure) {
      setError(t("historyNotDeleted", { error: errorText(failure, t) }));
      return;
    }
    setConfirming(false);
    await reload();
  };
  return (
    <section aria-labelledby="history-title" data-testid="history">
      <h1 id="history-title">{t("historyTitle")}</h1>
      <p class="muted">{t("historyLocal")}</p>
      {!confirming && errorNotice}
      {entries?.length === 0 && <p data-testid="history-empty">{t("historyEmpty")}</p>}
      <ul class="history">
        {entries?.map((entry) => {
          const top = entry.top[0];
          return (
            <li key={entry.id} data-testid="history-item">
              <Thumbnail blob={entry.thumbnail} />
              <div class="history-text">
                <strong>{top ? nameOf(top.label) : ""}</strong>
                <span>
                  {top ? formatPercent(top.probability, t) : ""}
                  {entry.unsure ? ` · ${t("unsureShort")}` : ""}
                  {entry.qualityProblems?.length ? ` · ${t("poorPhotoShort")}` : ""}
                </span>
                <span class="muted">{today(new Date(entry.createdAt))}</span>
              </div>
              <button type="button" class="button small" onClick={() => deleting(() => deleteHistory(entry.id))}>
                {t("delete")}
              </button>
            </li>
          );
        })}
      </ul>
      {entries && entries.length > 0 && !confirming && (
        <button type="button" class="button danger" onClick={() => setConfirming(true)}>
          {t("deleteAll")}
        </button>
      )}
      {confirming && (
        <div role="alertdialog" aria-labelledby="confirm-title" class="confirm">
          <p id="confirm-title">{t("confirmDeleteAll")}</p>
          {errorNotice}
          <div class="actions">
            <button
              type="button"
              class="button danger"
              data-testid="confirm-delete-all"
              onClick={() => deleting(clearHistory)}
            >
              {t("deleteAll")}
            </button>
            <button type="button" class="button" onClick={() => setConfirming(false)}>
              {t("cancel")}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
