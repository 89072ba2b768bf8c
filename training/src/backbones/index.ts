export * from "./backbone.js";
export * from "./cut.js";
export * from "./fold-batchnorm.js";
export * from "./fused-inference.js";
export * from "./inference-tap.js";
export * from "./load.js";
export * from "./nsfwjs.js";
export * from "./registry.js";
