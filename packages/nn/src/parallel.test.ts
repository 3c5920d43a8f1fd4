// Threads: every split an operator makes (convs, dense, pools) gives bit-for-bit the one-thread result, on both builds.
import { afterAll, describe, expect, it } from 'vitest';
import { backend, init, shutdown, tensor, tidy } from '@wcnn/tensor';
import { FLAVORS, random } from '../test/setup.js';
import { conv2d, convAlgorithmFor, convAttrsFromOptions, convGeometry, createConv2d, type Conv2dOptions } from './ops/conv2d.js';
import { execute } from './runtime.js';
import { dense } from './ops/dense.js';
import { avgPool2d, maxPool2d } from './ops/pool.js';
import { splitRange } from './parallel.js';

afterAll(() => shutdown());

describe('splitRange', () => {
  it('cuts a range into aligned pieces that cover it once', () => {
    expect(splitRange(10, 2)).toEqual([[0, 5], [5, 10]]);
    expect(splitRange(10, 3, 4)).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(splitRange(100, 2, 16)).toEqual([[0, 48], [48, 100]]);
    expect(splitRange(3, 4)).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(splitRange(20, 4, 1, 8)).toEqual([[0, 10], [10, 20]]);
    expect(splitRange(5, 2, 1, 8)).toEqual([[0, 5]]);
    expect(splitRange(36, 2)).toEqual([[0, 18], [18, 36]]);
  });
});

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  kernel: [number, number];
  cout: number;
  options: Conv2dOptions;
  /** The path the case is there for. */
  path: string;
}

const CONVS: ConvCase[] = [
  { name: 'pointwise 56x56x64 -> 72', x: [1, 56, 56, 64], kernel: [1, 1], cout: 72, options: {}, path: 'gemm rows' },
  { name: 'pointwise 3x3x512 -> 200', x: [1, 3, 3, 512], kernel: [1, 1], cout: 200, options: {}, path: 'gemm panels' },
  { name: 'pointwise groups 2, 2x5x5x8 -> 12', x: [2, 5, 5, 8], kernel: [1, 1], cout: 12, options: { groups: 2 }, path: 'gemm rows' },
  { name: '3x3/2 same 2x29x31x5 -> 19', x: [2, 29, 31, 5], kernel: [3, 3], cout: 19, options: { strides: 2, padding: 'same', activation: 'relu' }, path: 'im2col' },
  { name: '7x7/2 same 1x64x64x3 -> 16', x: [1, 64, 64, 3], kernel: [7, 7], cout: 16, options: { strides: 2, padding: 'same' }, path: 'hwc' },
  { name: '3x3 same 2x30x22x3 -> 20', x: [2, 30, 22, 3], kernel: [3, 3], cout: 20, options: { padding: 'same', activation: 'relu6' }, path: 'hwc winograd' },
  { name: '5x5/2 valid 1x33x35x16 -> 8', x: [1, 33, 35, 16], kernel: [5, 5], cout: 8, options: { strides: 2 }, path: 'im2col' },
  { name: '3x3 circular 1x9x9x4 -> 5', x: [1, 9, 9, 4], kernel: [3, 3], cout: 5, options: { padding: 'circular' }, path: 'im2col' },
  { name: 'winograd many chunks 1x56x56x64 -> 64', x: [1, 56, 56, 64], kernel: [3, 3], cout: 64, options: { padding: 'same', activation: 'relu6' }, path: 'winograd' },
  { name: 'winograd one chunk 1x14x14x256 -> 256', x: [1, 14, 14, 256], kernel: [3, 3], cout: 256, options: { padding: 'same' }, path: 'winograd' },
  { name: 'winograd two chunks 2x21x19x128 -> 96', x: [2, 21, 19, 128], kernel: [3, 3], cout: 96, options: { padding: 'same' }, path: 'winograd' },
  { name: 'depthwise 3x3/2 1x23x23x20', x: [1, 23, 23, 20], kernel: [3, 3], cout: 20, options: { strides: 2, padding: 'same', groups: 20 }, path: 'depthwise' },
];

