import { beforeAll, describe, expect, it } from 'vitest';
import { FLAVORS, loadBuild, random, type Harness } from '../test/harness.js';
import { checkOutput, convOut, EPILOGUES, putOutput, refConv, SENTINEL, type ConvGeometry } from '../test/reference-gemm-conv.js';

const TOL = { rtol: 1e-5, atol: 1e-5 };

interface ConvCase {
  name: string;
  n?: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride?: [number, number];
  dilation?: [number, number];
  /** [top, bottom, left, right] */
  pads?: [number, number, number, number];
  bias?: boolean;
  epilogue?: keyof typeof EPILOGUES;
}

function geometry(cs: ConvCase): ConvGeometry {
  const [sh, sw] = cs.stride ?? [1, 1];
  const [dh, dw] = cs.dilation ?? [1, 1];
  const [padT, padB, padL, padR] = cs.pads ?? [0, 0, 0, 0];
  return {
    n: cs.n ?? 1, h: cs.h, w: cs.w, c: cs.cin, kh: cs.kh, kw: cs.kw, sh, sw, dh, dw, padT, padL,
    oh: convOut(cs.h, cs.kh, sh, dh, padT, padB),
    ow: convOut(cs.w, cs.kw, sw, dw, padL, padR),
    circular: false,
  };
}

interface Prepared {
  g: ConvGeometry;
  x: number;
  packed: number;
  expected: Float32Array;
  rows: number;
  rowFloats: number;
}

/** Puts x and the packed weights into fresh memory and computes the reference output. */
function prepare(h: Harness, cs: ConvCase, seed: number): Prepared {
  h.reset();
  const g = geometry(cs);
  const depth = g.kh * g.kw * g.c;
  const x = random(g.n * g.h * g.w * g.c, seed);
  const wt = random(depth * cs.cout, seed + 1);
  const bias = cs.bias ?? true ? random(cs.cout, seed + 2) : null;
  const e = EPILOGUES[cs.epilogue ?? 'identity'];
  const px = h.put(x);
  const pw = h.put(wt);
  const pb = bias ? h.put(bias) : 0;
  const packed = h.alloc(h.k.f32_gemm_packed_size(depth, cs.cout));
  h.k.f32_gemm_pack_b(pw, cs.cout, depth, cs.cout, pb, packed);
  return { g, x: px, packed, expected: refConv(x, g, wt, cs.cout, bias, e), rows: g.n * g.oh, rowFloats: g.ow * cs.cout };
}

function run(h: Harness, cs: ConvCase, p: Prepared, r0: number, r1: number, y: number): void {
  const { g } = p;
  const e = EPILOGUES[cs.epilogue ?? 'identity'];
  h.k.f32_conv_hwc(p.x, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padT, g.padL, g.oh, g.ow,
    p.packed, cs.cout, r0, r1, y, e.min, e.max, e.alpha);
}

