// Argument checks shared by the ops. Every message names the op, the argument, and what was
// expected and received: `conv2d: strides must be positive integers, got [0,1]`.
import { formatShape, Tensor } from '@wcnn/tensor';

export function fail(op: string, message: string): never {
  throw new Error(`${op}: ${message}`);
}

const show = (v: unknown): string => (Array.isArray(v) ? `[${v.join(',')}]` : JSON.stringify(v) ?? String(v));

/** Checks that `t` is a live Tensor (of rank `rank` if given) and returns its data pointer. */
export function checkTensor(op: string, arg: string, t: unknown, rank?: number, layout?: string): Tensor {
  if (!(t instanceof Tensor)) fail(op, `${arg} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.isDisposed) fail(op, `${arg} has been disposed`);
  if (rank !== undefined && t.rank !== rank) {
    fail(op, `${arg} must be rank ${rank}${layout ? ` (${layout})` : ''}, but got rank ${t.rank} (shape ${formatShape(t.shape)})`);
  }
  return t;
}

/** A number or a pair of positive integers (kernel sizes, strides, dilations). */
export function positivePair(op: string, arg: string, v: unknown, fallback?: readonly [number, number]): [number, number] {
  if (v === undefined && fallback) return [fallback[0], fallback[1]];
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((n) => Number.isInteger(n) && n >= 1)) {
    fail(op, `${arg} must be a positive integer or a pair of positive integers, got ${show(v)}`);
  }
  return [pair[0], pair[1]];
}

export type PaddingOption = 'valid' | 'same' | 'full' | 'circular' | readonly [number, number, number, number];

export function paddingOption(op: string, v: unknown, fallback: PaddingOption, allowed: readonly string[]): PaddingOption {
  if (v === undefined) return fallback;
  if (typeof v === 'string' && allowed.includes(v)) return v as PaddingOption;
  if (Array.isArray(v) && v.length === 4 && v.every((n) => Number.isInteger(n) && n >= 0)) {
    return [v[0], v[1], v[2], v[3]];
  }
  fail(op, `padding must be ${allowed.map((a) => `'${a}'`).join(', ')} or [top, bottom, left, right] of non-negative integers, got ${show(v)}`);
}

export function finiteNumber(op: string, arg: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v)) fail(op, `${arg} must be a number, got ${show(v)}`);
  return v;
}

export function sameShape(op: string, a: Tensor, b: Tensor, aName = 'a', bName = 'b'): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    fail(op, `${aName} and ${bName} must have the same shape, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
}

export function checkOptions(op: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) fail(op, `options must be an object, got ${show(options)}`);
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) fail(op, `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`);
}
