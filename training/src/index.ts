export * from "./augment/index.js";
export * from "./backbones/index.js";
export * from "./backend/index.js";
export * from "./data/index.js";
export * from "./features/index.js";
export * from "./metrics/index.js";
export * from "./train/index.js";
