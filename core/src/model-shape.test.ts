import { describe, expect, it } from "vitest";
import { SKIN8_CLASSES } from "./labels.js";
import { modelShapeMismatch } from "./model-shape.js";
import { DEFAULT_PREPROCESS } from "./preprocess.js";

describe("modelShapeMismatch", () => {
  const card = { classes: SKIN8_CLASSES, preprocessing: DEFAULT_PREPROCESS };
  const side = card.preprocessing.inputSize;
  const k = card.classes.length;

  it("accepts the contract's input and one logit per class", () => {
    expect(modelShapeMismatch(card, [null, side, side, 3], [null, k])).toBeUndefined();
  });

  it("names an input side, channel count or output width that does not fit the card", () => {
    expect(modelShapeMismatch(card, [null, side + 1, side + 1, 3], [null, k])).toMatch(/model takes \[batch, /);
    expect(modelShapeMismatch(card, [null, side, side, 1], [null, k])).toMatch(/model takes/);
    expect(modelShapeMismatch(card, [null, side, side, 3], [null, k + 1])).toBe(
      `the model outputs [batch, ${k + 1}], the card lists ${k} classes`,
    );
    expect(modelShapeMismatch(card, undefined, [null, k])).toMatch(/an unknown shape/);
    // Saved for one image at a time: the test-time views would fail mid-check.
    expect(modelShapeMismatch(card, [1, side, side, 3], [1, k])).toBe(
      `the model takes [1, ${side}, ${side}, 3], the card's preprocessing gives [batch, ${side}, ${side}, 3]`,
    );
    expect(modelShapeMismatch(card, [null, side, side, 3], [1, k])).toMatch(/model outputs \[1, /);
  });
});
