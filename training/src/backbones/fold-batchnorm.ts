/**
 * Inference-only rewrite of a layers model: nested models are flattened into one functional graph,
 * each BatchNormalization that follows a Conv2D/DepthwiseConv2D is folded into that conv's kernel
 * and bias (kernel·γ/√(var+ε), bias (b−μ)·γ/√(var+ε)+β), a plain ReLU right after a Conv2D becomes
 * its activation (ReLU6 stays a layer: see isPlainRelu; fused-inference.ts fuses it at run time),
 * and a ZeroPadding2D that equals "same" padding for its conv is dropped. The
 * result is a standard tfjs layers model with the same outputs (float rounding aside) and far fewer
 * kernels per image: BatchNormalization alone was over half of MobileNetV2's wasm time.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { tf } from "../backend/index.js";
import { BackboneError } from "./cut.js";

/** The model has a shape this rewrite does not handle (shared layers, multiple inputs...). */
export class FoldUnsupportedError extends Error {
  override name = "FoldUnsupportedError";
}

export interface FoldSummary {
  batchNorms: number;
  activations: number;
  paddings: number;
  layersBefore: number;
  layersAfter: number;
}

type Config = Record<string, unknown>;

interface FlatLayer {
  className: string;
  name: string;
  config: Config;
  /** Names of the layers whose (single) outputs feed this one. */
  inputs: string[];
  /** Replacement weights, in the layer's own weight order; absent: the source layer's weights. */
  weights?: tf.Tensor[];
}

interface LayerJson {
  class_name: string;
  name?: string;
  config: Config;
  inbound_nodes?: [string, number, number, unknown][][];
}

interface SourceLayer {
  layer: tfl.layers.Layer;
  inputShape: number[];
}

const NESTED = new Set(["Model", "Functional", "Sequential"]);
const CONVS = new Set(["Conv2D", "DepthwiseConv2D"]);

/** Every non-container layer by name, with its input shape (each must be called exactly once). */
function collectLayers(model: tfl.LayersModel, into = new Map<string, SourceLayer>()): Map<string, SourceLayer> {
  for (const layer of model.layers) {
    if (layer instanceof tfl.LayersModel) {
      collectLayers(layer, into);
      continue;
    }
    if (into.has(layer.name)) throw new FoldUnsupportedError(`layer name ${layer.name} is used twice`);
    // inboundNodes is public in tfjs-layers' JS but not in its typings.
    const nodes = (layer as unknown as { inboundNodes?: { inputShapes?: unknown }[] }).inboundNodes ?? [];
    const shapes = nodes.length === 1 ? nodes[0]?.inputShapes : undefined;
    const first = Array.isArray(shapes) && Array.isArray(shapes[0]) ? (shapes[0] as number[]) : [];
    into.set(layer.name, { layer, inputShape: first });
  }
  return into;
}

function layerName(json: LayerJson): string {
  return json.name ?? (json.config.name as string);
}

