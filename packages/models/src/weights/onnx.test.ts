// loadOnnxWeights: real PyTorch exports (a ResNet with BN folded into the convs, matched by position;
// LeNet-5 by name through a Flatten; depthwise convs by position), hand-encoded ONNX models with
// torchvision names checked against the functional ops, and the errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pkg from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispose, init, parseNpy, tensor, type Tensor } from '@wcnn/tensor';
import {
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Flatten,
  GlobalAveragePooling2D,
  Input,
  MaxPooling2D,
  Model,
  ReLU,
  batchNorm,
  conv2d,
  dense,
  globalAvgPool2d,
  importOnnx,
  nchwToNhwc,
  nhwcToNchw,
  relu,
  type Pool2dAttrs,
} from '@wcnn/nn';
import { FIXTURES } from '../../../../test/fixtures.js';
import { resnet, resnet18 } from '../zoo/index.js';
import { loadOnnxWeights } from './onnx.js';

const { onnx } = pkg;
const DT = onnx.TensorProto.DataType;

interface ManifestModel {
  name: string;
  file: string;
  tolerance: { rtol: number; atol: number };
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'onnx/manifest.json'), 'utf8')) as { models: ManifestModel[] };
const fixture = (name: string) => manifest.models.find((m) => m.name === name)!;
const onnxBytes = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, fixture(name).file)));
const npy = (rel: string) => parseNpy(readFileSync(join(FIXTURES, 'onnx', rel)), rel);

/** |a - e| <= atol + rtol |e| everywhere; names the worst index. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { rtol: number; atol: number }, label: string): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) - (tol.atol + tol.rtol * Math.abs(expected[i]));
    if (!(e <= 0) && (worst < 0 || !(e <= excess))) [worst, excess] = [i, e];
  }
  if (worst >= 0) expect.fail(`${label}: index ${worst}: got ${actual[worst]}, expected ${expected[worst]}`);
}

/** Deterministic values in [lo, hi). */
function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 4294967296;
  });
}

/** Runs a layers model (NHWC) on an NCHW fixture input and returns the output's data. */
function predictNchw(model: Model, x: { data: Float32Array; shape: number[] }, nchwOutput = false): Float32Array {
  const input = tensor(x.data, x.shape);
  const nhwc = nchwToNhwc(input);
  const y = model.predict(nhwc);
  const out = nchwOutput ? nhwcToNchw(y) : y;
  const data = out.dataSync().slice();
  dispose(nchwOutput ? [input, nhwc, y, out] : [input, nhwc, y]);
  model.dispose();
  return data;
}

// ------------------------------------------------------------------ hand-made ONNX models

function floatTensor(name: string, dims: number[], data: ArrayLike<number>): P.ITensorProto {
  return { name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(Float32Array.from(data).buffer) };
}

function valueInfo(name: string, dims: number[]): P.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

type Attr = number | number[] | { f: number };
interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
}

function encode(input: [string, number[]], output: [string, number[]], nodes: NodeSpec[], initializers: P.ITensorProto[]): Uint8Array {
  const T = onnx.AttributeProto.AttributeType;
  const attribute = (name: string, v: Attr): P.IAttributeProto =>
    typeof v === 'number' ? { name, type: T.INT, i: v } : Array.isArray(v) ? { name, type: T.INTS, ints: v } : { name, type: T.FLOAT, f: v.f };
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'wcnn-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'test',
      input: [valueInfo(...input)],
      output: [valueInfo(...output)],
      initializer: initializers,
      node: nodes.map((n, i) => ({
        opType: n.op,
        name: `/${n.op}_${i}`,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  }).finish();
}

/** OIHW [o, i, h, w] -> HWIO, as the layers store conv kernels. */
function oihwToHwio(w: Float32Array, [o, i, h, k]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < h; y++) for (let x = 0; x < k; x++) out[((y * k + x) * i + b) * o + a] = w[((a * i + b) * h + y) * k + x];
  return out;
}

/** [out, in] -> [in, out] */
function transpose2d(w: Float32Array, [r, c]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w[i * c + j];
  return out;
}

/**
 * A torchvision-named conv (3x3, pad 1, no bias) + BN + ReLU + global pool + fc, NCHW input
 * [1, 3, 6, 6]; `convBias` adds a conv bias (named `biasName`), `names` renames the initializers.
 */
