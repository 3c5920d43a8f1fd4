// Batch norm at inference (a per-channel scale and shift) and softmax.
import { formatShape, type Tensor } from '@wcnn/tensor';
import { execute, kernels, Owned, sizeOf, weightValues, type Operator, type Shape, type WeightData } from '../runtime.js';
import { createTranspose } from './layout.js';
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

export interface BatchNormParams {
  gamma?: WeightData;
  beta?: WeightData;
  mean: WeightData;
  variance: WeightData;
  epsilon: number;
}

/** scale = gamma / sqrt(var + eps), shift = beta - mean * scale, in float64, per channel. */
export function foldBatchNorm(op: string, c: number, p: BatchNormParams): { scale: Float64Array; shift: Float64Array } {
  const vec = (name: 'gamma' | 'beta' | 'mean' | 'variance', fallback: number): Float32Array => {
    const v = p[name];
    if (v === undefined) return new Float32Array(c).fill(fallback);
    const values = weightValues(v);
    if (values.length !== c) {
      const shape = v instanceof Float32Array ? [v.length] : v.shape;
      fail(op, `${name} must have shape [${c}] (one per channel), got ${formatShape(shape)}`);
    }
    return values;
  };
  const gamma = vec('gamma', 1);
  const beta = vec('beta', 0);
  const mean = vec('mean', 0);
  const variance = vec('variance', 1);
  const eps = p.epsilon;
  if (typeof eps !== 'number' || !(eps >= 0)) fail(op, `epsilon must be a non-negative number, got ${String(eps)}`);
  const bad = variance.findIndex((v) => !(v + eps > 0));
  if (bad >= 0) fail(op, `variance + epsilon must be positive, got ${variance[bad]} + ${eps} at channel ${bad}`);
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + eps);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  return { scale, shift };
}

/** Over the last axis of x. */
export function createBatchNorm(op: string, xShape: Shape, params: BatchNormParams): Operator {
  if (xShape.length < 1) fail(op, 'x must have a channel axis');
  const c = xShape[xShape.length - 1];
  const { scale, shift } = foldBatchNorm(op, c, params);
  const owned = new Owned();
  const s = owned.f32(scale);
  const t = owned.f32(shift);
  const rows = sizeOf(xShape) / c;
  const k = kernels();
  return {
    outShapes: [xShape],
    scratchBytes: 0,
    ownedBytes: owned.bytes,
    run: ([x], [y]) => k.f32_scale_shift(x, rows, c, s, t, y),
    dispose: () => owned.free(),
  };
}

/** y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, over the last axis (channels). */
export function batchNorm(x: Tensor, options: BatchNormOptions): Tensor {
  const op = 'batchNorm';
  if (!options || typeof options !== 'object') fail(op, 'options { mean, variance, gamma?, beta?, epsilon? } are required');
  checkOptions(op, options, ['gamma', 'beta', 'mean', 'variance', 'epsilon']);
  checkTensor(op, 'x', x);
  for (const name of ['mean', 'variance'] as const) if (options[name] === undefined) fail(op, `${name} is required`);
  for (const name of ['gamma', 'beta', 'mean', 'variance'] as const) {
    const t = options[name];
    if (t !== undefined) {
      checkTensor(op, name, t);
      if (t.rank !== 1) fail(op, `${name} must have shape [${x.shape[x.rank - 1]}] (one per channel), got ${formatShape(t.shape)}`);
    }
  }
  return execute(op, createBatchNorm(op, x.shape, { ...options, epsilon: options.epsilon ?? 1e-3 }), [x])[0];
}

/** Softmax over one axis (default the last); other axes are moved last and back with transposes. */
export function createSoftmax(op: string, shape: Shape, axis = -1): Operator {
  const rank = shape.length;
  if (rank === 0) fail(op, 'x must have at least one axis');
  const ax = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= rank) fail(op, `axis must be in [${-rank}, ${rank - 1}], got ${axis}`);
  const k = kernels();
  const cols = shape[ax];
  const rows = sizeOf(shape) / cols;
  if (ax === rank - 1) {
    return { outShapes: [shape], scratchBytes: 0, ownedBytes: 0, run: ([x], [y]) => k.f32_softmax(x, rows, cols, y), dispose: () => {} };
  }
  const perm = [...shape.keys()].filter((d) => d !== ax).concat(ax);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const toLast = createTranspose(op, shape, perm);
  const back = createTranspose(op, toLast.outShapes[0], inverse);
  const bytes = sizeOf(shape) * 4;
  return {
    outShapes: [shape],
    scratchBytes: 2 * bytes,
    ownedBytes: toLast.ownedBytes + back.ownedBytes,
    run: ([x], [y], scratch) => {
      toLast.run([x], [scratch], 0);
      k.f32_softmax(scratch, rows, cols, scratch + bytes);
      back.run([scratch + bytes], [y], 0);
    },
    dispose: () => {
      toLast.dispose();
      back.dispose();
    },
  };
}

/** Softmax over `axis` (default: the last). */
export function softmax(x: Tensor, options: { axis?: number } = {}): Tensor {
  checkOptions('softmax', options, ['axis']);
  checkTensor('softmax', 'x', x);
  return execute('softmax', createSoftmax('softmax', x.shape, options.axis ?? -1), [x])[0];
}
