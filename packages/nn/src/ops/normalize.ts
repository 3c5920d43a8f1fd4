// Batch norm at inference (a per-channel scale and shift) and softmax.
import { formatShape, type Tensor } from '@wcnn/tensor';
import { kernels, output, withScratch, writeF32 } from '../runtime.js';
import { checkOptions, checkTensor, fail } from '../validate.js';

export interface BatchNormOptions {
  /** [C]; default ones. */
  gamma?: Tensor;
  /** [C]; default zeros. */
  beta?: Tensor;
  /** [C] moving mean. */
  mean: Tensor;
  /** [C] moving variance. */
  variance: Tensor;
  /** Default 1e-3 (Keras). */
  epsilon?: number;
}

/** y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, over the last axis (channels). */
export function batchNorm(x: Tensor, options: BatchNormOptions): Tensor {
  const op = 'batchNorm';
  if (!options || typeof options !== 'object') fail(op, 'options { mean, variance, gamma?, beta?, epsilon? } are required');
  checkOptions(op, options, ['gamma', 'beta', 'mean', 'variance', 'epsilon']);
  checkTensor(op, 'x', x);
  const c = x.shape[x.rank - 1];
  const vec = (name: keyof BatchNormOptions, fallback: number): Float32Array => {
    const t = options[name] as Tensor | undefined;
    if (t === undefined) {
      if (name === 'mean' || name === 'variance') fail(op, `${name} is required`);
      return new Float32Array(c).fill(fallback);
    }
    checkTensor(op, name, t);
    if (t.rank !== 1 || t.shape[0] !== c) fail(op, `${name} must have shape [${c}] (one per channel), got ${formatShape(t.shape)}`);
    return t.dataSync();
  };
  const gamma = vec('gamma', 1);
  const beta = vec('beta', 0);
  const mean = vec('mean', 0);
  const variance = vec('variance', 1);
  const epsilon = options.epsilon ?? 1e-3;
  if (typeof epsilon !== 'number' || !(epsilon >= 0)) fail(op, `epsilon must be a non-negative number, got ${String(epsilon)}`);
  const bad = variance.findIndex((v) => !(v + epsilon > 0));
  if (bad >= 0) fail(op, `variance + epsilon must be positive, got ${variance[bad]} + ${epsilon} at channel ${bad}`);
  // Folded in float64: scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + epsilon);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  const rows = x.size / c;
  return output(x.shape, op, (y) =>
    withScratch([c * 4, c * 4], ([s, t]) => {
      writeF32(s, scale);
      writeF32(t, shift);
      kernels().f32_scale_shift(x.ptr(), rows, c, s, t, y);
    }),
  );
}

/** Softmax over the last axis. */
export function softmax(x: Tensor): Tensor {
  checkTensor('softmax', 'x', x);
  const cols = x.shape[x.rank - 1];
  if (x.rank === 0) fail('softmax', 'x must have at least one axis');
  return output(x.shape, 'softmax', (y) => kernels().f32_softmax(x.ptr(), x.size / cols, cols, y));
}
