// Elementwise activations and arithmetic: one kernel call over all values.
import type { Tensor } from '@wcnn/tensor';
import { DEFAULT_LEAKY_ALPHA } from '../activation.js';
import { kernels, output } from '../runtime.js';
import { checkOptions, checkTensor, fail, finiteNumber, sameShape } from '../validate.js';

type Unary = 'f32_relu' | 'f32_relu6' | 'f32_sigmoid' | 'f32_tanh';

function unary(op: string, kernel: Unary, x: Tensor): Tensor {
  checkTensor(op, 'x', x);
  return output(x.shape, op, (out) => kernels()[kernel](x.ptr(op, 'x'), out, x.size));
}

/** max(x, 0) */
export const relu = (x: Tensor): Tensor => unary('relu', 'f32_relu', x);
/** min(max(x, 0), 6) */
export const relu6 = (x: Tensor): Tensor => unary('relu6', 'f32_relu6', x);
/** 1 / (1 + exp(-x)) */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', 'f32_sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', 'f32_tanh', x);

/** x < 0 ? alpha * x : x (alpha defaults to 0.2, as tf.nn.leaky_relu). */
export function leakyRelu(x: Tensor, options: { alpha?: number } = {}): Tensor {
  checkOptions('leakyRelu', options, ['alpha']);
  checkTensor('leakyRelu', 'x', x);
  const alpha = finiteNumber('leakyRelu', 'alpha', options.alpha, DEFAULT_LEAKY_ALPHA);
  return output(x.shape, 'leakyRelu', (out) => kernels().f32_leaky_relu(x.ptr(), out, x.size, alpha));
}

/** min(max(x, min), max) */
export function clip(x: Tensor, options: { min?: number; max?: number }): Tensor {
  checkOptions('clip', options, ['min', 'max']);
  checkTensor('clip', 'x', x);
  const min = finiteNumber('clip', 'min', options?.min, -Infinity);
  const max = finiteNumber('clip', 'max', options?.max, Infinity);
  if (min > max) fail('clip', `min must not exceed max, got min ${min}, max ${max}`);
  return output(x.shape, 'clip', (out) => kernels().f32_clip(x.ptr(), out, x.size, min, max));
}

function binary(op: string, kernel: 'f32_add' | 'f32_mul', a: Tensor, b: Tensor): Tensor {
  checkTensor(op, 'a', a);
  checkTensor(op, 'b', b);
  sameShape(op, a, b);
  return output(a.shape, op, (out) => kernels()[kernel](a.ptr(op, 'a'), b.ptr(op, 'b'), out, a.size));
}

/** a + b, same shapes (a residual connection). */
export const add = (a: Tensor, b: Tensor): Tensor => binary('add', 'f32_add', a, b);
/** a * b elementwise, same shapes. */
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', 'f32_mul', a, b);

/** @internal In-place second pass for activations the epilogues do not cover. */
export function applyInPlace(kind: 'sigmoid' | 'tanh', ptr: number, len: number): void {
  if (kind === 'sigmoid') kernels().f32_sigmoid(ptr, ptr, len);
  else kernels().f32_tanh(ptr, ptr, len);
}
