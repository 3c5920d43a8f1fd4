// The 6-D strided copy (transpose, slice, broadcast) and broadcasting binary kernels.
import { beforeAll, describe, expect, it } from 'vitest';
import { BINARY_OP } from './abi.js';
import { expectClose, FLAVORS, guardIntact, loadBuild, random, type Harness } from '../test/harness.js';

function putInts(h: Harness, v: number[]): number {
  const ptr = h.alloc(v.length);
  new Int32Array(h.memory.buffer, ptr, v.length).set(v);
  return ptr;
}

/** Reference: out[i] = x[offset + sum i_d * strides_d] over a 6-D shape. */
function refStrided(x: Float32Array, offset: number, shape: number[], strides: number[]): Float32Array {
  const out: number[] = [];
  const walk = (d: number, at: number) => {
    if (d === 6) return void out.push(x[at]);
    for (let i = 0; i < shape[d]; i++) walk(d + 1, at + i * strides[d]);
  };
  walk(0, offset);
  return Float32Array.from(out);
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const contiguous = (shape: number[]) => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

describe.each(FLAVORS)('strided kernels, %s build', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each([
    ['NCHW -> NHWC', [1, 1, 2, 5, 7, 3], [0, 0, 105, 7, 1, 35], 0],
    ['2-D transpose 13x9', [1, 1, 1, 1, 9, 13], [0, 0, 0, 0, 1, 9], 0],
    ['slice with step 2 and an offset', [1, 1, 1, 3, 4, 5], [0, 0, 0, 40, 10, 2], 13],
    ['negative step', [1, 1, 1, 1, 4, 6], [0, 0, 0, 0, 10, -1], 9],
    ['broadcast a row', [1, 1, 1, 1, 5, 7], [0, 0, 0, 0, 0, 1], 0],
    ['broadcast a column', [1, 1, 1, 1, 5, 9], [0, 0, 0, 0, 1, 0], 0],
    ['all six dims', [2, 3, 2, 1, 2, 5], [60, 20, 10, 0, 5, 1], 0],
  ] as const)('copy: %s', (_name, shape, strides, offset) => {
    h.reset();
    const x = random(256, 3);
    const xp = h.put(x);
    const n = prod(shape);
    const out = h.alloc(n);
    h.k.f32_strided_copy(xp + offset * 4, putInts(h, [...shape]), putInts(h, [...strides]), out);
    expect(Array.from(h.get(out, n))).toEqual(Array.from(refStrided(x, offset, [...shape], [...strides])));
    expect(guardIntact(h, out, n)).toBe(true);
  });

  const ops = Object.entries(BINARY_OP);
  const f: Record<string, (a: number, b: number) => number> = {
    add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, max: Math.max, min: Math.min,
  };

  it.each([
    ['same shape', [1, 1, 1, 2, 3, 9], [1, 1, 1, 2, 3, 9], [1, 1, 1, 2, 3, 9]],
    ['per-channel vector', [1, 1, 2, 4, 5, 7], [1, 1, 1, 1, 1, 7], [1, 1, 2, 4, 5, 7]],
    ['scalar', [1, 1, 1, 1, 3, 6], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 3, 6]],
    ['both broadcast', [1, 1, 1, 1, 5, 1], [1, 1, 1, 1, 1, 6], [1, 1, 1, 1, 5, 6]],
    ['column against row', [1, 1, 1, 3, 1, 5], [1, 1, 1, 1, 4, 1], [1, 1, 1, 3, 4, 5]],
  ] as const)('binary: %s', (_name, aShape, bShape, outShape) => {
    for (const [name, code] of ops) {
      h.reset();
      const na = prod(aShape);
      const nb = prod(bShape);
      const a = random(na, 5);
      const b = random(nb, 6, 0.5, 2);
      const stridesFor = (s: readonly number[]) => contiguous([...s]).map((st, d) => (s[d] === 1 ? 0 : st));
      const as = stridesFor(aShape);
      const bs = stridesFor(bShape);
      const n = prod(outShape);
      const out = h.alloc(n);
      h.k.f32_binary_broadcast(code, h.put(a), putInts(h, as), h.put(b), putInts(h, bs), putInts(h, [...outShape]), out);
      const ea = refStrided(a, 0, [...outShape], as);
      const eb = refStrided(b, 0, [...outShape], bs);
      expectClose(h.get(out, n), ea.map((v, i) => f[name](v, eb[i])), { rtol: 1e-6, atol: 0 }, `${name}`);
      expect(guardIntact(h, out, n)).toBe(true);
    }
  });
});
