import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, FLAVORS, guardIntact, loadBuild, random, type Harness } from '../test/harness.js';
import { avgpool, globalPool, maxpool, poolOut, type Pool2d } from '../test/reference-pool-elementwise.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const EXACT = { rtol: 0, atol: 0 };

const base: Pool2d = { n: 1, h: 5, w: 5, c: 1, kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1, padT: 0, padB: 0, padL: 0, padR: 0 };
const cases: [string, Partial<Pool2d>][] = [
  ['2x2 stride 2, c = 1', { h: 4, w: 4 }],
  ['3x3 stride 1 pad 1, c = 3', { kh: 3, kw: 3, sh: 1, sw: 1, padT: 1, padB: 1, padL: 1, padR: 1, c: 3 }],
  ['3x3 stride 2 pad 1, c = 4, n = 2', { n: 2, h: 7, w: 6, kh: 3, kw: 3, padT: 1, padB: 1, padL: 1, padR: 1, c: 4 }],
  ['asymmetric pads and strides, c = 5', { h: 6, w: 7, kh: 3, kw: 2, sh: 2, sw: 3, padT: 0, padB: 2, padL: 1, padR: 0, c: 5 }],
  ['dilation 2, c = 8', { h: 9, w: 8, kh: 3, kw: 3, sh: 1, sw: 2, dh: 2, dw: 2, padT: 2, padB: 1, padL: 2, padR: 2, c: 8 }],
  ['dilation 3x2 with pads, c = 17, n = 2', { n: 2, h: 8, w: 9, kh: 2, kw: 3, sh: 2, sw: 1, dh: 3, dw: 2, padT: 1, padB: 3, padL: 0, padR: 2, c: 17 }],
  // Pads as large as the window: the corner windows lie wholly in the padding.
  ['windows wholly in padding, c = 3', { h: 3, w: 4, kh: 2, kw: 2, sh: 1, sw: 1, padT: 2, padB: 3, padL: 2, padR: 2, c: 3 }],
  ['windows wholly in padding, dilated, c = 17', { h: 4, w: 3, kh: 2, kw: 2, sh: 3, sw: 2, dh: 2, dw: 3, padT: 4, padB: 4, padL: 3, padR: 5, c: 17 }],
  // Ceil mode: the last windows run past h + padB / w + padR, where countIncludePad stops counting.
  ['ceil mode, c = 5', { h: 6, w: 5, kh: 3, kw: 2, sh: 2, sw: 2, padT: 1, padB: 1, padL: 0, padR: 0, c: 5, ceil: true }],
  ['ceil mode dilated, c = 8, n = 2', { n: 2, h: 7, w: 8, kh: 2, kw: 3, sh: 3, sw: 2, dh: 2, dw: 2, padT: 1, padB: 0, padL: 1, padR: 1, c: 8, ceil: true }],
  ['global-sized window, c = 9', { h: 7, w: 7, kh: 7, kw: 7, sh: 1, sw: 1, c: 9 }],
  ['1x1 window stride 1, c = 12', { h: 3, w: 2, kh: 1, kw: 1, sh: 1, sw: 1, c: 12 }],
];

