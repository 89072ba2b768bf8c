/** Opens a layers-model backbone (possibly nested Sequential/Model wrappers) at named layers. */
import * as tfl from "@tensorflow/tfjs-layers";

/** The innermost functional model: the one whose layers are the network's own (convs, BNs, ...). */
export function innerNetwork(model: tfl.LayersModel): tfl.LayersModel {
  let current = model;
  for (;;) {
    const nested = current.layers.filter((l): l is tfl.LayersModel => l instanceof tfl.LayersModel);
    const [only] = nested;
    if (nested.length !== 1 || !only) return current;
    current = only;
  }
}

/** A model from the network's input to the named layers' outputs. */
export function tapModel(network: tfl.LayersModel, layerNames: readonly string[]): tfl.LayersModel {
  const outputs = layerNames.map((name) => {
    const out = network.getLayer(name).output;
    if (Array.isArray(out)) throw new Error(`layer ${name} has several outputs`);
    return out;
  });
  return tfl.model({ inputs: network.inputs, outputs });
}
