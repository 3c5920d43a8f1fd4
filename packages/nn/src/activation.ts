// Activations that a conv or dense op can apply to its output.
import { fail } from './validate.js';

export type ActivationName = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'leakyRelu';
export type Activation =
  | ActivationName
  | { type: 'leakyRelu'; alpha?: number }
  | { type: 'clip'; min: number; max: number };

export const DEFAULT_LEAKY_ALPHA = 0.2;

/**
 * How an activation runs: the GEMM/dwconv epilogue covers the piecewise-linear ones
 * (y < 0 ? alpha * y : y, then clamp to [min, max]); sigmoid and tanh run as a second pass.
 */
export interface ActivationPlan {
  min: number;
  max: number;
  alpha: number;
  post?: 'sigmoid' | 'tanh';
}

const NAMES: readonly ActivationName[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'leakyRelu'];

export function planActivation(op: string, a: Activation | undefined): ActivationPlan {
  const plan: ActivationPlan = { min: -Infinity, max: Infinity, alpha: 1 };
  if (a === undefined || a === 'linear') return plan;
  if (a === 'relu') return { ...plan, min: 0 };
  if (a === 'relu6') return { ...plan, min: 0, max: 6 };
  if (a === 'sigmoid' || a === 'tanh') return { ...plan, post: a };
  if (a === 'leakyRelu') return { ...plan, alpha: DEFAULT_LEAKY_ALPHA };
  if (typeof a === 'object' && a !== null) {
    if (a.type === 'leakyRelu') {
      const alpha = a.alpha ?? DEFAULT_LEAKY_ALPHA;
      if (typeof alpha !== 'number' || !Number.isFinite(alpha)) fail(op, `activation alpha must be a finite number, got ${String(alpha)}`);
      return { ...plan, alpha };
    }
    if (a.type === 'clip') {
      if (typeof a.min !== 'number' || typeof a.max !== 'number' || Number.isNaN(a.min) || Number.isNaN(a.max) || a.min > a.max) {
        fail(op, `activation clip needs numbers min <= max, got min ${String(a.min)}, max ${String(a.max)}`);
      }
      return { ...plan, min: a.min, max: a.max };
    }
  }
  fail(op, `activation must be one of ${NAMES.map((n) => `'${n}'`).join(', ')}, { type: 'leakyRelu', alpha } or { type: 'clip', min, max }; got ${JSON.stringify(a)}`);
}
