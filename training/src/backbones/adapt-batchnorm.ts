/**
 * Re-estimates a network's batch-norm statistics on new images (AdaBN, Li et al. 2016). Every
 * ImageNet statistic is replaced by the mean and variance the layer sees on the new images, so the
 * frozen early blocks normalise skin photos as they normalised ImageNet's (a channel that skin photos
 * push far below zero no longer dies in the ReLU6 after it). Learned weights (kernels, γ, β) are kept.
 * On skin8 it made the student worse, most of all on the small classes (docs/results/student.md,
 * attempt 14); it is kept for other data sets and backbones.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";

/** tfjs-layers' BatchNormalization keeps the moving-average momentum in a field its config was read into. */
interface WithMomentum {
  momentum: number;
}

function batchNorms(network: tfl.LayersModel): (tfl.layers.Layer & WithMomentum)[] {
  const found: (tfl.layers.Layer & WithMomentum)[] = [];
  for (const layer of network.layers) {
    if (layer instanceof tfl.LayersModel) found.push(...batchNorms(layer));
    else if (layer.getClassName() === "BatchNormalization") {
      if (typeof (layer as unknown as Partial<WithMomentum>).momentum !== "number")
        throw new Error(`batch norm ${layer.name} has no momentum field to set; tfjs-layers changed`);
      found.push(layer as tfl.layers.Layer & WithMomentum);
    }
  }
  return found;
}

export interface AdaptedBatchNorms {
  /** Batch norms whose statistics were replaced. */
  layers: number;
  images: number;
}

/**
 * One pass in training mode over `batches`: each batch norm normalises with the batch's own statistics
 * (so later layers see what the adapted network will give them) and folds them into its moving mean
 * and variance with momentum 1 − 1/n at batch n, which leaves the plain average over all batches.
 * Batches should be shuffled across classes: one class's batch statistics are not the data's. Each
 * batch is disposed once it has been used.
 */
export async function adaptBatchNorms(
  network: tfl.LayersModel,
  batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>,
  onBatch?: (images: number) => void,
): Promise<AdaptedBatchNorms> {
  const norms = batchNorms(network);
  if (norms.length === 0) throw new Error(`${network.name} has no batch norms to adapt`);
  const momentum = norms.map((layer) => layer.momentum);
  let count = 0;
  let images = 0;
  try {
    for await (const batch of batches) {
      count++;
      for (const layer of norms) layer.momentum = 1 - 1 / count;
      tf.tidy(() => {
        network.apply(batch, { training: true });
      });
      images += batch.shape[0];
      batch.dispose();
      onBatch?.(images);
    }
  } finally {
    for (const [i, layer] of norms.entries()) layer.momentum = momentum[i] as number;
  }
  if (images === 0) throw new Error("no images to adapt the batch norms on");
  return { layers: norms.length, images };
}
