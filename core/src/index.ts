export * from "./feedback.js";
export * from "./hash.js";
export * from "./labels.js";
export * from "./model-artifacts.js";
export * from "./model-card.js";
export * from "./postprocess.js";
export * from "./preprocess.js";
export * from "./test-time.js";
