// GraphModel with ownWeights: each weight once in wasm memory (batch norms folded first), Winograd
// filters kept only in that form, batch-1 dense reading its weights in place; plans for other input
// shapes still right; dispose frees everything; errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { backend, init, memory, shutdown, tensor, tidy, type Tensor } from '@wcnn/tensor';
import { FLAVORS, expectAllClose, random, useBuild } from '../../test/setup.js';
import * as nn from '../index.js';
import { GemmFilter, GraphModel, WinogradFilter, type Constant, type Graph, type Node } from '../index.js';
import { packWinogradFilter } from './winograd-filter.js';
import { kernels, withScratch } from '../runtime.js';
import { setConv2dAlgorithm } from '../ops/conv2d.js';

const c = (shape: number[], seed: number, lo = -0.5, hi = 0.5): Constant => ({ data: random(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape });
const conv = (name: string, inputs: string[], output: string, groups = 1): Node => ({
  name, op: 'conv2d', inputs, outputs: [output], attrs: { strides: [1, 1], dilations: [1, 1], padding: 'same', groups, padMode: 'zeros' },
});

/** conv 3x3 (16 -> 24, Winograd at >= 6x6) + BN + relu, depthwise 3x3, global pooling, dense (24 -> 19). */
function graph(constants?: Map<string, Constant>): Graph {
  return {
    name: 'owned',
    inputs: [{ name: 'x', shape: [null, null, null, 16] }],
    outputs: ['y'],
    nodes: [
      conv('conv1', ['x', 'w1', 'b1'], 'c1'),
      { name: 'bn1', op: 'batchNorm', inputs: ['c1', 'g', 'be', 'm', 'v'], outputs: ['n1'], attrs: { epsilon: 1e-3 } },
      { name: 'relu1', op: 'relu', inputs: ['n1'], outputs: ['r1'], attrs: {} },
      conv('dw', ['r1', 'wdw', 'bdw'], 'd', 24),
      { name: 'gap', op: 'globalAvgPool2d', inputs: ['d'], outputs: ['gp'], attrs: { keepDims: false } },
      { name: 'fc', op: 'dense', inputs: ['gp', 'wd', 'bd'], outputs: ['y'], attrs: {} },
    ],
    constants: constants ?? new Map<string, Constant>([
      ['w1', c([3, 3, 16, 24], 1)], ['b1', c([24], 2)],
      ['g', c([24], 3, 0.5, 1.5)], ['be', c([24], 4)], ['m', c([24], 5)], ['v', c([24], 6, 0.5, 2)],
      ['wdw', c([3, 3, 1, 24], 7)], ['bdw', c([24], 8)],
      ['wd', c([24, 19], 9)], ['bd', c([19], 10)],
    ]),
  };
}

const image = (n: number, h: number, w: number, seed: number): Tensor => tensor(random(n * h * w * 16, seed), [n, h, w, 16]);

describe.each(FLAVORS)('a GraphModel owning its weights (%s build)', (flavor) => {
  beforeAll(() => useBuild(flavor));

  it('keeps each weight once, and matches the model that does not, for the first shape and others', () => {
    const before = memory();
    const g = graph();
    const owned = new GraphModel(g, { ownWeights: true });
    const plain = new GraphModel(g);
    tidy(() => {
      // The first plan (batch 1, 9x9) runs conv1 with Winograd: its filter is kept only in that form.
      for (const [n, h, w] of [[1, 9, 9], [3, 9, 9], [1, 4, 5], [2, 13, 6]]) {
        const x = image(n, h, w, n * 100 + h * 10 + w);
        expectAllClose(owned.predict(x).y.dataSync(), plain.predict(x).y.dataSync(), { rtol: 1e-4, atol: 1e-5 }, `${n}x${h}x${w}`);
      }
    });
    const constants = owned.graph.constants;
    expect(owned.graph.nodes.map((n) => n.op)).not.toContain('batchNorm');
    const filter = constants.get('conv1::w_bn')!;
    expect(filter.winograd).toBeInstanceOf(WinogradFilter);
    expect(() => filter.data).toThrow("conv2d 'conv1': weight 'conv1::w_bn' is kept only in Winograd form by the model that owns it");
    expect(constants.get('wd')!.tensor).toBeDefined();
    expect(Array.from(constants.get('wd')!.data)).toEqual(Array.from(g.constants.get('wd')!.data));
    // The batch norm's parameters and the unfolded filter are no longer the model's.
    expect([...constants.keys()].sort()).toEqual(['bd', 'bdw', 'conv1::b_bn', 'conv1::w_bn', 'wd', 'wdw']);
    expect(owned.weightBytes).toBeGreaterThan(0);
    // The caller's graph is untouched.
    expect(g.nodes).toHaveLength(6);
    expect(g.constants.get('w1')!.tensor).toBeUndefined();
    owned.dispose();
    plain.dispose();
    expect(memory()).toMatchObject({ numTensors: before.numTensors, numBytes: before.numBytes, allocatedBytes: before.allocatedBytes });
  });

  it('survives tidy() around its first two predicts, and a thousand predicts leave memory() unchanged', () => {
    const model = new GraphModel(graph(), { ownWeights: true });
    const x = image(1, 8, 8, 3);
    let first: Float32Array = new Float32Array();
    let second: Float32Array = new Float32Array();
    // The first on im2col + GEMM, the second builds the Winograd filter.
    tidy(() => {
      first = model.predict(x).y.dataSync();
    });
    tidy(() => {
      second = model.predict(x).y.dataSync();
    });
    expectAllClose(second, first, { rtol: 1e-4, atol: 1e-5 }, 'Winograd vs GEMM');
    const warm = model.predict(x);
    expect(Array.from(warm.y.dataSync())).toEqual(Array.from(second));
    warm.y.dispose();
    const before = memory();
    for (let i = 0; i < 1000; i++) model.predict(x).y.dispose();
    expect(memory()).toEqual(before);
    model.dispose();
    x.dispose();
  });

  it('defers the Winograd filter to the second predict: the first runs a GEMM packing made from the filter as stored, then freed', () => {
    const before = memory();
    const g = graph();
    const eager = new GraphModel(g, { ownWeights: true, deferWinograd: false });
    const deferred = new GraphModel(g, { ownWeights: true });
    const direct = new GraphModel(g, { ownWeights: true });
    const x = image(1, 9, 9, 11);
    const run = (m: GraphModel): number[] => {
      const y = m.predict(x).y;
      const out = Array.from(y.dataSync());
      y.dispose();
      return out;
    };
    // The conv on im2col + GEMM (an owned model too: its batch-1 dense runs f32_gemv, the plain model's the GEMM).
    const previous = setConv2dAlgorithm('direct');
    const directOut = run(direct);
    setConv2dAlgorithm(previous);
    // (Winograd applies to it, so under 'direct' it keeps its plain form and each plan packs it.)
    expect(direct.graph.constants.get('conv1::w_bn')!.tensor).toBeDefined();
    const eagerOut = run(eager);
    expect(eager.graph.constants.get('conv1::w_bn')!.winograd).toBeInstanceOf(WinogradFilter);
    // First run: im2col + GEMM on the GemmFilter.
    expect(run(deferred)).toEqual(directOut);
    const filter = deferred.graph.constants.get('conv1::w_bn')!;
    expect(filter.gemm).toBeInstanceOf(GemmFilter);
    expect(filter.winograd).toBeUndefined();
    expect(() => filter.data).toThrow("conv2d 'conv1': weight 'conv1::w_bn' is kept only packed for im2col + GEMM by the model that owns it");
    // The packing lies in the block its Winograd form takes later: the model holds as many bytes as the eager one.
    expect(deferred.weightBytes).toBe(eager.weightBytes);
    // Second run: the Winograd filter, built from the GEMM packing, gives the eager model's bits.
    expect(run(deferred)).toEqual(eagerOut);
    const built = deferred.graph.constants.get('conv1::w_bn')!.winograd!;
    expect(built).toBeInstanceOf(WinogradFilter);
    expect(built.tensor).toBe(filter.gemm!.tensor);
    expect(deferred.weightBytes).toBe(eager.weightBytes);
    // Six weights a model (the folded filter and bias, depthwise, dense) and x: the GEMM packing was freed.
    expect(memory().numTensors).toBe(before.numTensors + 3 * 6 + 1);
    [eager, deferred, direct].forEach((m) => m.dispose());
    x.dispose();
    expect(memory()).toMatchObject({ numTensors: before.numTensors, allocatedBytes: before.allocatedBytes });
  });

  it('several deferred filters share one block: each Winograd form is written over packings already used, the largest\'s copied out first', () => {
    // Four 3x3 convs of four sizes (Winograd at 9x9 from 16 input channels), the last with a residual add.
    const conv3 = (name: string, x: string, w: string, b: string, y: string): Node => conv(name, [x, w, b], y);
    const g: Graph = {
      name: 'home',
      inputs: [{ name: 'x', shape: [null, null, null, 16] }],
      outputs: ['y'],
      nodes: [
        conv3('a', 'x', 'wa', 'ba', 'ya'),
        conv3('b', 'ya', 'wb', 'bb', 'yb'),
        conv3('c', 'yb', 'wc', 'bc', 'yc'),
        conv3('d', 'yc', 'wd2', 'bd2', 'yd'),
        { name: 'r', op: 'relu', inputs: ['yd'], outputs: ['y'], attrs: {} },
      ],
      constants: new Map<string, Constant>([
        ['wa', c([3, 3, 16, 40], 31)], ['ba', c([40], 32)],
        ['wb', c([3, 3, 40, 24], 33)], ['bb', c([24], 34)],
        ['wc', c([3, 3, 24, 64], 35)], ['bc', c([64], 36)],
        ['wd2', c([3, 3, 64, 16], 37)], ['bd2', c([16], 38)],
      ]),
    };
    const before = memory();
    const x = image(1, 9, 9, 41);
    const out = (m: GraphModel): number[] => {
      const y = m.predict(x).y;
      const o = Array.from(y.dataSync());
      y.dispose();
      return o;
    };
    const eager = new GraphModel(g, { ownWeights: true, deferWinograd: false });
    const deferred = new GraphModel(g, { ownWeights: true });
    const direct = new GraphModel(g, { ownWeights: true });
    const previous = setConv2dAlgorithm('direct');
    const directOut = out(direct);
    setConv2dAlgorithm(previous);
    const eagerOut = out(eager);
    expect(out(deferred)).toEqual(directOut);
    const filters = ['wa', 'wb', 'wc', 'wd2'].map((w) => deferred.graph.constants.get(w)!.gemm!);
    expect(new Set(filters.map((f) => f.tensor)).size).toBe(1);
    for (let i = 0; i < 3; i++) {
      expect(out(deferred), `run ${i + 2}`).toEqual(eagerOut);
      for (const w of ['wa', 'wb', 'wc', 'wd2']) expect(deferred.graph.constants.get(w)!.winograd!.tensor).toBe(filters[0].tensor);
    }
    expect(deferred.weightBytes).toBe(eager.weightBytes);
    [eager, deferred, direct].forEach((m) => m.dispose());
    x.dispose();
    expect(memory()).toMatchObject({ numTensors: before.numTensors, allocatedBytes: before.allocatedBytes });
  });

  it('builds the Winograd filter of a conv with a 56x56 output up front and defers the smaller one\'s', () => {
    // conv a (16 -> 24) at 56x56, a 2x2 max pool, conv b (24 -> 16) at 28x28: both Winograd.
    const pool: Node = { name: 'pool', op: 'maxPool2d', inputs: ['ya'], outputs: ['p'], attrs: { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], padding: 'valid', ceilMode: false } };
    const constants = (): Map<string, Constant> => new Map<string, Constant>([
      ['wa', c([3, 3, 16, 24], 51)], ['ba', c([24], 52)], ['wb', c([3, 3, 24, 16], 53)], ['bb', c([16], 54)],
    ]);
    const input = (name: string, channels: number): Graph['inputs'][number] => ({ name, shape: [null, null, null, channels] });
    const g: Graph = { name: 'upfront', inputs: [input('x', 16)], outputs: ['y'], nodes: [conv('a', ['x', 'wa', 'ba'], 'ya'), pool, conv('b', ['p', 'wb', 'bb'], 'y')], constants: constants() };
    // The first run's reference: conv a (and the pool) on Winograd, then conv b on im2col + GEMM.
    const front: Graph = { name: 'front', inputs: [input('x', 16)], outputs: ['p'], nodes: [conv('a', ['x', 'wa', 'ba'], 'ya'), pool], constants: constants() };
    const back: Graph = { name: 'back', inputs: [input('p', 24)], outputs: ['y'], nodes: [conv('b', ['p', 'wb', 'bb'], 'y')], constants: constants() };
    const before = memory();
    const x = image(1, 56, 56, 55);
    const values = (t: Tensor): number[] => {
      const v = Array.from(t.dataSync());
      t.dispose();
      return v;
    };
    const frontModel = new GraphModel(front, { ownWeights: true, deferWinograd: false });
    const backModel = new GraphModel(back);
    const p = frontModel.predict(x).p;
    const previous = setConv2dAlgorithm('direct');
    const firstOut = values(backModel.predict(p).y);
    setConv2dAlgorithm(previous);
    p.dispose();
    const eager = new GraphModel(g, { ownWeights: true, deferWinograd: false });
    const eagerOut = values(eager.predict(x).y);
    const deferred = new GraphModel(g, { ownWeights: true });
    expect(values(deferred.predict(x).y)).toEqual(firstOut);
    const a = deferred.graph.constants.get('wa')!.winograd!;
    expect(a).toBeInstanceOf(WinogradFilter);
    const b = deferred.graph.constants.get('wb')!.gemm!;
    expect(b).toBeInstanceOf(GemmFilter);
    expect(values(deferred.predict(x).y)).toEqual(eagerOut);
    expect(deferred.graph.constants.get('wb')!.winograd!.tensor).toBe(b.tensor);
    expect(deferred.graph.constants.get('wa')!.winograd).toBe(a);
    expect(deferred.weightBytes).toBe(eager.weightBytes);
    [frontModel, backModel, eager, deferred].forEach((m) => m.dispose());
    x.dispose();
    expect(memory()).toMatchObject({ numTensors: before.numTensors, allocatedBytes: before.allocatedBytes });
  });

  it('runs convs without a bias that take a residual (a bias of zeros added by compile), packed or deferred', () => {
    // x -> conv 1x1 (no bias) + x -> conv 3x3 (no bias) + that: both fuse the add, with a zero bias.
    const g: Graph = {
      name: 'residual',
      inputs: [{ name: 'x', shape: [null, null, null, 16] }],
      outputs: ['y'],
      nodes: [
        conv('p', ['x', 'wp'], 'p'),
        { name: 'add1', op: 'add', inputs: ['p', 'x'], outputs: ['s1'], attrs: {} },
        conv('q', ['s1', 'wq'], 'q'),
        { name: 'add2', op: 'add', inputs: ['q', 's1'], outputs: ['y'], attrs: {} },
      ],
      constants: new Map<string, Constant>([['wp', c([1, 1, 16, 16], 51)], ['wq', c([3, 3, 16, 16], 52)]]),
    };
    const owned = new GraphModel(g, { ownWeights: true });
    const plain = new GraphModel(g);
    const x = image(1, 9, 9, 53);
    tidy(() => {
      for (let run = 1; run <= 2; run++) {
        expectAllClose(owned.predict(x).y.dataSync(), plain.predict(x).y.dataSync(), { rtol: 1e-4, atol: 1e-5 }, `run ${run}`);
      }
    });
    expect(owned.plan({ x: [1, 9, 9, 16] }).stats.folded.residuals).toBe(2);
    expect(owned.graph.constants.get('wp')!.gemm!.hasBias).toBe(false);
    expect(owned.graph.constants.get('wq')!.winograd).toBeDefined();
    const f = owned.graph.constants.get('wp')!.gemm!;
    const attrs = { strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number], padding: 'valid' as const, groups: 1, padMode: 'zeros' as const };
    const nonzero = tensor(random(16, 54), [16]);
    expect(() => nn.createConv2d('conv2d', [1, 5, 5, 16], [1, 1, 16, 16], f, nonzero, attrs)).toThrow('conv2d: the filter was packed without a bias, and the conv has one');
    nonzero.dispose();
    owned.dispose();
    plain.dispose();
    x.dispose();
  });

  it('keeps a 3x3 conv that Winograd does not pay off for at the first shape in its plain form: a larger shape runs Winograd', () => {
    const g: Graph = {
      name: 'small-first',
      inputs: [{ name: 'x', shape: [null, null, null, 16] }],
      outputs: ['y'],
      nodes: [conv('c3', ['x', 'w3', 'b3'], 'y')],
      constants: new Map<string, Constant>([['w3', c([3, 3, 16, 16], 61)], ['b3', c([16], 62)]]),
    };
    const owned = new GraphModel(g, { ownWeights: true });
    const plain = new GraphModel(g);
    for (const [h, w] of [[3, 3], [12, 12]]) {
      const x = image(1, h, w, h);
      tidy(() => {
        expectAllClose(owned.predict(x).y.dataSync(), plain.predict(x).y.dataSync(), { rtol: 1e-4, atol: 1e-5 }, `${h}x${w}`);
      });
      x.dispose();
    }
    const w3 = owned.graph.constants.get('w3')!;
    expect(w3.gemm).toBeUndefined();
    expect(w3.tensor).toBeDefined();
    owned.dispose();
    plain.dispose();
  });

  it('keeps a GEMM conv\'s filter only packed, bias included, for every input shape, and refuses it where it cannot run', () => {
    // 3x3 stride 2 (16 -> 21): im2col + GEMM, one group.
    const g: Graph = {
      name: 'gemm',
      inputs: [{ name: 'x', shape: [null, null, null, 16] }],
      outputs: ['y'],
      nodes: [{ ...conv('s2', ['x', 'w', 'b'], 'y'), attrs: { strides: [2, 2], dilations: [1, 1], padding: 'same', groups: 1, padMode: 'zeros', activation: 'relu' } }],
      constants: new Map([['w', c([3, 3, 16, 21], 21)], ['b', c([21], 22)]]),
    };
    const owned = new GraphModel(g, { ownWeights: true });
    const plain = new GraphModel(g);
    for (const [n, h, w] of [[1, 9, 9], [2, 6, 11]]) {
      const x = image(n, h, w, h + w);
      tidy(() => {
        expect(Array.from(owned.predict(x).y.dataSync()), `${n}x${h}x${w}`).toEqual(Array.from(plain.predict(x).y.dataSync()));
      });
      x.dispose();
    }
    const f = owned.graph.constants.get('w')!.gemm!;
    expect(f).toBeInstanceOf(GemmFilter);
    expect(f.hasBias).toBe(true);
    expect(f.tensor.size).toBe(kernels().f32_gemm_packed_size(9 * 16, 21));
    const attrs = { strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number], padding: 'valid' as const, groups: 1, padMode: 'zeros' as const };
    const b = tensor(random(21, 1), [21]);
    expect(() => nn.createConv2d('conv2d', [1, 5, 5, 16], [1, 1, 16, 21], f, b, attrs)).toThrow('conv2d: the filter is kept only packed for im2col + GEMM ([3,3,16,21], one group), which this conv cannot use');
    expect(() => nn.createConv2d('conv2d', [1, 5, 5, 16], [3, 3, 16, 21], f, undefined, attrs)).toThrow('conv2d: the filter was packed with a bias, and the conv has none');
    expect(() => nn.createConv2d('conv2d', [1, 5, 5, 16], [3, 3, 16, 21], f, b, attrs, { algorithm: 'winograd' })).toThrow('which this conv cannot use');
    b.dispose();
    owned.dispose();
    plain.dispose();
  });

  it('a filter packed for Winograd panel by panel (scaled, or not) gives the same bits as transforming and packing it whole', () => {
    // 150 output channels: 9 panels of 16 written in place and a last one of 8 with 6 real columns
    // (through a scratch and f32_gemm_pack_b); 9: one panel of 16 with 9; 200: a last whole panel of 8.
    for (const [cin, cout] of [[16, 150], [17, 64], [20, 9], [16, 200], [3, 5]]) {
      for (const scaled of [false, true]) {
        const w = random(9 * cin * cout, cin + cout);
        const scale = scaled ? random(cout, cout + 1).map((v) => 0.5 + Math.abs(v)) : undefined;
        const filter = packWinogradFilter(w, cin, cout, scale);
        const k = kernels();
        const packedFloats = k.f32_gemm_packed_size(cin, cout);
        const whole = withScratch([w.length * 4, 36 * cin * cout * 4, 36 * packedFloats * 4], ([wp, u, packed]) => {
          // The reference scales the filter's columns first, in f32, as a batch-norm fold does.
          const ws = new Float32Array(backend().memory.buffer, wp, w.length);
          ws.set(w);
          if (scale) for (let i = 0; i < ws.length; i++) ws[i] = Math.fround(ws[i] * scale[i % cout]);
          k.f32_winograd_filter_f4x4_3x3(wp, cin, cout, cout, 0, u, cin * cout, cout);
          for (let m = 0; m < 36; m++) k.f32_gemm_pack_b(u + m * cin * cout * 4, cout, cin, cout, 0, packed + m * packedFloats * 4);
          return new Float32Array(backend().memory.buffer, packed, 36 * packedFloats).slice();
        });
        expect(Array.from(filter.tensor.dataSync()), `${cin} -> ${cout}, scaled ${scaled}`).toEqual(Array.from(whole));
        filter.tensor.dispose();
      }
    }
  });

  it('a batch-1 dense layer over a weight tensor (f32_gemv) matches the packed GEMM', () => {
    tidy(() => {
      for (const [k, n] of [[1, 1], [7, 3], [37, 19], [64, 130], [300, 77], [600, 130], [1101, 45]]) {
        const x = tensor(random(k, k), [1, k]);
        const w = tensor(random(k * n, n), [k, n]);
        const b = tensor(random(n, 5), [n]);
        // Two rows take the packed GEMM: row 0 of [x; x] against the one-row product.
        const xx = nn.concat([x, x], { axis: 0 });
        const one = nn.dense(x, w, { bias: b, activation: 'relu' }).dataSync();
        const two = nn.dense(xx, w, { bias: b, activation: 'relu' }).dataSync();
        // Two float32 orders of k terms (~1 in size) differ by about eps * sqrt(k).
        expectAllClose(one, two.subarray(0, n), { rtol: 1e-5, atol: 2e-6 * Math.sqrt(k) }, `k ${k}, n ${n}`);
      }
    });
  });
});

