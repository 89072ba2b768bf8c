/** The feedback queue's sending, and its counts for the header badge and Settings. */
import { useCallback, useRef, useState } from "preact/hooks";
import { feedbackCounts } from "./feedback/queue.js";
import { FeedbackSync, type SyncState } from "./feedback/sync.js";

export function useFeedbackSync(apiBase: string) {
  const [sync, setSync] = useState<SyncState>({ pending: 0, waiting: 0, rejected: 0 });
  const syncer = useRef<FeedbackSync>();

  /** Reads the queue's counts again; unreadable counts keep the last ones shown. */
  const refreshCounts = useCallback(() => {
    feedbackCounts().then(
      (counts) => setSync((state) => ({ ...state, ...counts })),
      () => undefined,
    );
  }, []);

  /** Starts sending what the queue holds, now and whenever the app is back online. */
  const startSync = useCallback(() => {
    syncer.current = new FeedbackSync(apiBase, setSync);
    syncer.current.start();
    refreshCounts();
  }, [apiBase, refreshCounts]);

  /** A record was just queued: send it soon and count it. */
  const sendQueued = useCallback(() => {
    syncer.current?.trigger();
    refreshCounts();
  }, [refreshCounts]);

  /** Records held back for a newer model may go now. Keeps its identity across renders. */
  const retryWaiting = useCallback(() => syncer.current?.retryWaiting(), []);

  return { sync, startSync, sendQueued, retryWaiting };
}
