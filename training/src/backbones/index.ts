export * from "./backbone.js";
export * from "./cut.js";
export * from "./load.js";
export * from "./nsfwjs.js";
export * from "./registry.js";