describe('a Keras-style model run by a GraphModel that owns its weights', () => {
  beforeAll(() => useBuild('relaxed'));

  it('creates the seeded weights straight in wasm memory: the layers keep no copy, results match', () => {
    const build = () => new nn.Sequential([
      new nn.Input({ shape: [10, 10, 16] }),
      new nn.Conv2D(16, 3, { padding: 'same', activation: 'relu', name: 'c1' }),
      new nn.BatchNormalization({ name: 'bn' }),
      new nn.GlobalAveragePooling2D(),
      new nn.Dense(7, { name: 'fc' }),
    ], { seed: 3 });
    const a = build();
    const b = build();
    const owned = new GraphModel(a.graph, { ownWeights: true });
    tidy(() => {
      const x = image(1, 10, 10, 4);
      const got = owned.predict(x)[owned.outputNames[0]].dataSync();
      expectAllClose(got, b.predict(x).dataSync(), { rtol: 1e-5, atol: 1e-6 }, 'owned vs layers');
      // A second shape compiles from the owned weights.
      const x2 = image(2, 10, 10, 5);
      expectAllClose(owned.predict(x2)[owned.outputNames[0]].dataSync(), b.predict(x2).dataSync(), { rtol: 1e-5, atol: 1e-6 }, 'batch 2');
    });
    // The layers never created their own arrays (private, so looked at from outside)...
    expect((a.getLayer('c1') as unknown as { _weights?: unknown })._weights).toBeUndefined();
    expect((a.getLayer('fc') as unknown as { _weights?: unknown })._weights).toBeUndefined();
    // ...and still give the same values when asked.
    expect(Array.from(a.getLayer('fc').getWeights()[0])).toEqual(Array.from(b.getLayer('fc').getWeights()[0]));
    owned.dispose();
    b.dispose();
  });
});

