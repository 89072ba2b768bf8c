// `npx vite` / `npx vite build` in pwa/: the same configuration the scripts and tests build with.
import { pwaConfig } from "./build/config.js";

export default { ...pwaConfig(), logLevel: "info" as const };
