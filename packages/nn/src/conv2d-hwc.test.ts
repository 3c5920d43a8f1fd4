// The paths for few input channels (f32_conv_hwc for cin <= 8, and for 3x3 stride 1 with cin 2-4 the fused
// Winograd f32_conv_hwc_winograd_f4x4_3x3) against im2col + GEMM and the float64 reference, on both builds: the RGB first layers shrunk (7x7/2, 3x3/2, 3x3/1 'same'), other cin <= 8 geometries,
// bias and fused activations; and which convolutions createConv2d sends to it.
import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '@wcnn/tensor';
import { FLAVORS, expectAllClose, random, useBuild } from '../test/setup.js';
import { refConv2d } from '../test/reference.js';
import type { Activation } from './activation.js';
import { execute } from './runtime.js';
import { convAttrsFromOptions, convGeometry, createConv2d, hwcApplies, hwcWinogradApplies, type Conv2dOptions, type CreateConvOptions } from './ops/conv2d.js';

interface HwcCase {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  opts: Conv2dOptions;
  activation?: Activation;
  bias?: boolean;
}

const CASES: HwcCase[] = [
  { name: 'ResNet conv1 7x7/2 same, 3 -> 64', x: [1, 23, 22, 3], w: [7, 7, 3, 64], opts: { strides: 2, padding: 'same' }, activation: 'relu' },
  { name: 'MobileNetV2 stem 3x3/2 same, 3 -> 32, relu6', x: [1, 17, 18, 3], w: [3, 3, 3, 32], opts: { strides: 2, padding: 'same' }, activation: 'relu6' },
  { name: 'VGG 3x3/1 same, 3 -> 64 (Winograd)', x: [1, 15, 13, 3], w: [3, 3, 3, 64], opts: { padding: 'same' } },
  { name: '3x3/1 same, 4 -> 21, relu6 (Winograd)', x: [1, 10, 9, 4], w: [3, 3, 4, 21], opts: { padding: 'same' }, activation: 'relu6' },
  { name: 'batch 2, 3x3/1 valid, 2 -> 7, no bias (Winograd)', x: [2, 9, 7, 2], w: [3, 3, 2, 7], opts: {}, bias: false },
  { name: '3x3/1 same, 1 -> 16 (direct)', x: [1, 9, 10, 1], w: [3, 3, 1, 16], opts: { padding: 'same' }, activation: 'relu' },
  { name: 'batch 2, 3x3/2 same, 3 -> 13, relu6', x: [2, 9, 11, 3], w: [3, 3, 3, 13], opts: { strides: 2, padding: 'same' }, activation: 'relu6' },
  { name: 'cin 1, 5x5 valid, cout 5, no bias', x: [1, 12, 9, 1], w: [5, 5, 1, 5], opts: {}, bias: false },
  { name: 'cin 2, 3x3 dilation 2 same, cout 24, leaky', x: [1, 10, 10, 2], w: [3, 3, 2, 24], opts: { padding: 'same', dilations: 2 }, activation: { type: 'leakyRelu', alpha: 0.1 } },
  { name: 'cin 8, 5x5 stride 2 same, cout 20', x: [1, 11, 12, 8], w: [5, 5, 8, 20], opts: { strides: 2, padding: 'same' } },
  { name: 'cin 4, 3x2 stride (1, 2), explicit pads, cout 17', x: [1, 9, 10, 4], w: [3, 2, 4, 17], opts: { strides: [1, 2], padding: [2, 0, 0, 2] } },
  { name: 'cin 3, 1x1 stride 2, cout 8', x: [1, 7, 8, 3], w: [1, 1, 3, 8], opts: { strides: 2 } },
  { name: 'cin 3, 3x3 full padding, cout 1, sigmoid (Winograd)', x: [1, 5, 6, 3], w: [3, 3, 3, 1], opts: { padding: 'full' }, activation: 'sigmoid' },
];

function run(c: HwcCase, xs: Float32Array, ws: Float32Array, bs: Float32Array | undefined, options: CreateConvOptions): Float32Array {
  let out: Float32Array = new Float32Array(0);
  tidy(() => {
    const attrs = { ...convAttrsFromOptions('conv2d', c.opts), activation: c.activation };
    const wt = tensor(ws, c.w);
    const op = createConv2d('conv2d', c.x, c.w, wt, bs ? tensor(bs, [c.w[3]]) : undefined, attrs, options);
    const [y] = execute('conv2d', op, [tensor(xs, c.x)]);
    out = y.dataSync();
  });
  return out;
}

function activate(v: number, a: Activation | undefined): number {
  if (a === 'relu') return Math.max(v, 0);
  if (a === 'relu6') return Math.min(Math.max(v, 0), 6);
  if (a === 'sigmoid') return 1 / (1 + Math.exp(-v));
  if (typeof a === 'object' && a.type === 'leakyRelu') return v < 0 ? (a.alpha ?? 0.2) * v : v;
  return v;
}

