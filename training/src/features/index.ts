export * from "./cache.js";
export * from "./embed.js";
export * from "./embedder.js";
export * from "./jobs.js";
export * from "./pool.js";
