// Winograd F(4x4, 3x3) conv path: against the direct (im2col + GEMM) path and a float64 reference on
// ResNet/VGG layer shapes with He-normal weights, every applicable fixture (single ops and ONNX models)
// forced through it, the auto choice, and its argument errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memory, shutdown, tensor, tidy, type Tensor } from '@wcnn/tensor';
import { expectAllClose, FIXTURES, FLAVORS, fixtureTensor, readFixture, useBuild } from '../test/setup.js';
import {
  conv2d, convAlgorithmFor, convAttrsFromOptions, convGeometry, createConv2d, setConv2dAlgorithm,
  winogradApplies, type ConvAlgorithm, type Conv2dOptions,
} from './ops/conv2d.js';
import { execute } from './runtime.js';
import { loadOnnx } from './onnx/model.js';

// The ONNX fixtures' tolerance, and the one this path is held to against the direct path.
const TOL = { rtol: 1e-3, atol: 1e-4 };

/** Deterministic N(0, 1) samples (LCG + Box-Muller). */
function normal(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

interface Layer {
  name: string;
  x: [number, number, number, number];
  cout: number;
}

// 3x3 stride-1 'same' layers of VGG16 / ResNet-34, a deep-cin one, and small odd shapes.
const LAYERS: Layer[] = [
  { name: 'ResNet conv2_x 1x56x56x64 -> 64', x: [1, 56, 56, 64], cout: 64 },
  { name: 'ResNet conv3_x 1x28x28x128 -> 128', x: [1, 28, 28, 128], cout: 128 },
  { name: 'ResNet conv4_x 1x14x14x256 -> 256', x: [1, 14, 14, 256], cout: 256 },
  { name: 'VGG conv5 1x14x14x512 -> 512', x: [1, 14, 14, 512], cout: 512 },
  { name: 'ResNet conv5_x 1x7x7x512 -> 512 (edge tiles)', x: [1, 7, 7, 512], cout: 512 },
  { name: 'odd 2x9x11x5 -> 7', x: [2, 9, 11, 5], cout: 7 },
];

interface LayerData {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
  /** float64 reference, rounded to f32 */
  ref: Float32Array;
}

/** Direct 3x3 'same' convolution, float64 accumulation. */
function refConvSame(x: Float32Array, [n, h, wd, cin]: number[], w: Float32Array, b: Float32Array, cout: number): Float32Array {
  const out = new Float32Array(n * h * wd * cout);
  const acc = new Float64Array(cout);
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < wd; ox++) {
        for (let co = 0; co < cout; co++) acc[co] = b[co];
        for (let ky = 0; ky < 3; ky++) {
          const iy = oy + ky - 1;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < 3; kx++) {
            const ix = ox + kx - 1;
            if (ix < 0 || ix >= wd) continue;
            const xo = ((img * h + iy) * wd + ix) * cin;
            const wo = (ky * 3 + kx) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const xv = x[xo + ci];
              if (xv === 0) continue;
              const wr = wo + ci * cout;
              for (let co = 0; co < cout; co++) acc[co] += xv * w[wr + co];
            }
          }
        }
        out.set(acc, ((img * h + oy) * wd + ox) * cout);
      }
    }
  }
  return out;
}

const layerData = new Map<string, LayerData>();

/** Post-ReLU activations (half-normal), He-normal weights (std sqrt(2 / (9 cin))), small biases. */
function dataFor(l: Layer): LayerData {
  let d = layerData.get(l.name);
  if (!d) {
    const cin = l.x[3];
    const x = normal(l.x.reduce((a, b) => a * b), 11 + cin).map((v) => Math.max(v, 0));
    const std = Math.sqrt(2 / (9 * cin));
    const w = normal(9 * cin * l.cout, 17 + l.cout).map((v) => v * std);
    const b = normal(l.cout, 23).map((v) => 0.1 * v);
    d = { x, w, b, ref: refConvSame(x, l.x, w, b, l.cout) };
    layerData.set(l.name, d);
  }
  return d;
}

function runConv(l: Layer, d: LayerData, algorithm: ConvAlgorithm): Float32Array {
  const wShape = [3, 3, l.x[3], l.cout];
  const attrs = convAttrsFromOptions('conv2d', { padding: 'same' });
  let y: Float32Array = new Float32Array(0);
  tidy(() => {
    const xt = tensor(d.x, l.x);
    const op = createConv2d('conv2d', l.x, wShape, tensor(d.w, wShape), tensor(d.b, [l.cout]), attrs, { algorithm });
    y = execute('conv2d', op, [xt])[0].dataSync();
  });
  return y;
}

