import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, FLAVORS, guardIntact, loadBuild, random, type Harness } from '../test/harness.js';
import * as ref from '../test/reference-pool-elementwise.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const EXACT = { rtol: 0, atol: 0 };
const LENS = [0, 1, 3, 4, 5, 7, 8, 9, 17, 1000];

type Unary = (h: Harness, x: number, out: number, len: number) => void;
interface UnaryCase {
  name: string;
  run: Unary;
  f: (v: number) => number;
  lo: number;
  hi: number;
  tol: { rtol: number; atol: number };
}

const unary: UnaryCase[] = [
  { name: 'relu', run: (h, x, o, n) => h.k.f32_relu(x, o, n), f: ref.relu, lo: -3, hi: 3, tol: EXACT },
  { name: 'relu6', run: (h, x, o, n) => h.k.f32_relu6(x, o, n), f: ref.relu6, lo: -3, hi: 9, tol: EXACT },
  { name: 'leaky_relu 0.1', run: (h, x, o, n) => h.k.f32_leaky_relu(x, o, n, 0.1), f: ref.leakyRelu(0.1), lo: -3, hi: 3, tol: TOL },
  { name: 'leaky_relu -2', run: (h, x, o, n) => h.k.f32_leaky_relu(x, o, n, -2), f: ref.leakyRelu(-2), lo: -3, hi: 3, tol: TOL },
  { name: 'clip [-0.5, 2]', run: (h, x, o, n) => h.k.f32_clip(x, o, n, -0.5, 2), f: ref.clip(-0.5, 2), lo: -3, hi: 3, tol: EXACT },
  { name: 'sigmoid', run: (h, x, o, n) => h.k.f32_sigmoid(x, o, n), f: ref.sigmoid, lo: -12, hi: 12, tol: TOL },
  { name: 'tanh', run: (h, x, o, n) => h.k.f32_tanh(x, o, n), f: ref.tanh, lo: -6, hi: 6, tol: TOL },
];

type Binary = (h: Harness, a: number, b: number, out: number, len: number) => void;
const binary: [string, Binary, (u: number, v: number) => number][] = [
  ['add', (h, a, b, o, n) => h.k.f32_add(a, b, o, n), ref.add],
  ['mul', (h, a, b, o, n) => h.k.f32_mul(a, b, o, n), ref.mul],
];

/** Max relative error of `got` vs `want` over entries with |want| >= 2^-126 (normal floats). */
function maxRelError(got: Float32Array, want: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(want[i]) < 2 ** -126) continue;
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.abs(want[i]));
  }
  return worst;
}

