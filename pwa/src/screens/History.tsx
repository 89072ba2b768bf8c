import { useEffect, useRef, useState } from "preact/hooks";
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

interface HistoryProps {
  nameOf(id: string): string;
  /** Changes whenever a check is added to history, so a list on screen shows it without leaving. */
  revision?: number;
}

/** Where focus goes once the list or the dialog has re-rendered: a row's Delete (by index), or an element. */
type FocusTarget = number | "heading" | "deleteAll" | "confirm";

export function History({ nameOf, revision }: HistoryProps) {
  const { t } = useLocale();
  const [entries, setEntries] = useState<HistoryEntry[]>();
  const [confirming, setConfirming] = useState(false);
  /** Why the history could not be read; the list shown stays as it was, and Retry reads it again. */
  const [readError, setReadError] = useState<string>();
  /** Why a delete failed; the list shown stays as it was. */
  const [deleteError, setDeleteError] = useState<string>();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const deleteAllRef = useRef<HTMLButtonElement>(null);
  const dialogRef = useRef<HTMLDivElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const focusNext = useRef<FocusTarget>();
  /** Counts reads, so an older read that ends late cannot replace a newer one's list. */
  const reads = useRef(0);

  const reload = async () => {
    const read = ++reads.current;
    try {
      const list = await listHistory();
      if (read !== reads.current) return;
      setReadError(undefined);
      setEntries(list);
    } catch (failure) {
      if (read !== reads.current) return;
      focusNext.current = undefined;
      setReadError(t("historyNotRead", { error: errorText(failure, t) }));
    }
  };
  // Reads again when a check was added (revision changes).
  useEffect(() => {
    void reload();
  }, [revision]);

  useEffect(() => {
    const target = focusNext.current;
    if (target === undefined) return;
    focusNext.current = undefined;
    if (target === "confirm") {
      // The dialog opens below the list, often out of sight: bring it into view with its question.
      dialogRef.current?.scrollIntoView({ block: "center" });
      confirmRef.current?.focus({ preventScroll: true });
      return;
    }
    let element: HTMLElement | null | undefined;
    if (typeof target === "number") {
      const buttons = listRef.current?.querySelectorAll<HTMLButtonElement>("button[data-testid=delete-entry]");
      element = buttons?.length ? buttons[Math.min(target, buttons.length - 1)] : undefined;
    } else if (target === "deleteAll") {
      element = deleteAllRef.current;
    }
    (element ?? headingRef.current)?.focus();
  }, [entries, confirming]);

  /** Deletes, then shows what is left; on failure says why and leaves the confirm dialog open to retry. */
  const deleting = async (step: () => Promise<void>, then: FocusTarget) => {
    setDeleteError(undefined);
    try {
      await step();
    } catch (failure) {
      setDeleteError(t("historyNotDeleted", { error: errorText(failure, t) }));
      return;
    }
    focusNext.current = then;
    setConfirming(false);
    await reload();
  };
  const deleteNotice = deleteError && (
    <output class="status warn" data-testid="history-error">
      {deleteError}
    </output>
  );
  return (
    <section aria-labelledby="history-title" data-testid="history">
      <h1 id="history-title" ref={headingRef} tabIndex={-1}>
        {t("historyTitle")}
      </h1>
      <p class="muted">{t("historyLocal")}</p>
      {readError && (
        <div data-testid="history-read-error">
          <output class="status warn" data-testid="history-error">
            {readError}
          </output>
          <button type="button" class="button" onClick={() => void reload()}>
            {t("retry")}
          </button>
        </div>
      )}
      {!confirming && deleteNotice}
      {entries?.length === 0 && <p data-testid="history-empty">{t("historyEmpty")}</p>}
      <ul class="history" ref={listRef}>
        {entries?.map((entry, index) => {
          const top = entry.top[0];
          const condition = top ? nameOf(top.label) : "";
          const date = today(new Date(entry.createdAt));
          return (
            <li key={entry.id} data-testid="history-item">
              <Thumbnail blob={entry.thumbnail} />
              <div class="history-text">
                <strong>{condition}</strong>
                <span>
                  {top ? formatPercent(top.probability, t) : ""}
                  {entry.unsure ? ` · ${t("unsureShort")}` : ""}
                  {entry.qualityProblems?.length ? ` · ${t("poorPhotoShort")}` : ""}
                </span>
                <span class="muted">{date}</span>
              </div>
              <button
                type="button"
                class="button small"
                data-testid="delete-entry"
                aria-label={t("deleteEntry", { condition, date })}
                onClick={() => deleting(() => deleteHistory(entry.id), index)}
              >
                {t("delete")}
              </button>
            </li>
          );
        })}
      </ul>
      {entries && entries.length > 0 && !confirming && (
        <button
          type="button"
          class="button danger"
          ref={deleteAllRef}
          onClick={() => {
            focusNext.current = "confirm";
            setConfirming(true);
          }}
        >
          {t("deleteAll")}
        </button>
      )}
      {confirming && (
        <div role="alertdialog" aria-labelledby="confirm-title" class="confirm" ref={dialogRef}>
          <p id="confirm-title">{t("confirmDeleteAll")}</p>
          {deleteNotice}
          <div class="actions">
            <button
              type="button"
              class="button danger"
              data-testid="confirm-delete-all"
              ref={confirmRef}
              onClick={() => deleting(clearHistory, "heading")}
            >
              {t("deleteAll")}
            </button>
            <button
              type="button"
              class="button"
              onClick={() => {
                // The error was about this dialog's delete: it goes with the dialog.
                setDeleteError(undefined);
                focusNext.current = "deleteAll";
                setConfirming(false);
              }}
            >
              {t("cancel")}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
