// conv2d paths (depthwise with multipliers, pointwise, chunked im2col, groups), activations,
// the lecture's properties (translation equivariance, linearity), and argument errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor, tidy } from '@wcnn/tensor';
import { FLAVORS, expectAllClose, random, useBuild } from '../test/setup.js';
import { refConv2d } from '../test/reference.js';
import { conv2d, type Conv2dOptions } from './index.js';

interface PathCase {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  opts: Conv2dOptions & { strides?: [number, number]; dilations?: [number, number] };
  pads: [number, number, number, number];
}

const PATHS: PathCase[] = [
  { name: 'pointwise 1x1 (no im2col)', x: [2, 5, 7, 13], w: [1, 1, 13, 9], opts: {}, pads: [0, 0, 0, 0] },
  { name: 'pointwise grouped', x: [1, 4, 3, 12], w: [1, 1, 4, 6], opts: { groups: 3 }, pads: [0, 0, 0, 0] },
  { name: 'strided 1x1 (im2col)', x: [1, 9, 9, 5], w: [1, 1, 5, 7], opts: { strides: [2, 2] }, pads: [0, 0, 0, 0] },
  // 7 input channels keep this 3x3 off the Winograd path: 10000 rows x 63 floats is three im2col chunks.
  { name: 'im2col over several chunks', x: [1, 100, 100, 7], w: [3, 3, 7, 10], opts: { padding: 'same' }, pads: [1, 1, 1, 1] },
  { name: 'depthwise, multiplier 1', x: [2, 9, 8, 13], w: [3, 3, 1, 13], opts: { groups: 13, padding: 'same', strides: [2, 1] }, pads: [1, 1, 1, 1] },
  { name: 'depthwise, multiplier 3', x: [1, 7, 6, 5], w: [3, 2, 1, 15], opts: { groups: 5, dilations: [2, 1] }, pads: [0, 0, 0, 0] },
  { name: 'depthwise, circular', x: [1, 6, 5, 8], w: [3, 3, 1, 8], opts: { groups: 8, padding: 'circular' }, pads: [1, 1, 1, 1] },
  { name: 'single channel in, many out', x: [1, 11, 10, 1], w: [5, 5, 1, 6], opts: { padding: [2, 1, 0, 3] }, pads: [2, 1, 0, 3] },
  { name: 'large 11x11 filter (sparse images)', x: [1, 25, 25, 1], w: [11, 11, 1, 4], opts: { padding: 'same' }, pads: [5, 5, 5, 5] },
];

