// Pooling, dense, batch norm, activations and layout ops: paths the fixtures do not reach,
// the lecture's pooling property, memory, and argument errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { fill, memory, tensor, tidy } from '@wcnn/tensor';
import { FLAVORS, expectAllClose, random, useBuild } from '../test/setup.js';
import { refPool2d } from '../test/reference.js';
import * as nn from './index.js';

describe.each(FLAVORS)('ops on the %s build', (flavor) => {
  beforeAll(() => useBuild(flavor));

  it('pooling a constant image returns the constant', () => {
    tidy(() => {
      const x = fill([2, 9, 11, 6], 2.5);
      const outs = [
        nn.maxPool2d(x, { kernel: 3, strides: 2, padding: 'same' }),
        nn.avgPool2d(x, { kernel: 3, strides: 2, padding: 'same' }),
        nn.avgPool2d(x, { kernel: [2, 3], strides: 1, padding: [1, 1, 2, 0], dilations: [2, 1] }),
        nn.maxPool2d(x, { kernel: 2, ceilMode: true }),
        nn.avgPool2d(x, { kernel: 2, ceilMode: true }),
        nn.globalAvgPool2d(x),
        nn.globalMaxPool2d(x),
      ];
      for (const y of outs) expect(Array.from(new Set(y.dataSync()))).toEqual([2.5]);
    });
  });

  it('ceilMode adds the partial last window (PyTorch ceil_mode)', () => {
    const shape = [1, 7, 8, 5];
    const xs = random(7 * 8 * 5, 21);
    tidy(() => {
      const x = tensor(xs, shape);
      const m = nn.maxPool2d(x, { kernel: 3, strides: 2, ceilMode: true });
      expect(m.shape).toEqual([1, 3, 4, 5]);
      expectAllClose(m.dataSync(), refPool2d('max', xs, shape, [3, 3], [2, 2], [1, 1], [0, 0, 0, 0], 3, 4), { rtol: 0, atol: 0 });
      const a = nn.avgPool2d(x, { kernel: 2, strides: 2, padding: [1, 1, 1, 1], ceilMode: true, countIncludePad: true });
      // Rows: (7 + 2 - 2) / 2 rounds up to 4 + 1 = 5 windows, but the fifth would start in the bottom padding.
      expect(a.shape).toEqual([1, 4, 5, 5]);
      expectAllClose(a.dataSync(), refPool2d('avg', xs, shape, [2, 2], [2, 2], [1, 1], [1, 1, 1, 1], 4, 5, true), { rtol: 1e-6, atol: 1e-6 });
    });
  });

  it('dense matches a float64 product, with bias and activation (one row: w in place, its rows in chunks from 512)', () => {
    for (const [n, inF, outF, withBias] of [[3, 37, 11, true], [1, 37, 11, true], [1, 700, 19, true], [1, 1101, 45, true], [1, 1101, 45, false]] as const) {
      const xs = random(n * inF, 22);
      const ws = random(inF * outF, 23);
      const bs = random(outF, 24);
      const ref = new Float64Array(n * outF);
      for (let i = 0; i < n; i++) for (let j = 0; j < outF; j++) {
        let s = withBias ? bs[j] : 0;
        for (let k = 0; k < inF; k++) s += xs[i * inF + k] * ws[k * outF + j];
        ref[i * outF + j] = Math.min(Math.max(s, 0), 6);
      }
      tidy(() => {
        const y = nn.dense(tensor(xs, [n, inF]), tensor(ws, [inF, outF]), { bias: withBias ? tensor(bs, [outF]) : undefined, activation: 'relu6' });
        expectAllClose(y.dataSync(), ref, { rtol: 1e-5, atol: 1e-5 }, `${n}x${inF} -> ${outF}${withBias ? '' : ', no bias'}`);
      });
    }
  });

  it('batchNorm defaults gamma to 1 and beta to 0', () => {
    tidy(() => {
      const y = nn.batchNorm(tensor([1, 2, 3, 4], [2, 2]), { mean: tensor([1, 1], [2]), variance: tensor([4, 1], [2]), epsilon: 0 });
      expectAllClose(y.dataSync(), [0, 1, 1, 3], { rtol: 1e-6, atol: 1e-6 });
    });
  });

  it('softmax is stable for large logits and sums to 1', () => {
    tidy(() => {
      const y = nn.softmax(tensor([1000, 1001, 1002, -5, 0, 5], [2, 3])).dataSync();
      expect(y.every(Number.isFinite)).toBe(true);
      expect(y[0] + y[1] + y[2]).toBeCloseTo(1, 6);
      expectAllClose(y.slice(0, 3), [0.09003057, 0.24472847, 0.66524096], { rtol: 1e-5, atol: 1e-7 });
    });
  });

  it('add, mul and clip work elementwise', () => {
    tidy(() => {
      const a = tensor([1, -2, 3, 4, 5], [5]);
      const b = tensor([0.5, 0.5, -1, 2, 0], [5]);
      expect(Array.from(nn.add(a, b).dataSync())).toEqual([1.5, -1.5, 2, 6, 5]);
      expect(Array.from(nn.mul(a, b).dataSync())).toEqual([0.5, -1, -3, 8, 0]);
      expect(Array.from(nn.clip(a, { min: 0, max: 3 }).dataSync())).toEqual([1, 0, 3, 3, 3]);
      expect(Array.from(nn.leakyRelu(a, { alpha: 0.5 }).dataSync())).toEqual([1, -1, 3, 4, 5]);
    });
  });

  it('broadcasts sub, div, add and mul (NumPy rules)', () => {
    tidy(() => {
      const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const row = tensor([10, 20, 30], [3]);
      const col = tensor([2, 4], [2, 1]);
      expect(Array.from(nn.add(x, row).dataSync())).toEqual([11, 22, 33, 14, 25, 36]);
      expect(Array.from(nn.sub(x, col).dataSync())).toEqual([-1, 0, 1, 0, 1, 2]);
      expect(Array.from(nn.div(x, col).dataSync())).toEqual([0.5, 1, 1.5, 1, 1.25, 1.5]);
      expect(Array.from(nn.mul(col, row).dataSync())).toEqual([20, 40, 60, 40, 80, 120]);
      expect(nn.mul(tensor([3], [1]), x).dataSync()[5]).toBe(18);
    });
  });

  it('softmax, concat and slice along any axis; general transposes', () => {
    tidy(() => {
      const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const s0 = nn.softmax(x, { axis: 0 }).dataSync();
      expectAllClose(s0, [1, 1, 1, 1, 1, 1].map((_, i) => (i < 3 ? 1 / (1 + Math.exp(3)) : 1 / (1 + Math.exp(-3)))), { rtol: 1e-6, atol: 1e-7 });
      expect(Array.from(nn.concat([x, x], { axis: 0 }).dataSync())).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
      expect(nn.concat([x, x], { axis: 0 }).shape).toEqual([4, 3]);
      expect(Array.from(nn.slice(x, { starts: [-1, 2], ends: [-3, -4], steps: [-1, -2] }).dataSync())).toEqual([6, 4, 3, 1]);
      expect(Array.from(nn.slice(x, { starts: [1], ends: [100], axes: [1] }).dataSync())).toEqual([2, 3, 5, 6]);
      const y = nn.transpose(tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]), [2, 0, 1]);
      expect(y.shape).toEqual([4, 2, 3]);
      expect(y.dataSync()[1 * 6 + 1 * 3 + 2]).toBe(1 * 12 + 2 * 4 + 1);
      expect(nn.reshape(x, [3, -1]).shape).toEqual([3, 2]);
    });
  });

  it('concat, flatten, layout transposes and pad2d', () => {
    tidy(() => {
      const a = tensor([1, 2, 3, 4], [1, 2, 1, 2]);
      const b = tensor([5, 6], [1, 2, 1, 1]);
      const c = nn.concat([a, b]);
      expect(c.shape).toEqual([1, 2, 1, 3]);
      expect(Array.from(c.dataSync())).toEqual([1, 2, 5, 3, 4, 6]);
      expect(nn.flatten(c).shape).toEqual([1, 6]);
      const xs = random(2 * 3 * 5 * 7, 25);
      const nchw = tensor(xs, [2, 3, 5, 7]);
      const nhwc = nn.nchwToNhwc(nchw);
      expect(nhwc.shape).toEqual([2, 5, 7, 3]);
      expect(nhwc.dataSync()[(((1 * 5 + 4) * 7 + 6) * 3) + 2]).toBe(xs[((1 * 3 + 2) * 5 + 4) * 7 + 6]);
      expect(Array.from(nn.nhwcToNchw(nhwc).dataSync())).toEqual(Array.from(xs));
      const img = tensor([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
      const rows = (m: string) => Array.from(nn.pad2d(img, { pads: [0, 0, 2, 2], mode: m as 'edge' }).dataSync()).slice(0, 7);
      expect(rows('constant')).toEqual([0, 0, 1, 2, 3, 0, 0]);
      expect(rows('reflect')).toEqual([3, 2, 1, 2, 3, 2, 1]);
      expect(rows('edge')).toEqual([1, 1, 1, 2, 3, 3, 3]);
      expect(rows('circular')).toEqual([2, 3, 1, 2, 3, 1, 2]);
    });
  });

  it('leaves memory() unchanged after tidy', () => {
    const before = memory();
    tidy(() => {
      const x = tensor(random(2 * 8 * 8 * 4, 26), [2, 8, 8, 4]);
      const p = nn.maxPool2d(nn.avgPool2d(x, { kernel: 2 }), { kernel: 2 });
      const d = nn.dense(nn.flatten(p), tensor(random(16 * 3, 27), [16, 3]));
      nn.softmax(nn.add(d, d));
      nn.batchNorm(x, { mean: fill([4], 0), variance: fill([4], 1) });
      nn.concat([x, nn.relu6(x), nn.sigmoid(x), nn.tanh(x)]);
    });
    expect(memory()).toEqual(before);
  });
});

