/** The app shell: loads the model, holds the current check and routes between screens. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type CheckResult, runCheck, today, topLabels } from "./check.js";
import { enqueueFeedback, feedbackCounts } from "./feedback/queue.js";
import { FeedbackSync, type SyncState } from "./feedback/sync.js";
import { addHistory, attachFeedback } from "./history/store.js";
import { describeClass, LocaleContext, translator } from "./i18n/index.js";
import { decodePhoto, PhotoDecodeError } from "./image/decode.js";
import { type ActiveModel, openActiveModel, updateFromChannel } from "./model/active.js";
import { type BackendName, isBackendName, selectBackend } from "./model/backend.js";
import { pruneStoredModels } from "./model/store.js";
import { assessQuality, DEFAULT_QUALITY, type QualityReport } from "./quality/quality.js";
import { Doctor, type DoctorAnswer } from "./screens/Doctor.js";
import { History } from "./screens/History.js";
import { Home } from "./screens/Home.js";
import { Quality } from "./screens/Quality.js";
import { Result } from "./screens/Result.js";
import { Settings as SettingsScreen } from "./screens/Settings.js";
import { loadSettings, type Settings, saveSettings } from "./settings.js";

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
  const [settings, setSettings] = useState<Settings>();
  const [model, setModel] = useState<ActiveModel>();
  const [backend, setBackend] = useState<BackendName>();
  const [fatal, setFatal] = useState<string>();
  const [screen, setScreen] = useState<Screen>("home");
  const [status, setStatus] = useState<string>();
  const [photo, setPhoto] = useState<PendingPhoto>();
  const [check, setCheck] = useState<CheckResult>();
  const [feedbackSaved, setFeedbackSaved] = useState(false);
  const [updateStatus, setUpdateStatus] = useState<string>();
  const [modelNotice, setModelNotice] = useState<string>();
  const [checkingUpdate, setCheckingUpdate] = useState(false);
  const [sync, setSync] = useState<SyncState>({ pending: 0, rejected: 0 });
  const syncer = useRef<FeedbackSync>();
  const t = translator(settings?.locale ?? "en");

  const settingsRef = useRef<Settings>();

  /** Merges into the latest settings (async callers may hold stale copies) and persists them. */
  const updateSettings = useCallback(async (patch: Partial<Settings>) => {
    const current = settingsRef.current;
    if (!current) return;
    const next = { ...current, ...patch };
    settingsRef.current = next;
    setSettings(next);
    document.documentElement.lang = next.locale === "zh" ? "zh-CN" : "en";
    await saveSettings(next);
  }, []);

  const checkForUpdate = useCallback(
    async (active: ActiveModel, quiet: boolean) => {
      const current = settingsRef.current;
      if (!current) return;
      const say = translator(current.locale);
      setCheckingUpdate(true);
      try {
        const result = await updateFromChannel(API_BASE, current.channel, active.classifier.card.version);
        if (result.kind === "updated") {
          const version = result.model.classifier.card.version;
          active.classifier.dispose();
          setModel(result.model);
          await updateSettings({ activeModel: version });
          setUpdateStatus(say("updateDone", { version }));
        } else if (result.kind === "failed") {
          setUpdateStatus(say("updateFailed", { version: result.version, error: result.error }));
        } else if (!quiet) {
          setUpdateStatus(say("updateNone"));
        }
      } catch (error) {
        if (!quiet) setUpdateStatus(say("updateOffline", { error: (error as Error).message }));
      } finally {
        setCheckingUpdate(false);
      }
    },
    [updateSettings],
  );

  useEffect(() => {
    (async () => {
      const loaded = await loadSettings();
      settingsRef.current = loaded;
      await updateSettings({});
      try {
        setBackend(await selectBackend(WASM_DIR, requestedBackend()));
        const active = await openActiveModel(loaded.activeModel);
        if (active.discarded) {
          await updateSettings({ activeModel: undefined });
          setModelNotice(translator(loaded.locale)("discarded", { error: active.discarded }));
        } else if (active.source === "embedded") {
          await pruneStoredModels();
        }
        setModel(active);
        if (navigator.onLine) void checkForUpdate(active, true);
      } catch (error) {
        setFatal((error as Error).message);
      }
      syncer.current = new FeedbackSync(API_BASE, setSync);
      syncer.current.start();
      setSync(await feedbackCounts());
    })();
  }, [updateSettings, checkForUpdate]);

  if (!settings) return null;
  const classifier = model?.classifier;

  const showCheck = async (pixels: PendingPhoto["pixels"], thumbnail: Blob) => {
    if (!classifier) return;
    const result = await runCheck(classifier, pixels, thumbnail);
    await addHistory({
      id: result.id,
      createdAt: result.createdAt,
      thumbnail,
      modelVersion: result.card.version,
      top: topLabels(result),
      unsure: result.interpretation.unsure,
    });
    setCheck(result);
    setFeedbackSaved(false);
    setStatus(undefined);
    setScreen("result");
  };

  const onPhoto = async (file: File) => {
    if (!classifier) return;
    setStatus(t("checking"));
    try {
      const decoded = await decodePhoto(file);
      const minSide = Math.max(DEFAULT_QUALITY.minSide, classifier.card.preprocessing.inputSize);
      const report = assessQuality(decoded.preview, decoded.pixels, { ...DEFAULT_QUALITY, minSide });
      if (report.problems.length > 0) {
        setPhoto({ pixels: decoded.pixels, thumbnail: decoded.thumbnail, report, minSide });
        setStatus(undefined);
        setScreen("quality");
        return;
      }
      await showCheck(decoded.pixels, decoded.thumbnail);
    } catch (error) {
      setStatus(error instanceof PhotoDecodeError ? t("decodeFailed") : (error as Error).message);
    }
  };

  const onDoctorSubmit = async (answer: DoctorAnswer) => {
    if (!check) return;
    const record = {
      id: crypto.randomUUID(),
      modelVersion: check.card.version,
      prediction: topLabels(check),
      confirmedLabel: answer.confirmedLabel,
      confirmedBy: "doctor" as const,
      ...(answer.bodySite ? { bodySite: answer.bodySite } : {}),
      ...(answer.fitzpatrick ? { fitzpatrick: answer.fitzpatrick } : {}),
      locale: settings.locale,
      day: today(),
    };
    await enqueueFeedback(record);
    await attachFeedback(check.id, { id: record.id, confirmedLabel: record.confirmedLabel });
    setSync({ ...sync, ...(await feedbackCounts()) });
    syncer.current?.trigger();
    setFeedbackSaved(true);
    setScreen("result");
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

  let body = null;
  if (screen === "home" || !classifier) {
    const homeStatus = fatal ? t("modelFailed", { error: fatal }) : classifier ? status : t("loadingModel");
    body = <Home ready={Boolean(classifier)} status={homeStatus} onPhoto={onPhoto} />;
  } else if (screen === "quality" && photo) {
    body = (
      <Quality
        report={photo.report}
        shortSide={Math.min(photo.pixels.width, photo.pixels.height)}
        minSide={photo.minSide}
        onRetake={() => setScreen("home")}
        onContinue={() => void showCheck(photo.pixels, photo.thumbnail)}
      />
    );
  } else if (screen === "result" && check) {
    body = (
      <Result
        check={check}
        classifier={classifier}
        feedbackSaved={feedbackSaved}
        onDoctor={() => setScreen("doctor")}
        onNew={() => setScreen("home")}
      />
    );
  } else if (screen === "doctor" && check) {
    body = <Doctor check={check} onSubmit={onDoctorSubmit} onCancel={() => setScreen("result")} />;
  } else if (screen === "history") {
    body = <History nameOf={nameOf} />;
  } else if (screen === "settings") {
    body = (
      <SettingsScreen
        locale={settings.locale}
        channel={settings.channel}
        modelVersion={classifier.card.version}
        modelSource={model?.source}
        backend={backend}
        updateStatus={updateStatus}
        modelNotice={modelNotice}
        checking={checkingUpdate}
        pending={sync.pending}
        rejected={sync.rejected}
        onLocale={(locale) => void updateSettings({ locale })}
        onChannel={(channel) => void updateSettings({ channel })}
        onCheckUpdate={() => model && void checkForUpdate(model, false)}
      />
    );
  } else {
    body = <Home ready status={status} onPhoto={onPhoto} />;
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
      <main>{body}</main>
      <nav class="bottom" aria-label={t("appName")}>
        {nav("home", t("navHome"))}
        {nav("history", t("navHistory"))}
        {nav("settings", t("navSettings"))}
      </nav>
    </LocaleContext.Provider>
  );
}
