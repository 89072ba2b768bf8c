/** Checks the settings' channel for a newer model, one check at a time, and says how the last check went. */
import { useCallback, useRef, useState } from "preact/hooks";
import { errorSaid } from "./errors.js";
import type { Translate } from "./i18n/index.js";
import { type Said, said } from "./i18n/message.js";
import { type ActiveModel, activeVersion, updateFromChannel } from "./model/active.js";
import type { Settings } from "./settings.js";
import { keepStoredData } from "./storage.js";
import { noUpdateText } from "./update-status.js";

export interface ModelUpdateOptions {
  /** Where the API is (empty: the app's own origin). */
  apiBase: string;
  /** The model in use now, for a check that starts after an await. */
  model: ActiveModel | undefined;
  /** The latest settings: the channel to check, and what the updated model is saved into. */
  settingsRef: { readonly current: Settings | undefined };
  /** Makes settings the ones in use, without saving them. Must keep its identity across renders. */
  applySettings: (next: Settings) => void;
  /** Puts an updated model in use. Must keep its identity across renders. */
  setModel: (model: ActiveModel) => void;
  /** Runs once an updated model is in use. Must keep its identity across renders. */
  onUpdated: () => void;
}

export function useModelUpdates({
  apiBase,
  model,
  settingsRef,
  applySettings,
  setModel,
  onUpdated,
}: ModelUpdateOptions) {
  // Messages are kept unsaid (Said) and said when shown, so a language switch re-says them.
  const [updateStatus, setUpdateStatus] = useState<Said>();
  const [checkingUpdate, setCheckingUpdate] = useState(false);
  /** Set while an update check runs: a second one (a tap during the start-up check) would load and leak a second copy. */
  const updating = useRef(false);
  /** Set when the channel changes while a check runs: a check of the new channel follows that one. */
  const recheck = useRef(false);
  const modelRef = useRef<ActiveModel>();
  modelRef.current = model;

  /** `follow`: if a check runs, check again after it (the channel changed) rather than not at all. */
  const checkForUpdate = useCallback(
    async (active: ActiveModel, quiet: boolean, follow = false) => {
      const current = settingsRef.current;
      if (!current) return;
      if (updating.current) {
        if (follow) recheck.current = true;
        return;
      }
      updating.current = true;
      recheck.current = false;
      /** The model in use once this check ends, which a check that follows starts from. */
      let after = active;
      setCheckingUpdate(true);
      // The last check's outcome would otherwise sit next to "Checking…" as if it were this one's.
      setUpdateStatus(undefined);
      try {
        const latest = () => settingsRef.current ?? current;
        const inUse = active.classifier.card.version;
        // The channel checked: the one named when the check began (updateFromChannel reads it then too).
        const channel = said(`channel_${current.channel}`);
        const result = await updateFromChannel(apiBase, inUse, latest);
        if (result.kind === "updated") {
          const version = result.model.classifier.card.version;
          // Freed once the checks still running on it end.
          active.classifier.dispose();
          setModel(result.model);
          after = result.model;
          // Saved together with the model, in one transaction.
          applySettings({ ...latest(), activeModel: activeVersion(result.model) });
          setUpdateStatus(() => said(result.switched ? "updateSwitched" : "updateDone", { version, channel }));
          onUpdated();
          void keepStoredData();
        } else if (result.kind === "failed") {
          const key = { download: "updateDownloadFailed", check: "updateFailed", store: "updateNotStored" } as const;
          setUpdateStatus(() => said(key[result.stage], { version: result.version, error: errorSaid(result.error) }));
        } else if (quiet || recheck.current) {
          // A check at start says nothing unless something changed; one that another follows leaves it the word.
        } else if (result.kind === "channelChanged") {
          setUpdateStatus(() => said("updateChannelChanged"));
        } else {
          const { channelVersion } = result;
          setUpdateStatus(() => (t: Translate) => noUpdateText(t, inUse, channelVersion, channel(t)));
        }
      } catch (error) {
        if (!quiet && !recheck.current) setUpdateStatus(() => said("updateOffline", { error: errorSaid(error) }));
      } finally {
        updating.current = false;
        setCheckingUpdate(false);
      }
      if (recheck.current) void checkForUpdate(after, false);
    },
    [apiBase, settingsRef, applySettings, setModel, onUpdated],
  );

  /** Checks the channel just chosen, which may serve another model. */
  const checkNewChannel = useCallback(() => {
    if (modelRef.current) void checkForUpdate(modelRef.current, false, true);
  }, [checkForUpdate]);

  return { updateStatus, checkingUpdate, checkForUpdate, checkNewChannel };
}