interface ErrorStats {
  maxAbs: number;
  /** max |a - e| / (atol + rtol |e|): below 1 passes. */
  ofTol: number;
  /** max |a - e| / max |e| */
  maxRel: number;
}

function errorStats(a: Float32Array, e: Float32Array): ErrorStats {
  let maxAbs = 0;
  let ofTol = 0;
  let maxE = 0;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i] - e[i]);
    maxAbs = Math.max(maxAbs, err);
    ofTol = Math.max(ofTol, err / (TOL.atol + TOL.rtol * Math.abs(e[i])));
    maxE = Math.max(maxE, Math.abs(e[i]));
  }
  return { maxAbs, ofTol, maxRel: maxAbs / maxE };
}

const report: string[] = [];
afterAll(() => {
  if (report.length > 0) console.log(`Winograd F(4x4, 3x3) error (He-normal weights, half-normal inputs; ofTol = max err / (1e-4 + 1e-3 |ref|)):\n${report.join('\n')}`);
  shutdown();
});

const fmt = (s: ErrorStats) => `maxAbs ${s.maxAbs.toExponential(2)}, maxAbs/max|ref| ${s.maxRel.toExponential(2)}, ofTol ${s.ofTol.toFixed(3)}`;

describe.each(FLAVORS)('Winograd conv path on the %s build', (flavor) => {
  beforeAll(() => useBuild(flavor));
  afterEach(() => {
    setConv2dAlgorithm('auto');
  });

  it.each(LAYERS.map((l) => [l.name, l] as const))('%s: matches the direct path and the float64 reference', (_n, l) => {
    const d = dataFor(l);
    const before = memory();
    const wino = runConv(l, d, 'winograd');
    const direct = runConv(l, d, 'direct');
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().allocatedBytes).toBe(before.allocatedBytes);
    const vsDirect = errorStats(wino, direct);
    const vsRef = errorStats(wino, d.ref);
    const directVsRef = errorStats(direct, d.ref);
    report.push(`  ${flavor.padEnd(8)} ${l.name.padEnd(46)} winograd-direct: ${fmt(vsDirect)} | winograd-f64: ${fmt(vsRef)} | direct-f64: ${fmt(directVsRef)}`);
    expectAllClose(wino, direct, TOL, `${l.name} winograd vs direct`);
    expectAllClose(wino, d.ref, TOL, `${l.name} winograd vs float64`);
    // The direct path too: conv2d.test's chunked-im2col shape now takes Winograd under 'auto'.
    expectAllClose(direct, d.ref, { rtol: 1e-4, atol: 1e-4 }, `${l.name} direct vs float64`);
  });

  it('fuses activations and keeps sigmoid/tanh as a second pass', () => {
    const xs = normal(1 * 12 * 10 * 9, 5);
    const ws = normal(3 * 3 * 9 * 11, 6).map((v) => v * 0.2);
    const bs = normal(11, 7);
    const activations: Conv2dOptions['activation'][] = ['relu', 'relu6', 'sigmoid', 'tanh', 'leakyRelu', { type: 'clip', min: -0.5, max: 0.25 }];
    for (const activation of activations) {
      tidy(() => {
        const run = (algorithm: ConvAlgorithm) => {
          setConv2dAlgorithm(algorithm);
          return conv2d(tensor(xs, [1, 12, 10, 9]), tensor(ws, [3, 3, 9, 11]), { padding: 'same', activation, bias: tensor(bs, [11]) }).dataSync();
        };
        expectAllClose(run('winograd'), run('direct'), { rtol: 1e-4, atol: 1e-5 }, JSON.stringify(activation));
      });
    }
  });

  it('handles explicit, asymmetric and full padding and batches', () => {
    const cases: { x: [number, number, number, number]; cout: number; padding: Conv2dOptions['padding'] }[] = [
      { x: [2, 10, 13, 8], cout: 12, padding: [0, 2, 1, 0] },
      { x: [1, 9, 9, 16], cout: 8, padding: 'full' },
      { x: [3, 11, 8, 9], cout: 10, padding: 'valid' },
      { x: [1, 16, 16, 8], cout: 8, padding: [2, 0, 0, 2] },
    ];
    for (const c of cases) {
      const xs = normal(c.x.reduce((a, b) => a * b), c.cout);
      const ws = normal(9 * c.x[3] * c.cout, c.cout + 1).map((v) => v * Math.sqrt(2 / (9 * c.x[3])));
      tidy(() => {
        const run = (algorithm: ConvAlgorithm) => {
          setConv2dAlgorithm(algorithm);
          return conv2d(tensor(xs, c.x), tensor(ws, [3, 3, c.x[3], c.cout]), { padding: c.padding }).dataSync();
        };
        expectAllClose(run('winograd'), run('direct'), TOL, `${c.x.join('x')} -> ${c.cout}, padding ${JSON.stringify(c.padding)}`);
      });
    }
  });
});

