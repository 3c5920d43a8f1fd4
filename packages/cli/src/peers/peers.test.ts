// The peers compute what wcnn computes: zoo models, a graph with every op the exporter and the
// tfjs interpreter know, the ONNX fixtures, and suite-like conv layers — wcnn, TensorFlow.js and
// onnxruntime-web within 1e-3. Small shapes only: this checks semantics, not speed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zoo } from '@wcnn/models';
import { loadOnnx, type Graph, type Node } from '@wcnn/nn';
import { parseNpy, shutdown } from '@wcnn/tensor';
import { FIXTURES } from '../../../../test/fixtures.js';
import { graphCase, layerGraph, layerSpec, seeded } from '../bench/cases.js';
import { maxRelativeDiff } from '../bench/run.js';
import type { SuiteLayer } from '../bench/suite.js';
import { startEngine } from '../engine.js';
import { UsageError } from '../errors.js';
import { exportOnnx } from './export-onnx.js';
import { loadPeers, parsePeerList, type ModelSpec, type Peer } from './index.js';

const TOL = 1e-3;
let peers: Peer[];

beforeAll(async () => {
  await startEngine('auto');
  peers = await loadPeers(['tfjs', 'ort']);
});
afterAll(() => shutdown());

function maxAbsDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let d = 0;
  for (const [k, v] of Object.entries(a)) for (let i = 0; i < v.length; i++) d = Math.max(d, Math.abs(v[i] - b[k][i]));
  return d;
}

/** Runs a model spec on wcnn and both peers; every peer's outputs within TOL of wcnn's (absolute and relative). */
async function expectAgreement(spec: ModelSpec): Promise<void> {
  const wcnn = graphCase(spec.graph, spec.inputs);
  const ref = wcnn.outputs();
  wcnn.dispose();
  expect(Object.keys(ref).sort()).toEqual([...spec.graph.outputs].sort());
  for (const p of peers) {
    const pc = await p.model(spec);
    try {
      const outs = await pc.outputs();
      expect(maxRelativeDiff(ref, outs), `${p.name} on ${spec.label} (relative)`).toBeLessThan(TOL);
      expect(maxAbsDiff(ref, outs), `${p.name} on ${spec.label} (absolute)`).toBeLessThan(TOL);
      await pc.run(); // the timed path runs too
    } finally {
      await pc.dispose();
    }
  }
}

function zooSpec(name: string, inputShape?: [number, number, number], batch = 1): ModelSpec {
  const graph = zoo[name](inputShape ? { inputShape } : {}).graph;
  const shape = [batch, ...(graph.inputs[0].shape.slice(1) as number[])];
  return { label: name, graph, inputs: { [graph.inputs[0].name]: { data: seeded(shape.reduce((a, b) => a * b, 1), 3), shape } } };
}

