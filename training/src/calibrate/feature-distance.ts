/**
 * Feature-space "unsure" scores, for research: how far an image's backbone features lie from the
 * training images' (cosine distance, higher = less like anything trained on). Not shippable as they
 * stand: the nearest-neighbour score needs every training image's features on the phone.
 */
import { tf } from "../backend/index.js";

export const FEATURE_SCORES = ["nearestNeighbour", "nearestCentroid"] as const;
export type FeatureScoreName = (typeof FEATURE_SCORES)[number];

function unitRows(data: Float32Array, width: number): tf.Tensor2D {
  const rows = tf.tensor2d(data, [data.length / width, width]);
  return tf.div(rows, tf.add(tf.norm(rows, 2, 1, true), 1e-12));
}

/** Cosine distance (1 − the largest cosine similarity) of each query row to its nearest row of `bank`. */
export function nearestNeighbourDistance(bank: Float32Array, queries: Float32Array, width: number): Float64Array {
  const similarity = tf.tidy(() => tf.max(tf.matMul(unitRows(queries, width), unitRows(bank, width), false, true), 1));
  const out = Float64Array.from(similarity.dataSync(), (s) => 1 - s);
  similarity.dispose();
  return out;
}

/** Cosine distance of each query to the nearest class mean of the training images. */
export function nearestCentroidDistance(
  bank: Float32Array,
  labels: Int32Array,
  numClasses: number,
  queries: Float32Array,
  width: number,
): Float64Array {
  const means = new Float32Array(numClasses * width);
  const counts = new Float64Array(numClasses);
  for (const [i, label] of labels.entries()) {
    counts[label] = (counts[label] as number) + 1;
    for (let d = 0; d < width; d++)
      means[label * width + d] = (means[label * width + d] as number) + (bank[i * width + d] as number);
  }
  const present = [...counts.keys()].filter((c) => (counts[c] as number) > 0);
  const centroids = new Float32Array(present.length * width);
  for (const [j, c] of present.entries())
    for (let d = 0; d < width; d++) centroids[j * width + d] = (means[c * width + d] as number) / (counts[c] as number);
  return nearestNeighbourDistance(centroids, queries, width);
}