interface OpCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, string>;
  output: string;
  tolerance: { rtol: number; atol: number };
}

const opManifest: { cases: OpCase[] } = JSON.parse(readFileSync(join(FIXTURES, 'ops/manifest.json'), 'utf8'));

/** The conv2d fixtures Winograd computes when forced: 3x3, stride 1, dilation 1, groups 1, zero padding. */
const winogradOpCases = opManifest.cases.filter((c) => {
  if (c.op !== 'conv2d') return false;
  const x = readFixture(c.inputs.x).shape;
  const w = readFixture(c.inputs.w).shape;
  return winogradApplies(convGeometry('conv2d', x, w, convAttrsFromOptions('conv2d', c.attrs as Conv2dOptions)));
});

interface OnnxModelCase {
  name: string;
  file: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  tolerance: { rtol: number; atol: number };
}

/** Models with 3x3 stride-1 single-group convs, which a forced Winograd default changes. */
const WINOGRAD_MODELS = ['vgg_tiny', 'resnet_tiny', 'jet_cnn', 'branches'];

const onnxManifest = JSON.parse(readFileSync(join(FIXTURES, 'onnx/manifest.json'), 'utf8')) as { models: OnnxModelCase[] };

describe.each(FLAVORS)('fixtures with Winograd forced on the %s build', (flavor) => {
  beforeAll(() => useBuild(flavor));
  afterEach(() => {
    setConv2dAlgorithm('auto');
  });

  it('finds the fixtures Winograd applies to', () => {
    // Of the 60 conv2d cases only conv2d_049 (2x12x6x7, 3x3 -> 8, valid) is 3x3, stride 1, dilation 1,
    // groups 1, zero padding; the ONNX models below add vgg_tiny, resnet_tiny, jet_cnn and branches.
    expect(winogradOpCases.map((c) => c.name)).toEqual(['conv2d_049']);
  });

  it.each(winogradOpCases.map((c) => [c.name, c] as const))('op fixture %s', (_n, c) => {
    const expected = readFixture(c.output);
    setConv2dAlgorithm('winograd');
    tidy(() => {
      const t: Record<string, Tensor> = {};
      for (const [k, rel] of Object.entries(c.inputs)) t[k] = fixtureTensor(rel);
      const y = conv2d(t.x, t.w, { ...(c.attrs as Conv2dOptions), bias: t.b });
      expect(y.shape).toEqual(expected.shape);
      expectAllClose(y.dataSync(), expected.data, c.tolerance, `${c.name} (winograd)`);
    });
  });

  /**
   * Outputs of each of `runs` predicts of the model under an algorithm default (compiled with it: operators
   * are created at the first predict).
   */
  async function predict(m: OnnxModelCase, algorithm: ConvAlgorithm, deferWinograd: boolean, runs = 1): Promise<Array<Record<string, Float32Array>>> {
    setConv2dAlgorithm(algorithm);
    const model = await loadOnnx(join(FIXTURES, m.file), { deferWinograd });
    const feeds: Record<string, Tensor> = {};
    for (const [name, rel] of Object.entries(m.inputs)) {
      const { data, shape } = readFixture(rel);
      feeds[name] = tensor(data, shape);
    }
    try {
      const outs: Array<Record<string, Float32Array>> = [];
      for (let r = 0; r < runs; r++) {
        const results = model.predict(feeds);
        const out: Record<string, Float32Array> = {};
        for (const name of Object.keys(m.outputs)) {
          expect(results[name].shape).toEqual(readFixture(m.outputs[name]).shape);
          out[name] = results[name].dataSync();
        }
        Object.values(results).forEach((t) => t.dispose());
        outs.push(out);
      }
      return outs;
    } finally {
      Object.values(feeds).forEach((t) => t.dispose());
      model.dispose();
    }
  }

  it.each(onnxManifest.models.map((m) => [m.name, m] as const))('ONNX model %s', async (_n, m) => {
    const [wino] = await predict(m, 'winograd', false);
    for (const [name, rel] of Object.entries(m.outputs)) {
      expectAllClose(wino[name], readFixture(rel).data, m.tolerance, `${m.name} ${name} (winograd, ${flavor})`);
    }
    if (WINOGRAD_MODELS.includes(m.name)) {
      // The forced run really took the Winograd path: its rounding differs from the direct path's.
      const [direct] = await predict(m, 'direct', false);
      const [first] = Object.keys(m.outputs);
      expect(wino[first].some((v, i) => v !== direct[first][i]), `${m.name}: Winograd output differs from direct`).toBe(true);
      // Deferred: the first run is the direct path's, bit for bit (the same GEMM packing, made from the
      // file's (cout, cin, kh, kw) filters), the second and third the eager Winograd's (built from it).
      const deferred = await predict(m, 'winograd', true, 3);
      for (const name of Object.keys(m.outputs)) {
        expect(Array.from(deferred[0][name]), `${m.name} ${name}: first run`).toEqual(Array.from(direct[name]));
        expect(Array.from(deferred[1][name]), `${m.name} ${name}: second run`).toEqual(Array.from(wino[name]));
        expect(Array.from(deferred[2][name]), `${m.name} ${name}: third run`).toEqual(Array.from(wino[name]));
      }
    }
  });
});

