import { useLocale } from "../i18n/index.js";

interface HomeProps {
  /** The model is loaded and no check is running. */
  ready: boolean;
  status?: string;
  /** Set when a check finished while the user was on another screen. */
  onShowResult?: () => void;
  onPhoto(file: File): void;
}

interface PhotoInputProps {
  label: string;
  /** Opens the back camera on phones instead of the photo library. */
  camera?: boolean;
  primary?: boolean;
  testId: string;
  ready: boolean;
  onPhoto(file: File): void;
}

/** A button-styled file input: the camera or the gallery, one photo at a time. */
function PhotoInput({ label, camera, primary, testId, ready, onPhoto }: PhotoInputProps) {
  const onChange = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    // Reset so choosing the same file again still fires a change event.
    input.value = "";
    if (file) onPhoto(file);
  };
  return (
    <label class={`button${primary ? " primary" : ""}${ready ? "" : " disabled"}`}>
      {label}
      <input
        type="file"
        accept="image/*"
        {...(camera ? { capture: "environment" } : {})}
        class="visually-hidden"
        data-testid={testId}
        disabled={!ready}
        onChange={onChange}
      />
    </label>
  );
}

export function Home({ ready, status, onShowResult, onPhoto }: HomeProps) {
  const { t } = useLocale();
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title" class="visually-hidden">
        {t("appName")}
      </h1>
      <div class="actions">
        <PhotoInput label={t("takePhoto")} primary camera testId="camera-input" ready={ready} onPhoto={onPhoto} />
        <PhotoInput label={t("pickPhoto")} testId="photo-input" ready={ready} onPhoto={onPhoto} />
      </div>
      {status && <output class="status">{status}</output>}
      {onShowResult && (
        <div class="status" data-testid="result-ready">
          <p>{t("resultReady")}</p>
          <button type="button" class="button primary" onClick={onShowResult}>
            {t("showResult")}
          </button>
        </div>
      )}
      <h2>{t("guidanceTitle")}</h2>
      <ul class="guidance">
        <li>{t("guidanceDistance")}</li>
        <li>{t("guidanceLight")}</li>
        <li>{t("guidanceFocus")}</li>
      </ul>
      <p class="muted">{t("photoStaysHere")}</p>
    </section>
  );
}
