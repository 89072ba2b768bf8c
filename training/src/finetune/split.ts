/**
 * Cutting a model in two for fine-tuning: a frozen trunk (input -> activation at a named layer, run
 * once and cached) and a trainable tail (that activation -> the original output). A cut is valid
 * only where that one activation is all the tail needs, so no skip connection may cross it.
 */
import { model as functionalModel, input, type LayersModel, type SymbolicTensor } from "@tensorflow/tfjs-layers";
import { flattenModel } from "./flatten.js";
import { GraphTracer } from "./graph.js";

export interface SplitModel {
  /** input -> activation of the cut layer; shares layers and weights with the original model */
  trunk: LayersModel;
  /** that activation -> the original outputs; shares layers and weights with the original model */
  tail: LayersModel;
  /** the cut layer's output shape without the batch axis: the tail's input and the cache's row shape */
  activationShape: number[];
}

export class CutPointError extends Error {
  override name = "CutPointError";
}

interface Graph {
  flat: LayersModel;
  /** every symbolic tensor on a path to an output, by id */
  tensors: Map<number, SymbolicTensor>;
}

function collectGraph(model: LayersModel): Graph {
  const flat = flattenModel(model);
  const tensors = new Map<number, SymbolicTensor>();
  const stack = [...flat.outputs];
  while (stack.length > 0) {
    const tensor = stack.pop() as SymbolicTensor;
    if (tensors.has(tensor.id)) continue;
    tensors.set(tensor.id, tensor);
    stack.push(...tensor.inputs);
  }
  return { flat, tensors };
}

/** Ids of `from` and of every tensor it depends on. */
function ancestry(from: SymbolicTensor): Set<number> {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length > 0) {
    const tensor = stack.pop() as SymbolicTensor;
    if (seen.has(tensor.id)) continue;
    seen.add(tensor.id);
    stack.push(...tensor.inputs);
  }
  return seen;
}

/**
 * Why `layerName` is not a cut point, or its single output tensor when it is.
 */
function examineCut(graph: Graph, layerName: string): SymbolicTensor | string {
  const produced = [...graph.tensors.values()].filter((tensor) => tensor.sourceLayer.name === layerName);
  if (produced.length === 0) return `no layer named "${layerName}" lies between the model's input and output`;
  if (produced.length > 1) return `layer "${layerName}" produces more than one tensor (shared or multi-output layer)`;
  const cut = produced[0] as SymbolicTensor;
  if (cut.inputs.length === 0) return `"${layerName}" is the model's input`;
  if (graph.flat.outputs.some((output) => output.id === cut.id)) return `"${layerName}" is the model's output`;
  const beforeCut = ancestry(cut);
  const stack = [...graph.flat.outputs];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const tensor = stack.pop() as SymbolicTensor;
    if (tensor.id === cut.id || seen.has(tensor.id)) continue;
    seen.add(tensor.id);
    if (beforeCut.has(tensor.id)) {
      return `the output of "${tensor.sourceLayer.name}" skips past "${layerName}" (a skip connection crosses the cut)`;
    }
    stack.push(...tensor.inputs);
  }
  return cut;
}

function cutPointsOf(graph: Graph): string[] {
  return graph.flat.layers.map((layer) => layer.name).filter((name) => typeof examineCut(graph, name) !== "string");
}

/** Names of the layers a model can be cut at, from input to output. */
export function listCutPoints(model: LayersModel): string[] {
  return cutPointsOf(collectGraph(model));
}

/** Splits `model` after `layerName`; throws CutPointError listing the valid cut points otherwise. */
export function splitModel(model: LayersModel, layerName: string): SplitModel {
  const graph = collectGraph(model);
  const cut = examineCut(graph, layerName);
  if (typeof cut === "string") {
    throw new CutPointError(
      `cannot split "${model.name}" at "${layerName}": ${cut}. Valid cut points: ${cutPointsOf(graph).join(", ")}`,
    );
  }
  const activationShape = cut.shape.slice(1) as number[];
  const trunk = functionalModel({ inputs: graph.flat.inputs, outputs: cut, name: `${model.name}_to_${layerName}` });
  const tailInput = input({ shape: activationShape, dtype: cut.dtype, name: `${layerName}_activation` });
  const tracer = new GraphTracer([[cut, tailInput]]);
  const tail = functionalModel({
    inputs: tailInput,
    outputs: graph.flat.outputs.map((output) => tracer.trace(output)),
    name: `${model.name}_from_${layerName}`,
  });
  return { trunk, tail, activationShape };
}
