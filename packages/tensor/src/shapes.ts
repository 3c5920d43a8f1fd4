/**
 * Output sizes, padding and parameter counts of convolution and pooling (the lecture's formulas).
 *
 * Padding: 'valid' (none), 'same' (Keras/TF rule: ceil(n / s) outputs, total padding
 * max((out - 1) * s + k_eff - n, 0), the odd pixel after), 'full' (k_eff - 1 on both sides:
 * every partial overlap), or explicit [top, bottom, left, right]. 'circular' pads as 'same' and is
 * meant for wrap-around padding. Dilation d stretches a kernel k to k_eff = (k - 1) * d + 1.
 */
/** Number of elements of a shape (1 for a scalar). */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Element strides of a contiguous (row-major) array of this shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export type PaddingSpec = 'valid' | 'same' | 'full' | 'circular' | readonly [number, number, number, number];
export type Padding1d = 'valid' | 'same' | 'full' | 'circular' | readonly [number, number];

export const effectiveKernel = (k: number, dilation = 1): number => (k - 1) * dilation + 1;

/** Padding [before, after] of one spatial axis. */
export function padAmounts(inSize: number, kernel: number, stride: number, padding: Padding1d, dilation = 1): [number, number] {
  const k = effectiveKernel(kernel, dilation);
  if (Array.isArray(padding)) return [padding[0], padding[1]];
  switch (padding) {
    case 'valid':
      return [0, 0];
    case 'full':
      return [k - 1, k - 1];
    case 'same':
    case 'circular': {
      const out = Math.ceil(inSize / stride);
      const total = Math.max((out - 1) * stride + k - inSize, 0);
      const before = Math.floor(total / 2);
      return [before, total - before];
    }
    default:
      throw new Error(`padding must be 'valid', 'same', 'full', 'circular' or [before, after], got ${JSON.stringify(padding)}`);
  }
}

/** floor((n + before + after - k_eff) / s) + 1; 0 or less means the kernel does not fit. */
export function convOutputSize(inSize: number, kernel: number, stride = 1, padding: Padding1d = 'valid', dilation = 1): number {
  const [before, after] = padAmounts(inSize, kernel, stride, padding, dilation);
  return Math.floor((inSize + before + after - effectiveKernel(kernel, dilation)) / stride) + 1;
}

export interface Window2d {
  /** [top, bottom, left, right] */
  pads: [number, number, number, number];
  outH: number;
  outW: number;
}

/** Resolves the padding of a 2-D window and its output size. */
export function window2d(
  inH: number,
  inW: number,
  kernel: readonly [number, number],
  strides: readonly [number, number],
  dilations: readonly [number, number],
  padding: PaddingSpec,
): Window2d {
  const [t, b] = padAmounts(inH, kernel[0], strides[0], Array.isArray(padding) ? [padding[0], padding[1]] : (padding as Padding1d), dilations[0]);
  const [l, r] = padAmounts(inW, kernel[1], strides[1], Array.isArray(padding) ? [padding[2], padding[3]] : (padding as Padding1d), dilations[1]);
  const outH = Math.floor((inH + t + b - effectiveKernel(kernel[0], dilations[0])) / strides[0]) + 1;
  const outW = Math.floor((inW + l + r - effectiveKernel(kernel[1], dilations[1])) / strides[1]) + 1;
  return { pads: [t, b, l, r], outH, outW };
}

/** Lecture formula (F_h * F_w * C / groups + 1) * K, without the +1 when there is no bias. */
export function conv2dParams(opts: {
  kernel: number | readonly [number, number];
  inChannels: number;
  filters: number;
  groups?: number;
  useBias?: boolean;
}): number {
  const [kh, kw] = typeof opts.kernel === 'number' ? [opts.kernel, opts.kernel] : opts.kernel;
  const groups = opts.groups ?? 1;
  return ((kh * kw * opts.inChannels) / groups + (opts.useBias === false ? 0 : 1)) * opts.filters;
}

/** (N_in + 1) * N_out, without the +1 when there is no bias. */
export function denseParams(inFeatures: number, outFeatures: number, useBias = true): number {
  return (inFeatures + (useBias ? 1 : 0)) * outFeatures;
}

/** Depthwise conv with a channel multiplier: (F_h * F_w + 1) * C * multiplier. */
export function depthwiseConv2dParams(kernel: number | readonly [number, number], channels: number, multiplier = 1, useBias = true): number {
  return conv2dParams({ kernel, inChannels: channels, filters: channels * multiplier, groups: channels, useBias });
}

/** Batch norm: gamma, beta (trainable) and moving mean, variance (not): 4C, as Keras counts. */
export function batchNormParams(channels: number): { total: number; trainable: number } {
  return { total: 4 * channels, trainable: 2 * channels };
}
