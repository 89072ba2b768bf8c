/** Worker entry point (the root wrangler.toml's `main`). */
import { createApp } from "./app.js";

export default createApp();
