export { buildFineTuneModel, type FineTuneOptions } from "./classifier.js";
export { flattenModel } from "./flatten.js";
export { CutPointError, listCutPoints, type SplitModel, splitModel } from "./split.js";
