// Shape and layout ops: flatten, reshape, concat, transpose, slice and spatial padding.
import { PAD_MODE } from '@wcnn/kernels-wasm';
import { formatShape, stridesOf, type Tensor } from '@wcnn/tensor';
import { execute, kernels, Owned, simpleOperator, sizeOf, type Operator, type Shape } from '../runtime.js';
import { padTo6 } from './elementwise.js';
import { checkOptions, checkTensor, fail, finiteNumber } from '../validate.js';


/** (N, ...) -> (N, product of the rest), in memory order (h, w, c for NHWC, as Keras). No copy. */
export function flatten(x: Tensor): Tensor {
  checkTensor('flatten', 'x', x);
  if (x.rank < 1) fail('flatten', 'x must have a batch axis');
  return x.reshape([x.shape[0], x.size / x.shape[0]]);
}

/**
 * The shape a reshape produces: one -1 is inferred; 0 copies the input's dimension (ONNX, unless
 * allowZero).
 */
export function reshapeShape(op: string, inShape: Shape, target: readonly number[], allowZero = false): number[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? inShape[i] : d));
  if (out.some((d) => d === undefined || !Number.isInteger(d) || d < -1)) fail(op, `shape ${formatShape(target)} is not valid for input ${formatShape(inShape)}`);
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1) fail(op, `shape ${formatShape(target)} may infer at most one dimension (-1)`);
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = sizeOf(inShape);
  if (unknown === 1) {
    if (known === 0 || total % known !== 0) fail(op, `cannot reshape ${formatShape(inShape)} (${total} values) to ${formatShape(target)}`);
    return out.map((d) => (d === -1 ? total / known : d));
  }
  if (known !== total) fail(op, `cannot reshape ${formatShape(inShape)} (${total} values) to ${formatShape(target)} (${known} values)`);
  return out;
}

/** A reshape view of x (no copy); -1 is inferred. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', 'x', x);
  return x.reshape(reshapeShape('reshape', x.shape, shape, true));
}

/** Concatenation along `axis`: each input is a block of columns of a (rows, inner) matrix. */
export function createConcat(op: string, shapes: readonly Shape[], axis: number): Operator {
  if (shapes.length === 0) fail(op, 'expects a non-empty array of tensors');
  const rank = shapes[0].length;
  const ax = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= rank) fail(op, `axis must be in [${-rank}, ${rank - 1}], got ${axis}`);
  shapes.forEach((s, i) => {
    if (s.length !== rank || s.some((d, j) => j !== ax && d !== shapes[0][j])) {
      fail(op, `tensors[${i}] has shape ${formatShape(s)} but all axes except ${ax} must match tensors[0] ${formatShape(shapes[0])}`);
    }
  });
  const out = [...shapes[0]];
  out[ax] = shapes.reduce((sum, s) => sum + s[ax], 0);
  const rows = sizeOf(out.slice(0, ax));
  const inner = shapes.map((s) => sizeOf(s.slice(ax)));
  const innerOut = sizeOf(out.slice(ax));
  const k = kernels();
  return simpleOperator([out], (inputs, [y]) => {
    let offset = 0;
    inputs.forEach((x, i) => {
      k.f32_copy_channels(x, rows, inner[i], y, innerOut, offset);
      offset += inner[i];
    });
  });
}

