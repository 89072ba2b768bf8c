/** The app shell: loads the model, holds the current check and routes between screens. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { UpdateNotice } from "./app-update.js";
import { type CheckResult, runCheck } from "./check.js";
import { checkErrorMessage, errorSaid } from "./errors.js";
import { enqueueFeedback } from "./feedback/queue.js";
import { type DoctorAnswer, feedbackRecord } from "./feedback/record.js";
import { addToHistory, attachFeedback } from "./history/store.js";
import { describeClass, LocaleContext, type Translate, translator } from "./i18n/index.js";
import { type Said, said } from "./i18n/message.js";
import { decodePhoto } from "./image/decode.js";
import { type ActiveModel, activeVersion, openActiveModel, pruneSuperseded } from "./model/active.js";
import { type BackendName, isBackendName, selectBackend } from "./model/backend.js";
import { assessQuality, DEFAULT_QUALITY, type QualityReport } from "./quality/quality.js";
import { Doctor } from "./screens/Doctor.js";
import { History } from "./screens/History.js";
import { Home } from "./screens/Home.js";
import { Quality } from "./screens/Quality.js";
import { Result } from "./screens/Result.js";
import { Settings as SettingsScreen } from "./screens/Settings.js";
import { loadSettings, type Settings, settingsFrom } from "./settings.js";
import { keepStoredData } from "./storage.js";
import { useFeedbackSync } from "./use-feedback-sync.js";
import { useModelUpdates } from "./use-model-updates.js";
import { useScreenFocus } from "./use-screen-focus.js";
import { inEnglish, useSettings } from "./use-settings.js";

const API_BASE = import.meta.env.VITE_PIFU_API ?? "";
const WASM_DIR = `${import.meta.env.BASE_URL}tfjs/`;

type Screen = "home" | "quality" | "result" | "doctor" | "history" | "settings";

interface PendingPhoto {
  pixels: Parameters<typeof runCheck>[1];
  thumbnail: Blob;
  report: QualityReport;
  minSide: number;
}

function requestedBackend(): BackendName | undefined {
  const value = new URLSearchParams(location.search).get("backend");
  return isBackendName(value) ? value : undefined;
}

export function App() {
  const { settings, settingsRef, applySettings, updateSettings, storageNotices, addStorageNotice } = useSettings();
  const [model, setModel] = useState<ActiveModel>();
  const [backend, setBackend] = useState<BackendName>();
  // Messages are kept unsaid (Said) and said when shown, so a language switch re-says them.
  const [fatal, setFatal] = useState<Said>();
  const [screen, setScreen] = useState<Screen>("home");
  const [status, setStatus] = useState<Said>();
  const [photo, setPhoto] = useState<PendingPhoto>();
  const [check, setCheck] = useState<CheckResult>();
  const [feedbackSaved, setFeedbackSaved] = useState(false);
  /** Whether the last answer in Doctor mode came from a clinician: the next one starts the same. */
  const [clinician, setClinician] = useState(false);
  /** Set while a check runs: one at a time, so a slower one cannot replace a later one's result. */
  const [busy, setBusy] = useState(false);
  const running = useRef(false);
  /** The screen a check finished on while the user was on another one; Home offers to show it. */
  const [finished, setFinished] = useState<"quality" | "result">();
  const screenRef = useRef(screen);
  screenRef.current = screen;
  /**
   * What the result screen says about the check's saved feedback besides "saved". Kept here, not in
   * Result: it is known on the doctor screen, before Result shows again.
   */
  const [feedbackNotice, setFeedbackNotice] = useState<{ id: string; text: Said }>();
  /** Counts checks added to history, so History on screen reads its list again. */
  const [historyRevision, setHistoryRevision] = useState(0);
  /** The check that could not be saved to history, and why. */
  const [notInHistory, setNotInHistory] = useState<{ id: string; error: Said }>();
  const [modelNotice, setModelNotice] = useState<Said>();
  const { sync, startSync, sendQueued, retryWaiting } = useFeedbackSync(API_BASE);
  const t = translator(settings?.locale ?? "en");

  const mainRef = useScreenFocus(screen);

  // The full-size pixels of a photo left on Quality (up to ~160 MB) go once the user leaves it, unless
  // "Check anyway" is running on them; a photo whose Quality screen Home still offers stays.
  const lastScreen = useRef(screen);
  useEffect(() => {
    const left = lastScreen.current;
    lastScreen.current = screen;
    if (left === "quality" && screen !== "quality" && !running.current) setPhoto(undefined);
  }, [screen]);

  const { updateStatus, checkingUpdate, checkForUpdate, checkNewChannel } = useModelUpdates({
    apiBase: API_BASE,
    model,
    settingsRef,
    applySettings,
    setModel,
    onUpdated: retryWaiting,
  });

  /**
   * Names the model that started in the settings, then deletes the stored versions it supersedes:
   * never before the settings naming it are saved, so a failure here cannot lose the model in use.
   */
  const settleActiveModel = useCallback(
    async (active: ActiveModel, named: string | undefined) => {
      const version = activeVersion(active);
      const discarded = active.discarded;
      if (discarded) {
        setModelNotice(() =>
          version ? said("discardedUsing", { version, error: discarded }) : said("discarded", { error: discarded }),
        );
      }
      const saved = named === version || (await updateSettings({ activeModel: version }));
      if (!saved) return;
      try {
        await pruneSuperseded(active);
      } catch (error) {
        addStorageNotice(said("oldModelsNotDeleted", { error: errorSaid(error) }));
      }
    },
    [updateSettings, addStorageNotice],
  );

  useEffect(() => {
    (async () => {
      let loaded: Settings;
      try {
        loaded = await loadSettings();
      } catch (error) {
        loaded = settingsFrom(undefined);
        addStorageNotice(said("settingsNotRead", { error: errorSaid(error) }));
      }
      applySettings(loaded);
      await updateSettings({});
      try {
        setBackend(await selectBackend(WASM_DIR, requestedBackend()));
        const active = await openActiveModel(loaded.activeModel);
        setModel(active);
        // Before the update check, whose own save would otherwise race this one.
        await settleActiveModel(active, loaded.activeModel);
        if (navigator.onLine) void checkForUpdate(active, true);
      } catch (error) {
        setFatal(() => errorSaid(error));
      }
      startSync();
    })();
  }, [applySettings, updateSettings, addStorageNotice, settleActiveModel, checkForUpdate, startSync]);

  if (!settings) return null;
  const classifier = model?.classifier;

  /** Shows a check's outcome, unless the user went on to another screen meanwhile: Home then offers it. */
  const reveal = (target: "quality" | "result") => {
    if (screenRef.current === "home" || screenRef.current === "quality") setScreen(target);
    else setFinished(target);
  };

  /** Shows the result as soon as it is computed; saving it to history comes after and may fail alone. */
  const showCheck = async (
    pixels: PendingPhoto["pixels"],
    thumbnail: Blob,
    problems: PendingPhoto["report"]["problems"],
  ) => {
    if (!classifier) return;
    const result = await runCheck(classifier, pixels, thumbnail, problems);
    // The full-size pixels kept for "Check anyway" are not needed once the model has seen them.
    setPhoto(undefined);
    setCheck(result);
    setFeedbackSaved(false);
    setStatus(undefined);
    reveal("result");
    try {
      await addToHistory(result);
      setHistoryRevision((revision) => revision + 1);
      void keepStoredData();
    } catch (error) {
      setNotInHistory({ id: result.id, error: errorSaid(error) });
    }
  };

  /** Runs one step of a check, saying "checking" meanwhile and what went wrong if it fails. */
  const checking = async (step: () => Promise<void>) => {
    // A second tap in the same task comes before the re-render that disables the inputs.
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setFinished(undefined);
    setStatus(() => said("checking"));
    try {
      await step();
    } catch (error) {
      setStatus(() => (say: Translate) => checkErrorMessage(error, say));
    } finally {
      running.current = false;
      setBusy(false);
    }
  };

  const onPhoto = (file: File) => {
    if (!classifier) return;
    // The check ends on the model it started with, even if an update replaces that model meanwhile.
    void checking(() =>
      classifier.hold(async () => {
        setPhoto(undefined);
        const decoded = await decodePhoto(file);
        const minSide = Math.max(DEFAULT_QUALITY.minSide, classifier.card.preprocessing.inputSize);
        const report = assessQuality(decoded.preview, decoded.pixels, { ...DEFAULT_QUALITY, minSide });
        if (report.problems.length > 0) {
          setPhoto({ pixels: decoded.pixels, thumbnail: decoded.thumbnail, report, minSide });
          setStatus(undefined);
          reveal("quality");
          return;
        }
        await showCheck(decoded.pixels, decoded.thumbnail, []);
      }),
    );
  };

  /**
   * Throws only when the record is not queued; the doctor screen shows it and saving again is
   * harmless. Once queued, what else went wrong (History not noting it) shows on the result, and
   * the label is final: the result no longer offers Doctor mode, since the API keeps the first
   * record it gets under an id.
   */
  const onDoctorSubmit = async (answer: DoctorAnswer) => {
    if (!check) return;
    setClinician(answer.confirmedBy === "doctor");
    const record = feedbackRecord(check, answer, settings.locale);
    await enqueueFeedback(record);
    void keepStoredData();
    let notice: Said | undefined;
    try {
      await attachFeedback(check.id, { id: record.id, confirmedLabel: record.confirmedLabel });
    } catch (error) {
      // The record is queued all the same: saying saving failed would be untrue.
      notice = said("feedbackNotInHistory", { error: errorSaid(error) });
    }
    setFeedbackNotice(notice ? { id: check.id, text: notice } : undefined);
    setFeedbackSaved(true);
    setScreen("result");
    sendQueued();
  };

  const nav = (target: Screen, label: string) => (
    <button
      type="button"
      class={`nav-item${screen === target ? " active" : ""}`}
      aria-current={screen === target ? "page" : undefined}
      onClick={() => setScreen(target)}
    >
      {label}
    </button>
  );

  const nameOf = (id: string) => (classifier ? describeClass(classifier.card, id, settings.locale).name : id);

  const showFinished = finished
    ? () => {
        setFinished(undefined);
        setScreen(finished);
      }
    : undefined;

  let body = null;
  if (screen === "home" || !classifier) {
    const homeStatus = fatal ? t("modelFailed", { error: fatal(t) }) : classifier ? status?.(t) : t("loadingModel");
    body = (
      <Home ready={Boolean(classifier) && !busy} status={homeStatus} onShowResult={showFinished} onPhoto={onPhoto} />
    );
  } else if (screen === "quality" && photo) {
    body = (
      <Quality
        report={photo.report}
        shortSide={Math.min(photo.pixels.width, photo.pixels.height)}
        minSide={photo.minSide}
        status={status?.(t)}
        busy={busy}
        onRetake={() => {
          setPhoto(undefined);
          setStatus(undefined);
          setScreen("home");
        }}
        onContinue={() =>
          void checking(async () => {
            try {
              await showCheck(photo.pixels, photo.thumbnail, photo.report.problems);
            } finally {
              // Failed after the user left Quality: nothing shows this photo again.
              if (screenRef.current !== "quality") setPhoto(undefined);
            }
          })
        }
      />
    );
  } else if (screen === "result" && check) {
    body = (
      <Result
        check={check}
        classifier={classifier}
        feedbackSaved={feedbackSaved}
        notInHistory={notInHistory?.id === check.id ? notInHistory.error(t) : undefined}
        feedbackNotice={feedbackNotice?.id === check.id ? feedbackNotice.text(t) : undefined}
        onDoctor={() => setScreen("doctor")}
        onNew={() => setScreen("home")}
      />
    );
  } else if (screen === "doctor" && check) {
    body = (
      <Doctor check={check} clinician={clinician} onSubmit={onDoctorSubmit} onCancel={() => setScreen("result")} />
    );
  } else if (screen === "history") {
    body = <History nameOf={nameOf} revision={historyRevision} />;
  } else if (screen === "settings") {
    body = (
      <SettingsScreen
        locale={settings.locale}
        channel={settings.channel}
        modelVersion={classifier.card.version}
        modelSource={model?.source}
        backend={backend}
        updateStatus={updateStatus?.(t)}
        modelNotice={modelNotice?.(t)}
        checking={checkingUpdate}
        pending={sync.pending}
        waiting={sync.waiting}
        rejected={sync.rejected}
        sendFailure={sync.retryAt === undefined ? undefined : { error: sync.lastError, retryAt: sync.retryAt }}
        onLocale={(locale) => void updateSettings({ locale })}
        onChannel={(channel) => {
          // A new channel may serve another model: look at once (after the save, which the update's own save would race).
          void updateSettings({ channel }).then(checkNewChannel);
        }}
        onCheckUpdate={() => model && void checkForUpdate(model, false)}
      />
    );
  } else {
    body = <Home ready={!busy} status={status?.(t)} onShowResult={showFinished} onPhoto={onPhoto} />;
  }

  return (
    <LocaleContext.Provider value={settings.locale}>
      <header class="top">
        <span class="brand">{t("appName")}</span>
        <span class="meta" data-testid="header-meta">
          {classifier ? `v${classifier.card.version} · ${backend ?? ""}` : ""}
          {sync.pending > 0 && (
            <span class="badge" data-testid="pending-badge" title={t("pendingFeedback", { n: sync.pending })}>
              {sync.pending}
            </span>
          )}
        </span>
      </header>
      <main ref={mainRef}>
        {(screen === "home" || screen === "settings") &&
          storageNotices.map((notice) => (
            <output key={notice(inEnglish)} class="status warn" data-testid="storage-notice">
              {notice(t)}
            </output>
          ))}
        {body}
      </main>
      <UpdateNotice />
      {/* Tells screen readers a check finished while the user was on another screen. */}
      <output class="visually-hidden">{finished ? t("resultReady") : ""}</output>
      <nav class="bottom" aria-label={t("appName")}>
        {nav("home", t("navHome"))}
        {nav("history", t("navHistory"))}
        {nav("settings", t("navSettings"))}
      </nav>
    </LocaleContext.Provider>
  );
}