/** Flattens a (possibly nested) model config; returns the name of the layer producing its output. */
function flatten(json: LayerJson, inputs: string[] | undefined, out: FlatLayer[]): string {
  const config = json.config;
  const layers = config.layers as LayerJson[];
  if (json.class_name === "Sequential") {
    let previous: string | undefined = inputs?.[0];
    for (const [i, layer] of layers.entries()) {
      const name = layerName(layer);
      if (layer.class_name === "InputLayer") {
        if (!inputs) {
          out.push({ className: "InputLayer", name, config: layer.config, inputs: [] });
          previous = name;
        }
        continue;
      }
      const own = { ...layer.config };
      if (i === 0 && !inputs && !previous) {
        const input = `${config.name as string}_input`;
        out.push({
          className: "InputLayer",
          name: input,
          config: { batch_input_shape: own.batch_input_shape, dtype: own.dtype ?? "float32", name: input },
          inputs: [],
        });
        previous = input;
      }
      delete own.batch_input_shape;
      delete own.input_shape;
      const from = [previous as string];
      if (NESTED.has(layer.class_name)) previous = flatten(layer, from, out);
      else {
        out.push({ className: layer.class_name, name, config: own, inputs: from });
        previous = name;
      }
    }
    if (!previous) throw new FoldUnsupportedError("empty Sequential");
    return previous;
  }
  const inputLayers = config.input_layers as [string, number, number][];
  const outputLayers = config.output_layers as [string, number, number][];
  if (inputLayers.length !== 1 || outputLayers.length !== 1)
    throw new FoldUnsupportedError("only single-input, single-output models are folded");
  const producer = new Map<string, string>();
  for (const layer of layers) {
    const name = layerName(layer);
    if (layer.class_name === "InputLayer") {
      if (inputs) producer.set(name, inputs[0] as string);
      else {
        out.push({ className: "InputLayer", name, config: layer.config, inputs: [] });
        producer.set(name, name);
      }
      continue;
    }
    const nodes = layer.inbound_nodes ?? [];
    if (nodes.length !== 1) throw new FoldUnsupportedError(`layer ${name} is called ${nodes.length} times`);
    const from = (nodes[0] ?? []).map(([source, , tensorIndex]) => {
      const mapped = producer.get(source);
      if (mapped === undefined || tensorIndex !== 0) throw new FoldUnsupportedError(`layer ${name}: unknown input`);
      return mapped;
    });
    producer.set(name, NESTED.has(layer.class_name) ? flatten(layer, from, out) : name);
    if (!NESTED.has(layer.class_name))
      out.push({ className: layer.class_name, name, config: layer.config, inputs: from });
  }
  const result = producer.get((outputLayers[0] as [string, number, number])[0]);
  if (!result) throw new FoldUnsupportedError("model output not found");
  return result;
}

class Graph {
  constructor(
    public layers: FlatLayer[],
    public output: string,
  ) {}

  consumers(name: string): FlatLayer[] {
    return this.layers.filter((l) => l.inputs.includes(name));
  }

  /** The one layer reading `name`'s output, when `name` is not the model output. */
  soleConsumer(name: string): FlatLayer | undefined {
    if (name === this.output) return undefined;
    const found = this.consumers(name);
    return found.length === 1 ? found[0] : undefined;
  }

  /** Removes `gone` (a single-input layer) and feeds its consumers from its input instead. */
  bypass(gone: FlatLayer): void {
    const source = gone.inputs[0] as string;
    this.layers = this.layers.filter((l) => l !== gone);
    for (const l of this.layers) l.inputs = l.inputs.map((n) => (n === gone.name ? source : n));
    if (this.output === gone.name) this.output = source;
  }

  /** Keeps only what the output depends on. */
  prune(): void {
    const needed = new Set<string>();
    const byName = new Map(this.layers.map((l) => [l.name, l]));
    const stack = [this.output];
    while (stack.length > 0) {
      const name = stack.pop() as string;
      if (needed.has(name)) continue;
      needed.add(name);
      stack.push(...(byName.get(name)?.inputs ?? []));
    }
    this.layers = this.layers.filter((l) => needed.has(l.name));
  }
}

function weightNamed(layer: tfl.layers.Layer, suffix: string): Float32Array | undefined {
  const index = layer.weights.findIndex((w) => w.originalName.split("/").pop() === suffix);
  if (index < 0) return undefined;
  return layer.getWeights()[index]?.dataSync() as Float32Array;
}

