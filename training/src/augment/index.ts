export * from "./mix.js";
export * from "./pixels.js";