describe.each(FLAVORS)('conv2d on the %s build', (flavor) => {
  beforeAll(() => useBuild(flavor));

  it.each(PATHS.map((c) => [c.name, c] as const))('%s matches the float64 reference', (_n, c) => {
    const xs = random(c.x.reduce((a, b) => a * b), 1);
    const ws = random(c.w.reduce((a, b) => a * b), 2, -0.5, 0.5);
    const bs = random(c.w[3], 3);
    const ref = refConv2d({
      x: xs, xShape: c.x, w: ws, wShape: c.w, bias: bs,
      strides: c.opts.strides ?? [1, 1], dilations: c.opts.dilations ?? [1, 1],
      pads: c.pads, groups: c.opts.groups ?? 1, circular: c.opts.padding === 'circular',
    });
    tidy(() => {
      const y = conv2d(tensor(xs, c.x), tensor(ws, c.w), { ...c.opts, bias: tensor(bs, [c.w[3]]) });
      expect(y.shape).toEqual(ref.shape);
      expectAllClose(y.dataSync(), ref.data, { rtol: 1e-4, atol: 1e-4 }, c.name);
    });
  });

  it.each([
    ['relu', (v: number) => Math.max(v, 0)],
    ['relu6', (v: number) => Math.min(Math.max(v, 0), 6)],
    ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v))],
    ['tanh', Math.tanh],
    ['leakyRelu', (v: number) => (v < 0 ? 0.2 * v : v)],
  ] as const)('fuses the %s activation', (activation, f) => {
    const xs = random(1 * 6 * 6 * 3, 4, -3, 3);
    const ws = random(3 * 3 * 3 * 5, 5);
    const ref = refConv2d({ x: xs, xShape: [1, 6, 6, 3], w: ws, wShape: [3, 3, 3, 5], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], groups: 1, circular: false });
    tidy(() => {
      const y = conv2d(tensor(xs, [1, 6, 6, 3]), tensor(ws, [3, 3, 3, 5]), { padding: 'same', activation });
      expectAllClose(y.dataSync(), ref.data.map(f), { rtol: 1e-4, atol: 1e-5 }, activation);
      const d = conv2d(tensor(xs, [1, 6, 6, 3]), tensor(ws.slice(0, 27), [3, 3, 1, 3]), { padding: 'same', groups: 3, activation: { type: 'clip', min: -0.5, max: 0.25 } });
      expect(d.dataSync().every((v) => v >= -0.5 && v <= 0.25)).toBe(true);
    });
  });

  it('commutes with circular shifts when padding is circular (translation equivariance)', () => {
    const [h, w, c] = [9, 12, 3];
    const xs = random(h * w * c, 6);
    const roll = (a: Float32Array, hh: number, ww: number, cc: number, dy: number, dx: number) => {
      const out = new Float32Array(a.length);
      for (let y = 0; y < hh; y++) for (let x = 0; x < ww; x++) for (let ch = 0; ch < cc; ch++)
        out[(((y + dy) % hh) * ww + ((x + dx) % ww)) * cc + ch] = a[(y * ww + x) * cc + ch];
      return out;
    };
    tidy(() => {
      const wt = tensor(random(5 * 3 * c * 4, 7), [5, 3, c, 4]);
      const opts: Conv2dOptions = { padding: 'circular', dilations: [1, 2], bias: tensor([0.1, -0.2, 0.3, 0], [4]) };
      const y = conv2d(tensor(xs, [1, h, w, c]), wt, opts).dataSync();
      for (const [dy, dx] of [[1, 0], [0, 5], [4, 7]]) {
        const yShifted = conv2d(tensor(roll(xs, h, w, c, dy, dx), [1, h, w, c]), wt, opts).dataSync();
        expectAllClose(yShifted, roll(y, h, w, 4, dy, dx), { rtol: 1e-5, atol: 1e-5 }, `shift ${dy},${dx}`);
      }
    });
  });

  it('is linear: conv(a x1 + b x2) = a conv(x1) + b conv(x2)', () => {
    const shape: [number, number, number, number] = [2, 8, 7, 6];
    const n = shape.reduce((p, q) => p * q);
    const x1 = random(n, 8);
    const x2 = random(n, 9);
    const [a, b] = [0.75, -2.5];
    const mix = x1.map((v, i) => a * v + b * x2[i]);
    tidy(() => {
      for (const opts of [{ padding: 'same', strides: [2, 1] }, { groups: 6, padding: 'valid' }, { groups: 2, dilations: 2, padding: 'full' }] as Conv2dOptions[]) {
        const cpg = 6 / (opts.groups ?? 1);
        const wt = tensor(random(9 * cpg * 6, 10), [3, 3, cpg, 6]);
        const y1 = conv2d(tensor(x1, shape), wt, opts).dataSync();
        const y2 = conv2d(tensor(x2, shape), wt, opts).dataSync();
        const ym = conv2d(tensor(mix, shape), wt, opts).dataSync();
        expectAllClose(ym, y1.map((v, i) => a * v + b * y2[i]), { rtol: 1e-4, atol: 1e-4 }, JSON.stringify(opts));
      }
    });
  });

  it('leaves memory() unchanged after tidy', () => {
    const before = memory();
    tidy(() => {
      const x = tensor(random(1 * 10 * 10 * 4, 11), [1, 10, 10, 4]);
      conv2d(x, tensor(random(36 * 8, 12), [3, 3, 4, 8]), { padding: 'same' });
      conv2d(x, tensor(random(9 * 4 * 2, 13), [3, 3, 1, 8]), { groups: 4 });
    });
    expect(memory()).toEqual(before);
  });
});

