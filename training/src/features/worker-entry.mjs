// Plain-JS entry so worker_threads can start the TypeScript worker under node, tsx and vitest alike.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
