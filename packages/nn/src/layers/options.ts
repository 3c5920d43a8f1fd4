// Option parsing shared by the layers: activations, padding, windows and receptive fields.
import { convOutputSize, effectiveKernel, padAmounts, type Padding1d } from '@wcnn/tensor';
import { planActivation, type Activation } from '../activation.js';
import type { WindowPadding } from '../graph/ir.js';
import { fail } from '../validate.js';
import type { LayerReceptiveField } from './symbolic.js';

/**
 * Activations a layer accepts: Keras names ('relu', 'softmax', 'leaky_relu' with slope 0.2, ...) and
 * the nn ones ({ type: 'leakyRelu', alpha }, { type: 'clip', min, max }).
 */
export type LayerActivation = Activation | 'softmax' | 'leaky_relu';

const ACTIVATION_NAMES = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'leaky_relu', 'leakyRelu'];

/** How an activation is emitted: fused into the conv/dense node, or a softmax node after it. */
export interface ActivationParts {
  fused?: Activation;
  softmax: boolean;
}

export function parseActivation(label: string, a: unknown): ActivationParts {
  if (a === undefined || a === 'linear') return { softmax: false };
  if (a === 'softmax') return { softmax: true };
  if (a === 'leaky_relu') return { fused: 'leakyRelu', softmax: false };
  if (typeof a === 'string' && !ACTIVATION_NAMES.includes(a)) {
    fail(label, `activation must be one of ${ACTIVATION_NAMES.map((n) => `'${n}'`).join(', ')}, { type: 'leakyRelu', alpha } or { type: 'clip', min, max }; got ${JSON.stringify(a)}`);
  }
  planActivation(label, a as Activation); // validates objects
  return { fused: a as Activation, softmax: false };
}

/**
 * Padding of a conv or pooling window: Keras' 'valid' and 'same', plus 'full', 'circular'
 * (= 'same' with wrap-around), a number (all sides) or [top, bottom, left, right] (PyTorch-style
 * explicit padding).
 */
export type LayerPadding = 'valid' | 'same' | 'full' | 'circular' | number | readonly [number, number, number, number];

export interface ResolvedPadding {
  /** As the graph wants it ('circular' becomes 'same' with padMode 'circular'). */
  ir: WindowPadding;
  circular: boolean;
  /** Per axis (0: h, 1: w), for output sizes. */
  axis: [Padding1d, Padding1d];
  /** For summaries and errors. */
  text: string;
}

export function parsePadding(label: string, v: unknown, fallback: LayerPadding, allowed: readonly string[]): ResolvedPadding {
  const p = v === undefined ? fallback : v;
  if (typeof p === 'string' && allowed.includes(p)) {
    const mode = p as 'valid' | 'same' | 'full' | 'circular';
    return { ir: mode === 'circular' ? 'same' : mode, circular: mode === 'circular', axis: [mode, mode], text: `'${mode}'` };
  }
  const pads = typeof p === 'number' ? [p, p, p, p] : p;
  if (Array.isArray(pads) && pads.length === 4 && pads.every((n) => Number.isInteger(n) && n >= 0)) {
    const [t, b, l, r] = pads as number[];
    return { ir: [t, b, l, r], circular: false, axis: [[t, b], [l, r]], text: `[${t},${b},${l},${r}]` };
  }
  fail(label, `padding must be ${allowed.map((a) => `'${a}'`).join(', ')}, a non-negative integer or [top, bottom, left, right], got ${JSON.stringify(v)}`);
}

/**
 * Output size of a window over H and W (null stays null); fails when the window does not fit.
 * `pool`: padding must also stay smaller than the window, or some windows would see only padding.
 */
export function windowOutput(
  label: string,
  what: string,
  size: [number | null, number | null],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
  padding: ResolvedPadding,
  pool = false,
): [number | null, number | null] {
  const out = [0, 1].map((i) => {
    const n = size[i];
    if (n === null) return null;
    const k = effectiveKernel(kernel[i], dilations[i]);
    const o = convOutputSize(n, kernel[i], strides[i], padding.axis[i], dilations[i]);
    const pads = padAmounts(n, kernel[i], strides[i], padding.axis[i], dilations[i]);
    if (pool && Math.max(...pads) >= k) {
      fail(label, `padding ${padding.text} must be smaller than the ${kernel[0]}x${kernel[1]} ${what}, or some windows would hold only padding`);
    }
    if (o < 1) {
      const ek = [effectiveKernel(kernel[0], dilations[0]), effectiveKernel(kernel[1], dilations[1])];
      const dilated = ek[0] !== kernel[0] || ek[1] !== kernel[1] ? ` (dilated to ${ek[0]}x${ek[1]})` : '';
      fail(label, `the ${kernel[0]}x${kernel[1]} ${what}${dilated} does not fit the ${size[0] ?? '?'}x${size[1] ?? '?'} input with padding ${padding.text}`);
    }
    return o;
  });
  return [out[0], out[1]];
}

/** r_out = r_in + (k_eff - 1) * j_in, j_out = j_in * stride, per axis. Global stays global. */
export function windowReceptiveField(input: LayerReceptiveField, kernel: [number, number], strides: [number, number], dilations: [number, number]): LayerReceptiveField {
  if (input.kind !== 'window') return input;
  const k = [effectiveKernel(kernel[0], dilations[0]), effectiveKernel(kernel[1], dilations[1])];
  return {
    kind: 'window',
    size: [input.size[0] + (k[0] - 1) * input.jump[0], input.size[1] + (k[1] - 1) * input.jump[1]],
    jump: [input.jump[0] * strides[0], input.jump[1] * strides[1]],
  };
}

/** A boolean option, or its default. */
export function booleanOption(label: string, arg: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(label, `${arg} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** A positive integer argument (filters, units). */
export function positiveInt(label: string, arg: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) fail(label, `${arg} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** An axis of a tensor of rank `rank`, not the batch axis; returns it counted from the front. */
export function channelAxis(label: string, arg: string, axis: unknown, rank: number): number {
  if (!Number.isInteger(axis)) fail(label, `${arg} must be an integer, got ${JSON.stringify(axis)}`);
  const a = (axis as number) < 0 ? (axis as number) + rank : (axis as number);
  if (a < 1 || a >= rank) fail(label, `${arg} ${String(axis)} is out of range for a rank-${rank} input (axis 0 is the batch)`);
  return a;
}
