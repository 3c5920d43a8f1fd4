/**
 * The constant evaluator: ops whose inputs are all known at import time are computed here, so that
 * shape subgraphs (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, ConstantOfShape -> Pad
 * amounts...) disappear from the IR. Integer elements may be symbolic dimensions (from Shape of a
 * value with a dim_param); the element-moving ops carry them, arithmetic keeps what it can.
 */
import type { Attrs } from './proto.js';
import { dataTypeName, dtypeOf, tensorToKnown } from './proto.js';
import {
  broadcastIndex,
  broadcastShape,
  divDims,
  elementsOf,
  formatDims,
  isSym,
  makeFloat,
  makeInt,
  mulDims,
  numbersOf,
  permuteData,
  scalarOf,
  sizeOf,
  stridesOf,
  Unsupported,
  type Dim,
  type DimNames,
  type DType,
  type Known,
} from './known.js';

export interface FoldCtx {
  op: string;
  opset: number;
  attrs: Attrs;
  /** known inputs in order; undefined for an absent optional input */
  inputs: Array<Known | undefined>;
  dims: DimNames;
  file: string;
}

type Folder = (c: FoldCtx) => Known[];

/** The i-th input, which the op requires. */
function input(c: FoldCtx, i: number, what = `input ${i}`): Known {
  const k = c.inputs[i];
  if (k === undefined) throw new Unsupported(`${c.op} needs ${what}`);
  return k;
}

