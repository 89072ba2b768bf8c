/**
 * Whether a loaded model fits its card: it must take the contract's input (inputSize² RGB pixels)
 * and give one logit per card class. Checked once after loading, by training's loader and the PWA's,
 * so a mismatched folder fails with one clear message instead of a tensor shape error mid-check.
 */
import type { ModelCard } from "./model-card.js";

type Shape = readonly (number | null)[] | undefined;

const show = (shape: Shape) => (shape ? `[${shape.map((d) => d ?? "batch").join(", ")}]` : "an unknown shape");

/** Why the model's input and output shapes do not fit `card`; undefined when they do. */
export function modelShapeMismatch(
  card: { classes: readonly unknown[]; preprocessing: Pick<ModelCard["preprocessing"], "inputSize"> },
  inputShape: Shape,
  outputShape: Shape,
): string | undefined {
  const side = card.preprocessing.inputSize;
  // The batch stays free: test-time views and the heat map run several images in one pass.
  const [batch, ...input] = inputShape ?? [];
  if (batch !== null || input.length !== 3 || input[0] !== side || input[1] !== side || input[2] !== 3) {
    return `the model takes ${show(inputShape)}, the card's preprocessing gives [batch, ${side}, ${side}, 3]`;
  }
  if (outputShape?.length !== 2 || outputShape[0] !== null || outputShape[1] !== card.classes.length) {
    return `the model outputs ${show(outputShape)}, the card lists ${card.classes.length} classes`;
  }
  return undefined;
}
