import { beforeAll, describe, expect, it } from 'vitest';
import { PAD_MODE } from './abi.js';
import { expectClose, FLAVORS, guardIntact, loadBuild, random, UNWRITTEN, type Harness } from '../test/harness.js';
import * as ref from '../test/reference-pool-elementwise.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const EXACT = { rtol: 0, atol: 0 };

describe.each(FLAVORS)('layout kernels, %s build', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  describe('transpose', () => {
    const shapes: [number, number][] = [[1, 1], [1, 7], [7, 1], [5, 3], [4, 4], [8, 12], [13, 9], [64, 3], [3, 64], [9, 200], [70, 131]];
    describe.each([1, 2])('batch %i', (batch) => {
      it.each(shapes)('%i x %i', (rows, cols) => {
        h.reset();
        const size = batch * rows * cols;
        const data = random(size, rows * 31 + cols);
        const x = h.put(data);
        const out = h.alloc(size);
        h.k.f32_transpose(x, batch, rows, cols, out);
        expectClose(h.get(out, size), ref.transpose(data, batch, rows, cols), EXACT, 'transpose');
        expect(guardIntact(h, out, size)).toBe(true);
      });
    });

    it('round trip (rows, cols) -> (cols, rows) -> (rows, cols)', () => {
      h.reset();
      const data = random(2 * 37 * 21, 5);
      const x = h.put(data);
      const t = h.alloc(data.length);
      const back = h.alloc(data.length);
      h.k.f32_transpose(x, 2, 37, 21, t);
      h.k.f32_transpose(t, 2, 21, 37, back);
      expect(Array.from(h.get(back, data.length))).toEqual(Array.from(data));
    });
  });

  describe('copy_channels', () => {
    it.each([1, 7, 33])('concat of c = 1, 3, 5, 8 and 17 along channels, rows = %i', (rows) => {
      h.reset();
      const parts = [1, 3, 5, 8, 17];
      const cOut = parts.reduce((a, b) => a + b, 0);
      const out = h.alloc(rows * cOut);
      let want: Float32Array = new Float32Array(rows * cOut).fill(UNWRITTEN);
      let cOff = 0;
      for (const cx of parts) {
        const data = random(rows * cx, rows + cx);
        h.k.f32_copy_channels(h.put(data), rows, cx, out, cOut, cOff);
        want = ref.copyChannels(data, rows, cx, want, cOut, cOff);
        // Channels not yet written must still hold the UNWRITTEN fill.
        expectClose(h.get(out, rows * cOut), want, EXACT, `after cOff ${cOff}`);
        cOff += cx;
      }
      expect(h.get(out, rows * cOut).some((v) => v === UNWRITTEN)).toBe(false);
      expect(guardIntact(h, out, rows * cOut)).toBe(true);
    });

    it.each([[1, 1], [3, 4], [5, 17], [1000, 3]])('cx = cOut (one contiguous copy), rows = %i, c = %i', (rows, c) => {
      h.reset();
      const data = random(rows * c, 9);
      const out = h.alloc(rows * c);
      h.k.f32_copy_channels(h.put(data), rows, c, out, c, 0);
      expect(Array.from(h.get(out, rows * c))).toEqual(Array.from(data));
      expect(guardIntact(h, out, rows * c)).toBe(true);
    });
  });

  describe('pad', () => {
    const modes = ['constant', 'reflect', 'edge', 'circular'] as const;
    // [n, h, w, c, padT, padB, padL, padR]
    const shapes: [number, number, number, number, number, number, number, number][] = [
      [1, 1, 1, 1, 1, 1, 1, 1],
      [1, 3, 4, 1, 1, 1, 1, 1],
      [2, 4, 3, 3, 2, 1, 0, 2],
      [1, 5, 5, 4, 0, 0, 3, 0],
      [2, 3, 2, 5, 1, 2, 1, 1],
      [1, 4, 6, 8, 3, 3, 3, 3],
      [1, 2, 3, 17, 2, 0, 1, 2],
      // Pads larger than the input: reflect folds back and forth, circular wraps several times.
      [1, 2, 3, 3, 5, 7, 4, 8],
      [2, 3, 2, 5, 9, 4, 6, 11],
      [1, 1, 4, 3, 3, 2, 9, 9],
      [1, 4, 1, 1, 6, 6, 2, 3],
      // Negative pads crop.
      [1, 5, 6, 3, -1, 2, 1, -2],
      [1, 4, 4, 4, -2, -1, -3, 0],
    ];
    describe.each(modes)('%s', (mode) => {
      it.each(shapes)('n %i, %i x %i x %i, pads T %i B %i L %i R %i', (n, hh, w, c, padT, padB, padL, padR) => {
        h.reset();
        const data = random(n * hh * w * c, hh * 100 + w * 10 + c);
        const oh = hh + padT + padB;
        const ow = w + padL + padR;
        const size = n * oh * ow * c;
        const x = h.put(data);
        const out = h.alloc(size);
        h.k.f32_pad(x, n, hh, w, c, padT, padB, padL, padR, PAD_MODE[mode], -2.5, out);
        expectClose(h.get(out, size), ref.pad(data, n, hh, w, c, padT, padB, padL, padR, mode, -2.5), EXACT, mode);
        expect(guardIntact(h, out, size)).toBe(true);
      });
    });

    it('matches numpy on a 1-D example with pads wider than the input', () => {
      h.reset();
      const x = h.put([1, 2, 3]);
      const run = (mode: number): number[] => {
        const out = h.alloc(17);
        h.k.f32_pad(x, 1, 1, 3, 1, 0, 0, 7, 7, mode, 0, out);
        return Array.from(h.get(out, 17));
      };
      // np.pad([1, 2, 3], 7, mode)
      expect(run(PAD_MODE.reflect)).toEqual([2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2]);
      expect(run(PAD_MODE.circular)).toEqual([3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]);
      expect(run(PAD_MODE.edge)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3]);
    });
  });

  describe('softmax', () => {
    const cases: [string, number, number, number][] = [
      // [label, rows, cols, value range]
      ['cols = 1', 4, 1, 5],
      ['cols = 3', 3, 3, 5],
      ['cols = 4', 2, 4, 5],
      ['cols = 5', 3, 5, 5],
      ['cols = 10', 5, 10, 10],
      ['cols = 17', 2, 17, 10],
      ['cols = 1000', 3, 1000, 10],
      ['large values, cols = 1', 3, 1, 1e4],
      ['large values, cols = 3', 4, 3, 1e4],
      ['large values, cols = 10', 4, 10, 1e4],
      ['large values, cols = 1000', 2, 1000, 1e4],
    ];
    it.each(cases)('%s', (_, rows, cols, range) => {
      h.reset();
      const data = random(rows * cols, rows * 13 + cols, -range, range);
      const x = h.put(data);
      const out = h.alloc(rows * cols);
      h.k.f32_softmax(x, rows, cols, out);
      const got = h.get(out, rows * cols);
      expectClose(got, ref.softmax(data, rows, cols), TOL, 'softmax');
      expect(guardIntact(h, out, rows * cols)).toBe(true);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let i = 0; i < cols; i++) s += got[r * cols + i];
        expect(s).toBeCloseTo(1, 5);
      }
    });

    it('in place, and all-equal rows give 1 / cols', () => {
      h.reset();
      const rows = 3;
      const cols = 7;
      const data = random(rows * cols, 77, -30, 30);
      const x = h.put(data);
      h.k.f32_softmax(x, rows, cols, x);
      expectClose(h.get(x, rows * cols), ref.softmax(data, rows, cols), TOL, 'in place');
      const flat = h.put(new Float32Array(9).fill(1e4));
      h.k.f32_softmax(flat, 1, 9, flat);
      expectClose(h.get(flat, 9), new Float32Array(9).fill(1 / 9), TOL, 'flat');
    });
  });

  describe('scale_shift', () => {
    describe.each([1, 3, 4, 5, 8, 17])('c = %i', (c) => {
      it.each([1, 7, 64])('rows = %i', (rows) => {
        h.reset();
        const data = random(rows * c, rows + c * 3, -4, 4);
        const scale = random(c, c + 1, -2, 2);
        const shift = random(c, c + 2, -1, 1);
        const x = h.put(data);
        const out = h.alloc(rows * c);
        h.k.f32_scale_shift(x, rows, c, h.put(scale), h.put(shift), out);
        expectClose(h.get(out, rows * c), ref.scaleShift(data, rows, c, scale, shift), TOL, 'scale_shift');
        expect(guardIntact(h, out, rows * c)).toBe(true);
        h.k.f32_scale_shift(x, rows, c, h.put(scale), h.put(shift), x);
        expectClose(h.get(x, rows * c), ref.scaleShift(data, rows, c, scale, shift), TOL, 'in place');
      });
    });
  });
});
