// Shared by the nn tests: fixtures as tensors, and a backend per build.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { init, parseNpy, shutdown, tensor, type Tensor } from '@wcnn/tensor';
import { FIXTURES } from '../../../test/fixtures.js';

export { FIXTURES };
export const FLAVORS = ['baseline', 'relaxed'] as const;

export async function useBuild(flavor: (typeof FLAVORS)[number]): Promise<void> {
  shutdown();
  const r = await init({ simd: flavor });
  expect(r.flavor).toBe(flavor);
}

export function readFixture(rel: string): { data: Float32Array; shape: number[] } {
  return parseNpy(readFileSync(join(FIXTURES, rel)), rel);
}

export function fixtureTensor(rel: string): Tensor {
  const { data, shape } = readFixture(rel);
  return tensor(data, shape);
}

/** |actual - expected| <= atol + rtol * |expected| everywhere; reports the worst index. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { rtol: number; atol: number }, label = ''): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) expect.fail(`${label}: index ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${tol.rtol}, atol ${tol.atol})`);
}

/** Deterministic values in [lo, hi). */
export function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return out;
}
