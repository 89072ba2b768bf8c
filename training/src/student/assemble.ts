/**
 * The deployable student, one flat graph: image → network → global average → the head's layers
 * (dropout layers are identity at inference) → logits. It is built from the network's own layer
 * objects, so a tail trained on cached activations (finetune/splitModel shares them) is exported.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { foldIfSupported } from "../backbones/fold-batchnorm.js";

export function assembleStudent(
  network: tfl.LayersModel,
  head: tfl.Sequential,
  name = "pifu_student",
): tfl.LayersModel {
  let x = tfl.layers.globalAveragePooling2d({ name: "features_gap" }).apply(network.outputs[0] as tfl.SymbolicTensor);
  for (const layer of head.layers) x = layer.apply(x);
  return tfl.model({ inputs: network.inputs, outputs: x as tfl.SymbolicTensor, name });
}

/**
 * The student with its batch norms folded into the convolutions: a standard layers model with the
 * same logits (float rounding aside) and far fewer kernels per photo on the phone. A graph the fold
 * does not handle is returned unchanged.
 */
export async function foldStudent(student: tfl.LayersModel, log: (line: string) => void = () => {}) {
  const fold = await foldIfSupported(student);
  if ("summary" in fold) {
    const { batchNorms, activations, paddings, layersBefore, layersAfter } = fold.summary;
    log(
      `folded ${batchNorms} batch norms, ${activations} ReLUs and ${paddings} paddings: ${layersBefore} → ${layersAfter} layers`,
    );
  } else log(`batch norms not folded: ${fold.unsupported}`);
  return fold.model;
}
