/** Moves focus to the start of each new screen. */
import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";

/**
 * Focus moves to the start of the new screen, named by its heading, so keyboard and screen-reader users
 * land on it, not on <body>, and read on from its top: on Result the safety note and warnings come
 * before the heading. Returns the ref for the element that holds the screens.
 */
export function useScreenFocus(screen: string): RefObject<HTMLElement> {
  const mainRef = useRef<HTMLElement>(null);
  const firstScreen = useRef(true);
  useEffect(() => {
    if (firstScreen.current) {
      firstScreen.current = false;
      return;
    }
    const main = mainRef.current;
    const heading = main?.querySelector("h1");
    if (!main || !heading) return;
    if (heading.id) main.setAttribute("aria-labelledby", heading.id);
    main.tabIndex = -1;
    main.focus();
  }, [screen]);
  return mainRef;
}