describe('argument errors', () => {
  beforeAll(() => useBuild('baseline'));
  const t = (shape: number[]) => tensor(new Float32Array(shape.reduce((a, b) => a * b)), shape);

  it.each([
    ['maxPool2d without options', () => nn.maxPool2d(t([1, 4, 4, 1]), undefined as never), 'maxPool2d: options with a kernel size are required'],
    ['maxPool2d bad kernel', () => nn.maxPool2d(t([1, 4, 4, 1]), { kernel: [2, 0] }), 'maxPool2d: kernel must be a positive integer or a pair of positive integers, got [2,0]'],
    ['maxPool2d too large', () => nn.maxPool2d(t([1, 4, 4, 1]), { kernel: 5 }), 'maxPool2d: the 5x5 window does not fit the 4x4 input with padding [0,0,0,0]'],
    ['maxPool2d pad >= window', () => nn.maxPool2d(t([1, 4, 4, 1]), { kernel: 2, padding: [2, 0, 0, 0] }), 'maxPool2d: padding [2,0,0,0] must be smaller than the 2x2 window'],
    ['maxPool2d rank', () => nn.maxPool2d(t([4, 4, 1]), { kernel: 2 }), 'maxPool2d: x must be rank 4 (NHWC), but got rank 3 (shape [4,4,1])'],
    ['avgPool2d circular padding', () => nn.avgPool2d(t([1, 4, 4, 1]), { kernel: 2, padding: 'circular' as 'same' }), "avgPool2d: padding must be 'valid', 'same', 'full' or [top, bottom, left, right]"],
    ['avgPool2d countIncludePad type', () => nn.avgPool2d(t([1, 4, 4, 1]), { kernel: 2, countIncludePad: 1 as never }), 'avgPool2d: countIncludePad must be a boolean, got 1'],
    ['globalAvgPool2d rank', () => nn.globalAvgPool2d(t([4, 4])), 'globalAvgPool2d: x must be rank 4 (NHWC), but got rank 2 (shape [4,4])'],
    ['dense rank', () => nn.dense(t([1, 2, 2, 3]), t([12, 4])), 'dense: x must be rank 2 [batch, features], but got rank 4 (shape [1,2,2,3]); flatten it first'],
    ['dense features', () => nn.dense(t([2, 5]), t([4, 3])), 'dense: x has 5 features but w expects 4 (w shape [4,3])'],
    ['dense bias', () => nn.dense(t([2, 4]), t([4, 3]), { bias: t([4]) }), 'dense: bias must have shape [3] (one per unit), got [4]'],
    ['batchNorm missing variance', () => nn.batchNorm(t([2, 3]), { mean: t([3]) } as never), 'batchNorm: variance is required'],
    ['batchNorm shape', () => nn.batchNorm(t([2, 3]), { mean: t([3]), variance: t([2]) }), 'batchNorm: variance must have shape [3] (one per channel), got [2]'],
    ['batchNorm negative variance', () => nn.batchNorm(t([2, 1]), { mean: t([1]), variance: tensor([-1], [1]) }), 'batchNorm: variance + epsilon must be positive, got -1 + 0.001 at channel 0'],
    ['add shapes', () => nn.add(t([2, 3]), t([3, 2])), 'add: shapes [2,3] and [3,2] do not broadcast'],
    ['softmax axis', () => nn.softmax(t([2, 3]), { axis: 2 }), 'softmax: axis must be in [-2, 1], got 2'],
    ['transpose perm', () => nn.transpose(t([2, 3]), [0, 0]), 'transpose: perm must be a permutation of 0..1, got [0,0]'],
    ['slice empty', () => nn.slice(t([2, 3]), { starts: [1], ends: [1], axes: [1] }), 'slice: the slice of [2,3] is empty (shape [2,0])'],
    ['slice step 0', () => nn.slice(t([2, 3]), { starts: [0], ends: [1], steps: [0] }), 'slice: steps must be non-zero integers, got 0'],
    ['reshape size', () => nn.reshape(t([2, 3]), [4, -1]), 'reshape: cannot reshape [2,3] (6 values) to [4,-1]'],
    ['clip bounds', () => nn.clip(t([2]), { min: 1, max: 0 }), 'clip: min must not exceed max, got min 1, max 0'],
    ['leakyRelu alpha', () => nn.leakyRelu(t([2]), { alpha: 'x' as never }), 'leakyRelu: alpha must be a number, got "x"'],
    ['concat shapes', () => nn.concat([t([1, 2, 2, 3]), t([1, 2, 3, 3])]), 'concat: tensors[1] has shape [1,2,3,3] but all axes except 3 must match tensors[0] [1,2,2,3]'],
    ['concat empty', () => nn.concat([]), 'concat: expects a non-empty array of tensors'],
    ['pad2d mode', () => nn.pad2d(t([1, 2, 2, 1]), { pads: [1, 1, 1, 1], mode: 'wrap' as 'edge' }), "pad2d: mode must be one of 'constant', 'reflect', 'edge', 'circular', got \"wrap\""],
    ['pad2d reflect too wide', () => nn.pad2d(t([1, 2, 2, 1]), { pads: [2, 0, 0, 0], mode: 'reflect' }), 'pad2d: reflect padding [2,0,0,0] must be smaller than the 2x2 input'],
    ['nchwToNhwc rank', () => nn.nchwToNhwc(t([3, 4])), 'nchwToNhwc: x must be rank 4 (NCHW), but got rank 2 (shape [3,4])'],
  ])('%s', (_name, call, message) => {
    const before = memory();
    tidy(() => {
      expect(call).toThrow(message);
    });
    expect(memory()).toEqual(before);
  });
});