function foldBatchNorm(conv: FlatLayer, bn: FlatLayer, source: Map<string, SourceLayer>): boolean {
  const axis = bn.config.axis as number | number[];
  const channelsLast = (conv.config.data_format ?? "channels_last") === "channels_last";
  if (!channelsLast || !(axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && axis[0] === -1)))
    return false;
  if ((conv.config.activation ?? "linear") !== "linear" || conv.weights) return false;
  const convLayer = source.get(conv.name)?.layer;
  const bnLayer = source.get(bn.name)?.layer;
  if (!convLayer || !bnLayer) return false;
  const mean = weightNamed(bnLayer, "moving_mean");
  const variance = weightNamed(bnLayer, "moving_variance");
  if (!mean || !variance) return false;
  const channels = mean.length;
  const gamma = weightNamed(bnLayer, "gamma") ?? new Float32Array(channels).fill(1);
  const beta = weightNamed(bnLayer, "beta") ?? new Float32Array(channels);
  const epsilon = (bn.config.epsilon as number | undefined) ?? 1e-3;
  const kernelName = conv.className === "DepthwiseConv2D" ? "depthwise_kernel" : "kernel";
  const kernelTensor = convLayer.getWeights()[convLayer.weights.findIndex((w) => w.originalName.endsWith(kernelName))];
  if (!kernelTensor) return false;
  const shape = kernelTensor.shape;
  const outChannels =
    conv.className === "DepthwiseConv2D" ? (shape[2] as number) * (shape[3] as number) : (shape[3] as number);
  if (outChannels !== channels) return false;
  const kernel = kernelTensor.dataSync() as Float32Array;
  const oldBias = conv.config.use_bias ? weightNamed(convLayer, "bias") : undefined;
  // HWIO and HWIM kernels both keep the output channel (i·M+m for depthwise) fastest-varying.
  const scale = new Float64Array(channels);
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma[c] as number) / Math.sqrt((variance[c] as number) + epsilon);
    bias[c] = ((oldBias?.[c] ?? 0) - (mean[c] as number)) * (scale[c] as number) + (beta[c] as number);
  }
  const folded = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) folded[i] = (kernel[i] as number) * (scale[i % channels] as number);
  conv.config = { ...conv.config, use_bias: true };
  conv.weights = [tf.tensor(folded, shape), tf.tensor1d(bias)];
  return true;
}

/**
 * True for a plain ReLU layer, which a conv can take over as its activation: tfjs-layers runs conv +
 * bias + relu as one fused kernel. ReLU6 is left alone on purpose: as a conv activation tfjs-layers
 * computes it as minimum(6, relu(x)), two kernels slower than the ReLU layer's one clipByValue.
 */
function isPlainRelu(layer: FlatLayer): boolean {
  const c = layer.config;
  if (layer.className === "Activation") return c.activation === "relu";
  if (layer.className !== "ReLU") return false;
  return (
    (c.negative_slope ?? 0) === 0 && (c.threshold ?? 0) === 0 && (c.max_value === null || c.max_value === undefined)
  );
}

/** True when ZeroPadding2D `pad` then a "valid" conv equals the conv with "same" padding. */
function paddingIsSame(pad: FlatLayer, conv: FlatLayer, source: Map<string, SourceLayer>): boolean {
  if (conv.config.padding !== "valid" || (conv.config.data_format ?? "channels_last") !== "channels_last") return false;
  const dilation = (conv.config.dilation_rate as number[] | undefined) ?? [1, 1];
  if (dilation.some((d) => d !== 1)) return false;
  const shape = source.get(pad.name)?.inputShape;
  const padding = pad.config.padding as [[number, number], [number, number]] | undefined;
  if (!shape || shape.length !== 4 || !Array.isArray(padding?.[0])) return false;
  const kernel = conv.config.kernel_size as number[];
  const strides = conv.config.strides as number[];
  return [0, 1].every((axis) => {
    const size = shape[axis + 1];
    if (typeof size !== "number") return false;
    const stride = strides[axis] as number;
    const total = Math.max((Math.ceil(size / stride) - 1) * stride + (kernel[axis] as number) - size, 0);
    const before = Math.floor(total / 2);
    const [lo, hi] = padding[axis] as [number, number];
    return lo === before && hi === total - before;
  });
}

export interface FoldOptions {
  /** Layer whose output becomes the model's output (a cut point); default: the model's output. */
  output?: string;
}