describe('choosing the Winograd path', () => {
  const geom = (x: number[], w: number[], options: Conv2dOptions = {}) =>
    convGeometry('conv2d', x, w, convAttrsFromOptions('conv2d', { padding: 'same', ...options }));

  it("'auto' picks Winograd for 3x3 stride-1 layers with cin >= 16, cout >= 4 and an output of at least 6x6", () => {
    const auto = (x: number[], w: number[], o: Conv2dOptions = {}) => convAlgorithmFor(geom(x, w, o), 'auto');
    expect(auto([1, 56, 56, 64], [3, 3, 64, 64])).toBe('winograd');
    expect(auto([1, 7, 7, 512], [3, 3, 512, 512])).toBe('winograd');
    expect(auto([1, 6, 6, 16], [3, 3, 16, 4])).toBe('winograd');
    expect(auto([1, 8, 8, 16], [3, 3, 16, 4], { padding: 'valid' })).toBe('winograd'); // 6x6 output
    expect(auto([1, 8, 7, 16], [3, 3, 16, 4], { padding: 'valid' })).toBe('direct'); // 6x5 output
    expect(auto([1, 5, 5, 256], [3, 3, 256, 256])).toBe('direct');
    expect(auto([1, 32, 32, 8], [3, 3, 8, 64])).toBe('direct');
    expect(auto([1, 32, 32, 3], [3, 3, 3, 64])).toBe('direct');
    expect(auto([1, 32, 32, 64], [3, 3, 64, 2])).toBe('direct');
    expect(convAlgorithmFor(geom([1, 56, 56, 64], [3, 3, 64, 64]), 'direct')).toBe('direct');
  });

  it('never picks Winograd where it does not apply, even when forced', () => {
    const forced = (x: number[], w: number[], o: Conv2dOptions) => convAlgorithmFor(geom(x, w, o), 'winograd');
    expect(forced([1, 16, 16, 8], [3, 3, 8, 8], { strides: 2 })).toBe('direct');
    expect(forced([1, 16, 16, 8], [3, 3, 8, 8], { dilations: 2 })).toBe('direct');
    expect(forced([1, 16, 16, 8], [3, 3, 4, 8], { groups: 2 })).toBe('direct');
    expect(forced([1, 16, 16, 8], [3, 3, 1, 8], { groups: 8 })).toBe('direct');
    expect(forced([1, 16, 16, 8], [3, 3, 8, 8], { padding: 'circular' })).toBe('direct');
    expect(forced([1, 16, 16, 8], [5, 5, 8, 8], {})).toBe('direct');
    expect(forced([1, 16, 16, 8], [3, 1, 8, 8], {})).toBe('direct');
    expect(forced([1, 2, 2, 1], [3, 3, 1, 1], {})).toBe('winograd');
  });

  it('names the op and the conditions when Winograd is asked for where it does not apply', async () => {
    await useBuild('baseline');
    const attrs = convAttrsFromOptions('conv2d', { strides: 2, padding: 'same' });
    expect(() => createConv2d('conv2d', [1, 8, 8, 8], [3, 3, 8, 8], new Float32Array(576), undefined, attrs, { algorithm: 'winograd' }))
      .toThrow("conv2d: algorithm 'winograd' needs a 3x3 filter, strides 1, dilations 1, groups 1 and zero padding; got a 3x3 filter, strides [2, 2]");
    expect(() => createConv2d('conv2d', [1, 8, 8, 8], [3, 3, 8, 8], new Float32Array(576), undefined, attrs, { algorithm: 'fast' as ConvAlgorithm }))
      .toThrow("conv2d: algorithm must be 'auto', 'direct' or 'winograd', got \"fast\"");
    expect(() => setConv2dAlgorithm('fast' as ConvAlgorithm)).toThrow("conv2d: algorithm must be 'auto', 'direct' or 'winograd', got \"fast\"");
  });
});
