/**
 * A functional model with the same inputs, outputs and layer objects as `model`, in which nested
 * models are inlined: every layer, at any nesting depth, can then be named as a cut point.
 */
import { model as functionalModel, type LayersModel, type SymbolicTensor } from "@tensorflow/tfjs-layers";
import { GraphTracer } from "./graph.js";

export function flattenModel(model: LayersModel): LayersModel {
  const tracer = new GraphTracer(model.inputs.map((input): [SymbolicTensor, SymbolicTensor] => [input, input]));
  const outputs = model.outputs.map((output) => tracer.trace(output));
  return functionalModel({ inputs: model.inputs, outputs, name: `${model.name}_flat` });
}
