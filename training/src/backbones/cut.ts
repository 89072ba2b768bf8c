import * as tfl from "@tensorflow/tfjs-layers";

export class BackboneError extends Error {
  override name = "BackboneError";
}

/**
 * A feature extractor from `model`: the output of `layerName` (default: the model's output), global
 * average pooled when it is still a [N, H, W, C] map, so the result is [N, C]. With pool = false the
 * activation map is kept (fine-tuning caches it and trains the tail after it).
 */
export function cutAt(
  model: tfl.LayersModel,
  layerName?: string,
  pool = true,
  /** Names the pooling layer when the model was already cut at this layer (folded extractors). */
  cutName = layerName,
): tfl.LayersModel {
  let output: tfl.SymbolicTensor;
  if (layerName) {
    let layer: tfl.layers.Layer;
    try {
      layer = model.getLayer(layerName);
    } catch {
      const names = model.layers.map((l) => l.name);
      throw new BackboneError(
        `layer "${layerName}" is not in ${model.name}; it has ${names.length} layers, e.g. ${names.slice(-8).join(", ")}`,
      );
    }
    output = layer.output as tfl.SymbolicTensor;
  } else {
    output = model.outputs[0] as tfl.SymbolicTensor;
  }
  if (output.shape.length === 4 && pool) {
    output = tfl.layers
      .globalAveragePooling2d({ name: `${cutName ?? "output"}_gap` })
      .apply(output) as tfl.SymbolicTensor;
  } else if (output.shape.length !== 2 && pool) {
    throw new BackboneError(`cut output has shape [${output.shape.join(", ")}]; expected rank 2 or 4`);
  }
  return tfl.model({ inputs: model.inputs, outputs: output, name: `${model.name}_features` });
}