/** Concatenates along `axis` (default: the last, channels for NHWC); every other axis must match. */
export function concat(tensors: readonly Tensor[], options: { axis?: number } = {}): Tensor {
  const op = 'concat';
  checkOptions(op, options, ['axis']);
  if (!Array.isArray(tensors) || tensors.length === 0) fail(op, 'expects a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor(op, `tensors[${i}]`, t));
  return execute(op, createConcat(op, tensors.map((t) => t.shape), options.axis ?? -1), tensors, tensors.map((_, i) => `tensors[${i}]`))[0];
}

/** out axis i = in axis perm[i]; NCHW <-> NHWC use the blocked 2-D transpose kernel. */
export function createTranspose(op: string, shape: Shape, perm: readonly number[]): Operator {
  const rank = shape.length;
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    fail(op, `perm must be a permutation of 0..${rank - 1}, got ${formatShape(perm)}`);
  }
  if (rank > 6) fail(op, `transpose supports up to 6 dimensions, got ${rank}`);
  const out = perm.map((p) => shape[p]);
  const k = kernels();
  const key = perm.join(',');
  if (rank === 4 && (key === '0,2,3,1' || key === '0,3,1,2')) {
    // (N, A, B) -> (N, B, A) with A, B the two merged halves.
    const [n, a, b] = key === '0,2,3,1' ? [shape[0], shape[1], shape[2] * shape[3]] : [shape[0], shape[1] * shape[2], shape[3]];
    return simpleOperator([out], ([x], [y]) => k.f32_transpose(x, n, a, b, y));
  }
  const inStrides = stridesOf(shape);
  const owned = new Owned();
  const shape6 = owned.i32(padTo6(out, 1));
  const strides6 = owned.i32(padTo6(perm.map((p) => inStrides[p]), 0));
  return {
    outShapes: [out],
    scratchBytes: 0,
    ownedBytes: owned.bytes,
    run: ([x], [y]) => k.f32_strided_copy(x, shape6, strides6, y),
    dispose: () => owned.free(),
  };
}

/** Permutes the axes: out axis i = x axis perm[i]. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  checkTensor('transpose', 'x', x);
  return execute('transpose', createTranspose('transpose', x.shape, perm), [x])[0];
}

/** (N, C, H, W) -> (N, H, W, C) */
export function nchwToNhwc(x: Tensor): Tensor {
  checkTensor('nchwToNhwc', 'x', x, 4, 'NCHW');
  return execute('nchwToNhwc', createTranspose('nchwToNhwc', x.shape, [0, 2, 3, 1]), [x])[0];
}

/** (N, H, W, C) -> (N, C, H, W) */
export function nhwcToNchw(x: Tensor): Tensor {
  checkTensor('nhwcToNchw', 'x', x, 4, 'NHWC');
  return execute('nhwcToNchw', createTranspose('nhwcToNchw', x.shape, [0, 3, 1, 2]), [x])[0];
}

export interface SliceSpec {
  starts: readonly number[];
  ends: readonly number[];
  /** Default: 0, 1, ... */
  axes?: readonly number[];
  /** Default: all 1. */
  steps?: readonly number[];
}

/** ONNX Slice semantics: negative indices count from the end, bounds clamp, steps may be negative. */
export function sliceGeometry(op: string, shape: Shape, spec: SliceSpec): { begin: number[]; step: number[]; out: number[] } {
  const rank = shape.length;
  const axes = spec.axes ?? spec.starts.map((_, i) => i);
  const steps = spec.steps ?? spec.starts.map(() => 1);
  if (spec.ends.length !== spec.starts.length || axes.length !== spec.starts.length || steps.length !== spec.starts.length) {
    fail(op, `starts, ends, axes and steps must have the same length, got ${spec.starts.length}, ${spec.ends.length}, ${axes.length}, ${steps.length}`);
  }
  if (rank > 6) fail(op, `slice supports up to 6 dimensions, got ${rank}`);
  const begin = shape.map(() => 0);
  const step = shape.map(() => 1);
  const out = [...shape];
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  axes.forEach((a, i) => {
    const ax = a < 0 ? a + rank : a;
    if (!Number.isInteger(ax) || ax < 0 || ax >= rank) fail(op, `axis ${a} is out of range for rank ${rank}`);
    const n = shape[ax];
    const s = steps[i];
    if (!Number.isInteger(s) || s === 0) fail(op, `steps must be non-zero integers, got ${s}`);
    let st = spec.starts[i] < 0 ? spec.starts[i] + n : spec.starts[i];
    let en = spec.ends[i] < 0 ? spec.ends[i] + n : spec.ends[i];
    if (s > 0) {
      st = clamp(st, 0, n);
      en = clamp(en, 0, n);
      out[ax] = Math.max(0, Math.ceil((en - st) / s));
    } else {
      st = clamp(st, -1, n - 1);
      en = clamp(en, -1, n - 1);
      out[ax] = Math.max(0, Math.ceil((st - en) / -s));
    }
    begin[ax] = st;
    step[ax] = s;
  });
  if (out.some((d) => d < 1)) fail(op, `the slice of ${formatShape(shape)} is empty (shape ${formatShape(out)})`);
  return { begin, step, out };
}