/** An axis in [-rank, rank) as a non-negative index. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Unsupported(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A value with the same dtype as `k` holding `k`'s elements at `indices`. */
function take(k: Known, indices: ArrayLike<number>, shape: number[]): Known {
  if (k.data instanceof Float32Array) {
    const out = new Float32Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = k.data[indices[i]];
    return makeFloat(shape, out);
  }
  const out = new Array<Dim>(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = k.data[indices[i]];
  return makeInt(shape, out, k.dtype as 'int' | 'bool');
}

function withShape(k: Known, shape: number[]): Known {
  return { dtype: k.dtype, shape, data: k.data };
}

/** Folded values beyond this many elements are left to run time (a corrupt shape must not exhaust memory). */
export const MAX_FOLD_ELEMENTS = 1 << 24;

function checkFoldSize(shape: readonly number[], op: string): void {
  const n = sizeOf(shape);
  if (!(n <= MAX_FOLD_ELEMENTS)) throw new Unsupported(`${op} would create ${n} elements at import time (at most ${MAX_FOLD_ELEMENTS})`);
}

/** Builds a value of dtype from Dim elements (floats must be numbers). */
function fromElements(dtype: DType, shape: number[], data: Dim[]): Known {
  if (dtype === 'float') return makeFloat(shape, Float32Array.from(data as number[]));
  return makeInt(shape, data, dtype);
}

function castElements(k: Known, dtype: DType): Known {
  if (k.dtype === dtype) return k;
  if (dtype === 'float') return makeFloat(k.shape, Float32Array.from(numbersOf(k, 'a Cast input')));
  if (dtype === 'bool') return makeInt(k.shape, numbersOf(k, 'a Cast input').map((v) => (v !== 0 ? 1 : 0)), 'bool');
  // float -> int truncates toward zero (ONNX Cast); int/bool -> int keeps symbolic elements
  if (k.data instanceof Float32Array) return makeInt(k.shape, Array.from(k.data, (v) => Math.trunc(v)));
  return makeInt(k.shape, k.data);
}

// ------------------------------------------------------------------ element-wise

type Binary = (a: Dim, b: Dim, isInt: boolean, c: FoldCtx) => Dim;

const symbolic = (a: Dim, b: Dim): boolean => isSym(a) || isSym(b);

const ARITH: Record<string, Binary> = {
  Add: (a, b, _i, c) => (!symbolic(a, b) ? (a as number) + (b as number) : a === 0 ? b : b === 0 ? a : c.dims.fresh()),
  Sub: (a, b, _i, c) => (!symbolic(a, b) ? (a as number) - (b as number) : b === 0 ? a : a === b ? 0 : c.dims.fresh()),
  Mul: (a, b) => (!symbolic(a, b) ? (a as number) * (b as number) : mulDims(a, b)),
  Div: (a, b, isInt, c) => {
    if (!symbolic(a, b)) return isInt ? Math.trunc((a as number) / (b as number)) : (a as number) / (b as number);
    return divDims(a, b) ?? c.dims.fresh();
  },
  Mod: (a, b, _i, c) => {
    const [x, y] = [num(a, 'Mod'), num(b, 'Mod')];
    // fmod = 1: C fmod (the sign of the dividend); fmod = 0: the sign of the divisor
    return c.attrs.int('fmod', 0) === 1 ? x % y : x - y * Math.floor(x / y);
  },
  Pow: (a, b) => num(a, 'Pow') ** num(b, 'Pow'),
  Min: (a, b) => Math.min(num(a, 'Min'), num(b, 'Min')),
  Max: (a, b) => Math.max(num(a, 'Max'), num(b, 'Max')),
};

const COMPARE: Record<string, (a: Dim, b: Dim) => boolean> = {
  Equal: (a, b) => (a === b ? true : symbolic(a, b) ? unknown(a, b, 'Equal') : false),
  Less: (a, b) => num(a, 'Less') < num(b, 'Less'),
  Greater: (a, b) => num(a, 'Greater') > num(b, 'Greater'),
  LessOrEqual: (a, b) => (a === b ? true : num(a, 'LessOrEqual') <= num(b, 'LessOrEqual')),
  GreaterOrEqual: (a, b) => (a === b ? true : num(a, 'GreaterOrEqual') >= num(b, 'GreaterOrEqual')),
  And: (a, b) => num(a, 'And') !== 0 && num(b, 'And') !== 0,
  Or: (a, b) => num(a, 'Or') !== 0 || num(b, 'Or') !== 0,
  Xor: (a, b) => (num(a, 'Xor') !== 0) !== (num(b, 'Xor') !== 0),
};

function num(d: Dim, op: string): number {
  if (isSym(d)) throw new Unsupported(`${op} of the unknown dimension '${d}'`);
  return d;
}

function unknown(a: Dim, b: Dim, op: string): never {
  throw new Unsupported(`${op} of the unknown dimension '${isSym(a) ? a : b}'`);
}

/** a op b with NumPy broadcasting. */
function broadcast2(c: FoldCtx, a: Known, b: Known, f: (x: Dim, y: Dim) => Dim, dtype: DType): Known {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new Unsupported(`input shapes ${formatDims(a.shape)} and ${formatDims(b.shape)} do not broadcast`);
  checkFoldSize(shape, c.op);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const ea = elementsOf(a);
  const eb = elementsOf(b);
  const out = new Array<Dim>(ia.length);
  for (let i = 0; i < ia.length; i++) out[i] = f(ea[ia[i]], eb[ib[i]]);
  return fromElements(dtype, shape, out);
}

function arithmetic(op: string): Folder {
  return (c) => {
    const ins = c.inputs.filter((k): k is Known => k !== undefined);
    if (ins.length === 0) throw new Unsupported(`${op} needs inputs`);
    const dtype = ins[0].dtype === 'float' || ins.some((k) => k.dtype === 'float') ? 'float' : 'int';
    const f = ARITH[op];
    // Min/Max are variadic; the others have two inputs
    return [ins.slice(1).reduce((acc, k) => broadcast2(c, acc, k, (x, y) => f(x, y, dtype === 'int', c), dtype), ins[0])];
  };
}

function comparison(op: string): Folder {
  return (c) => [broadcast2(c, input(c, 0), input(c, 1), (x, y) => (COMPARE[op](x, y) ? 1 : 0), 'bool')];
}

function unary(f: (x: number) => number, keepDtype = true): Folder {
  return (c) => {
    const k = input(c, 0);
    const values = numbersOf(k, `the input of ${c.op}`).map(f);
    return [fromElements(keepDtype ? k.dtype : 'float', k.shape, values)];
  };
}

// ------------------------------------------------------------------ shape ops

function unsqueezeAxes(c: FoldCtx): number[] {
  if (c.opset >= 13) return c.inputs[1] ? numbersOf(c.inputs[1], 'Unsqueeze axes') : [];
  return c.attrs.ints('axes', []);
}

/** The output shape of Unsqueeze: axes count in the output rank. */
export function unsqueezeShape<T>(shape: readonly T[], axes: readonly number[], one: T): T[] {
  const rank = shape.length + axes.length;
  const set = new Set(axes.map((a) => normAxis(a, rank, 'Unsqueeze axis')));
  if (set.size !== axes.length) throw new Unsupported(`Unsqueeze axes [${axes.join(', ')}] repeat an axis`);
  const out: T[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(set.has(i) ? one : shape[j++]);
  return out;
}

/** The output shape of Squeeze; without axes every dimension known to be 1 goes. */
export function squeezeShape(shape: readonly Dim[], axes: readonly number[] | undefined): Dim[] {
  if (axes === undefined) {
    if (shape.some(isSym)) throw new Unsupported(`Squeeze without axes of a shape with unknown dimensions ${formatDims(shape)}`);
    return shape.filter((d) => d !== 1);
  }
  const set = new Set(axes.map((a) => normAxis(a, shape.length, 'Squeeze axis')));
  for (const a of set) if (shape[a] !== 1) throw new Unsupported(`Squeeze axis ${a} has size ${shape[a]}, not 1`);
  return shape.filter((_, i) => !set.has(i));
}

export function squeezeAxes(c: { opset: number; attrs: Attrs }, axesInput: Known | undefined): number[] | undefined {
  if (c.opset >= 13) return axesInput ? numbersOf(axesInput, 'Squeeze axes') : undefined;
  return c.attrs.ints('axes');
}

/** The output shape of Reshape: 0 copies (unless allowzero), one -1 is inferred. */
export function reshapeShape(inShape: readonly Dim[], target: readonly Dim[], allowZero: boolean, dims: DimNames): Dim[] {
  const out = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= inShape.length) throw new Unsupported(`Reshape shape ${formatDims(target)} copies dimension ${i} (0) but the input ${formatDims(inShape)} has rank ${inShape.length}`);
      return inShape[i];
    }
    return d;
  });
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1) throw new Unsupported(`Reshape shape ${formatDims(target)} infers more than one dimension (-1)`);
  if (out.some((d) => typeof d === 'number' && (d < -1 || !Number.isInteger(d)))) throw new Unsupported(`Reshape shape ${formatDims(target)} is not valid`);
  if (minus === 0) return out;
  const total = inShape.reduce<Dim>((a, d) => mulDims(a, d), 1);
  const rest = out.filter((d) => d !== -1).reduce<Dim>((a, d) => mulDims(a, d), 1);
  let inferred = divDims(total, rest);
  if (inferred === undefined) {
    if (typeof total === 'number' && typeof rest === 'number') throw new Unsupported(`cannot reshape ${formatDims(inShape)} to ${formatDims(target)}`);
    inferred = dims.fresh();
  }
  return out.map((d) => (d === -1 ? inferred : d));
}