describe('a GraphModel owning its weights: errors', () => {
  beforeAll(() => useBuild('baseline'));

  it('refuses NaN and infinite weights on the first predict, naming them, and keeps nothing', () => {
    const before = memory();
    const constants = graph().constants;
    const wd = c([24, 19], 9);
    wd.data[3] = Number.NaN;
    constants.set('wd', wd);
    const model = new GraphModel(graph(constants), { ownWeights: true });
    const x = image(1, 8, 8, 1);
    expect(() => model.predict(x)).toThrow("dense 'fc': weight 'wd' holds NaN at index 3; weights must be finite");
    x.dispose();
    expect(memory()).toMatchObject({ numTensors: before.numTensors, allocatedBytes: before.allocatedBytes });
    const bad = graph();
    const w1 = c([3, 3, 16, 24], 1);
    w1.data[7] = Infinity;
    bad.constants.set('w1', w1);
    const m2 = new GraphModel(bad, { ownWeights: true });
    expect(() => tidy(() => m2.predict(image(1, 8, 8, 1)))).toThrow(/conv2d 'conv1': weight 'conv1::w_bn' holds (-)?Infinity at index 7/);
    model.dispose();
    m2.dispose();
  });

  it('fails clearly once the backend that held its weights was shut down', async () => {
    const model = new GraphModel(graph(), { ownWeights: true });
    tidy(() => void model.predict(image(1, 8, 8, 1)));
    shutdown();
    await init({ simd: 'baseline' });
    expect(() => tidy(() => model.predict(image(1, 8, 8, 1)))).toThrow("predict: the model's weights were in the memory of a backend that was shut down; load the model again");
    model.dispose();
  });
});