describe.each(FLAVORS)('elementwise, %s build', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  describe.each(unary)('$name', ({ run, f, lo, hi, tol }) => {
    it.each(LENS)('len = %i', (len) => {
      h.reset();
      const data = random(len, 1 + len, lo, hi);
      const x = h.put(data);
      const out = h.alloc(len);
      run(h, x, out, len);
      expectClose(h.get(out, len), ref.map1(data, f), tol, `len ${len}`);
      expect(guardIntact(h, out, len)).toBe(true);
      expect(Array.from(h.get(x, len))).toEqual(Array.from(data));
    });

    it.each([5, 1000])('in place, len = %i', (len) => {
      h.reset();
      const data = random(len, 7 + len, lo, hi);
      const x = h.put(data);
      run(h, x, x, len);
      expectClose(h.get(x, len), ref.map1(data, f), tol, 'in place');
      expect(guardIntact(h, x, len)).toBe(true);
    });

    it('NaN stays NaN, infinities and zeros map like the reference', () => {
      h.reset();
      const data = new Float32Array([NaN, Infinity, -Infinity, 0, -0, NaN, 1e30, -1e30, NaN]);
      const x = h.put(data);
      const out = h.alloc(data.length);
      run(h, x, out, data.length);
      expectClose(h.get(out, data.length), ref.map1(data, f), tol, 'specials');
    });
  });

  describe.each(binary)('%s', (_, run, f) => {
    it.each(LENS)('len = %i', (len) => {
      h.reset();
      const a = random(len, 2 + len, -4, 4);
      const b = random(len, 3 + len, -4, 4);
      const pa = h.put(a);
      const pb = h.put(b);
      const out = h.alloc(len);
      run(h, pa, pb, out, len);
      expectClose(h.get(out, len), ref.map2(a, b, f), TOL, `len ${len}`);
      expect(guardIntact(h, out, len)).toBe(true);
    });

    it.each([9, 1000])('in place into either operand, len = %i', (len) => {
      h.reset();
      const a = random(len, 4 + len, -4, 4);
      const b = random(len, 5 + len, -4, 4);
      const want = ref.map2(a, b, f);
      const pa = h.put(a);
      const pb = h.put(b);
      run(h, pa, pb, pa, len);
      expectClose(h.get(pa, len), want, TOL, 'out = a');
      const pa2 = h.put(a);
      const pb2 = h.put(b);
      run(h, pa2, pb2, pb2, len);
      expectClose(h.get(pb2, len), want, TOL, 'out = b');
      const pc = h.put(a);
      run(h, pc, pc, pc, len);
      expectClose(h.get(pc, len), ref.map2(a, a, f), TOL, 'out = a = b');
    });
  });

  describe('sigmoid and tanh accuracy', () => {
    // Every float32 step of 2^-10 over [-20, 20], plus odd offsets so all reduction phases show up.
    const dense = new Float32Array(40 * 1024 + 1 + 4001);
    for (let i = 0; i <= 40 * 1024; i++) dense[i] = -20 + i / 1024;
    for (let i = 0; i <= 4000; i++) dense[40 * 1024 + 1 + i] = -20 + i * 0.0100037;
    const tiny = new Float32Array([1e-6, -1e-7, 1e-20, -1e-30, 1e-38, -1e-40, 2 ** -149, 3e-4, -0.001, 0.0625, -0.3, 0.6249, 0.625, -0.6251]);
    const huge = new Float32Array([1e30, -1e30, 3.4e38, -3.4e38, Infinity, -Infinity, 88, -88, 89, -89, 104, -104, 200, -200]);

    it.each([
      ['sigmoid', (hh: Harness, x: number, o: number, n: number) => hh.k.f32_sigmoid(x, o, n), ref.sigmoid],
      ['tanh', (hh: Harness, x: number, o: number, n: number) => hh.k.f32_tanh(x, o, n), ref.tanh],
    ] as const)('%s: dense [-20, 20], tiny and huge inputs', (name, run, f) => {
      h.reset();
      for (const [label, data] of [['dense', dense], ['tiny', tiny], ['huge', huge]] as const) {
        const x = h.put(data);
        const out = h.alloc(data.length);
        run(h, x, out, data.length);
        const got = h.get(out, data.length);
        const want = ref.map1(data, f);
        expectClose(got, want, TOL, `${name} ${label}`);
        // Tighter than TOL and without atol, so tiny outputs are held to full relative accuracy.
        const rel = maxRelError(got, want);
        expect(rel, `${name} ${label} max relative error`).toBeLessThan(1e-6);
        expect(got.findIndex((v) => Number.isNaN(v)), `${name} ${label}: first NaN`).toBe(-1);
        if (label === 'dense') console.log(`${flavor} ${name}: max relative error over [-20, 20] = ${rel.toExponential(2)}`);
      }
    });

    it('limits: sigmoid -> 0 / 1 and tanh -> -1 / 1 exactly, NaN -> NaN', () => {
      h.reset();
      const data = new Float32Array([1e30, -1e30, Infinity, -Infinity, 200, -200, NaN]);
      const x = h.put(data);
      const s = h.alloc(data.length);
      const t = h.alloc(data.length);
      h.k.f32_sigmoid(x, s, data.length);
      h.k.f32_tanh(x, t, data.length);
      expect(Array.from(h.get(s, data.length))).toEqual([1, 0, 1, 0, 1, 0, NaN]);
      expect(Array.from(h.get(t, data.length))).toEqual([1, -1, 1, -1, 1, -1, NaN]);
    });

    it('exp (seen through sigmoid(x) = exp(x) for x <= -17, where 1 + exp(x) rounds to 1)', () => {
      h.reset();
      // x in [-87, -17]: normal results, every phase of the range reduction.
      const n = 70 * 512;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = -17 - i / 512 - 0.000731;
      const x = h.put(data);
      const out = h.alloc(n);
      h.k.f32_sigmoid(x, out, n);
      const got = h.get(out, n);
      const want = ref.map1(data, Math.exp);
      let ulps = 0;
      for (let i = 0; i < n; i++) {
        const ulp = 2 ** (Math.floor(Math.log2(want[i])) - 23);
        ulps = Math.max(ulps, Math.abs(got[i] - want[i]) / ulp);
      }
      const rel = maxRelError(got, want);
      console.log(`${flavor} exp: max relative error ${rel.toExponential(2)}, ${ulps.toFixed(2)} ulp`);
      expect(rel).toBeLessThan(3e-7);
    });
  });
});
