/**
 * A new version of the app, waiting to take over. The service worker is registered in prompt mode:
 * an update that reloaded the page on its own would lose a half-filled form, a running check or the
 * result on screen, so the new version waits until the user taps Reload.
 */

import { registerSW } from "virtual:pwa-register";
import { useEffect, useState } from "preact/hooks";
import { useLocale } from "./i18n/index.js";

let waiting = false;
const listeners = new Set<() => void>();
let activate: (() => Promise<void>) | undefined;

export function registerServiceWorker(): void {
  let registration: ServiceWorkerRegistration | undefined;
  const updateServiceWorker = registerSW({
    immediate: true,
    onNeedRefresh() {
      waiting = true;
      for (const listener of listeners) listener();
    },
    onRegisteredSW(_url, registered) {
      registration = registered;
    },
  });
  activate = async () => {
    const current = registration ?? (await navigator.serviceWorker.getRegistration());
    // Another tab already had the new version take over: no worker waits for a message, and this page's
    // controllerchange has come and gone, so the page reloads into the version now in charge.
    if (!current?.waiting) {
      location.reload();
      return;
    }
    // registerSW reloads only when the page had a worker when it loaded; one installed since then
    // (the app's first visit) takes over without it, so the page reloads itself.
    navigator.serviceWorker.addEventListener("controllerchange", () => location.reload(), { once: true });
    await updateServiceWorker(true);
  };
}

/** A notice, once a new version is waiting, with a button that reloads into it. */
export function UpdateNotice() {
  const { t } = useLocale();
  const [ready, setReady] = useState(waiting);
  useEffect(() => {
    const show = () => setReady(true);
    listeners.add(show);
    if (waiting) show();
    return () => listeners.delete(show);
  }, []);
  if (!ready) return null;
  return (
    <div class="update-notice" data-testid="update-notice">
      <output>{t("appUpdateReady")}</output>
      <button type="button" class="button" onClick={() => void activate?.()}>
        {t("appUpdateReload")}
      </button>
    </div>
  );
}