const CASES: ConvCase[] = [
  // The three first layers of the benchmark, shrunk (odd sizes; Keras 'same' pads).
  { name: 'VGG-like 3x3 s1 same, cin 3, cout 64', h: 11, w: 13, cin: 3, cout: 64, kh: 3, kw: 3, pads: [1, 1, 1, 1] },
  { name: 'MobileNet-like 3x3 s2 same, cin 3, cout 32, relu6', h: 15, w: 14, cin: 3, cout: 32, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 0, 1], epilogue: 'relu6' },
  { name: 'ResNet-like 7x7 s2 same, cin 3, cout 64', h: 17, w: 16, cin: 3, cout: 64, kh: 7, kw: 7, stride: [2, 2], pads: [3, 3, 2, 3], epilogue: 'relu' },
  // cout tails: both microkernels (panels of 16, a last panel of 8) and every store tail.
  { name: 'cout 1', h: 6, w: 7, cin: 3, cout: 1, kh: 3, kw: 3, pads: [1, 1, 1, 1] },
  { name: 'cout 5, odd width', h: 5, w: 9, cin: 3, cout: 5, kh: 3, kw: 3, pads: [1, 1, 1, 1], epilogue: 'leaky' },
  { name: 'cout 8', h: 4, w: 6, cin: 2, cout: 8, kh: 3, kw: 3, pads: [1, 1, 1, 1] },
  { name: 'cout 13', h: 5, w: 5, cin: 3, cout: 13, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 1, 1], bias: false },
  { name: 'cout 17 (16 + 1)', h: 6, w: 7, cin: 4, cout: 17, kh: 3, kw: 3, pads: [1, 1, 1, 1], epilogue: 'relu6' },
  { name: 'cout 24 (16 + 8)', h: 7, w: 5, cin: 1, cout: 24, kh: 3, kw: 3, stride: [2, 1], pads: [0, 1, 1, 1] },
  { name: 'cout 31 (16 + 15)', h: 5, w: 8, cin: 3, cout: 31, kh: 5, kw: 5, pads: [2, 2, 2, 2] },
  { name: 'cout 3, 4x8 kernel row tails (ow = 7 = 4 + 3)', h: 3, w: 7, cin: 3, cout: 3, kh: 1, kw: 1 },
  // Geometry: no padding, 1x1, asymmetric pads, stride (1, 2), dilation, windows in the padding.
  { name: 'valid 3x3, cin 3', h: 8, w: 9, cin: 3, cout: 16, kh: 3, kw: 3 },
  { name: '1x1 stride 2, cin 4', h: 7, w: 7, cin: 4, cout: 20, kh: 1, kw: 1, stride: [2, 2] },
  { name: 'asymmetric pads, stride (1, 2)', h: 9, w: 10, cin: 3, cout: 18, kh: 3, kw: 2, stride: [1, 2], pads: [2, 0, 0, 2] },
  { name: 'dilation 2, pad 2', h: 8, w: 9, cin: 3, cout: 16, kh: 3, kw: 3, dilation: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'dilation (3, 1), stride (1, 2), cout 9', h: 10, w: 9, cin: 2, cout: 9, kh: 3, kw: 3, dilation: [3, 1], stride: [1, 2], pads: [1, 0, 1, 1] },
  { name: 'dilation (1, 2), odd sizes, cout 21', h: 7, w: 11, cin: 3, cout: 21, kh: 3, kw: 5, dilation: [1, 2], pads: [1, 1, 4, 4] },
  { name: 'kernel wider than the padded input', h: 3, w: 2, cin: 3, cout: 16, kh: 3, kw: 5, pads: [1, 1, 2, 2] },
  { name: 'pads wider than the kernel: windows wholly in the padding', h: 3, w: 4, cin: 3, cout: 17, kh: 3, kw: 3, pads: [4, 4, 5, 4], epilogue: 'leaky' },
  { name: 'cin 8, 7x7 s2', h: 9, w: 10, cin: 8, cout: 24, kh: 7, kw: 7, stride: [2, 2], pads: [3, 3, 3, 3] },
  { name: 'batch 2, 3x3 s2 same', n: 2, h: 9, w: 9, cin: 3, cout: 32, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 1, 1], epilogue: 'relu' },
  { name: 'batch 3, cout 5', n: 3, h: 5, w: 6, cin: 3, cout: 5, kh: 3, kw: 3, pads: [1, 1, 1, 1] },
];

describe.each(FLAVORS)('f32_conv_hwc (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each(CASES)('$name', (cs) => {
    const p = prepare(h, cs, 100 + cs.h * 7 + cs.cout);
    const y = putOutput(h, p.expected.length);
    run(h, cs, p, 0, p.rows, y);
    checkOutput(h, y, p.expected, TOL, `${flavor} ${cs.name}`);
  });

  // The threading hook: rows [0, a) then [a, end) give the one-call result, for every split point.
  it.each([
    CASES[0],
    CASES[2],
    CASES.find((cs) => cs.name.startsWith('cout 24'))!,
    CASES.find((cs) => cs.name.startsWith('batch 2'))!,
    CASES.find((cs) => cs.name.startsWith('batch 3'))!,
  ])('two row ranges equal one call: $name', (cs) => {
    const p = prepare(h, cs, 7 + cs.w);
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
    const cs = CASES.find((c) => c.name.startsWith('batch 2'))!;
    const p = prepare(h, cs, 55);
    expect(p.g.oh).toBe(5);
    const [r0, r1] = [3, 7]; // image 0 rows 3, 4 and image 1 rows 0, 1
    const y = putOutput(h, p.expected.length);
    run(h, cs, p, r0, r1, y);
    const expected = new Float32Array(p.expected.length).fill(SENTINEL);
    expected.set(p.expected.subarray(r0 * p.rowFloats, r1 * p.rowFloats), r0 * p.rowFloats);
    checkOutput(h, y, expected, TOL, `${flavor} rows [${r0}, ${r1})`);
  });
});
