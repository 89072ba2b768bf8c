import { render } from "preact";
import { App } from "./app.js";
import { registerServiceWorker } from "./app-update.js";
import "./styles.css";

registerServiceWorker();
const root = document.getElementById("app");
if (root) render(<App />, root);
