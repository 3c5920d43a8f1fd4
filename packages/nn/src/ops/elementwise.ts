// Elementwise activations and arithmetic with NumPy broadcasting.
import { BINARY_OP } from '@wcnn/kernels-wasm';
import { backend, formatShape, type Tensor } from '@wcnn/tensor';
import { DEFAULT_LEAKY_ALPHA } from '../activation.js';
import { execute, kernels, Owned, simpleOperator, sizeOf, type Operator, type Shape } from '../runtime.js';
import { checkOptions, checkTensor, fail, finiteNumber } from '../validate.js';

export type UnaryKind = 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'leakyRelu' | 'clip' | 'identity';

export function createUnary(kind: UnaryKind, shape: Shape, params: { alpha?: number; min?: number; max?: number } = {}): Operator {
  const k = kernels();
  const len = sizeOf(shape);
  const run = ((): ((x: number, y: number) => void) => {
    switch (kind) {
      case 'relu': return (x, y) => k.f32_relu(x, y, len);
      case 'relu6': return (x, y) => k.f32_relu6(x, y, len);
      case 'sigmoid': return (x, y) => k.f32_sigmoid(x, y, len);
      case 'tanh': return (x, y) => k.f32_tanh(x, y, len);
      case 'leakyRelu': {
        const alpha = params.alpha ?? DEFAULT_LEAKY_ALPHA;
        return (x, y) => k.f32_leaky_relu(x, y, len, alpha);
      }
      case 'clip': {
        const min = params.min ?? -Infinity;
        const max = params.max ?? Infinity;
        return (x, y) => k.f32_clip(x, y, len, min, max);
      }
      case 'identity': return (x, y) => {
        if (x !== y) new Float32Array(backend().memory.buffer).copyWithin(y >> 2, x >> 2, (x >> 2) + len);
      };
    }
  })();
  return simpleOperator([shape], ([x], [y]) => run(x, y));
}

function unary(op: UnaryKind, x: Tensor, params?: { alpha?: number; min?: number; max?: number }): Tensor {
  checkTensor(op, 'x', x);
  return execute(op, createUnary(op, x.shape, params), [x])[0];
}

/** max(x, 0) */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** min(max(x, 0), 6) */
export const relu6 = (x: Tensor): Tensor => unary('relu6', x);
/** 1 / (1 + exp(-x)) */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);

/** x < 0 ? alpha * x : x (alpha defaults to 0.2, as tf.nn.leaky_relu). */
export function leakyRelu(x: Tensor, options: { alpha?: number } = {}): Tensor {
  checkOptions('leakyRelu', options, ['alpha']);
  return unary('leakyRelu', x, { alpha: finiteNumber('leakyRelu', 'alpha', options.alpha, DEFAULT_LEAKY_ALPHA) });
}

/** min(max(x, min), max) */
export function clip(x: Tensor, options: { min?: number; max?: number }): Tensor {
  checkOptions('clip', options, ['min', 'max']);
  const min = finiteNumber('clip', 'min', options?.min, -Infinity);
  const max = finiteNumber('clip', 'max', options?.max, Infinity);
  if (min > max) fail('clip', `min must not exceed max, got min ${min}, max ${max}`);
  return unary('clip', x, { min, max });
}

export type BinaryKind = keyof typeof BINARY_OP;
const MAX_RANK = 6;

/** NumPy broadcasting: align from the right, each pair of dims equal or one of them 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) fail(op, `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** Element strides of `shape` read as `outShape` (0 on broadcast axes), padded to 6 dims. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides: number[] = [];
  let s = 1;
  for (let i = outShape.length - 1; i >= 0; i--) {
    const d = shape[shape.length - outShape.length + i] ?? 1;
    strides.unshift(d === 1 ? 0 : s);
    s *= d;
  }
  return padTo6(strides, 0);
}

export function padTo6(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(MAX_RANK - v.length).fill(fill), ...v];
}

export function createBinary(op: string, kind: BinaryKind, a: Shape, b: Shape): Operator {
  const out = broadcastShapes(op, a, b);
  const k = kernels();
  const len = sizeOf(out);
  const same = sizeOf(a) === len && sizeOf(b) === len;
  if (same && kind === 'add') return simpleOperator([out], ([x, y], [z]) => k.f32_add(x, y, z, len));
  if (same && kind === 'mul') return simpleOperator([out], ([x, y], [z]) => k.f32_mul(x, y, z, len));
  if (out.length > MAX_RANK) fail(op, `broadcasting supports up to ${MAX_RANK} dimensions, got ${out.length}`);
  const owned = new Owned();
  const aStrides = owned.i32(broadcastStrides(a, out));
  const bStrides = owned.i32(broadcastStrides(b, out));
  const shape6 = owned.i32(padTo6(out, 1));
  const code = BINARY_OP[kind];
  return {
    outShapes: [out],
    scratchBytes: 0,
    ownedBytes: owned.bytes,
    run: ([x, y], [z]) => k.f32_binary_broadcast(code, x, aStrides, y, bStrides, shape6, z),
    dispose: () => owned.free(),
  };
}

function binary(op: BinaryKind, a: Tensor, b: Tensor): Tensor {
  checkTensor(op, 'a', a);
  checkTensor(op, 'b', b);
  return execute(op, createBinary(op, op, a.shape, b.shape), [a, b], ['a', 'b'])[0];
}

/** a + b with NumPy broadcasting (a residual connection, a bias). */
export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
/** a - b with NumPy broadcasting. */
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
/** a * b elementwise with NumPy broadcasting. */
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);
/** a / b elementwise with NumPy broadcasting. */
export const div = (a: Tensor, b: Tensor): Tensor => binary('div', a, b);

/** @internal In-place second pass for activations the epilogues do not cover. */
export function applyInPlace(kind: 'sigmoid' | 'tanh', ptr: number, len: number): void {
  if (kind === 'sigmoid') kernels().f32_sigmoid(ptr, ptr, len);
  else kernels().f32_tanh(ptr, ptr, len);
}
