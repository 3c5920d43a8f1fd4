import { beforeAll, describe, it } from 'vitest';
import { FLAVORS, loadBuild, random, type Harness } from '../test/harness.js';
import { checkOutput, convOut, EPILOGUES, putOutput, refDwconv, refRepeatChannels, SENTINEL, type ConvGeometry } from '../test/reference-gemm-conv.js';

const TOL = { rtol: 1e-5, atol: 1e-5 };
const EXACT = { rtol: 0, atol: 0 };

interface DwconvCase {
  name: string;
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  stride?: [number, number];
  dilation?: [number, number];
  /** [top, bottom, left, right] */
  pads?: [number, number, number, number];
  circular?: boolean;
  bias: boolean;
  epilogue: keyof typeof EPILOGUES;
  /** Input values in [-xRange, xRange). */
  xRange?: number;
}

function geometry(cs: DwconvCase): ConvGeometry {
  const [sh, sw] = cs.stride ?? [1, 1];
  const [dh, dw] = cs.dilation ?? [1, 1];
  const [padT, padB, padL, padR] = cs.pads ?? [0, 0, 0, 0];
  return {
    n: cs.n, h: cs.h, w: cs.w, c: cs.c, kh: cs.kh, kw: cs.kw, sh, sw, dh, dw, padT, padL,
    oh: convOut(cs.h, cs.kh, sh, dh, padT, padB),
    ow: convOut(cs.w, cs.kw, sw, dw, padL, padR),
    circular: cs.circular ?? false,
  };
}

const P1: [number, number, number, number] = [1, 1, 1, 1];

