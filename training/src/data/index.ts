export * from "./csv.js";
export * from "./dataset.js";
export * from "./decode.js";
export * from "./float32.js";
export * from "./rng.js";
export * from "./split.js";
