import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { relativeError, runOn, seededValues } from "./compare-backends.js";
import { registerWasmGradientKernels } from "./index.js";

type Pad = "same" | "valid" | tf.backend_util.ExplicitPadding;
interface Case {
  batch: number;
  height: number;
  width: number;
  channels: number;
  kernel: number;
  stride: number;
  pad: Pad;
  /** output channels for conv2d, channel multiplier for depthwise */
  out: number;
}

const TOLERANCE = 1e-4;

function cases(): Case[] {
  const list: Case[] = [];
  for (const kernel of [1, 3, 5])
    for (const stride of [1, 2])
      for (const pad of ["same", "valid"] as const)
        for (const out of [1, 2]) list.push({ batch: 2, height: 9, width: 7, channels: 3, kernel, stride, pad, out });
  const explicit: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [1, 2],
    [2, 0],
    [0, 0],
  ];
  list.push({ batch: 3, height: 8, width: 11, channels: 4, kernel: 3, stride: 2, pad: explicit, out: 2 });
  list.push({ batch: 1, height: 13, width: 13, channels: 5, kernel: 3, stride: 2, pad: "same", out: 3 });
  // (size - kernel) not a multiple of the stride: rows and columns no tap reaches
  for (const kernel of [1, 3])
    list.push({ batch: 2, height: 8, width: 10, channels: 3, kernel, stride: 2, pad: "valid", out: 2 });
  return list;
}

function outputShape(c: Case, depthwise: boolean): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, c.height, c.width, c.channels],
    [c.kernel, c.kernel, c.channels, c.out],
    c.stride,
    1,
    c.pad,
    undefined,
    depthwise,
  );
  return info.outShape;
}

function label(c: Case): string {
  const pad = typeof c.pad === "string" ? c.pad : JSON.stringify(c.pad);
  return `${c.batch}x${c.height}x${c.width}x${c.channels} k${c.kernel} s${c.stride} ${pad} out${c.out}`;
}

async function compareKernel(kernelName: string, c: Case, inputs: Record<string, number[]>, attrs: object) {
  const compute = () => {
    const named = Object.fromEntries(
      Object.entries(inputs).map(([name, shape], index) => [
        name,
        tf.tensor(
          seededValues(
            shape.reduce((a, b) => a * b, 1),
            index + 7,
          ),
          shape,
        ),
      ]),
    );
    return [tf.engine().runKernel(kernelName, named, attrs as tf.NamedAttrMap) as tf.Tensor];
  };
  const [expected] = await runOn("cpu", compute);
  const [actual] = await runOn("wasm", compute);
  const error = relativeError(actual as Float32Array, expected as Float32Array);
  expect(error, `${kernelName} ${label(c)}`).toBeLessThan(TOLERANCE);
}

let firstRegistration: string[] = [];

beforeAll(async () => {
  firstRegistration = registerWasmGradientKernels();
  expect(await tf.setBackend("wasm")).toBe(true);
});

