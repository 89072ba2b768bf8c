import { useLocale } from "../i18n/index.js";

interface HomeProps {
  ready: boolean;
  status?: string;
  onPhoto(file: File): void;
}

export function Home({ ready, status, onPhoto }: HomeProps) {
  const { t } = useLocale();
  const onChange = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    // Reset so choosing the same file again still fires a change event.
    input.value = "";
    if (file) onPhoto(file);
  };
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title" class="visually-hidden">
        {t("appName")}
      </h1>
      <div class="actions">
        <label class={`button primary${ready ? "" : " disabled"}`}>
          {t("takePhoto")}
          <input
            type="file"
            accept="image/*"
            capture="environment"
            class="visually-hidden"
            data-testid="camera-input"
            disabled={!ready}
            onChange={onChange}
          />
        </label>
        <label class={`button${ready ? "" : " disabled"}`}>
          {t("pickPhoto")}
          <input
            type="file"
            accept="image/*"
            class="visually-hidden"
            data-testid="photo-input"
            disabled={!ready}
            onChange={onChange}
          />
        </label>
      </div>
      {status && <output class="status">{status}</output>}
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
