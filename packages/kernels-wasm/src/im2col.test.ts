import { beforeAll, describe, expect, it } from 'vitest';
import { FLAVORS, loadBuild, random, type Harness } from '../test/harness.js';
import { checkOutput, convOut, putOutput, refIm2col, type ConvGeometry } from '../test/reference-gemm-conv.js';

// im2col only copies: exact.
const EXACT = { rtol: 0, atol: 0 };

interface Im2colCase {
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
  /** Channel slice [cOff, cOff + cg); default all channels. */
  cOff?: number;
  cg?: number;
  /** Row chunk; default all rows. */
  rowStart?: number;
  rowCount?: number;
}

function geometry(cs: Im2colCase): ConvGeometry {
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

const CASES: Im2colCase[] = [
  { name: '1x1, no padding', n: 1, h: 4, w: 5, c: 6, kh: 1, kw: 1 },
  { name: '3x3 pad 1, c = 3 (contiguous kernel rows)', n: 1, h: 6, w: 7, c: 3, kh: 3, kw: 3, pads: [1, 1, 1, 1] },
  { name: '3x3 pad 1, c = 1', n: 1, h: 5, w: 5, c: 1, kh: 3, kw: 3, pads: [1, 1, 1, 1] },
  { name: '3x3 stride 2, asymmetric pads', n: 1, h: 9, w: 8, c: 5, kh: 3, kw: 3, stride: [2, 2], pads: [0, 1, 1, 0] },
  { name: 'stride (1, 3), pads (2, 0, 0, 2)', n: 1, h: 7, w: 10, c: 4, kh: 3, kw: 2, stride: [1, 3], pads: [2, 0, 0, 2] },
  { name: '7x7 stride 2 pad 3, c = 3 (stem)', n: 1, h: 16, w: 15, c: 3, kh: 7, kw: 7, stride: [2, 2], pads: [3, 3, 3, 3] },
  { name: 'dilation 2, pad 2', n: 1, h: 8, w: 9, c: 4, kh: 3, kw: 3, dilation: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'dilation (3, 1), stride (1, 2)', n: 1, h: 10, w: 9, c: 2, kh: 3, kw: 3, dilation: [3, 1], stride: [1, 2], pads: [1, 0, 1, 1] },
  { name: 'kernel wider than the padded input row', n: 1, h: 3, w: 2, c: 3, kh: 3, kw: 5, pads: [1, 1, 2, 2] },
  { name: 'circular pad 1', n: 1, h: 5, w: 6, c: 3, kh: 3, kw: 3, pads: [1, 1, 1, 1], circular: true },
  { name: 'circular pad 2, dilation 2, stride 2', n: 1, h: 7, w: 6, c: 5, kh: 3, kw: 3, stride: [2, 2], dilation: [2, 2], pads: [2, 2, 2, 2], circular: true },
  { name: 'circular pads larger than the input', n: 1, h: 2, w: 3, c: 4, kh: 3, kw: 3, pads: [5, 4, 7, 6], circular: true },
  { name: 'circular, asymmetric pads, c = 1', n: 2, h: 3, w: 4, c: 1, kh: 4, kw: 2, pads: [3, 0, 0, 5], circular: true },
  { name: 'channel slice [2, 5) of 8 (group)', n: 1, h: 5, w: 5, c: 8, kh: 3, kw: 3, pads: [1, 1, 1, 1], cOff: 2, cg: 3 },
  { name: 'channel slice [8, 16) of 16, stride 2', n: 2, h: 6, w: 6, c: 16, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 1, 1], cOff: 8, cg: 8 },
  { name: 'channel slice, 1x1 (grouped pointwise)', n: 1, h: 3, w: 4, c: 12, kh: 1, kw: 1, cOff: 4, cg: 4 },
  { name: 'channel slice [1, 2) of 3, circular', n: 1, h: 4, w: 4, c: 3, kh: 3, kw: 3, pads: [1, 1, 1, 1], cOff: 1, cg: 1, circular: true },
  { name: 'chunk: rows [7, 20)', n: 1, h: 6, w: 7, c: 3, kh: 3, kw: 3, pads: [1, 1, 1, 1], rowStart: 7, rowCount: 13 },
  { name: 'chunk: one row in the middle', n: 1, h: 6, w: 7, c: 5, kh: 3, kw: 3, pads: [1, 1, 1, 1], rowStart: 23, rowCount: 1 },
  { name: 'batch 2, all rows', n: 2, h: 5, w: 4, c: 6, kh: 3, kw: 3, stride: [2, 1], pads: [1, 1, 1, 1] },
  { name: 'batch 2, chunk across the image boundary', n: 2, h: 5, w: 4, c: 6, kh: 3, kw: 3, pads: [1, 1, 1, 1], rowStart: 11, rowCount: 17 },
  { name: 'runs of 21 floats (16 + 4 + 1), 3x3 pad 1, c = 7', n: 1, h: 5, w: 6, c: 7, kh: 3, kw: 3, pads: [1, 1, 1, 1] },
  { name: 'runs of 100 floats clipped by two taps, 5x5 stride 2 pad 2, c = 20', n: 1, h: 9, w: 8, c: 20, kh: 5, kw: 5, stride: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'runs, window wider than the input on both sides, c = 16', n: 1, h: 3, w: 2, c: 16, kh: 3, kw: 6, pads: [1, 1, 3, 2] },
  { name: 'runs, circular clipped rows take taps one by one, c = 16', n: 1, h: 4, w: 5, c: 16, kh: 3, kw: 3, pads: [1, 1, 1, 1], circular: true },
  { name: 'per tap: channel slice [5, 10) of 10, dilation 1, pad 1', n: 1, h: 5, w: 5, c: 10, kh: 3, kw: 3, pads: [1, 1, 1, 1], cOff: 5, cg: 5 },
  { name: 'batch 2, chunk in the second image, circular', n: 2, h: 4, w: 5, c: 3, kh: 3, kw: 3, pads: [2, 1, 1, 2], circular: true, rowStart: 27, rowCount: 9 },
];

