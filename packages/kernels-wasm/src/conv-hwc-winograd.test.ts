import { beforeAll, describe, expect, it } from 'vitest';
import { FLAVORS, loadBuild, random, type Harness } from '../test/harness.js';
import { checkOutput, convOut, EPILOGUES, putOutput, refConv, SENTINEL, type ConvGeometry } from '../test/reference-gemm-conv.js';

// Winograd F(4x4, 3x3) rounds differently from the direct sum (transforms with factors up to 8): inputs in
// [-1, 1), weights in [-1, 1), cin <= 4.
const TOL = { rtol: 1e-4, atol: 1e-4 };
const SCRATCH_FLOATS = 384;

interface WinoCase {
  name: string;
  n?: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  /** [top, bottom, left, right] */
  pads?: [number, number, number, number];
  bias?: boolean;
  epilogue?: keyof typeof EPILOGUES;
}

function geometry(cs: WinoCase): ConvGeometry {
  const [padT, padB, padL, padR] = cs.pads ?? [1, 1, 1, 1];
  return {
    n: cs.n ?? 1, h: cs.h, w: cs.w, c: cs.cin, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padT, padL,
    oh: convOut(cs.h, 3, 1, 1, padT, padB),
    ow: convOut(cs.w, 3, 1, 1, padL, padR),
    circular: false,
  };
}

interface Prepared {
  g: ConvGeometry;
  x: number;
  packed: number;
  scratch: number;
  expected: Float32Array;
  rows: number;
  rowFloats: number;
}

function prepare(h: Harness, cs: WinoCase, seed: number): Prepared {
  h.reset();
  const g = geometry(cs);
  const x = random(g.n * g.h * g.w * g.c, seed);
  const wt = random(9 * g.c * cs.cout, seed + 1);
  const bias = cs.bias ?? true ? random(cs.cout, seed + 2) : null;
  const px = h.put(x);
  const pw = h.put(wt);
  const pb = bias ? h.put(bias) : 0;
  const u = h.alloc(36 * g.c * cs.cout);
  h.k.f32_winograd_filter_f4x4_3x3(pw, g.c, cs.cout, cs.cout, 0, u, g.c * cs.cout, cs.cout);
  const size = h.k.f32_conv_hwc_winograd_packed_size(cs.cout);
  expect(size).toBe(Math.ceil(cs.cout / 4) * (4 + 36 * 16));
  const packed = h.alloc(size);
  h.k.f32_conv_hwc_winograd_pack(u, g.c, cs.cout, pb, packed);
  const scratch = h.alloc(SCRATCH_FLOATS);
  const e = EPILOGUES[cs.epilogue ?? 'identity'];
  return { g, x: px, packed, scratch, expected: refConv(x, g, wt, cs.cout, bias, e), rows: g.n * g.oh, rowFloats: g.ow * cs.cout };
}

function run(h: Harness, cs: WinoCase, p: Prepared, r0: number, r1: number, y: number): void {
  const { g } = p;
  const e = EPILOGUES[cs.epilogue ?? 'identity'];
  h.k.f32_conv_hwc_winograd_f4x4_3x3(p.x, g.h, g.w, g.c, g.padT, g.padL, g.oh, g.ow, p.packed, cs.cout,
    r0, r1, y, p.scratch, e.min, e.max, e.alpha);
}

const CASES: WinoCase[] = [
  { name: 'VGG-like same, cin 3, cout 64', h: 12, w: 16, cin: 3, cout: 64 },
  { name: 'odd sizes (partial tiles both ways), cin 3, cout 13, relu6', h: 11, w: 13, cin: 3, cout: 13, epilogue: 'relu6' },
  { name: 'cin 4, cout 17, leaky', h: 9, w: 10, cin: 4, cout: 17, epilogue: 'leaky' },
  { name: 'cin 1, cout 5, no bias', h: 7, w: 6, cin: 1, cout: 5, bias: false },
  { name: 'cin 2, cout 1, relu', h: 5, w: 9, cin: 2, cout: 1, epilogue: 'relu' },
  { name: 'cin 3, cout 24, valid (no padding)', h: 10, w: 11, cin: 3, cout: 24, pads: [0, 0, 0, 0] },
  { name: 'asymmetric pads (2, 0, 0, 2), cout 6', h: 8, w: 7, cin: 3, cout: 6, pads: [2, 0, 0, 2] },
  { name: 'image smaller than a tile, pads 2, cout 8', h: 2, w: 3, cin: 3, cout: 8, pads: [2, 2, 2, 2] },
  { name: 'batch 2, oh = 7 (tiles across the image end), cout 16', n: 2, h: 7, w: 9, cin: 3, cout: 16, epilogue: 'relu' },
];

describe.each(FLAVORS)('f32_conv_hwc_winograd_f4x4_3x3 (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each(CASES)('$name', (cs) => {
    const p = prepare(h, cs, 300 + cs.h * 5 + cs.cout);
    const y = putOutput(h, p.expected.length);
    run(h, cs, p, 0, p.rows, y);
    checkOutput(h, y, p.expected, TOL, `${flavor} ${cs.name}`);
  });

  // The threading hook: rows [0, a) then [a, end) give the one-call result, for every split point (ranges
  // that start or end inside a tile of 4 rows, and across the images of a batch).
  it.each([CASES[1], CASES[2], CASES[8]])('two row ranges equal one call: $name', (cs) => {
    const p = prepare(h, cs, 9 + cs.w);
    const len = p.expected.length;
    const whole = putOutput(h, len);
    run(h, cs, p, 0, p.rows, whole);
    const full = h.get(whole, len);
    for (let a = 0; a <= p.rows; a++) {
      const y = putOutput(h, len);
      run(h, cs, p, 0, a, y);
      run(h, cs, p, a, p.rows, y);
      checkOutput(h, y, full, { rtol: 0, atol: 0 }, `${flavor} ${cs.name} split at ${a}`);
    }
  });

  it('a row range writes those rows and nothing else (batch 2, range across the images)', () => {
    const cs = CASES[8];
    const p = prepare(h, cs, 77);
    expect(p.g.oh).toBe(7);
    const [r0, r1] = [5, 10]; // image 0 rows 5, 6 and image 1 rows 0..2
    const y = putOutput(h, p.expected.length);
    run(h, cs, p, r0, r1, y);
    const expected = new Float32Array(p.expected.length).fill(SENTINEL);
    expected.set(p.expected.subarray(r0 * p.rowFloats, r1 * p.rowFloats), r0 * p.rowFloats);
    checkOutput(h, y, expected, TOL, `${flavor} rows [${r0}, ${r1})`);
  });
});
