/** Finds the network inside a layers-model backbone (possibly nested Sequential/Model wrappers). */
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