describe.each(FLAVORS)('f32_im2col (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each(CASES)('$name', (cs) => {
    const g = geometry(cs);
    const cOff = cs.cOff ?? 0;
    const cg = cs.cg ?? cs.c;
    const rows = g.n * g.oh * g.ow;
    const rowStart = cs.rowStart ?? 0;
    const rowCount = cs.rowCount ?? rows - rowStart;
    expect(rowStart + rowCount).toBeLessThanOrEqual(rows);
    h.reset();
    const x = random(g.n * g.h * g.w * g.c, rows * 13 + g.c);
    const px = h.put(x);
    const len = rowCount * g.kh * g.kw * cg;
    const out = putOutput(h, len);
    h.k.f32_im2col(
      px, g.n, g.h, g.w, g.c, cOff, cg, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw,
      g.padT, g.padL, g.oh, g.ow, g.circular ? 1 : 0, rowStart, rowCount, out,
    );
    checkOutput(h, out, refIm2col(x, g, cOff, cg, rowStart, rowCount), EXACT, `${flavor} ${cs.name}`);
  });

  it('chunks of every size tile the whole matrix', () => {
    const cs: Im2colCase = { name: 'chunks', n: 2, h: 5, w: 6, c: 3, kh: 3, kw: 3, stride: [1, 2], pads: [1, 1, 0, 2], circular: true };
    const g = geometry(cs);
    const rows = g.n * g.oh * g.ow;
    const cols = g.kh * g.kw * g.c;
    const x = random(g.n * g.h * g.w * g.c, 77);
    const whole = refIm2col(x, g, 0, g.c, 0, rows);
    for (const chunk of [1, 2, 3, 5, 7, 11, rows]) {
      h.reset();
      const px = h.put(x);
      const out = putOutput(h, rows * cols);
      for (let r = 0; r < rows; r += chunk) {
        const count = Math.min(chunk, rows - r);
        h.k.f32_im2col(px, g.n, g.h, g.w, g.c, 0, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padT, g.padL, g.oh, g.ow, 1, r, count, out + r * cols * 4);
      }
      checkOutput(h, out, whole, EXACT, `${flavor} chunk ${chunk}`);
    }
  });
});