/** Every case's output (and dense's) on the running backend. */
function outputs(): Float32Array[] {
  const out: Float32Array[] = [];
  tidy(() => {
    CONVS.forEach((c, i) => {
      const cpg = c.x[3] / (c.options.groups ?? 1);
      const x = tensor(random(c.x.reduce((a, b) => a * b), 10 + i), c.x);
      const w = tensor(random(c.kernel[0] * c.kernel[1] * cpg * c.cout, 50 + i, -0.3, 0.3), [c.kernel[0], c.kernel[1], cpg, c.cout]);
      const bias = tensor(random(c.cout, 90 + i), [c.cout]);
      out.push(conv2d(x, w, { ...c.options, bias }).dataSync());
    });
    for (const [rows, inputs, units] of [[1, 700, 300], [64, 96, 40], [3, 2048, 1000], [1, 333, 1000], [1, 1101, 50]]) {
      const x = tensor(random(rows * inputs, rows), [rows, inputs]);
      const w = tensor(random(inputs * units, units, -0.1, 0.1), [inputs, units]);
      out.push(dense(x, w, { bias: tensor(random(units, 7), [units]), activation: 'relu' }).dataSync());
    }
    // Pools split by output rows, across the images of a batch.
    const p = tensor(random(3 * 17 * 15 * 12, 5), [3, 17, 15, 12]);
    out.push(maxPool2d(p, { kernel: 3, strides: 2, padding: 'same' }).dataSync());
    out.push(maxPool2d(p, { kernel: 2, ceilMode: true, dilations: [2, 1] }).dataSync());
    out.push(avgPool2d(p, { kernel: 3, strides: 2, padding: 'same' }).dataSync());
    out.push(avgPool2d(p, { kernel: 3, strides: 2, padding: 'same', countIncludePad: true }).dataSync());
    // A Winograd conv with its 2x2 max pool fused: in bands of tile rows (26 of them), or whole (5 tile
    // rows on 2 and 3 threads; 9 on 2).
    for (const shape of [[2, 52, 20, 16], [1, 20, 12, 16], [3, 9, 10, 16]]) {
      const attrs = { strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number], padding: 'same' as const, groups: 1, padMode: 'zeros' as const, activation: 'relu' as const, maxPool2x2: true };
      const conv = createConv2d('conv2d', shape, [3, 3, 16, 12], random(9 * 16 * 12, 3, -0.3, 0.3), random(12, 4), attrs);
      out.push(execute('conv2d', conv, [tensor(random(shape.reduce((a, b) => a * b), 5), shape)])[0].dataSync());
    }
  });
  return out;
}

describe.each(FLAVORS)('threads (%s build)', (flavor) => {
  it('give bit-for-bit the one-thread result on every conv path and dense', async () => {
    shutdown();
    await init({ simd: flavor, threads: 1 });
    const single = outputs();
    for (const threads of [2, 3]) {
      shutdown();
      expect((await init({ simd: flavor, threads })).threads).toBe(threads);
      const multi = outputs();
      multi.forEach((m, i) => {
        const label = CONVS[i]?.name ?? `dense or pool output ${i - CONVS.length}`;
        expect(m.length, label).toBe(single[i].length);
        const differ = m.findIndex((v, j) => !Object.is(v, single[i][j]));
        expect(differ, `${label} on ${threads} threads: first difference`).toBe(-1);
      });
    }
    expect(backend().threads).toBe(3);
  });

  it('cover the paths the cases name', () => {
    for (const c of CONVS.filter((k) => k.path === 'winograd')) {
      const g = convGeometry('t', c.x, [3, 3, c.x[3], c.cout], convAttrsFromOptions('t', c.options));
      expect(convAlgorithmFor(g, 'auto'), c.name).toBe('winograd');
    }
  });
});