describe("wasm gradient kernels match the cpu backend", () => {
  it("registers the missing kernels and the replacements once", () => {
    expect(firstRegistration).toEqual([
      "Conv2DBackpropFilter",
      "DepthwiseConv2dNativeBackpropFilter",
      "DepthwiseConv2dNativeBackpropInput",
      "Conv2DBackpropInput",
      "MaxPoolGrad",
      "Tile",
    ]);
    for (const name of firstRegistration) expect(tf.getKernel(name, "wasm")).toBeDefined();
    expect(registerWasmGradientKernels()).toEqual([]);
  });

  it.each(cases().map((c) => [label(c), c] as const))("Conv2DBackpropFilter %s", async (_name, c) => {
    const filterShape = [c.kernel, c.kernel, c.channels, c.out + 1];
    const dyShape = outputShape({ ...c, out: c.out + 1 }, false);
    await compareKernel(
      "Conv2DBackpropFilter",
      c,
      { x: [c.batch, c.height, c.width, c.channels], dy: dyShape },
      { strides: c.stride, pad: c.pad, dataFormat: "NHWC", filterShape },
    );
  });

  it.each(cases().map((c) => [label(c), c] as const))("DepthwiseConv2dNativeBackpropFilter %s", async (_name, c) => {
    await compareKernel(
      "DepthwiseConv2dNativeBackpropFilter",
      c,
      { x: [c.batch, c.height, c.width, c.channels], dy: outputShape(c, true) },
      { strides: c.stride, pad: c.pad, dilations: 1, filterShape: [c.kernel, c.kernel, c.channels, c.out] },
    );
  });

  it.each(cases().map((c) => [label(c), c] as const))("DepthwiseConv2dNativeBackpropInput %s", async (_name, c) => {
    await compareKernel(
      "DepthwiseConv2dNativeBackpropInput",
      c,
      { dy: outputShape(c, true), filter: [c.kernel, c.kernel, c.channels, c.out] },
      { strides: c.stride, pad: c.pad, dilations: 1, inputShape: [c.batch, c.height, c.width, c.channels] },
    );
  });

  it.each(cases().map((c) => [label(c), c] as const))("Conv2DBackpropInput %s", async (_name, c) => {
    const filterShape = [c.kernel, c.kernel, c.channels, c.out + 1];
    await compareKernel(
      "Conv2DBackpropInput",
      c,
      { dy: outputShape({ ...c, out: c.out + 1 }, false), filter: filterShape },
      { strides: c.stride, pad: c.pad, dataFormat: "NHWC", inputShape: [c.batch, c.height, c.width, c.channels] },
    );
  });

  const pools = [
    [12, 2, 2, "valid"],
    [11, 2, 2, "valid"],
    [12, 2, 2, "same"],
    [11, 2, 2, "same"],
    [9, 3, 3, "same"],
    [10, 3, 3, "valid"],
    [9, 3, 2, "same"],
    [9, 3, 2, "valid"],
    [12, 2, 1, "same"],
  ] as const;
  it.each(pools)("MaxPoolGrad size %i pool %i stride %i %s", async (size, filter, stride, pad) => {
    const c: Case = { batch: 2, height: size, width: size - 1, channels: 3, kernel: filter, stride, pad, out: 1 };
    const compute = () => {
      const x = tf.tensor4d(seededValues(2 * size * (size - 1) * 3, 5), [2, size, size - 1, 3]);
      const y = tf.maxPool(x as tf.Tensor4D, filter, stride, pad);
      const dy = tf.tensor(seededValues(y.size, 9), y.shape);
      const attrs = { filterSize: filter, strides: stride, pad } as unknown as tf.NamedAttrMap;
      return [tf.engine().runKernel("MaxPoolGrad", { dy, input: x, output: y }, attrs) as tf.Tensor];
    };
    const [expected] = await runOn("cpu", compute);
    const [actual] = await runOn("wasm", compute);
    expect(relativeError(actual as Float32Array, expected as Float32Array), label(c)).toBeLessThan(TOLERANCE);
  });

  it.each(pools)("AvgPoolGrad (native wasm) size %i pool %i stride %i %s", async (size, filter, stride, pad) => {
    const compute = () => {
      const x = tf.tensor4d(seededValues(2 * size * (size - 1) * 3, 5), [2, size, size - 1, 3]);
      const y = tf.avgPool(x, filter, stride, pad);
      const dy = tf.tensor(seededValues(y.size, 9), y.shape);
      const attrs = { filterSize: filter, strides: stride, pad } as unknown as tf.NamedAttrMap;
      return [tf.engine().runKernel("AvgPoolGrad", { dy, input: x }, attrs) as tf.Tensor];
    };
    const [expected] = await runOn("cpu", compute);
    const [actual] = await runOn("wasm", compute);
    expect(relativeError(actual as Float32Array, expected as Float32Array)).toBeLessThan(TOLERANCE);
  });

  it("routes a tied window's gradient to its first maximum, as the cpu backend does", async () => {
    const compute = () => {
      const x = tf.zeros([1, 5, 5, 2]) as tf.Tensor4D;
      return [2, 3].map((filter) => {
        const y = tf.maxPool(x, filter, 2, "valid");
        const attrs = { filterSize: filter, strides: 2, pad: "valid" } as unknown as tf.NamedAttrMap;
        return tf.engine().runKernel("MaxPoolGrad", { dy: tf.onesLike(y), input: x, output: y }, attrs) as tf.Tensor;
      });
    };
    const expected = await runOn("cpu", compute);
    const actual = await runOn("wasm", compute);
    expect(actual.map((values) => Array.from(values))).toEqual(expected.map((values) => Array.from(values)));
  });

  it.each([
    [
      [1, 1, 1, 5],
      [2, 3, 4, 1],
    ],
    [
      [1, 7],
      [6, 1],
    ],
    [
      [2, 1, 3],
      [1, 4, 1],
    ],
    [
      [1, 1, 4],
      [2, 2, 2],
    ],
  ])("Tile %j by %j", async (shape, reps) => {
    const compute = () => {
      const x = tf.tensor(
        seededValues(
          shape.reduce((a, b) => a * b, 1),
          4,
        ),
        shape,
      );
      return [tf.tile(x, reps)];
    };
    const [expected] = await runOn("cpu", compute);
    const [actual] = await runOn("wasm", compute);
    expect(Array.from(actual as Float32Array)).toEqual(Array.from(expected as Float32Array));
  });

  it("refuses dilations other than 1 with a clear error", async () => {
    await tf.setBackend("wasm");
    const x = tf.zeros([1, 5, 5, 2]);
    const dy = tf.zeros([1, 5, 5, 2]);
    expect(() =>
      tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, {
        strides: 1,
        pad: "same",
        dilations: 2,
        filterShape: [3, 3, 2, 1],
      } as unknown as tf.NamedAttrMap),
    ).toThrow(/dilations 1 only/);
    tf.dispose([x, dy]);
  });
});
