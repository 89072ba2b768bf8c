/**
 * Re-traces a layers model's graph on new symbolic tensors, sharing the layer objects (and so the
 * weights). Nested models (a Sequential holding a functional model, as in the Keras MobileNetV2
 * export) are inlined, so every named layer of every level becomes a node of one flat graph.
 */
import { LayersModel, type SymbolicTensor } from "@tensorflow/tfjs-layers";

type Layer = SymbolicTensor["sourceLayer"];

export class GraphTracer {
  /** Symbolic tensor id in the source graph -> its counterpart in the traced graph. */
  private readonly traced = new Map<number, SymbolicTensor>();
  /** One application per layer call (layer name + node index), whichever of its outputs asks first. */
  private readonly calls = new Map<string, (index: number) => SymbolicTensor>();

  constructor(substitutions: Iterable<[SymbolicTensor, SymbolicTensor]> = []) {
    for (const [from, to] of substitutions) this.traced.set(from.id, to);
  }

  /** The traced counterpart of `tensor`, applying every layer between the substitutions and it. */
  trace(tensor: SymbolicTensor): SymbolicTensor {
    const stack: SymbolicTensor[] = [tensor];
    // Iterative post-order walk: deep models (150+ layers) would make a recursive one hard to read.
    while (stack.length > 0) {
      const current = stack[stack.length - 1] as SymbolicTensor;
      if (this.traced.has(current.id)) {
        stack.pop();
        continue;
      }
      const pending = current.inputs.filter((input) => !this.traced.has(input.id));
      if (current.inputs.length === 0) {
        throw new Error(`graph input "${current.name}" (layer "${current.sourceLayer.name}") has no substitute`);
      }
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      this.applyProducer(current);
    }
    return this.traced.get(tensor.id) as SymbolicTensor;
  }

  private applyProducer(tensor: SymbolicTensor): void {
    const key = `${tensor.sourceLayer.name}#${tensor.nodeIndex}`;
    let outputOf = this.calls.get(key);
    if (!outputOf) {
      outputOf = this.applyLayer(
        tensor.sourceLayer,
        tensor.inputs.map((input) => this.traced.get(input.id) as SymbolicTensor),
        tensor.callArgs,
      );
      this.calls.set(key, outputOf);
    }
    this.traced.set(tensor.id, outputOf(tensor.outputTensorIndex ?? 0));
  }

  private applyLayer(layer: Layer, inputs: SymbolicTensor[], callArgs: SymbolicTensor["callArgs"]) {
    if (layer instanceof LayersModel) {
      const inner = new GraphTracer(layer.inputs.map((input, i) => [input, inputs[i] as SymbolicTensor]));
      return (index: number) => inner.trace(layer.outputs[index] as SymbolicTensor);
    }
    const applied = layer.apply(inputs.length === 1 ? (inputs[0] as SymbolicTensor) : inputs, callArgs);
    const outputs = (Array.isArray(applied) ? applied : [applied]) as SymbolicTensor[];
    return (index: number) => outputs[index] as SymbolicTensor;
  }
}