/**
 * A new model for inference that computes what `model` (or its layer `options.output`) computes,
 * with BatchNormalization folded away. Throws FoldUnsupportedError for graphs it does not handle
 * (callers fall back to the original) and BackboneError for an unknown output layer. The original
 * model is left untouched; the new one owns fresh weight tensors.
 */
export async function foldForInference(
  model: tfl.LayersModel,
  options: FoldOptions = {},
): Promise<{ model: tfl.LayersModel; summary: FoldSummary }> {
  const source = collectLayers(model);
  const json = model.toJSON(null, false) as unknown as LayerJson;
  const flat: FlatLayer[] = [];
  const modelOutput = flatten(json, undefined, flat);
  if (flat.filter((l) => l.className === "InputLayer").length !== 1)
    throw new FoldUnsupportedError("only single-input models are folded");
  const layersBefore = flat.length;
  let output = modelOutput;
  if (options.output) {
    if (!flat.some((l) => l.name === options.output)) {
      const names = flat.map((l) => l.name);
      throw new BackboneError(
        `layer "${options.output}" is not in ${model.name}; it has ${names.length} layers, e.g. ${names.slice(-8).join(", ")}`,
      );
    }
    output = options.output;
  }
  const graph = new Graph(flat, output);
  graph.prune();
  const summary: FoldSummary = { batchNorms: 0, activations: 0, paddings: 0, layersBefore, layersAfter: 0 };

  for (const conv of [...graph.layers]) {
    if (!CONVS.has(conv.className)) continue;
    const bn = graph.soleConsumer(conv.name);
    if (bn?.className === "BatchNormalization" && foldBatchNorm(conv, bn, source)) {
      graph.bypass(bn);
      summary.batchNorms++;
    }
    const next = graph.soleConsumer(conv.name);
    if (conv.className === "Conv2D" && next && isPlainRelu(next) && (conv.config.activation ?? "linear") === "linear") {
      conv.config = { ...conv.config, activation: "relu" };
      graph.bypass(next);
      summary.activations++;
    }
  }
  for (const pad of [...graph.layers]) {
    if (pad.className !== "ZeroPadding2D") continue;
    const conv = graph.soleConsumer(pad.name);
    if (conv && CONVS.has(conv.className) && paddingIsSame(pad, conv, source)) {
      conv.config = { ...conv.config, padding: "same" };
      graph.bypass(pad);
      summary.paddings++;
    }
  }

  const input = graph.layers.find((l) => l.className === "InputLayer") as FlatLayer;
  const topology = {
    class_name: "Model",
    config: {
      name: `${model.name}_folded`,
      layers: graph.layers.map((l) => ({
        class_name: l.className,
        name: l.name,
        config: { ...l.config, name: l.name },
        inbound_nodes: l.inputs.length ? [l.inputs.map((n) => [n, 0, 0, {}])] : [],
      })),
      input_layers: [[input.name, 0, 0]],
      output_layers: [[graph.output, 0, 0]],
    },
  };
  const folded = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tfl.ModelAndWeightsConfig);
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  for (const layer of folded.layers) {
    const own = byName.get(layer.name);
    const weights = own?.weights ?? source.get(layer.name)?.layer.getWeights() ?? [];
    if (weights.length > 0) layer.setWeights(weights);
    for (const t of own?.weights ?? []) t.dispose();
  }
  summary.layersAfter = folded.layers.length;
  return { model: folded, summary };
}

/**
 * foldForInference where the graph allows it; otherwise `model` itself, with the reason it was kept.
 * Errors other than an unsupported graph (e.g. an unknown output layer) still throw.
 */
export async function foldIfSupported(
  model: tfl.LayersModel,
  options: FoldOptions = {},
): Promise<{ model: tfl.LayersModel; summary: FoldSummary } | { model: tfl.LayersModel; unsupported: string }> {
  try {
    return await foldForInference(model, options);
  } catch (error) {
    if (!(error instanceof FoldUnsupportedError)) throw error;
    return { model, unsupported: error.message };
  }
}