describe('conv2d argument errors', () => {
  beforeAll(() => useBuild('baseline'));
  const x = () => tensor(new Float32Array(1 * 5 * 5 * 3), [1, 5, 5, 3]);
  const w = (shape: number[]) => tensor(new Float32Array(shape.reduce((a, b) => a * b)), shape);

  it.each([
    ['channel mismatch', () => conv2d(x(), w([3, 3, 4, 8])), 'conv2d: input has 3 channels but the filter expects 4 (w shape [3,3,4,8])'],
    ['grouped channel mismatch', () => conv2d(x(), w([3, 3, 2, 6]), { groups: 3 }), 'conv2d: input has 3 channels but the filter expects 6 (2 per group x 3 groups) (w shape [3,3,2,6])'],
    ['rank of x', () => conv2d(tensor(new Float32Array(75), [5, 5, 3]), w([3, 3, 3, 1])), 'conv2d: x must be rank 4 (NHWC), but got rank 3 (shape [5,5,3])'],
    ['rank of w', () => conv2d(x(), w([3, 3, 3])), 'conv2d: w must be rank 4 ([kh, kw, cin/groups, cout]), but got rank 3 (shape [3,3,3])'],
    ['groups not dividing cin', () => conv2d(x(), w([3, 3, 1, 4]), { groups: 2 }), 'conv2d: groups 2 must divide the 3 input channels'],
    ['groups not dividing cout', () => conv2d(x(), w([3, 3, 1, 4]), { groups: 3 }), 'conv2d: groups 3 must divide the 4 filters (w shape [3,3,1,4])'],
    ['bad groups', () => conv2d(x(), w([3, 3, 3, 4]), { groups: 0 }), 'conv2d: groups must be a positive integer, got 0'],
    ['bad strides', () => conv2d(x(), w([3, 3, 3, 4]), { strides: [0, 1] }), 'conv2d: strides must be a positive integer or a pair of positive integers, got [0,1]'],
    ['bad dilations', () => conv2d(x(), w([3, 3, 3, 4]), { dilations: 1.5 }), 'conv2d: dilations must be a positive integer or a pair of positive integers, got 1.5'],
    ['bad padding', () => conv2d(x(), w([3, 3, 3, 4]), { padding: 'reflect' as 'same' }), "conv2d: padding must be 'valid', 'same', 'full', 'circular' or [top, bottom, left, right] of non-negative integers, got \"reflect\""],
    ['negative pads', () => conv2d(x(), w([3, 3, 3, 4]), { padding: [1, -1, 0, 0] }), 'got [1,-1,0,0]'],
    ['bad padMode', () => conv2d(x(), w([3, 3, 3, 4]), { padMode: 'mirror' as 'zeros' }), "conv2d: padMode must be 'zeros' or 'circular', got \"mirror\""],
    ['contradictory padMode', () => conv2d(x(), w([3, 3, 3, 4]), { padding: 'circular', padMode: 'zeros' }), "conv2d: padding 'circular' contradicts padMode 'zeros'"],
    ['bias shape', () => conv2d(x(), w([3, 3, 3, 4]), { bias: w([3]) }), 'conv2d: bias must have shape [4] (one per filter), got [3]'],
    ['filter too large', () => conv2d(x(), w([7, 7, 3, 1])), 'conv2d: the 7x7 filter does not fit the 5x5 input with padding [0,0,0,0]'],
    ['dilated filter too large', () => conv2d(x(), w([3, 3, 3, 1]), { dilations: 3 }), 'conv2d: the 3x3 filter (dilated to 7x7) does not fit the 5x5 input'],
    ['unknown option', () => conv2d(x(), w([3, 3, 3, 1]), { stride: 2 } as never), 'conv2d: unknown option stride (known: bias, strides, padding, dilations, groups, padMode, activation)'],
    ['bad activation', () => conv2d(x(), w([3, 3, 3, 1]), { activation: 'gelu' as 'relu' }), "conv2d: activation must be one of 'linear', 'relu'"],
    ['not a tensor', () => conv2d([1, 2] as never, w([3, 3, 3, 1])), 'conv2d: x must be a Tensor, got object'],
  ])('%s', (_name, call, message) => {
    const before = memory().numTensors;
    tidy(() => {
      expect(call).toThrow(message);
    });
    expect(memory().numTensors).toBe(before);
  });

  it('rejects a disposed tensor', () => {
    const t = x();
    t.dispose();
    expect(() => conv2d(t, w([1, 1, 3, 1]))).toThrow('conv2d: x has been disposed');
  });
});
