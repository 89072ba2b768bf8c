import { useEffect, useState } from "preact/hooks";
import { errorText } from "../errors.js";
import { MODEL_RETRY_HOURS, MODEL_WAIT_DAYS } from "../feedback/lifecycle.js";
import { LOCALE_NAMES, LOCALE_TAGS, LOCALES, type Locale, useLocale } from "../i18n/index.js";
import { CHANNELS, type Channel } from "../settings.js";
import { storageState } from "../storage.js";

interface SettingsProps {
  locale: Locale;
  channel: Channel;
  modelVersion?: string;
  modelSource?: "embedded" | "downloaded";
  backend?: string;
  updateStatus?: string;
  /** Why the app fell back to its built-in model, if it did. */
  modelNotice?: string;
  checking: boolean;
  pending: number;
  /** Feedback waiting for its model version to be published. */
  waiting: number;
  rejected: number;
  /** Why the last try to send feedback failed, and when the next one is due; absent once one succeeds. */
  sendFailure?: { error: unknown; retryAt: number };
  onLocale(locale: Locale): void;
  onChannel(channel: Channel): void;
  onCheckUpdate(): void;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function Settings(props: SettingsProps) {
  const { locale, t } = useLocale();
  const [storage, setStorage] = useState<{ persisted?: boolean; usage?: number }>({});
  useEffect(() => {
    void storageState().then(setStorage);
  }, [props.modelVersion]);
  return (
    <section aria-labelledby="settings-title" data-testid="settings">
      <h1 id="settings-title">{t("settingsTitle")}</h1>
      <fieldset>
        <legend>{t("language")}</legend>
        <div class="segmented">
          {LOCALES.map((locale) => (
            <button
              key={locale}
              type="button"
              lang={locale}
              class={`button${props.locale === locale ? " primary" : ""}`}
              aria-pressed={props.locale === locale}
              onClick={() => props.onLocale(locale)}
            >
              {LOCALE_NAMES[locale]}
            </button>
          ))}
        </div>
      </fieldset>
      <h2>{t("model")}</h2>
      {props.modelVersion && (
        <p data-testid="model-version" data-version={props.modelVersion}>
          {t("modelVersion", {
            version: props.modelVersion,
            source: t(props.modelSource === "downloaded" ? "sourceDownloaded" : "sourceEmbedded"),
          })}
        </p>
      )}
      {props.modelNotice && <output data-testid="model-notice">{props.modelNotice}</output>}
      {props.backend && <p data-testid="backend">{t("backend", { backend: props.backend })}</p>}
      <label class="field">
        {t("channel")}
        <select value={props.channel} onChange={(e) => props.onChannel(e.currentTarget.value as Channel)}>
          {CHANNELS.map((channel) => (
            <option key={channel} value={channel}>
              {t(`channel_${channel}`)}
            </option>
          ))}
        </select>
      </label>
      <button type="button" class="button" disabled={props.checking} onClick={props.onCheckUpdate}>
        {props.checking ? t("checkingUpdate") : t("checkUpdate")}
      </button>
      {props.updateStatus && <output data-testid="update-status">{props.updateStatus}</output>}
      {storage.usage !== undefined && <p>{t("storageUsed", { used: formatBytes(storage.usage) })}</p>}
      {storage.persisted !== undefined && (
        <p data-testid="storage-persisted" data-persisted={String(storage.persisted)}>
          {t(storage.persisted ? "storagePersistent" : "storageNotPersistent")}
        </p>
      )}
      <p data-testid="pending">{t("pendingFeedback", { n: props.pending })}</p>
      {props.sendFailure && (
        <output class="status warn" data-testid="send-failure">
          {t("feedbackSendFailed", {
            error: errorText(props.sendFailure.error, t),
            time: new Date(props.sendFailure.retryAt).toLocaleTimeString(LOCALE_TAGS[locale]),
          })}
        </output>
      )}
      {props.waiting > 0 && (
        <p data-testid="waiting">
          {t("waitingFeedback", { n: props.waiting, hours: MODEL_RETRY_HOURS, days: MODEL_WAIT_DAYS })}
        </p>
      )}
      {props.rejected > 0 && <p>{t("rejectedFeedback", { n: props.rejected })}</p>}
      <h2>{t("privacyTitle")}</h2>
      <p>{t("privacyBody")}</p>
      <p class="muted">{t("feedbackContains")}</p>
    </section>
  );
}
