/**
 * Weight quantization in the formats stock TensorFlow.js loaders dequantize (`io.decodeWeights`):
 * float16 (IEEE half) and affine uint8 (value = q · scale + min).
 */

export const QUANTIZATIONS = ["float32", "float16", "uint8"] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

export class QuantizationError extends Error {
  override name = "QuantizationError";
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One float32 to IEEE half bits, round to nearest even; throws on values beyond the half range. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN stay so.
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) throw new QuantizationError(`${value} is beyond the float16 range (±65504)`);
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the implicit 1 into the mantissa.
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const rounded = rest > halfway || (rest === halfway && (half & 1) === 1) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent; reaching 0x7c00 means overflow.
  const rounded = rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
  if ((rounded & 0x7c00) === 0x7c00) throw new QuantizationError(`${value} is beyond the float16 range (±65504)`);
  return sign | rounded;
}

export function quantizeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i] as number);
  return out;
}

/** The largest error float16 rounding can make on `value`: half a unit in the last place. */
export function float16ErrorBound(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude < 2 ** -14) return 2 ** -25; // subnormal spacing 2^-24
  return 2 ** (Math.floor(Math.log2(magnitude)) - 11);
}

export interface Uint8Quantized {
  bytes: Uint8Array;
  scale: number;
  min: number;
}

/**
 * Affine uint8 over [min(values, 0), max(values, 0)], with the range nudged so that 0 is exactly
 * representable (zero padding and zeroed weights stay zero). Error ≤ scale / 2.
 */
export function quantizeUint8(values: Float32Array): Uint8Quantized {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new QuantizationError(`cannot quantize non-finite weight ${v}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  const min = -zeroPoint * scale;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    bytes[i] = Math.min(255, Math.max(0, Math.round(((values[i] as number) - min) / scale)));
  }
  return { bytes, scale, min };
}