function tinyTorchvision(options: { convBias?: boolean; nan?: boolean; names?: (n: string) => string; eps?: number } = {}) {
  const rename = options.names ?? ((n: string) => n);
  const w = {
    conv: random(4 * 3 * 3 * 3, 1),
    convBias: random(4, 2),
    gamma: random(4, 3, 0.5, 1.5),
    beta: random(4, 4),
    mean: random(4, 5),
    variance: random(4, 6, 0.5, 2),
    fc: random(5 * 4, 7),
    fcBias: random(5, 8),
  };
  if (options.nan) w.conv[7] = NaN;
  const eps = options.eps ?? 1e-5;
  const convInputs = ['x', rename('conv1.weight'), ...(options.convBias ? [rename('conv1.bias')] : [])];
  const bytes = encode(
    ['x', [1, 3, 6, 6]],
    ['y', [1, 5]],
    [
      { op: 'Conv', inputs: convInputs, outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'BatchNormalization', inputs: ['c', ...['bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var'].map(rename)], outputs: ['b'], attrs: { epsilon: { f: eps } } },
      { op: 'Relu', inputs: ['b'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', rename('fc.weight'), rename('fc.bias')], outputs: ['y'], attrs: { transB: 1 } },
    ],
    [
      floatTensor(rename('conv1.weight'), [4, 3, 3, 3], w.conv),
      ...(options.convBias ? [floatTensor(rename('conv1.bias'), [4], w.convBias)] : []),
      floatTensor(rename('bn1.weight'), [4], w.gamma),
      floatTensor(rename('bn1.bias'), [4], w.beta),
      floatTensor(rename('bn1.running_mean'), [4], w.mean),
      floatTensor(rename('bn1.running_var'), [4], w.variance),
      floatTensor(rename('fc.weight'), [5, 4], w.fc),
      floatTensor(rename('fc.bias'), [5], w.fcBias),
    ],
  );
  return { bytes, w, eps };
}

/** The same network with the layers API and torchvision names (NHWC input [6, 6, 3]). */
function tinyLayers(options: { eps?: number; convBias?: boolean; seed?: number } = {}): Model {
  const input = new Input({ shape: [6, 6, 3] });
  let x = new Conv2D(4, 3, { padding: 1, useBias: options.convBias ?? false, name: 'conv1' }).apply(input);
  x = new BatchNormalization({ epsilon: options.eps ?? 1e-5, name: 'bn1' }).apply(x);
  x = new ReLU({ name: 'relu' }).apply(x);
  x = new GlobalAveragePooling2D({ name: 'avgpool' }).apply(x);
  x = new Dense(5, { name: 'fc' }).apply(x);
  return new Model({ inputs: input, outputs: x, name: 'tiny', seed: options.seed ?? 3 });
}

/** The tiny network by the functional ops, from the PyTorch-layout weights. */
function tinyReference(w: ReturnType<typeof tinyTorchvision>['w'], x: Tensor, eps: number, convBias: boolean): Float32Array {
  const t: Tensor[] = [];
  const keep = (v: Tensor) => (t.push(v), v);
  const kernel = keep(tensor(oihwToHwio(w.conv, [4, 3, 3, 3]), [3, 3, 3, 4]));
  const c = keep(conv2d(x, kernel, { padding: [1, 1, 1, 1], ...(convBias ? { bias: keep(tensor(w.convBias, [4])) } : {}) }));
  const b = keep(
    batchNorm(c, { gamma: keep(tensor(w.gamma, [4])), beta: keep(tensor(w.beta, [4])), mean: keep(tensor(w.mean, [4])), variance: keep(tensor(w.variance, [4])), epsilon: eps }),
  );
  const p = keep(globalAvgPool2d(keep(relu(b))));
  const y = keep(dense(p, keep(tensor(transpose2d(w.fc, [5, 4]), [4, 5])), { bias: keep(tensor(w.fcBias, [5])) }));
  const data = y.dataSync().slice();
  dispose(t);
  return data;
}

const X6 = () => tensor(random(6 * 6 * 3, 11), [1, 6, 6, 3]);
const TIGHT = { rtol: 1e-5, atol: 1e-6 };

function predict(model: Model, x: Tensor): Float32Array {
  const y = model.predict(x);
  const data = y.dataSync().slice();
  y.dispose();
  model.dispose();
  return data;
}

beforeAll(async () => {
  await init();
});

// ------------------------------------------------------------------ the zoo's resnet(config)

describe('resnet(config, options)', () => {
  it('builds torchvision ResNets of any depth and width; the defaults are resnet18', () => {
    const tiny = resnet({ layers: [1, 1, 1, 1], widths: [8, 16, 32, 64] }, { classes: 10, inputShape: [64, 64, 3] });
    const shape = (name: string) => tiny.getLayer(name).output.shape;
    expect([shape('conv1'), shape('maxpool'), shape('layer1.0.out'), shape('layer4.0.out'), shape('fc')]).toEqual([
      [null, 32, 32, 8], [null, 16, 16, 8], [null, 16, 16, 8], [null, 2, 2, 64], [null, 10],
    ]);
    expect(tiny.name).toBe('resnet');
    // stem 7*7*3*8, blocks, shortcuts, BN gamma+beta, fc
    const convs = 7 * 7 * 3 * 8 + 2 * 9 * 8 * 8 + (9 * 8 * 16 + 9 * 16 * 16 + 8 * 16) + (9 * 16 * 32 + 9 * 32 * 32 + 16 * 32) + (9 * 32 * 64 + 9 * 64 * 64 + 32 * 64);
    const bns = 2 * (8 + 8 + 8 + 3 * 16 + 3 * 32 + 3 * 64);
    expect(tiny.countParams().trainable).toBe(convs + bns + 64 * 10 + 10);
    expect(resnet({ layers: [2, 2, 2, 2] }).countParams()).toEqual(resnet18().countParams());
    const deep = resnet({ name: 'r26', block: 'bottleneck', layers: [2, 2, 2, 2], widths: [16, 32, 64, 128], strideIn: 'conv1' }, { includeTop: false, inputShape: [64, 64, 3] });
    expect(deep.outputs[0].shape).toEqual([null, 2, 2, 512]);
    expect((deep.getLayer('layer2.0.conv1') as Conv2D).strides).toEqual([2, 2]);
  });

  it('checks the config', () => {
    expect(() => resnet(undefined as unknown as { layers: [1, 1, 1, 1] })).toThrow('resnet: config { layers, widths?, block?, strideIn?, name? } is required');
    expect(() => resnet({ layers: [1, 1, 1] as unknown as [1, 1, 1, 1] })).toThrow('resnet: layers must be four positive integers (one per stage), got [1,1,1]');
    expect(() => resnet({ layers: [1, 1, 1, 1], widths: [8, 0, 8, 8] })).toThrow('resnet: widths must be four positive integers');
    expect(() => resnet({ layers: [1, 1, 1, 1], block: 'wide' as 'basic' })).toThrow("resnet: block must be 'basic' or 'bottleneck', got \"wide\"");
    expect(() => resnet({ layers: [1, 1, 1, 1], strideIn: 'conv1' })).toThrow('resnet: strideIn applies to bottleneck blocks only');
    expect(() => resnet({ layers: [1, 1, 1, 1], depth: 18 } as unknown as { layers: [1, 1, 1, 1] })).toThrow('resnet: unknown config field depth');
    expect(() => resnet({ layers: [1, 1, 1, 1] }, { classes: 0 })).toThrow('resnet: classes must be a positive integer');
  });
});

// ------------------------------------------------------------------ real PyTorch exports

describe('resnet_tiny (PyTorch export, BN folded into the convs)', () => {
  const build = (seed = 0) => resnet({ name: 'resnet_tiny', layers: [1, 1, 1, 1], widths: [8, 16, 32, 64] }, { classes: 10, inputShape: [64, 64, 3], seed });

  it('the zoo builds the exported architecture exactly (windows, strides, padding, shortcuts)', () => {
    const imp = importOnnx(onnxBytes('resnet_tiny'));
    const model = build();
    const report = loadOnnxWeights(model, imp);
    const nodes = new Map(imp.graph.nodes.map((n) => [n.name, n]));
    for (const a of report.assigned.filter((x) => x.className === 'Conv2D')) {
      const conv = model.getLayer(a.layer) as Conv2D;
      const attrs = nodes.get(a.node)!.attrs as { strides: number[]; padding: unknown; dilations: number[]; groups: number };
      expect([conv.strides, conv.padding.ir, conv.dilationRate, conv.groups], a.layer).toEqual([attrs.strides, attrs.padding, attrs.dilations, attrs.groups]);
    }
    // stem: 7x7/2 pad 3, then max pool 3x3/2 pad 1
    const pool = model.getLayer('maxpool') as MaxPooling2D;
    const onnxPool = imp.graph.nodes.find((n) => n.op === 'maxPool2d')!.attrs as Pool2dAttrs;
    expect([pool.poolSize, pool.strides, pool.padding.ir]).toEqual([onnxPool.kernel, onnxPool.strides, onnxPool.padding]);
    expect(imp.graph.nodes.filter((n) => n.op === 'conv2d').length).toBe(model.layers.filter((l) => l.className === 'Conv2D').length);
    expect(model.layers.filter((l) => l.name.endsWith('downsample.0')).map((l) => l.name)).toEqual(['layer2.0.downsample.0', 'layer3.0.downsample.0', 'layer4.0.downsample.0']);
  });

  it('loads by position (convs + pass-through BNs) and by name (fc), and matches PyTorch', () => {
    const model = build(5);
    const report = loadOnnxWeights(model, onnxBytes('resnet_tiny'));
    expect(report.unmatchedLayers).toEqual([]);
    expect(report.unmatchedTensors).toEqual([]);
    expect(report.assigned.length).toBe(12 + 12 + 1);
    expect(report.assigned.filter((a) => a.match === 'name').map((a) => a.layer)).toEqual(['fc']);
    const conv1 = report.assigned.find((a) => a.layer === 'conv1')!;
    expect(conv1).toEqual({ layer: 'conv1', className: 'Conv2D', match: 'position', node: '/stem/stem.0/Conv', weights: { kernel: { tensor: 'onnx::Conv_117', how: 'copied' } } });
    const bn1 = report.assigned.find((a) => a.layer === 'bn1')!;
    expect(bn1.node).toBe('/stem/stem.0/Conv');
    expect(bn1.weights.beta).toEqual({ tensor: 'onnx::Conv_118', how: 'pass-through' });
    expect(report.assigned.find((a) => a.layer === 'layer2.0.downsample.0')!.weights.kernel.tensor).toBe('onnx::Conv_132');
    expect(report.assigned.find((a) => a.layer === 'fc')!.weights).toEqual({ kernel: { tensor: 'fc.weight', how: 'copied' }, bias: { tensor: 'fc.bias', how: 'copied' } });

    // the pass-through BN: gamma 1, beta = bias, mean 0, variance 1 - eps
    const [gamma, beta, mean, variance] = model.getLayer('bn1').getWeights();
    const bias = importOnnx(onnxBytes('resnet_tiny')).graph.constants.get('onnx::Conv_118')!.data;
    expect([Array.from(gamma), Array.from(beta), Array.from(mean)]).toEqual([new Array(8).fill(1), Array.from(bias), new Array(8).fill(0)]);
    expect(Array.from(variance)).toEqual(new Array(8).fill(Math.fround(1 - 1e-5)));

    const y = predictNchw(model, npy('resnet_tiny_x.npy'));
    const expected = npy('resnet_tiny_y0.npy');
    expect(expected.shape).toEqual([1, 10]);
    expectClose(y, expected.data, fixture('resnet_tiny').tolerance, 'resnet_tiny');
  });

  it('loading into another seed gives the same predictions (every weight is overwritten)', () => {
    const a = build(1);
    const b = build(2);
    loadOnnxWeights(a, onnxBytes('resnet_tiny'));
    loadOnnxWeights(b, importOnnx(onnxBytes('resnet_tiny')));
    const x = npy('resnet_tiny_x.npy');
    expect(Array.from(predictNchw(a, x))).toEqual(Array.from(predictNchw(b, x)));
  });
});

describe('other PyTorch exports', () => {
  it('lenet5 by name: the dense after Flatten gets its rows reordered from CHW to HWC', () => {
    // c1 5x5 pad 2 tanh, avg pool, c2 5x5 tanh, avg pool, flatten 16x5x5, f1 120 tanh, f2 84 tanh, f3 10
    const input = new Input({ shape: [28, 28, 1] });
    let x = new Conv2D(6, 5, { padding: 2, activation: 'tanh', name: 'c1' }).apply(input);
    x = new AveragePooling2D(2, { name: 's2' }).apply(x);
    x = new Conv2D(16, 5, { activation: 'tanh', name: 'c2' }).apply(x);
    x = new AveragePooling2D(2, { name: 's4' }).apply(x);
    x = new Flatten({ name: 'flatten' }).apply(x);
    x = new Dense(120, { activation: 'tanh', name: 'f1' }).apply(x);
    x = new Dense(84, { activation: 'tanh', name: 'f2' }).apply(x);
    x = new Dense(10, { name: 'f3' }).apply(x);
    const model = new Model({ inputs: input, outputs: x, name: 'lenet' });
    const report = loadOnnxWeights(model, onnxBytes('lenet5'));
    expect(report.assigned.map((a) => [a.layer, a.match, a.weights.kernel.tensor, a.weights.kernel.how])).toEqual([
      ['c1', 'name', 'c1.weight', 'copied'],
      ['c2', 'name', 'c2.weight', 'copied'],
      ['f1', 'name', 'f1.weight', 'rows CHW -> HWC'],
      ['f2', 'name', 'f2.weight', 'copied'],
      ['f3', 'name', 'f3.weight', 'copied'],
    ]);
    expectClose(predictNchw(model, npy('lenet5_x.npy')), npy('lenet5_y0.npy').data, fixture('lenet5').tolerance, 'lenet5');
  });

  it('mobile_block by position: depthwise convs with biases', () => {
    const input = new Input({ shape: [17, 17, 8] });
    let x = new Conv2D(32, 1, { activation: 'relu6', name: 'pw1' }).apply(input);
    x = new DepthwiseConv2D(3, { padding: 1, activation: 'relu6', name: 'dw' }).apply(x);
    x = new DepthwiseConv2D(3, { strides: 2, padding: 1, activation: 'relu6', name: 'dw2' }).apply(x);
    x = new Conv2D(8, 1, { name: 'pw2' }).apply(x);
    const model = new Model({ inputs: input, outputs: x, name: 'mobile_block' });
    const report = loadOnnxWeights(model, onnxBytes('mobile_block'));
    expect(report.assigned.map((a) => [a.layer, a.match, Object.values(a.weights).map((s) => s.tensor)])).toEqual([
      ['pw1', 'position', ['onnx::Conv_52', 'onnx::Conv_53']],
      ['dw', 'position', ['onnx::Conv_55', 'onnx::Conv_56']],
      ['dw2', 'position', ['onnx::Conv_58', 'onnx::Conv_59']],
      ['pw2', 'position', ['onnx::Conv_61', 'onnx::Conv_62']],
    ]);
    expectClose(predictNchw(model, npy('mobile_block_x.npy'), true), npy('mobile_block_y0.npy').data, fixture('mobile_block').tolerance, 'mobile_block');
  });
});

// ------------------------------------------------------------------ hand-made exports

describe('torchvision names (hand-encoded ONNX)', () => {
  it('conv + bn + relu + fc: every layer by name, predictions as the functional ops compute them', () => {
    const { bytes, w, eps } = tinyTorchvision();
    const model = tinyLayers();
    const report = loadOnnxWeights(model, bytes);
    expect(report.assigned.map((a) => [a.layer, a.match, Object.fromEntries(Object.entries(a.weights).map(([k, s]) => [k, s.tensor]))])).toEqual([
      ['conv1', 'name', { kernel: 'conv1.weight' }],
      ['bn1', 'name', { gamma: 'bn1.weight', beta: 'bn1.bias', moving_mean: 'bn1.running_mean', moving_variance: 'bn1.running_var' }],
      ['fc', 'name', { kernel: 'fc.weight', bias: 'fc.bias' }],
    ]);
    // layouts: OIHW -> HWIO, [out, in] -> [in, out], BN as is
    expect(Array.from(model.getLayer('conv1').getWeights()[0])).toEqual(Array.from(oihwToHwio(w.conv, [4, 3, 3, 3])));
    expect(model.getLayer('fc').getWeights().map((a) => Array.from(a))).toEqual([Array.from(transpose2d(w.fc, [5, 4])), Array.from(w.fcBias)]);
    expect(model.getLayer('bn1').getWeights().map((a) => Array.from(a))).toEqual([w.gamma, w.beta, w.mean, w.variance].map((a) => Array.from(a)));
    const x = X6();
    expectClose(predict(model, x), tinyReference(w, x, eps, false), TIGHT, 'tiny');
    x.dispose();
  });

  it('a conv bias before an unfolded BN goes into the mean; another BN epsilon is compensated in the variance', () => {
    const { bytes, w, eps } = tinyTorchvision({ convBias: true });
    const model = tinyLayers({ eps: 1e-3 });
    const report = loadOnnxWeights(model, bytes);
    const bn = report.assigned.find((a) => a.layer === 'bn1')!;
    expect(bn.weights.moving_mean).toEqual({ tensor: 'bn1.running_mean', how: 'minus conv bias', bias: 'conv1.bias' });
    expect(bn.weights.moving_variance).toEqual({ tensor: 'bn1.running_var', how: 'epsilon adjusted' });
    const x = X6();
    expectClose(predict(model, x), tinyReference(w, x, eps, true), TIGHT, 'tiny with conv bias');
    x.dispose();
  });

  it('the same model with anonymous initializers (onnx::...) loads by position', () => {
    const { bytes, w, eps } = tinyTorchvision({ convBias: true, names: (n) => `onnx::${n.replace(/\W/g, '_')}` });
    const model = tinyLayers();
    const report = loadOnnxWeights(model, bytes);
    expect(report.assigned.map((a) => [a.layer, a.match])).toEqual([
      ['conv1', 'position'],
      ['bn1', 'position'],
      ['fc', 'position'],
    ]);
    expect(report.assigned[1].weights.moving_mean.how).toBe('minus conv bias');
    const x = X6();
    expectClose(predict(model, x), tinyReference(w, x, eps, true), TIGHT, 'tiny by position');
    x.dispose();
  });

  it('a layer bias the ONNX conv lacks is zero', () => {
    const { bytes, w, eps } = tinyTorchvision();
    const model = tinyLayers({ convBias: true });
    const report = loadOnnxWeights(model, bytes);
    expect(report.assigned[0].weights.bias).toEqual({ how: 'zeros' });
    expect(Array.from(model.getLayer('conv1').getWeights()[1])).toEqual([0, 0, 0, 0]);
    const x = X6();
    expectClose(predict(model, x), tinyReference(w, x, eps, false), TIGHT, 'tiny with zero bias');
    x.dispose();
  });
});

// ------------------------------------------------------------------ errors

describe('errors', () => {
  const weightsOf = (m: Model) => m.layers.flatMap((l) => l.getWeights().map((a) => Array.from(a)));

  it('a shape mismatch names the layer, the tensor and both shapes, and changes nothing', () => {
    const narrow = resnet({ layers: [1, 1, 1, 1], widths: [8, 8, 32, 64] }, { classes: 10, inputShape: [64, 64, 3] });
    const before = weightsOf(narrow);
    expect(() => loadOnnxWeights(narrow, onnxBytes('resnet_tiny'))).toThrow(
      "loadOnnxWeights: layer 'layer2.0.conv1' expects a kernel [3,3,8,8] but the ONNX tensor 'onnx::Conv_126' is [3,3,8,16] (matched by position to ONNX Conv '/layers/layers.1/c1/Conv' ('onnx::Conv_126', 'onnx::Conv_127'))",
    );
    expect(weightsOf(narrow)).toEqual(before);
    expect(() => loadOnnxWeights(resnet18({ classes: 10, inputShape: [64, 64, 3] }), onnxBytes('resnet_tiny'))).toThrow(
      "loadOnnxWeights: layer 'conv1' expects a kernel [7,7,3,64] but the ONNX tensor 'onnx::Conv_117' is [7,7,3,8]",
    );
    // by name too
    const { bytes } = tinyTorchvision();
    const input = new Input({ shape: [6, 6, 3] });
    let x = new Conv2D(4, 3, { padding: 1, useBias: false, name: 'conv1' }).apply(input);
    x = new BatchNormalization({ name: 'bn1' }).apply(x);
    x = new GlobalAveragePooling2D().apply(x);
    x = new Dense(6, { name: 'fc' }).apply(x);
    expect(() => loadOnnxWeights(new Model({ inputs: input, outputs: x }), bytes)).toThrow(
      "loadOnnxWeights: layer 'fc' expects a kernel [4,6] but the ONNX tensor 'fc.weight' is [4,5] (matched by name",
    );
  });

  it('a missing layer or tensor is an error when strict, and reported otherwise', () => {
    // no fc: the ONNX fc has no layer
    const headless = resnet({ layers: [1, 1, 1, 1], widths: [8, 16, 32, 64] }, { includeTop: false, inputShape: [64, 64, 3] });
    expect(() => loadOnnxWeights(headless, onnxBytes('resnet_tiny'))).toThrow(
      "loadOnnxWeights: the model 'resnet' and the ONNX graph do not match one to one (ONNX tensors without a layer: 'fc.weight', 'fc.bias'); pass { strict: false } to load what matches",
    );
    const report = loadOnnxWeights(headless, onnxBytes('resnet_tiny'), { strict: false });
    expect(report.unmatchedTensors).toEqual(['fc.weight', 'fc.bias']);
    expect(report.unmatchedLayers).toEqual([]);
    expect(report.assigned.length).toBe(24);

    // an extra block in stage 4: its layers get nothing
    const deeper = resnet({ layers: [1, 1, 1, 2], widths: [8, 16, 32, 64] }, { classes: 10, inputShape: [64, 64, 3] });
    expect(() => loadOnnxWeights(deeper, onnxBytes('resnet_tiny'))).toThrow(
      "model layers without ONNX weights: 'layer4.1.conv1', 'layer4.1.bn1', 'layer4.1.conv2', 'layer4.1.bn2'",
    );
    const partial = loadOnnxWeights(deeper, onnxBytes('resnet_tiny'), { strict: false });
    expect(partial.unmatchedLayers).toEqual(['layer4.1.conv1', 'layer4.1.bn1', 'layer4.1.conv2', 'layer4.1.bn2']);
    expect(partial.unmatchedTensors).toEqual([]);
  });

  it('layers of another kind, by name or by position', () => {
    const { bytes } = tinyTorchvision();
    const input = new Input({ shape: [6, 6, 3] });
    let x = new Conv2D(4, 3, { padding: 1, useBias: false, name: 'conv1' }).apply(input);
    x = new BatchNormalization({ name: 'bn1' }).apply(x);
    x = new Conv2D(5, 6, { name: 'fc' }).apply(x);
    expect(() => loadOnnxWeights(new Model({ inputs: input, outputs: x }), bytes)).toThrow(
      "loadOnnxWeights: layer 'fc' is a Conv2D but the ONNX tensor 'fc.weight' of the same name feeds ONNX Gemm/MatMul '/Gemm_5' ('fc.weight', 'fc.bias')",
    );
    const anonymous = tinyTorchvision({ names: (n) => `onnx::${n}` }).bytes;
    const input2 = new Input({ shape: [6, 6, 3] });
    let y = new Conv2D(4, 3, { padding: 1, useBias: false, name: 'conv1' }).apply(input2);
    y = new GlobalAveragePooling2D().apply(y);
    y = new Dense(5, { name: 'fc' }).apply(y);
    expect(() => loadOnnxWeights(new Model({ inputs: input2, outputs: y }), anonymous)).toThrow(
      "loadOnnxWeights: matching by position, Dense 'fc' meets ONNX BatchNormalization '/BatchNormalization_1'",
    );
  });

  it('an ONNX conv bias with no layer bias and no batch norm to take it', () => {
    const { bytes } = tinyTorchvision({ convBias: true, names: (n) => `onnx::${n}` });
    const input = new Input({ shape: [6, 6, 3] });
    let x = new Conv2D(4, 3, { padding: 1, useBias: false, name: 'conv1' }).apply(input);
    x = new ReLU().apply(x);
    x = new BatchNormalization({ name: 'bn1' }).apply(new Conv2D(4, 1, { name: 'mix' }).apply(x));
    expect(() => loadOnnxWeights(new Model({ inputs: input, outputs: x }), bytes)).toThrow(
      "loadOnnxWeights: layer 'conv1' has no bias and no BatchNormalization right after it, but ONNX Conv '/Conv_0' ('onnx::conv1.weight', 'onnx::conv1.bias') has a bias",
    );
  });

  it('NaN weights name the tensor', () => {
    const { bytes } = tinyTorchvision({ nan: true });
    const model = tinyLayers();
    const before = weightsOf(model);
    expect(() => loadOnnxWeights(model, bytes)).toThrow("loadOnnxWeights: the ONNX tensor 'conv1.weight' (for layer 'conv1') has a non-finite value NaN at index");
    expect(weightsOf(model)).toEqual(before);
  });

  it('a bad source or option', () => {
    const model = tinyLayers();
    expect(() => loadOnnxWeights(model, null as unknown as Uint8Array)).toThrow('loadOnnxWeights: source must be the bytes of an .onnx file');
    expect(() => loadOnnxWeights(model, new Uint8Array([1, 2, 3]))).toThrow(/onnx/);
    expect(() => loadOnnxWeights(model, tinyTorchvision().bytes, { strict: 'yes' as unknown as boolean })).toThrow('loadOnnxWeights: strict must be a boolean');
  });
});
