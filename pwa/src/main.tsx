import { registerSW } from "virtual:pwa-register";
import { render } from "preact";
import { App } from "./app.js";
import "./styles.css";

registerSW({ immediate: true });
const root = document.getElementById("app");
if (root) render(<App />, root);
