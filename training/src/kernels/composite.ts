/**
 * Runs other registered kernels of the same backend on raw TensorInfos, so a missing kernel can be
 * written as a composition of kernels the backend already has. Calling tf ops from inside a kernel
 * would go back through the engine (tape, tensor tracking) mid-kernel; this stays below it.
 */
import {
  type backend_util,
  getKernel,
  type KernelBackend,
  type NamedAttrMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";

export class KernelComposer {
  private readonly owned: TensorInfo[] = [];

  private readonly backend: KernelBackend;

  /** `backend` is the untyped backend object a KernelFunc receives. */
  constructor(
    backend: object,
    private readonly backendName: string,
  ) {
    this.backend = backend as KernelBackend;
  }

  /** Runs one kernel; its output is disposed by `finish` unless it is the value returned. */
  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: object = {}): TensorInfo {
    try {
      const kernel = getKernel(kernelName, this.backendName);
      if (!kernel) throw new Error(`kernel ${kernelName} is not registered for backend ${this.backendName}`);
      const output = kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as NamedAttrMap });
      const outputs = Array.isArray(output) ? output : [output];
      this.owned.push(...outputs);
      return outputs[0] as TensorInfo;
    } catch (error) {
      // a failed step frees what the earlier steps made before the error reaches the engine
      this.finish(undefined);
      throw error;
    }
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  /** Disposes every intermediate except `result`, which the caller hands to the engine. */
  finish<T extends TensorInfo | undefined>(result: T): T {
    for (const info of this.owned) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
    this.owned.length = 0;
    return result;
  }
}

export function assertNoDilation(convInfo: backend_util.Conv2DInfo, kernelName: string): void {
  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1) {
    throw new Error(
      `${kernelName} on wasm supports dilations 1 only, got [${convInfo.dilationHeight}, ${convInfo.dilationWidth}]`,
    );
  }
}

/** A 1x1, stride-1, unpadded convolution: a matMul over the flattened batch and positions. */
export function isPointwise(info: backend_util.Conv2DInfo): boolean {
  const { padInfo } = info;
  return (
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    padInfo.top + padInfo.bottom + padInfo.left + padInfo.right === 0
  );
}
