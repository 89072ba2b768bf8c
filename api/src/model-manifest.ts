/**
 * Checks a TensorFlow.js layers-model `model.json` against the card's files: every weight shard it
 * names is a file of the card, and each manifest group's weights fill its shards exactly.
 */
import { LayersModelJsonSchema, type ModelCard, weightByteLength } from "@pifu/core";
import { describeIssues } from "./middleware/body.js";

/** Returns the problems found (empty when the manifest matches the card). */
export function checkModelJson(text: string, card: Pick<ModelCard, "files" | "modelFile">): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [`${card.modelFile} is not valid JSON`];
  }
  const parsed = LayersModelJsonSchema.safeParse(raw);
  if (!parsed.success) return [`${card.modelFile} is not a layers model: ${describeIssues(parsed.error)}`];
  const sizes = new Map(card.files.map((f) => [f.name, f.size]));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, group] of parsed.data.weightsManifest.entries()) {
    let shardBytes = 0;
    for (const path of group.paths) {
      const size = sizes.get(path);
      if (size === undefined || path === card.modelFile) {
        problems.push(`weightsManifest[${i}] names ${JSON.stringify(path)}, which is not a weight file of the card`);
      } else if (seen.has(path)) {
        problems.push(`weightsManifest names ${path} twice`);
      } else {
        shardBytes += size;
      }
      seen.add(path);
    }
    const expected = group.weights.map(weightByteLength);
    if (problems.length === 0 && expected.every((n) => n !== undefined)) {
      const total = expected.reduce((a, b) => a + b, 0);
      if (total !== shardBytes) {
        problems.push(`weightsManifest[${i}] describes ${total} bytes of weights but its shards hold ${shardBytes}`);
      }
    }
  }
  return problems;
}