const CASES: DwconvCase[] = [
  { name: 'c = 1, 3x3 pad 1', n: 1, h: 5, w: 6, c: 1, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'identity' },
  { name: 'c = 3, 3x3 pad 1', n: 1, h: 6, w: 5, c: 3, kh: 3, kw: 3, pads: P1, bias: false, epilogue: 'identity' },
  { name: 'c = 4, 3x3 pad 1, relu', n: 1, h: 7, w: 7, c: 4, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'relu' },
  { name: 'c = 5, 3x3 no pad', n: 1, h: 6, w: 6, c: 5, kh: 3, kw: 3, bias: true, epilogue: 'identity' },
  { name: 'c = 8, 3x3 stride 2 pad 1, relu6', n: 1, h: 9, w: 8, c: 8, kh: 3, kw: 3, stride: [2, 2], pads: P1, bias: true, epilogue: 'relu6', xRange: 6 },
  { name: 'c = 13, 3x3 pad 1, leaky', n: 1, h: 6, w: 7, c: 13, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'leaky' },
  { name: 'c = 13, 5x5 stride 2 pad 2', n: 1, h: 11, w: 10, c: 13, kh: 5, kw: 5, stride: [2, 2], pads: [2, 2, 2, 2], bias: false, epilogue: 'relu' },
  { name: 'c = 8, dilation 2 pad 2', n: 1, h: 8, w: 9, c: 8, kh: 3, kw: 3, dilation: [2, 2], pads: [2, 2, 2, 2], bias: true, epilogue: 'identity' },
  { name: 'c = 5, dilation (1, 3), stride (2, 1)', n: 1, h: 9, w: 10, c: 5, kh: 3, kw: 3, dilation: [1, 3], stride: [2, 1], pads: [1, 0, 3, 3], bias: true, epilogue: 'identity' },
  { name: 'c = 3, asymmetric pads (0, 1, 1, 0)', n: 1, h: 7, w: 8, c: 3, kh: 3, kw: 3, stride: [2, 2], pads: [0, 1, 1, 0], bias: true, epilogue: 'leaky' },
  { name: 'c = 4, 1x1', n: 1, h: 3, w: 4, c: 4, kh: 1, kw: 1, bias: true, epilogue: 'identity' },
  { name: 'c = 13, 3x1 and 1x3 shapes', n: 1, h: 6, w: 5, c: 13, kh: 3, kw: 1, pads: [1, 1, 0, 0], bias: true, epilogue: 'identity' },
  { name: 'c = 5, windows wholly in the padding (bias only)', n: 1, h: 2, w: 3, c: 5, kh: 3, kw: 3, pads: [4, 4, 4, 4], bias: true, epilogue: 'relu' },
  { name: 'c = 8, windows wholly in the padding, no bias', n: 1, h: 2, w: 2, c: 8, kh: 2, kw: 2, pads: [3, 3, 3, 3], bias: false, epilogue: 'leaky' },
  { name: 'c = 4, circular pad 1', n: 1, h: 5, w: 6, c: 4, kh: 3, kw: 3, pads: P1, circular: true, bias: true, epilogue: 'identity' },
  { name: 'c = 13, circular pad 2 dilation 2 stride 2', n: 1, h: 7, w: 6, c: 13, kh: 3, kw: 3, stride: [2, 2], dilation: [2, 2], pads: [2, 2, 2, 2], circular: true, bias: false, epilogue: 'relu' },
  { name: 'c = 5, circular pads larger than the input', n: 1, h: 2, w: 3, c: 5, kh: 3, kw: 3, pads: [5, 4, 7, 6], circular: true, bias: true, epilogue: 'identity' },
  { name: 'c = 1, circular asymmetric', n: 1, h: 4, w: 3, c: 1, kh: 4, kw: 2, pads: [3, 0, 0, 4], circular: true, bias: true, epilogue: 'leaky' },
  { name: 'batch 2, c = 13, pad 1', n: 2, h: 5, w: 4, c: 13, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'relu6', xRange: 6 },
  { name: 'batch 2, c = 8, circular stride 2', n: 2, h: 6, w: 6, c: 8, kh: 3, kw: 3, stride: [2, 2], pads: P1, circular: true, bias: true, epilogue: 'identity' },
  { name: 'c = 32, 7x7 pad 3', n: 1, h: 9, w: 9, c: 32, kh: 7, kw: 7, pads: [3, 3, 3, 3], bias: true, epilogue: 'identity' },
  // The specialised 3x3 path (dilation 1, zero pads of at most one per side): every combination of
  // missing window rows / columns, stride 1 and 2, channel counts around its 4-channel step.
  { name: '3x3: c = 16, 1x1 image, pad 1 (only the centre tap)', n: 1, h: 1, w: 1, c: 16, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'identity' },
  { name: '3x3: c = 8, 2x2 image, pad 1', n: 1, h: 2, w: 2, c: 8, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'relu' },
  { name: '3x3: c = 12, one row, pad 1', n: 1, h: 1, w: 6, c: 12, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'leaky' },
  { name: '3x3: c = 4, one column, pad 1', n: 1, h: 6, w: 1, c: 4, kh: 3, kw: 3, pads: P1, bias: false, epilogue: 'identity' },
  { name: '3x3: c = 17, stride 2, odd size 7x9, pad 1', n: 1, h: 7, w: 9, c: 17, kh: 3, kw: 3, stride: [2, 2], pads: P1, bias: true, epilogue: 'relu6', xRange: 6 },
  { name: '3x3: c = 24, stride 2, same as TF (pads 0, 1, 0, 1)', n: 1, h: 8, w: 8, c: 24, kh: 3, kw: 3, stride: [2, 2], pads: [0, 1, 0, 1], bias: true, epilogue: 'relu6', xRange: 6 },
  { name: '3x3: c = 20, stride 2, pads (1, 0, 0, 1)', n: 1, h: 9, w: 10, c: 20, kh: 3, kw: 3, stride: [2, 2], pads: [1, 0, 0, 1], bias: true, epilogue: 'leaky' },
  { name: '3x3: c = 6, stride (1, 2), pads (0, 1, 1, 0)', n: 1, h: 6, w: 9, c: 6, kh: 3, kw: 3, stride: [1, 2], pads: [0, 1, 1, 0], bias: true, epilogue: 'identity' },
  { name: '3x3: c = 7, stride (2, 1), no pad', n: 1, h: 9, w: 6, c: 7, kh: 3, kw: 3, stride: [2, 1], bias: false, epilogue: 'relu' },
  { name: '3x3: c = 32, 17x17 pad 1, relu6', n: 1, h: 17, w: 17, c: 32, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'relu6', xRange: 6 },
  { name: '3x3: c = 32, 17x17 stride 2 pad 1, no bias', n: 1, h: 17, w: 17, c: 32, kh: 3, kw: 3, stride: [2, 2], pads: P1, bias: false, epilogue: 'leaky' },
  { name: '3x3: batch 3, c = 36, 5x6 pad 1', n: 3, h: 5, w: 6, c: 36, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'relu6', xRange: 6 },
  { name: '3x3: batch 2, c = 9, stride 2, 2x3 image', n: 2, h: 2, w: 3, c: 9, kh: 3, kw: 3, stride: [2, 2], pads: P1, bias: true, epilogue: 'identity' },
  // Rows whose input pixels are a multiple of 512 bytes apart run in tiles of a few columns: edge
  // pixels in the first and last tile, tiles of 2, 4, 8, 10 and 19 pixels plus a short last one.
  { name: '3x3 tiled: c = 128, stride 2, 5x11, pad 1 (tiles of 4)', n: 1, h: 5, w: 11, c: 128, kh: 3, kw: 3, stride: [2, 2], pads: P1, bias: true, epilogue: 'relu6', xRange: 6 },
  { name: '3x3 tiled: c = 64, stride 2, TF same (0, 1, 0, 1), 6x25 (tiles of 10)', n: 1, h: 6, w: 25, c: 64, kh: 3, kw: 3, stride: [2, 2], pads: [0, 1, 0, 1], bias: true, epilogue: 'leaky' },
  { name: '3x3 tiled: c = 128, 4x23 pad 1 (tiles of 19)', n: 1, h: 4, w: 23, c: 128, kh: 3, kw: 3, pads: P1, bias: false, epilogue: 'identity' },
  { name: '3x3 tiled: c = 256, 3x11 pad 1 (tiles of 8)', n: 1, h: 3, w: 11, c: 256, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'relu' },
  { name: '3x3 tiled: c = 256, stride 2, 3x9, no pad (tiles of 2)', n: 1, h: 3, w: 9, c: 256, kh: 3, kw: 3, stride: [2, 2], bias: true, epilogue: 'identity' },
  { name: '3x3 stride 3 pad 1 (generic path)', n: 1, h: 10, w: 11, c: 8, kh: 3, kw: 3, stride: [3, 3], pads: P1, bias: true, epilogue: 'relu' },
  { name: '3x3 with pad 2 (generic path)', n: 1, h: 6, w: 6, c: 8, kh: 3, kw: 3, pads: [2, 2, 2, 2], bias: true, epilogue: 'relu' },
  { name: '3x3 with bottom overhang 2 (generic path)', n: 1, h: 6, w: 7, c: 12, kh: 3, kw: 3, pads: [1, 2, 1, 2], bias: true, epilogue: 'identity' },
];

