import { beforeAll, describe, expect, it } from 'vitest';
import { FLAVORS, guardIntact, loadBuild, random, type Harness } from '../test/harness.js';
import { refPackB } from '../test/reference-gemm-conv.js';

/** Which layout the filter is stored in: ONNX's (cout, cin, kh, kw) or wcnn's (kh, kw, cin, cout). */
type Layout = 'oihw' | 'hwio';

interface FilterCase { cin: number; taps: number; cout: number; layout: Layout; bias: boolean; scale: boolean }

const CASES: FilterCase[] = [
  { cin: 1, taps: 1, cout: 1, layout: 'oihw', bias: false, scale: false },
  { cin: 3, taps: 9, cout: 5, layout: 'oihw', bias: true, scale: true },
  { cin: 4, taps: 9, cout: 16, layout: 'oihw', bias: true, scale: false },
  { cin: 7, taps: 9, cout: 17, layout: 'oihw', bias: false, scale: true },
  { cin: 5, taps: 1, cout: 24, layout: 'oihw', bias: true, scale: true },
  { cin: 6, taps: 25, cout: 40, layout: 'oihw', bias: true, scale: true },
  { cin: 9, taps: 9, cout: 33, layout: 'hwio', bias: true, scale: true },
  { cin: 2, taps: 1, cout: 8, layout: 'hwio', bias: false, scale: false },
];

/** The (taps * cin, cout) matrix of the filter, row t * cin + ci, and the strides to read it in `layout`. */
function filterOf(cs: FilterCase, seed: number): { stored: Float32Array; b: Float32Array; strides: [number, number, number] } {
  const { cin, taps, cout } = cs;
  const stored = random(cin * taps * cout, seed);
  const b = new Float32Array(taps * cin * cout);
  const strides: [number, number, number] = cs.layout === 'oihw' ? [cin * taps, taps, 1] : [1, cout, cin * cout];
  for (let t = 0; t < taps; t++) {
    for (let ci = 0; ci < cin; ci++) {
      for (let o = 0; o < cout; o++) b[(t * cin + ci) * cout + o] = stored[o * strides[0] + ci * strides[1] + t * strides[2]];
    }
  }
  return { stored, b, strides };
}

describe.each(FLAVORS)('f32_gemm_pack_b_filter (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each(CASES)('$layout cin $cin taps $taps cout $cout bias $bias scale $scale: f32_gemm_pack_b of the HWIO matrix, scaled', (cs) => {
    h.reset();
    const { cin, taps, cout } = cs;
    const k = cin * taps;
    const { stored, b, strides } = filterOf(cs, cin * 100 + cout);
    const bias = cs.bias ? random(cout, 7) : null;
    const scale = cs.scale ? random(cout, 8, 0.5, 2) : null;
    const scaled = b.map((v, i) => Math.fround(v * (scale ? scale[i % cout] : 1)));
    const size = h.k.f32_gemm_packed_size(k, cout);
    const packed = h.alloc(size);
    h.k.f32_gemm_pack_b_filter(h.put(stored), ...strides, cin, taps, cout, bias ? h.put(bias) : 0, scale ? h.put(scale) : 0, 0, cout, packed);
    expect(Array.from(h.get(packed, size))).toEqual(Array.from(refPackB(scaled, cout, k, cout, bias)));
    expect(guardIntact(h, packed, size)).toBe(true);
  });

  it('packs column ranges independently (threads split the panels), from an unaligned source', () => {
    h.reset();
    const cs: FilterCase = { cin: 3, taps: 9, cout: 45, layout: 'oihw', bias: true, scale: true };
    const k = cs.cin * cs.taps;
    const { stored, b, strides } = filterOf(cs, 5);
    const bias = random(cs.cout, 9);
    const scale = random(cs.cout, 10, 0.5, 2);
    // The filter 2 bytes past a 4-byte boundary, as raw data inside an ONNX file can be.
    const raw = h.alloc(stored.length + 1);
    new Uint8Array(h.memory.buffer, raw + 2, stored.byteLength).set(new Uint8Array(stored.buffer));
    const size = h.k.f32_gemm_packed_size(k, cs.cout);
    const packed = h.alloc(size);
    for (const [j0, j1] of [[32, 45], [0, 16], [16, 32]]) {
      h.k.f32_gemm_pack_b_filter(raw + 2, ...strides, cs.cin, cs.taps, cs.cout, h.put(bias), h.put(scale), j0, j1, packed);
    }
    const scaled = b.map((v, i) => Math.fround(v * scale[i % cs.cout]));
    expect(Array.from(h.get(packed, size))).toEqual(Array.from(refPackB(scaled, cs.cout, k, cs.cout, bias)));
    expect(guardIntact(h, packed, size)).toBe(true);
  });
});