describe('peers agree with wcnn', () => {
  it.each([['lenet5'], ['jet_tagger']])('zoo:%s (batch 2)', async (name) => {
    await expectAgreement(zooSpec(name, undefined, 2));
  });

  it('zoo:mobilenet_v2 at 32x32 (batch norm, residual adds, explicit pads, depthwise, relu6)', async () => {
    await expectAgreement(zooSpec('mobilenet_v2', [32, 32, 3]));
  });

  it('a graph with every op of the exporter and the tfjs interpreter', async () => {
    const constants = new Map<string, { data: Float32Array; shape: number[] }>();
    let seed = 10;
    const c = (name: string, shape: number[], scale = 0.3) => {
      constants.set(name, { data: seeded(shape.reduce((a, b) => a * b, 1), seed++, scale), shape });
      return name;
    };
    const positive = (name: string, shape: number[]) => {
      constants.set(name, { data: seeded(shape.reduce((a, b) => a * b, 1), seed++, 0.4).map((v) => v + 1), shape });
      return name;
    };
    const nodes: Node[] = [];
    const node = (op: Node['op'], inputs: string[], attrs: Record<string, unknown> = {}): string => {
      const out = `${op}_${nodes.length}`;
      nodes.push({ name: out, op, inputs, outputs: [out], attrs } as Node);
      return out;
    };
    const conv = (x: string, w: number[], attrs: Record<string, unknown>) =>
      node('conv2d', [x, c(`w${nodes.length}`, w), c(`b${nodes.length}`, [w[3]], 0.1)], { strides: [1, 1], dilations: [1, 1], padding: 'same', groups: 1, padMode: 'zeros', ...attrs });
    // Shapes in comments: (N, H, W, C).
    const c1 = conv('x', [3, 3, 4, 8], { activation: 'relu' }); // (2,9,9,8)
    const c2 = conv(c1, [3, 3, 8, 8], { strides: [2, 2], padding: [1, 0, 0, 1], activation: { type: 'leakyRelu', alpha: 0.1 } }); // explicit pads: (2,4,4,8)
    const dw = conv(c2, [3, 3, 1, 8], { groups: 8, padding: [1, 1, 1, 1], strides: [2, 2], activation: 'relu6' }); // depthwise, PyTorch pads: (2,2,2,8)
    const grouped = conv(c2, [1, 1, 4, 8], { groups: 2, padding: 'valid', strides: [2, 2], activation: 'tanh' }); // (2,2,2,8)
    const dil = conv(dw, [3, 3, 8, 8], { dilations: [2, 2], activation: 'sigmoid' }); // (2,2,2,8)
    let z = node('concat', [dw, grouped, dil], { axis: 3 }); // (2,2,2,24)
    z = node('batchNorm', [z, positive('g', [24]), c('beta', [24]), c('mean', [24]), positive('var', [24])], { epsilon: 1e-3 });
    z = node('add', [z, c('bias_c', [24])]);
    z = node('mul', [z, positive('scale_c', [1, 1, 24])]);
    z = node('sub', [z, c('shift_s', [1])]);
    z = node('div', [z, positive('div_c', [24])]);
    z = node('clip', [z], { min: -2, max: 2 });
    z = node('pad', [z], { pads: [0, 1, 1, 0, 0, 1, 1, 0], mode: 'reflect', value: 0 }); // (2,4,4,24)
    z = node('pad', [z], { pads: [0, 1, 0, 0, 0, 0, 1, 0], mode: 'constant', value: 0.5 }); // (2,5,5,24)
    const mp = node('maxPool2d', [z], { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padding: [1, 1, 1, 1], ceilMode: true }); // (2,3,3,24)
    const ap = node('avgPool2d', [z], { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], padding: [1, 1, 1, 1], ceilMode: false, countIncludePad: true }); // (2,3,3,24)
    const ap3 = node('avgPool2d', [z], { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padding: 'same', ceilMode: false, countIncludePad: false }); // (2,3,3,24)
    const p = node('relu', [node('add', [mp, node('identity', [ap3])])]);
    const sm = node('softmax', [node('leakyRelu', [ap], { alpha: 0.3 })], { axis: 1 }); // over H
    const both = node('concat', [p, sm], { axis: 3 }); // (2,3,3,48)
    const sl = node('slice', [both], { starts: [0, 1, -1, 2], ends: [2, 3, -4, 40], axes: [0, 1, 2, 3], steps: [1, 1, -1, 3] }); // (2,2,3,13)
    const tr = node('transpose', [sl], { perm: [0, 2, 1, 3] }); // (2,3,2,13)
    const gap = node('globalAvgPool2d', [tr], { keepDims: true }); // (2,1,1,13)
    const gmp = node('globalMaxPool2d', [tr], { keepDims: false }); // (2,13)
    const flat = node('flatten', [node('sigmoid', [gap])]); // (2,13)
    const rs = node('reshape', [node('tanh', [gmp])], { shape: [0, -1] }); // (2,13)
    const d1 = node('dense', [node('concat', [flat, rs], { axis: 1 }), c('dw1', [26, 10]), c('db1', [10], 0.1)], { activation: 'relu' });
    const out = node('softmax', [node('dense', [d1, c('dw2', [10, 5])])], { axis: -1 }); // (2,5)
    const feat = node('relu6', [node('reshape', [tr], { shape: [2, 6, 13] })]); // a rank-3 output
    const graph: Graph = { name: 'kitchen_sink', inputs: [{ name: 'x', shape: [null, 9, 9, 4] }], outputs: [out, feat, gap], nodes, constants };
    const shape = [2, 9, 9, 4];
    await expectAgreement({ label: 'kitchen sink', graph, inputs: { x: { data: seeded(2 * 9 * 9 * 4, 5), shape } } });
  });

  it('the exporter says which inputs and outputs it made NCHW', () => {
    const spec = layerSpec({ name: 'l', model: '', input: [1, 5, 5, 3], kernel: [3, 3], cout: 4, strides: [1, 1], padding: 'same', groups: 1, flops: 0 });
    const exp = exportOnnx(layerGraph(spec));
    expect(exp.inputs).toEqual([{ name: 'x', nchw: true, shape: [1, 3, 5, 5] }]);
    expect(exp.outputs).toEqual([{ name: 'y', nchw: true, shape: [1, 4, 5, 5] }]);
    expect(exp.bytes.length).toBeGreaterThan(4 * 3 * 3 * 3 * 4);
  });

  const manifest = JSON.parse(readFileSync(join(FIXTURES, 'onnx/manifest.json'), 'utf8')) as {
    models: Array<{ name: string; file: string; inputs: Record<string, string>; outputs: Record<string, string> }>;
  };
  it.each(manifest.models.map((m) => [m.name, m] as const))('ONNX fixture %s: the file on onnxruntime, wcnn\'s import on tfjs', async (_n, m) => {
    const file = join(FIXTURES, m.file);
    const model = await loadOnnx(file);
    const inputs = Object.fromEntries(Object.entries(m.inputs).map(([k, rel]) => [k, parseNpy(readFileSync(join(FIXTURES, rel)))]));
    await expectAgreement({ label: m.name, graph: model.graph, inputs, onnx: new Uint8Array(readFileSync(file)) });
    model.dispose();
  });

  const layers: Array<Omit<SuiteLayer, 'flops' | 'model'>> = [
    { name: '3x3', input: [1, 8, 8, 16], kernel: [3, 3], cout: 8, strides: [1, 1], padding: 'same', groups: 1 },
    { name: '3x3/2 odd', input: [1, 9, 7, 4], kernel: [3, 3], cout: 8, strides: [2, 2], padding: 'same', groups: 1 },
    { name: '7x7/2', input: [1, 16, 16, 3], kernel: [7, 7], cout: 8, strides: [2, 2], padding: 'same', groups: 1 },
    { name: '1x1/2', input: [1, 8, 8, 8], kernel: [1, 1], cout: 16, strides: [2, 2], padding: 'same', groups: 1 },
    { name: 'dw 3x3/2', input: [1, 8, 8, 12], kernel: [3, 3], cout: 12, strides: [2, 2], padding: 'same', groups: 12 },
    { name: 'dw 3x3 valid', input: [1, 6, 6, 8], kernel: [3, 3], cout: 8, strides: [1, 1], padding: 'valid', groups: 8 },
  ];
  it.each(layers.map((l) => [l.name, l] as const))('suite-like layer %s', async (_n, l) => {
    const spec = layerSpec({ ...l, model: '', flops: 0 });
    const wcnn = graphCase(layerGraph(spec), { x: { data: spec.x, shape: spec.xShape } });
    const ref = wcnn.outputs();
    wcnn.dispose();
    for (const p of peers) {
      const pc = await p.layer(spec);
      const outs = await pc.outputs();
      await pc.run();
      await pc.dispose();
      expect(maxRelativeDiff(ref, outs), `${p.name} ${l.name}`).toBeLessThan(TOL);
    }
  });
});

describe('loading peers', () => {
  it('parses --vs', () => {
    expect(parsePeerList('tfjs,ort')).toEqual(['tfjs', 'ort']);
    expect(parsePeerList('ort, ort')).toEqual(['ort']);
    expect(() => parsePeerList('tfjs,onnx')).toThrow("--vs: unknown peer 'onnx' (expected: tfjs, ort)");
    expect(() => parsePeerList(',')).toThrow(UsageError);
  });

  it('a missing peer package is a usage error with the install line', async () => {
    await expect(loadPeers(['tfjs'], { tfjs: { core: '@tensorflow/tfjs-core-not-installed', wasm: '@tensorflow/tfjs-backend-wasm' } })).rejects.toThrow(
      'npm install -D @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0',
    );
    await expect(loadPeers(['ort'], { ort: 'onnxruntime-web-not-installed' })).rejects.toThrow(
      /^--vs ort needs onnxruntime-web, which is not installed; at the repository root run: npm install -D onnxruntime-web@1\.30\.0$/,
    );
  });
});