/** The output shape of Flatten: [prod(shape[:axis]), prod(shape[axis:])]. */
export function flattenShape(shape: readonly Dim[], axisAttr: number): Dim[] {
  const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
  if (axis < 0 || axis > shape.length) throw new Unsupported(`Flatten axis ${axisAttr} is out of range for rank ${shape.length}`);
  return [shape.slice(0, axis).reduce<Dim>((a, d) => mulDims(a, d), 1), shape.slice(axis).reduce<Dim>((a, d) => mulDims(a, d), 1)];
}

/** Large ONNX bounds (INT64_MAX...) clamped to a range every kernel handles, same semantics. */
export const clampBound = (v: number): number => Math.min(Math.max(v, -(2 ** 31 - 1)), 2 ** 31 - 1);

export interface SliceParams {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

/** Slice's starts/ends/axes/steps (inputs from opset 10, attributes before), axes non-negative. */
export function sliceParams(c: { opset: number; attrs: Attrs }, rank: number, inputs: Array<Known | undefined>): SliceParams {
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (c.opset >= 10) {
    if (!inputs[1] || !inputs[2]) throw new Unsupported('Slice starts and ends must be constant');
    starts = numbersOf(inputs[1], 'Slice starts');
    ends = numbersOf(inputs[2], 'Slice ends');
    axes = inputs[3] ? numbersOf(inputs[3], 'Slice axes') : undefined;
    steps = inputs[4] ? numbersOf(inputs[4], 'Slice steps') : undefined;
  } else {
    starts = c.attrs.ints('starts', []);
    ends = c.attrs.ints('ends', []);
    axes = c.attrs.ints('axes');
  }
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new Unsupported(`Slice starts, ends, axes and steps must have the same length, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
  }
  if (steps.some((s) => s === 0)) throw new Unsupported('Slice steps must not be 0');
  const norm = axes.map((a) => normAxis(a, rank, 'Slice axis'));
  if (new Set(norm).size !== norm.length) throw new Unsupported(`Slice axes [${axes.join(', ')}] repeat an axis`);
  return { starts: starts.map(clampBound), ends: ends.map(clampBound), axes: norm, steps };
}

/** The first index and the count of one sliced axis of size n (ONNX clamping rules). */
export function sliceRange(n: number, start: number, end: number, step: number): { first: number; count: number } {
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), n);
    e = Math.min(Math.max(e, 0), n);
    return { first: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, 0), n - 1);
  e = Math.min(Math.max(e, -1), n - 1);
  return { first: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

/** The static output shape of a slice; an unknown dimension stays itself only when taken whole. */
export function sliceShape(shape: readonly Dim[], p: SliceParams, dims: DimNames): Dim[] {
  const out = [...shape];
  p.axes.forEach((a, i) => {
    const n = shape[a];
    if (typeof n === 'number') out[a] = sliceRange(n, p.starts[i], p.ends[i], p.steps[i]).count;
    else out[a] = p.starts[i] === 0 && p.steps[i] === 1 && p.ends[i] >= 2 ** 31 - 1 ? n : dims.fresh();
  });
  return out;
}

function sliceFold(c: FoldCtx): Known[] {
  const data = input(c, 0, 'data');
  const p = sliceParams(c, data.shape.length, c.inputs);
  const first = data.shape.map(() => 0);
  const step = data.shape.map(() => 1);
  const out = [...data.shape];
  p.axes.forEach((a, i) => {
    const r = sliceRange(data.shape[a], p.starts[i], p.ends[i], p.steps[i]);
    first[a] = r.first;
    step[a] = p.steps[i];
    out[a] = r.count;
  });
  const strides = stridesOf(data.shape);
  const indices: number[] = [];
  const idx = out.map(() => 0);
  const n = sizeOf(out);
  for (let o = 0; o < n; o++) {
    indices.push(idx.reduce((acc, v, d) => acc + (first[d] + v * step[d]) * strides[d], 0));
    for (let d = out.length - 1; d >= 0; d--) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return [take(data, indices, out)];
}

function gatherFold(c: FoldCtx): Known[] {
  const data = input(c, 0, 'data');
  const indices = input(c, 1, 'indices');
  const axis = normAxis(c.attrs.int('axis', 0), data.shape.length, 'Gather axis');
  const n = data.shape[axis];
  const idx = numbersOf(indices, 'Gather indices').map((i) => {
    if (i < -n || i >= n) throw new Unsupported(`Gather index ${i} is out of range for an axis of size ${n}`);
    return i < 0 ? i + n : i;
  });
  const outer = sizeOf(data.shape.slice(0, axis));
  const inner = sizeOf(data.shape.slice(axis + 1));
  const picks: number[] = [];
  for (let o = 0; o < outer; o++) for (const i of idx) for (let j = 0; j < inner; j++) picks.push((o * n + i) * inner + j);
  return [take(data, picks, [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)])];
}

function concatFold(c: FoldCtx): Known[] {
  const ins = c.inputs.filter((k): k is Known => k !== undefined);
  if (ins.length === 0) throw new Unsupported('Concat needs inputs');
  const rank = ins[0].shape.length;
  const axis = normAxis(c.attrs.int('axis', 0), rank, 'Concat axis');
  for (const k of ins) {
    if (k.shape.length !== rank || k.shape.some((d, i) => i !== axis && d !== ins[0].shape[i])) {
      throw new Unsupported(`Concat inputs ${ins.map((x) => formatDims(x.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const dtype = ins[0].dtype;
  const outer = sizeOf(ins[0].shape.slice(0, axis));
  const parts = ins.map((k) => ({ e: elementsOf(castElements(k, dtype)), inner: sizeOf(k.shape.slice(axis)) }));
  const out: Dim[] = [];
  for (let o = 0; o < outer; o++) for (const p of parts) for (let j = 0; j < p.inner; j++) out.push(p.e[o * p.inner + j]);
  const shape = [...ins[0].shape];
  shape[axis] = ins.reduce((s, k) => s + k.shape[axis], 0);
  return [fromElements(dtype, shape, out)];
}

function expandFold(c: FoldCtx): Known[] {
  const x = input(c, 0);
  const target = numbersOf(input(c, 1, 'shape'), 'Expand shape');
  const shape = broadcastShape(x.shape, target);
  if (!shape) throw new Unsupported(`Expand of ${formatDims(x.shape)} to ${formatDims(target)} does not broadcast`);
  checkFoldSize(shape, 'Expand');
  return [take(x, broadcastIndex(x.shape, shape), shape)];
}

function whereFold(c: FoldCtx): Known[] {
  const [cond, x, y] = [input(c, 0), input(c, 1), input(c, 2)];
  const s1 = broadcastShape(cond.shape, x.shape);
  const shape = s1 && broadcastShape(s1, y.shape);
  if (!shape) throw new Unsupported(`Where inputs ${formatDims(cond.shape)}, ${formatDims(x.shape)}, ${formatDims(y.shape)} do not broadcast`);
  const ic = broadcastIndex(cond.shape, shape);
  const ix = broadcastIndex(x.shape, shape);
  const iy = broadcastIndex(y.shape, shape);
  const ec = numbersOf(cond, 'the Where condition');
  const [ex, ey] = [elementsOf(x), elementsOf(y)];
  const out = Array.from(ic, (_, i) => (ec[ic[i]] ? ex[ix[i]] : ey[iy[i]]));
  return [fromElements(x.dtype, shape, out)];
}

function rangeFold(c: FoldCtx): Known[] {
  const [start, limit, delta] = [0, 1, 2].map((i) => scalarOf(input(c, i), `Range input ${i}`));
  if (delta === 0) throw new Unsupported('Range delta must not be 0');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  checkFoldSize([n], 'Range');
  const out = Array.from({ length: n }, (_, i) => start + i * delta);
  return [fromElements(input(c, 0).dtype, [n], out)];
}

function castFold(c: FoldCtx): Known[] {
  const to = c.attrs.int('to');
  const dtype = to === undefined ? undefined : dtypeOf(to);
  if (dtype === undefined) throw new Unsupported(`Cast to ${to === undefined ? 'nothing' : dataTypeName(to)} is not supported`);
  return [castElements(input(c, 0), dtype)];
}

function constantOfShapeFold(c: FoldCtx): Known[] {
  const shape = numbersOf(input(c, 0, 'shape'), 'the ConstantOfShape shape');
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Unsupported(`ConstantOfShape shape [${shape.join(', ')}] is not valid`);
  checkFoldSize(shape, 'ConstantOfShape');
  const t = c.attrs.tensor('value');
  const value = t ? tensorToKnown(t, { file: c.file }, 'the ConstantOfShape value') : makeFloat([1], new Float32Array(1));
  const v = elementsOf(value)[0] ?? 0;
  return [fromElements(value.dtype, shape, new Array<Dim>(sizeOf(shape)).fill(v))];
}

function matmul2d(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * k + p] * b[p * n + j];
  return out;
}

/** Gemm of known operands: alpha * A' B' + beta * C. */
function gemmFold(c: FoldCtx): Known[] {
  let a = input(c, 0, 'A');
  let b = input(c, 1, 'B');
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Unsupported('Gemm A and B must be 2-D');
  const fa = Float32Array.from(numbersOf(a, 'Gemm A'));
  const fb = Float32Array.from(numbersOf(b, 'Gemm B'));
  a = makeFloat(a.shape, fa);
  b = makeFloat(b.shape, fb);
  if (c.attrs.int('transA', 0)) a = { ...a, ...permuteData(fa, a.shape, [1, 0]) };
  if (c.attrs.int('transB', 0)) b = { ...b, ...permuteData(fb, b.shape, [1, 0]) };
  const [m, k] = a.shape;
  const [k2, n] = b.shape;
  if (k !== k2) throw new Unsupported(`Gemm inner dimensions ${k} and ${k2} differ`);
  let y = makeFloat([m, n], matmul2d(a.data as Float32Array, b.data as Float32Array, m, k, n).map((v) => v * c.attrs.float('alpha', 1)));
  const cc = c.inputs[2];
  if (cc) {
    const beta = c.attrs.float('beta', 1);
    y = broadcast2(c, y, cc, (x, z) => (x as number) + beta * (z as number), 'float');
  }
  return [y];
}

function matmulFold(c: FoldCtx): Known[] {
  const a = input(c, 0, 'A');
  const b = input(c, 1, 'B');
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Unsupported('MatMul of known values is folded for 2-D operands only');
  if (a.shape[1] !== b.shape[0]) throw new Unsupported(`MatMul inner dimensions ${a.shape[1]} and ${b.shape[0]} differ`);
  const fa = Float32Array.from(numbersOf(a, 'MatMul A'));
  const fb = Float32Array.from(numbersOf(b, 'MatMul B'));
  return [makeFloat([a.shape[0], b.shape[1]], matmul2d(fa, fb, a.shape[0], a.shape[1], b.shape[1]))];
}

export const FOLDERS: Record<string, Folder> = {
  Identity: (c) => [input(c, 0)],
  Cast: castFold,
  CastLike: (c) => [castElements(input(c, 0), input(c, 1, 'target_type').dtype)],
  Gather: gatherFold,
  Unsqueeze: (c) => {
    const k = input(c, 0);
    return [withShape(k, unsqueezeShape(k.shape, unsqueezeAxes(c), 1))];
  },
  Squeeze: (c) => {
    const k = input(c, 0);
    return [withShape(k, squeezeShape(k.shape, squeezeAxes(c, c.inputs[1])) as number[])];
  },
  Concat: concatFold,
  Slice: sliceFold,
  ConstantOfShape: constantOfShapeFold,
  Reshape: (c) => {
    const k = input(c, 0);
    const target = numbersOf(input(c, 1, 'shape'), 'the Reshape shape');
    return [withShape(k, reshapeShape(k.shape, target, c.attrs.int('allowzero', 0) === 1, c.dims) as number[])];
  },
  Flatten: (c) => {
    const k = input(c, 0);
    return [withShape(k, flattenShape(k.shape, c.attrs.int('axis', 1)) as number[])];
  },
  Transpose: (c) => {
    const k = input(c, 0);
    const perm = c.attrs.ints('perm') ?? k.shape.map((_, i) => k.shape.length - 1 - i);
    const p = permuteData(k.data, k.shape, perm);
    return [{ dtype: k.dtype, shape: p.shape, data: p.data }];
  },
  Expand: expandFold,
  Where: whereFold,
  Range: rangeFold,
  Gemm: gemmFold,
  MatMul: matmulFold,
  Add: arithmetic('Add'),
  Sub: arithmetic('Sub'),
  Mul: arithmetic('Mul'),
  Div: arithmetic('Div'),
  Mod: arithmetic('Mod'),
  Pow: arithmetic('Pow'),
  Min: arithmetic('Min'),
  Max: arithmetic('Max'),
  Equal: comparison('Equal'),
  Less: comparison('Less'),
  Greater: comparison('Greater'),
  LessOrEqual: comparison('LessOrEqual'),
  GreaterOrEqual: comparison('GreaterOrEqual'),
  And: comparison('And'),
  Or: comparison('Or'),
  Xor: comparison('Xor'),
  Not: (c) => {
    const k = input(c, 0);
    return [makeInt(k.shape, numbersOf(k, 'the input of Not').map((v) => (v ? 0 : 1)), 'bool')];
  },
  Neg: unary((x) => -x),
  Abs: unary(Math.abs),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Round: unary((x) => {
    // round half to even, as ONNX specifies
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }),
  Sign: unary(Math.sign),
  Sqrt: unary(Math.sqrt, false),
  Reciprocal: unary((x) => 1 / x, false),
  Exp: unary(Math.exp, false),
  Log: unary(Math.log, false),
  Relu: unary((x) => Math.max(x, 0)),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x)), false),
  Tanh: unary(Math.tanh, false),
};

/** Shape and Size need only the static shape of their input. */
export function foldShapeOf(op: string, opset: number, attrs: Attrs, shape: readonly Dim[]): Known {
  if (op === 'Size') {
    const total = shape.reduce<Dim>((a, d) => mulDims(a, d), 1);
    return makeInt([], [total]);
  }
  // Shape: start/end (opset 15) select a range of axes, clamped
  const rank = shape.length;
  const clampAxis = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = opset >= 15 ? clampAxis(attrs.int('start', 0)) : 0;
  const end = opset >= 15 ? clampAxis(attrs.int('end', rank)) : rank;
  const dims = shape.slice(start, Math.max(start, end));
  return makeInt([dims.length], dims);
}

export const SHAPE_OPS = new Set(['Shape', 'Size']);