describe.each(FLAVORS)('f32_dwconv (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each(CASES)('$name', (cs) => {
    const g = geometry(cs);
    const e = EPILOGUES[cs.epilogue];
    const seed = g.c * 101 + g.h * 7 + g.kh;
    h.reset();
    const r = cs.xRange ?? 1;
    const x = random(g.n * g.h * g.w * g.c, seed, -r, r);
    const weights = random(g.kh * g.kw * g.c, seed + 1);
    const bias = cs.bias ? random(g.c, seed + 2) : null;
    const px = h.put(x);
    const pw = h.put(weights);
    const pb = bias ? h.put(bias) : 0;
    const len = g.n * g.oh * g.ow * g.c;
    const out = putOutput(h, len);
    h.k.f32_dwconv(
      px, g.n, g.h, g.w, g.c, pw, pb, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw,
      g.padT, g.padL, g.oh, g.ow, g.circular ? 1 : 0, out, e.min, e.max, e.alpha, 0, g.n * g.oh,
    );
    checkOutput(h, out, refDwconv(x, g, weights, bias, e), TOL, `${flavor} ${cs.name}`);
  });
});

// Output-row ranges (threads split a batch by global rows img * oh + oy): a range writes its rows and
// nothing else, and ranges that tile [0, n * oh) give the full result, also across image boundaries.
const RANGE_CASES: DwconvCase[] = [
  { name: '3x3 pad 1, c = 13', n: 1, h: 9, w: 7, c: 13, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'relu6', xRange: 6 },
  { name: '3x3 stride 2 pad 1, c = 20', n: 1, h: 11, w: 9, c: 20, kh: 3, kw: 3, stride: [2, 2], pads: P1, bias: true, epilogue: 'leaky' },
  { name: '3x3 stride 2 TF same (0, 1, 0, 1), c = 7', n: 1, h: 10, w: 8, c: 7, kh: 3, kw: 3, stride: [2, 2], pads: [0, 1, 0, 1], bias: false, epilogue: 'identity' },
  { name: 'batch 2, 3x3 pad 1, c = 5', n: 2, h: 5, w: 6, c: 5, kh: 3, kw: 3, pads: P1, bias: true, epilogue: 'relu' },
  { name: 'batch 2, 3x3 stride 2, c = 36', n: 2, h: 7, w: 7, c: 36, kh: 3, kw: 3, stride: [2, 2], pads: P1, bias: true, epilogue: 'identity' },
  { name: 'batch 2, 3x3 no pad, c = 1', n: 2, h: 6, w: 5, c: 1, kh: 3, kw: 3, bias: true, epilogue: 'identity' },
  { name: 'batch 2, 3x3 stride 2 tiled, c = 128', n: 2, h: 5, w: 11, c: 128, kh: 3, kw: 3, stride: [2, 2], pads: P1, bias: true, epilogue: 'relu' },
  { name: 'batch 3, 5x5 stride 2 pad 2, c = 13 (generic)', n: 3, h: 9, w: 8, c: 13, kh: 5, kw: 5, stride: [2, 2], pads: [2, 2, 2, 2], bias: true, epilogue: 'relu' },
  { name: 'batch 2, circular 3x3, c = 8 (generic)', n: 2, h: 5, w: 4, c: 8, kh: 3, kw: 3, pads: P1, circular: true, bias: false, epilogue: 'leaky' },
];

