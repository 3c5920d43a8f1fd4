// f32_gemv against a float64 reference: tails of k (8-row steps) and of the column range (4-wide
// vectors), strided weights, every epilogue, and split column ranges equal to one call.
import { beforeAll, describe, expect, it } from 'vitest';
import { FLAVORS, loadBuild, random, type Harness } from '../test/harness.js';
import { applyEpilogue, checkOutput, EPILOGUES, putOutput, SENTINEL, type Epilogue } from '../test/reference-gemm-conv.js';

const TOL = { rtol: 1e-5, atol: 1e-5 };

/** y of length n: columns [n0, n1) computed, the others keep `y0`. */
function refGemv(k: number, n: number, n0: number, n1: number, x: Float32Array, w: Float32Array, ldw: number, bias: Float32Array | null, y0: Float32Array, e: Epilogue): Float32Array {
  const y = Float32Array.from(y0);
  for (let j = n0; j < n1; j++) {
    let s = bias ? bias[j] : 0;
    for (let i = 0; i < k; i++) s += x[i] * w[i * ldw + j];
    y[j] = applyEpilogue(s, e);
  }
  return y.subarray(0, n);
}

interface GemvCase {
  name: string;
  k: number;
  n: number;
  /** Default [0, n). */
  range?: [number, number];
  ldw?: number;
  bias: boolean;
  epilogue: keyof typeof EPILOGUES;
}

function run(h: Harness, cs: GemvCase, seed: number): void {
  const { k, n } = cs;
  const [n0, n1] = cs.range ?? [0, n];
  const ldw = cs.ldw ?? n;
  const e = EPILOGUES[cs.epilogue];
  const label = `${h.flavor} ${cs.name} (k ${k}, n ${n}, [${n0}, ${n1}))`;
  h.reset();
  const x = random(k, seed, -1, 1);
  // Padding columns of w hold data too: reading them would change the result.
  const w = random(k * ldw, seed + 1, -1, 1);
  const bias = cs.bias ? random(n, seed + 2, -1, 1) : null;
  const px = h.put(x);
  const pw = h.put(w);
  const pb = bias ? h.put(bias) : 0;
  const py = putOutput(h, n);
  h.k.f32_gemv(k, n0, n1, px, pw, ldw, pb, py, e.min, e.max, e.alpha);
  checkOutput(h, py, refGemv(k, n, n0, n1, x, w, ldw, bias, new Float32Array(n).fill(SENTINEL), e), TOL, label);
}

const CASES: GemvCase[] = [
  { name: 'one element', k: 1, n: 1, bias: false, epilogue: 'identity' },
  { name: 'k < 8, n < 4', k: 3, n: 3, bias: true, epilogue: 'identity' },
  { name: 'k = 8, n = 4', k: 8, n: 4, bias: true, epilogue: 'relu' },
  { name: 'k = 17 (two 8-row steps and a row), n = 13', k: 17, n: 13, bias: true, epilogue: 'leaky' },
  { name: 'relu6 clamps', k: 64, n: 30, bias: true, epilogue: 'relu6' },
  { name: 'no bias, relu', k: 100, n: 37, bias: false, epilogue: 'relu' },
  { name: 'strided w (ldw = n + 5)', k: 21, n: 10, ldw: 15, bias: true, epilogue: 'identity' },
  { name: 'a column range inside', k: 19, n: 40, range: [7, 29], bias: true, epilogue: 'leaky' },
  { name: 'an empty range writes nothing', k: 9, n: 12, range: [5, 5], bias: true, epilogue: 'relu' },
  { name: 'large k', k: 2053, n: 67, bias: true, epilogue: 'relu' },
];

describe.each(FLAVORS)('f32_gemv (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each(CASES)('$name', (cs) => {
    run(h, cs, 500 + cs.k * 13 + cs.n);
  });

  it('every k in 1..18 and n in 1..13', () => {
    for (let k = 1; k <= 18; k++) {
      for (let n = 1; n <= 13; n++) run(h, { name: 'tail sweep', k, n, bias: (k + n) % 2 === 0, epilogue: 'leaky' }, k * 50 + n);
    }
  });

  it('[0, a) then [a, n) equals one call over [0, n), bit for bit', () => {
    const k = 45;
    const n = 37;
    h.reset();
    const px = h.put(random(k, 1, -1, 1));
    const pw = h.put(random(k * n, 2, -1, 1));
    const pb = h.put(random(n, 3, -1, 1));
    const whole = putOutput(h, n);
    const e = EPILOGUES.relu;
    h.k.f32_gemv(k, 0, n, px, pw, n, pb, whole, e.min, e.max, e.alpha);
    const expected = h.get(whole, n);
    for (const a of [0, 1, 4, 5, 18, 33, 36, 37]) {
      const split = putOutput(h, n);
      h.k.f32_gemv(k, 0, a, px, pw, n, pb, split, e.min, e.max, e.alpha);
      h.k.f32_gemv(k, a, n, px, pw, n, pb, split, e.min, e.max, e.alpha);
      expect(Array.from(h.get(split, n)), `split at ${a}`).toEqual(Array.from(expected));
    }
  });
});
