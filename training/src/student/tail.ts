/**
 * The trainable tail of a backbone: the network's layers after a cut layer, re-applied (shared, not
 * copied) to a new input shaped like the cut's output. Training the tail on cached cut activations
 * trains the very layer objects the full student is assembled from.
 */
import * as tfl from "@tensorflow/tfjs-layers";

function singleOutput(layer: tfl.layers.Layer): tfl.SymbolicTensor {
  const out = layer.output;
  if (Array.isArray(out)) throw new Error(`layer ${layer.name} has several outputs`);
  return out;
}

/** [cut output] → network output, through the network's own layers. */
export function buildTail(network: tfl.LayersModel, cutLayer: string): tfl.LayersModel {
  const cut = network.getLayer(cutLayer);
  const input = tfl.input({ shape: singleOutput(cut).shape.slice(1) as number[], name: `${cutLayer}_cached` });
  const tensors = new Map<string, tfl.SymbolicTensor>([[cutLayer, input]]);
  const cutIndex = network.layers.indexOf(cut);
  for (const layer of network.layers.slice(cutIndex + 1)) {
    const node = layer.inboundNodes[0];
    if (!node) throw new Error(`layer ${layer.name} has no inbound node`);
    const inputs = node.inboundLayers.map((l) => {
      const t = tensors.get(l.name);
      if (!t) throw new Error(`layer ${layer.name} reads ${l.name}, which lies before the cut ${cutLayer}`);
      return t;
    });
    const out = layer.apply(inputs.length === 1 ? (inputs[0] as tfl.SymbolicTensor) : inputs);
    tensors.set(layer.name, out as tfl.SymbolicTensor);
  }
  const last = network.layers.at(-1);
  const output = last && tensors.get(last.name);
  if (!output) throw new Error(`cut ${cutLayer} is the network's last layer`);
  return tfl.model({ inputs: input, outputs: output, name: `${network.name}_tail_${cutLayer}` });
}

/**
 * The deployable student, one flat graph: image → network → global average → the head's layers
 * (dropout layers are identity at inference) → logits.
 */
export function assembleStudent(
  network: tfl.LayersModel,
  head: tfl.Sequential,
  name = "pifu_student",
): tfl.LayersModel {
  let x = tfl.layers.globalAveragePooling2d({ name: "features_gap" }).apply(network.outputs[0] as tfl.SymbolicTensor);
  for (const layer of head.layers) x = layer.apply(x);
  return tfl.model({ inputs: network.inputs, outputs: x as tfl.SymbolicTensor, name });
}
