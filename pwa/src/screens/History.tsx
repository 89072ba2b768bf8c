import { useEffect, useState } from "preact/hooks";
import { today } from "../check.js";
import type { HistoryEntry } from "../db.js";
import { clearHistory, deleteHistory, listHistory } from "../history/store.js";
import { useLocale } from "../i18n/index.js";

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
  const reload = async () => setEntries(await listHistory());
  useEffect(() => {
    void reload();
  }, []);
  const remove = async (id: string) => {
    await deleteHistory(id);
    await reload();
  };
  const removeAll = async () => {
    await clearHistory();
    setConfirming(false);
    await reload();
  };
  return (
    <section aria-labelledby="history-title" data-testid="history">
      <h1 id="history-title">{t("historyTitle")}</h1>
      <p class="muted">{t("historyLocal")}</p>
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
                  {top ? `${Math.round(top.probability * 100)}%` : ""}
                  {entry.unsure ? ` · ${t("unsureShort")}` : ""}
                </span>
                <span class="muted">{today(new Date(entry.createdAt))}</span>
              </div>
              <button type="button" class="button small" onClick={() => remove(entry.id)}>
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
          <div class="actions">
            <button type="button" class="button danger" data-testid="confirm-delete-all" onClick={removeAll}>
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