describe.each(FLAVORS)('pooling, %s build', (flavor) => {
  let hh: Harness;
  beforeAll(async () => {
    hh = await loadBuild(flavor);
  });

  describe.each(cases)('%s', (_, over) => {
    const p: Pool2d = { ...base, ...over };
    const { oh, ow } = poolOut(p);
    const size = p.n * oh * ow * p.c;
    const data = random(p.n * p.h * p.w * p.c, 11 + p.c * 7 + p.h, -5, 5);

    it('maxpool', () => {
      hh.reset();
      const x = hh.put(data);
      const out = hh.alloc(size);
      hh.k.f32_maxpool(x, p.n, p.h, p.w, p.c, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.padT, p.padL, oh, ow, out);
      expectClose(hh.get(out, size), maxpool(data, p), EXACT, 'maxpool');
      expect(guardIntact(hh, out, size)).toBe(true);
    });

    it.each([0, 1])('avgpool countIncludePad = %i', (cip) => {
      hh.reset();
      const x = hh.put(data);
      const out = hh.alloc(size);
      hh.k.f32_avgpool(
        x, p.n, p.h, p.w, p.c, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw,
        p.padT, p.padB, p.padL, p.padR, oh, ow, cip, out,
      );
      expectClose(hh.get(out, size), avgpool(data, p, cip === 1), TOL, 'avgpool');
      expect(guardIntact(hh, out, size)).toBe(true);
    });
  });

  it('wholly padded windows give -Infinity (max) and 0 (avg)', () => {
    hh.reset();
    const p: Pool2d = { ...base, h: 2, w: 2, c: 5, kh: 2, kw: 2, sh: 1, sw: 1, padT: 2, padB: 0, padL: 2, padR: 0 };
    const { oh, ow } = poolOut(p);
    const x = hh.put(random(2 * 2 * 5, 3));
    const mx = hh.alloc(oh * ow * 5);
    const av = hh.alloc(oh * ow * 5);
    const avIncl = hh.alloc(oh * ow * 5);
    hh.k.f32_maxpool(x, 1, 2, 2, 5, 2, 2, 1, 1, 1, 1, 2, 2, oh, ow, mx);
    hh.k.f32_avgpool(x, 1, 2, 2, 5, 2, 2, 1, 1, 1, 1, 2, 0, 2, 0, oh, ow, 0, av);
    hh.k.f32_avgpool(x, 1, 2, 2, 5, 2, 2, 1, 1, 1, 1, 2, 0, 2, 0, oh, ow, 1, avIncl);
    // Output pixel (0, 0) covers input rows/cols -2..-1 only.
    expect(Array.from(hh.get(mx, 5))).toEqual([-Infinity, -Infinity, -Infinity, -Infinity, -Infinity]);
    expect(Array.from(hh.get(av, 5))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(hh.get(avIncl, 5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('countIncludePad divides by the taps inside the padded extent only', () => {
    hh.reset();
    // 3x3 input of ones, 3x3 window, stride 2, padT = padL = 1, padB = padR = 0: one output pixel.
    const p: Pool2d = { ...base, h: 3, w: 3, c: 1, kh: 3, kw: 3, sh: 2, sw: 2, padT: 1, padB: 0, padL: 1, padR: 0 };
    const { oh, ow } = poolOut(p);
    expect([oh, ow]).toEqual([1, 1]);
    const x = hh.put(new Float32Array(9).fill(1));
    const incl = hh.alloc(1);
    const excl = hh.alloc(1);
    hh.k.f32_avgpool(x, 1, 3, 3, 1, 3, 3, 2, 2, 1, 1, 1, 0, 1, 0, oh, ow, 1, incl);
    hh.k.f32_avgpool(x, 1, 3, 3, 1, 3, 3, 2, 2, 1, 1, 1, 0, 1, 0, oh, ow, 0, excl);
    // Window rows/cols -1..1: 4 input taps, 9 taps inside the padded extent.
    expect(hh.get(incl, 1)[0]).toBeCloseTo(4 / 9, 6);
    expect(hh.get(excl, 1)[0]).toBe(1);
  });

  describe.each([1, 3, 4, 5, 8, 17])('global pooling c = %i', (c) => {
    it.each([1, 7, 49])('hw = %i, n = 2', (hw) => {
      hh.reset();
      const n = 2;
      const data = random(n * hw * c, 100 + hw + c, -3, 3);
      const x = hh.put(data);
      const avg = hh.alloc(n * c);
      const mx = hh.alloc(n * c);
      hh.k.f32_global_avgpool(x, n, hw, c, avg);
      hh.k.f32_global_maxpool(x, n, hw, c, mx);
      expectClose(hh.get(avg, n * c), globalPool(data, n, hw, c, 'avg'), TOL, 'global avg');
      expectClose(hh.get(mx, n * c), globalPool(data, n, hw, c, 'max'), EXACT, 'global max');
      expect(guardIntact(hh, avg, n * c)).toBe(true);
      expect(guardIntact(hh, mx, n * c)).toBe(true);
    });
  });
});