describe.each(FLAVORS)('f32_dwconv output-row ranges (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each(RANGE_CASES)('$name', (cs) => {
    const g = geometry(cs);
    const e = EPILOGUES[cs.epilogue];
    const seed = g.c * 31 + g.w * 5 + g.n;
    const rows = g.n * g.oh;
    const rowFloats = g.ow * g.c;
    h.reset();
    const r = cs.xRange ?? 1;
    const x = random(g.n * g.h * g.w * g.c, seed, -r, r);
    const weights = random(g.kh * g.kw * g.c, seed + 1);
    const bias = cs.bias ? random(g.c, seed + 2) : null;
    const px = h.put(x);
    const pw = h.put(weights);
    const pb = bias ? h.put(bias) : 0;
    const len = rows * rowFloats;
    const full = refDwconv(x, g, weights, bias, e);
    const call = (out: number, r0: number, r1: number) =>
      h.k.f32_dwconv(
        px, g.n, g.h, g.w, g.c, pw, pb, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw,
        g.padT, g.padL, g.oh, g.ow, g.circular ? 1 : 0, out, e.min, e.max, e.alpha, r0, r1,
      );

    // Every sub-range [r0, r1), the empty ones included: its rows as the reference, sentinels elsewhere.
    for (let r0 = 0; r0 <= rows; r0++) {
      for (let r1 = r0; r1 <= rows; r1++) {
        const out = putOutput(h, len);
        call(out, r0, r1);
        const expected = new Float32Array(len).fill(SENTINEL);
        expected.set(full.subarray(r0 * rowFloats, r1 * rowFloats), r0 * rowFloats);
        checkOutput(h, out, expected, TOL, `${flavor} ${cs.name} rows [${r0}, ${r1})`);
      }
    }

    // Three calls [0, a) + [a, b) + [b, rows) into one buffer equal one full call.
    const a = Math.floor(rows / 3);
    const b = Math.min(rows, a + Math.ceil(rows / 2));
    const whole = putOutput(h, len);
    call(whole, 0, rows);
    const pieces = putOutput(h, len);
    call(pieces, 0, a);
    call(pieces, a, b);
    call(pieces, b, rows);
    checkOutput(h, pieces, h.get(whole, len), EXACT, `${flavor} ${cs.name} [0, ${a}) + [${a}, ${b}) + [${b}, ${rows})`);
    checkOutput(h, whole, full, TOL, `${flavor} ${cs.name} full`);
  });
});

describe.each(FLAVORS)('f32_repeat_channels (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each([
    { rows: 5, c: 3, m: 1 },
    { rows: 7, c: 4, m: 1 },
    { rows: 5, c: 3, m: 2 },
    { rows: 6, c: 8, m: 2 },
    { rows: 5, c: 3, m: 3 },
    { rows: 1, c: 1, m: 3 },
    { rows: 4, c: 5, m: 4 },
    { rows: 3, c: 2, m: 7 },
  ])('rows $rows, c $c, m $m', ({ rows, c, m }) => {
    h.reset();
    const x = random(rows * c, rows * 10 + c * 3 + m);
    const px = h.put(x);
    const len = rows * c * m;
    const out = putOutput(h, len);
    h.k.f32_repeat_channels(px, rows, c, m, out);
    checkOutput(h, out, refRepeatChannels(x, rows, c, m), EXACT, `${flavor} m ${m}`);
  });
});