export function createSlice(op: string, shape: Shape, spec: SliceSpec): Operator {
  const { begin, step, out } = sliceGeometry(op, shape, spec);
  const strides = stridesOf(shape);
  const offset = begin.reduce((sum, b, d) => sum + b * strides[d], 0) * 4;
  const owned = new Owned();
  const shape6 = owned.i32(padTo6(out, 1));
  const strides6 = owned.i32(padTo6(strides.map((st, d) => st * step[d]), 0));
  const k = kernels();
  return {
    outShapes: [out],
    scratchBytes: 0,
    ownedBytes: owned.bytes,
    run: ([x], [y]) => k.f32_strided_copy(x + offset, shape6, strides6, y),
    dispose: () => owned.free(),
  };
}

/** A strided slice (ONNX semantics). */
export function slice(x: Tensor, spec: SliceSpec): Tensor {
  checkTensor('slice', 'x', x);
  return execute('slice', createSlice('slice', x.shape, spec), [x])[0];
}

export type PadMode = keyof typeof PAD_MODE;

/** Spatial padding of NHWC: pads [top, bottom, left, right]. */
export function createPad2d(op: string, shape: Shape, pads: readonly number[], mode: PadMode, value: number): Operator {
  if (shape.length !== 4) fail(op, `x must be rank 4 (NHWC), but got rank ${shape.length} (shape ${formatShape(shape)})`);
  if (!Array.isArray(pads) || pads.length !== 4 || !pads.every((v) => Number.isInteger(v) && v >= 0)) {
    fail(op, `pads must be [top, bottom, left, right] of non-negative integers, got ${JSON.stringify(pads)}`);
  }
  if (!(mode in PAD_MODE)) fail(op, `mode must be one of ${Object.keys(PAD_MODE).map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`);
  const [n, h, w, c] = shape;
  const [t, b, l, r] = pads;
  if (mode === 'reflect' && (t >= h || b >= h || l >= w || r >= w)) fail(op, `reflect padding ${formatShape(pads)} must be smaller than the ${h}x${w} input`);
  const k = kernels();
  const code = PAD_MODE[mode];
  return simpleOperator([[n, h + t + b, w + l + r, c]], ([x], [y]) => k.f32_pad(x, n, h, w, c, t, b, l, r, code, value, y));
}

export interface Pad2dOptions {
  /** [top, bottom, left, right] */
  pads: [number, number, number, number];
  /** 'constant' (default), 'reflect' (mirror without repeating the edge), 'edge', or 'circular'. */
  mode?: PadMode;
  /** Fill for 'constant'; default 0. */
  value?: number;
}

/** Pads H and W of NHWC x. */
export function pad2d(x: Tensor, options: Pad2dOptions): Tensor {
  const op = 'pad2d';
  if (!options || typeof options !== 'object') fail(op, 'options { pads: [top, bottom, left, right] } are required');
  checkOptions(op, options, ['pads', 'mode', 'value']);
  checkTensor(op, 'x', x, 4, 'NHWC');
  const value = finiteNumber(op, 'value', options.value, 0);
  return execute(op, createPad2d(op, x.shape, options.pads, options.mode ?? 'constant', value), [x])[0];
}