describe.each(FLAVORS)('conv2d, few input channels, on the %s build', (flavor) => {
  beforeAll(() => useBuild(flavor));

  it.each(CASES.map((c) => [c.name, c] as const))('%s: chosen path = direct path = im2col path = reference', (_n, c) => {
    const attrs = convAttrsFromOptions('conv2d', c.opts);
    const g = convGeometry('conv2d', c.x, c.w, attrs);
    expect(hwcApplies(g)).toBe(true);
    const xs = random(c.x.reduce((a, b) => a * b), 11, -2, 2);
    const ws = random(c.w.reduce((a, b) => a * b), 12, -0.5, 0.5);
    const bs = c.bias === false ? undefined : random(c.w[3], 13);
    const chosen = run(c, xs, ws, bs, {});
    // Algorithm 'direct' (never Winograd) keeps f32_conv_hwc; hwc false keeps im2col + GEMM.
    const direct = run(c, xs, ws, bs, { algorithm: 'direct' });
    const im2col = run(c, xs, ws, bs, { algorithm: 'direct', hwc: false });
    expectAllClose(direct, im2col, { rtol: 1e-5, atol: 1e-5 }, `${c.name}: direct vs im2col`);
    // Winograd rounds differently (transform factors up to 8).
    expectAllClose(chosen, im2col, { rtol: 1e-4, atol: 1e-4 }, `${c.name}: chosen vs im2col`);
    const ref = refConv2d({
      x: xs, xShape: c.x, w: ws, wShape: c.w, bias: bs, strides: attrs.strides, dilations: attrs.dilations,
      pads: g.pads, groups: 1, circular: false,
    });
    expect([g.n, g.oh, g.ow, g.cout]).toEqual(ref.shape);
    expectAllClose(direct, ref.data.map((v) => activate(v, c.activation)), { rtol: 1e-4, atol: 1e-5 }, `${c.name}: reference`);
    expect(hwcWinogradApplies(g), 'Winograd').toBe(c.name.endsWith('(Winograd)'));
  });
});

describe('hwcApplies', () => {
  const geo = (x: number[], w: number[], opts: Conv2dOptions) => convGeometry('conv2d', x, w, convAttrsFromOptions('conv2d', opts));
  it('takes one-group, zero-padded convs with cin <= 8 that are not pointwise', () => {
    expect(hwcApplies(geo([1, 8, 8, 3], [7, 7, 3, 64], { strides: 2, padding: 'same' }))).toBe(true);
    expect(hwcApplies(geo([1, 8, 8, 8], [3, 3, 8, 8], { padding: 'same' }))).toBe(true);
    expect(hwcApplies(geo([1, 8, 8, 1], [1, 1, 1, 8], { strides: 2 }))).toBe(true);
  });
  it('takes fused Winograd for 3x3 stride 1 dilation 1 with 2 to 4 input channels', () => {
    expect(hwcWinogradApplies(geo([1, 8, 8, 3], [3, 3, 3, 64], { padding: 'same' }))).toBe(true);
    expect(hwcWinogradApplies(geo([1, 8, 8, 2], [3, 3, 2, 8], {}))).toBe(true);
    expect(hwcWinogradApplies(geo([1, 8, 8, 4], [3, 3, 4, 8], { padding: [0, 2, 1, 1] }))).toBe(true);
    expect(hwcWinogradApplies(geo([1, 8, 8, 1], [3, 3, 1, 8], { padding: 'same' }))).toBe(false);
    expect(hwcWinogradApplies(geo([1, 8, 8, 5], [3, 3, 5, 8], { padding: 'same' }))).toBe(false);
    expect(hwcWinogradApplies(geo([1, 8, 8, 3], [3, 3, 3, 8], { strides: 2, padding: 'same' }))).toBe(false);
    expect(hwcWinogradApplies(geo([1, 8, 8, 3], [3, 3, 3, 8], { dilations: 2, padding: 'same' }))).toBe(false);
    expect(hwcWinogradApplies(geo([1, 8, 8, 3], [3, 3, 3, 8], { padding: 'circular' }))).toBe(false);
  });
  it('leaves the others to im2col, the GEMM, Winograd or depthwise', () => {
    expect(hwcApplies(geo([1, 8, 8, 9], [3, 3, 9, 8], { padding: 'same' }))).toBe(false);
    expect(hwcApplies(geo([1, 8, 8, 3], [1, 1, 3, 8], {}))).toBe(false);
    expect(hwcApplies(geo([1, 8, 8, 3], [3, 3, 3, 8], { padding: 'circular' }))).toBe(false);
    expect(hwcApplies(geo([1, 8, 8, 4], [3, 3, 2, 8], { groups: 2 }))).toBe(false);
    expect(hwcApplies(geo([1, 8, 8, 3], [3, 3, 1, 3], { groups: 3 }))).toBe(false);
  });
});
