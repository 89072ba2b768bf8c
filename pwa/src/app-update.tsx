/**
 * A new version of the app, waiting to take over. The service worker is registered in prompt mode:
 * an update that reloaded the page on its own would lose a half-filled form, a running check or the
 * result on screen, so the new version waits until the user taps Reload, and only the tab where the
 * user tapped it reloads. Another tab the new version takes charge of keeps what is on its screen and
 * says so; its own Reload then reloads it.
 *
 * workbox-window directly, not vite-plugin-pwa's registerSW: that one reloads every tab that showed
 * the notice once the new version takes charge of it, wherever Reload was tapped.
 */

import { useEffect, useState } from "preact/hooks";
import { Workbox } from "workbox-window";
import { useLocale } from "./i18n/index.js";

/** "ready": a new version waits for a Reload; "elsewhere": another tab's Reload put it in charge here. */
export type AppUpdateState = "none" | "ready" | "elsewhere";

let state: AppUpdateState = "none";
const listeners = new Set<(next: AppUpdateState) => void>();
let activate: (() => void) | undefined;

function setState(next: AppUpdateState): void {
  state = next;
  for (const listener of listeners) listener(next);
}

export function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator)) return;
  const container = navigator.serviceWorker;
  // The built worker and scope: vite-plugin-pwa writes sw.js at the base, with the base as its scope.
  const wb = new Workbox(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL });
  let registration: ServiceWorkerRegistration | undefined;
  /** The worker in charge of this page as far as it knows; null before the app's first worker is. */
  let known: ServiceWorker | null = container.controller;
  /** Set once Reload is tapped here: this tab, and no other, reloads when the new version takes charge. */
  let requested = false;
  const reload = () => location.reload();

  // A new version installed and waiting, whether it was waiting already when this page loaded or
  // installed since (an update this tab or another one found).
  wb.addEventListener("waiting", () => {
    if (state === "none") setState("ready");
  });
  container.addEventListener("controllerchange", () => {
    const previous = known;
    known = container.controller;
    if (requested) {
      reload();
      return;
    }
    // The app's first worker taking charge of the page it installed from (clientsClaim) is no update.
    if (!previous && state === "none") return;
    // Another tab's Reload: the new version is in charge, but this page still runs the old one and may
    // hold a half-filled form. It stays; the notice says so.
    setState("elsewhere");
  });

  activate = () => {
    const waiting = registration?.waiting;
    // Another tab already had the new version take over (or nothing waits any more): reload into the
    // version in charge.
    if (state === "elsewhere" || !waiting) {
      reload();
      return;
    }
    requested = true;
    // Should the waiting worker activate without taking charge of this page, or fail, reload anyway.
    waiting.addEventListener("statechange", () => {
      if (waiting.state === "activated" || waiting.state === "redundant") reload();
    });
    wb.messageSkipWaiting();
  };

  void wb.register({ immediate: true }).then(
    (registered) => {
      registration = registered;
      // A page loaded without a worker (a hard reload) that another tab's worker serves.
      known ??= registered?.active ?? null;
    },
    (error: unknown) => console.warn("service worker registration failed", error),
  );
}

/** A notice, once a new version is waiting or in charge, with a button that reloads into it. */
export function UpdateNotice() {
  const { t } = useLocale();
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    listeners.add(setCurrent);
    setCurrent(state);
    return () => {
      listeners.delete(setCurrent);
    };
  }, []);
  if (current === "none") return null;
  return (
    <div class="update-notice" data-testid="update-notice">
      <output>{t(current === "elsewhere" ? "appUpdateElsewhere" : "appUpdateReady")}</output>
      <button type="button" class="button" onClick={() => activate?.()}>
        {t("appUpdateReload")}
      </button>
    </div>
  );
}
