/**
 * The deployable student, one flat graph: image → network → global average → the head's layers
 * (dropout layers are identity at inference) → logits. It is built from the network's own layer
 * objects, so a tail trained on cached activations (finetune/splitModel shares them) is exported.
 */
import * as tfl from "@tensorflow/tfjs-layers";

export function assembleStudent(
  network: tfl.LayersModel,
  head: tfl.Sequential,
  name = "pifu_student",
): tfl.LayersModel {
  let x = tfl.layers.globalAveragePooling2d({ name: "features_gap" }).apply(network.outputs[0] as tfl.SymbolicTensor);
  for (const layer of head.layers) x = layer.apply(x);
  return tfl.model({ inputs: network.inputs, outputs: x as tfl.SymbolicTensor, name });
}
