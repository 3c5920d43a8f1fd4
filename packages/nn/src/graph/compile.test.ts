// The compiled plan against the functional ops run one by one (the reference path), plus folding,
// fusion, buffer sharing, memory, and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor, tidy, type Tensor } from '@wcnn/tensor';
import { FLAVORS, expectAllClose, random, useBuild } from '../../test/setup.js';
import * as nn from '../index.js';
import { compile, GraphModel, type ActivationSpec as Activation, type Constant, type Graph, type Node, type Pool2dAttrs } from '../index.js';

const c = (shape: number[], seed: number, lo = -0.5, hi = 0.5): Constant => ({ data: random(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape });
const t = (k: Constant): Tensor => tensor(k.data, k.shape);

/** A small residual network: conv-BN-relu, a second conv, a residual add, pooling, dense, softmax. */
function residualGraph(inputShape: Array<number | null> = [null, 9, 7, 3]): Graph {
  const constants = new Map<string, Constant>([
    ['w1', c([3, 3, 3, 8], 1)], ['b1', c([8], 2)],
    ['g', c([8], 3, 0.5, 1.5)], ['be', c([8], 4)], ['m', c([8], 5)], ['v', c([8], 6, 0.5, 2)],
    ['w2', c([3, 3, 8, 8], 7)],
    ['wd', c([8, 5], 8)], ['bd', c([5], 9)],
    ['shift', c([8], 10)],
  ]);
  const nodes: Node[] = [
    { name: 'conv1', op: 'conv2d', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { strides: [1, 1], dilations: [1, 1], padding: 'same', groups: 1, padMode: 'zeros' } },
    { name: 'bn1', op: 'batchNorm', inputs: ['c1', 'g', 'be', 'm', 'v'], outputs: ['n1'], attrs: { epsilon: 1e-3 } },
    { name: 'relu1', op: 'relu', inputs: ['n1'], outputs: ['r1'], attrs: {} },
    { name: 'conv2', op: 'conv2d', inputs: ['r1', 'w2'], outputs: ['c2'], attrs: { strides: [1, 1], dilations: [1, 1], padding: 'same', groups: 1, padMode: 'zeros' } },
    { name: 'add', op: 'add', inputs: ['c2', 'r1'], outputs: ['s'], attrs: {} },
    { name: 'bias', op: 'add', inputs: ['s', 'shift'], outputs: ['s2'], attrs: {} },
    { name: 'relu2', op: 'relu', inputs: ['s2'], outputs: ['r2'], attrs: {} },
    { name: 'pool', op: 'maxPool2d', inputs: ['r2'], outputs: ['p'], attrs: { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], padding: 'valid', ceilMode: true } },
    { name: 'gap', op: 'globalAvgPool2d', inputs: ['p'], outputs: ['gp'], attrs: { keepDims: false } },
    { name: 'fc', op: 'dense', inputs: ['gp', 'wd', 'bd'], outputs: ['logits'], attrs: {} },
    { name: 'sm', op: 'softmax', inputs: ['logits'], outputs: ['y'], attrs: { axis: -1 } },
  ];
  return { name: 'residual', inputs: [{ name: 'x', shape: inputShape }], outputs: ['y', 'p'], nodes, constants };
}

function reference(g: Graph, x: Tensor): { y: Tensor; p: Tensor } {
  const k = (name: string) => t(g.constants.get(name)!);
  const c1 = nn.conv2d(x, k('w1'), { bias: k('b1'), padding: 'same' });
  const r1 = nn.relu(nn.batchNorm(c1, { gamma: k('g'), beta: k('be'), mean: k('m'), variance: k('v'), epsilon: 1e-3 }));
  const c2 = nn.conv2d(r1, k('w2'), { padding: 'same' });
  const r2 = nn.relu(nn.add(nn.add(c2, r1), k('shift')));
  const p = nn.maxPool2d(r2, { kernel: 2, ceilMode: true });
  const y = nn.softmax(nn.dense(nn.globalAvgPool2d(p), k('wd'), { bias: k('bd') }));
  return { y, p };
}

describe.each(FLAVORS)('compiled plans on the %s build', (flavor) => {
  beforeAll(() => useBuild(flavor));

  it('match the functional ops, with batch norm folded and activations fused', () => {
    const g = residualGraph();
    const plan = compile(g, { inputShapes: { x: [2, 9, 7, 3] } });
    // conv2 has 8 input channels: the few-channel kernel (f32_conv_hwc), which takes no residual.
    expect(plan.stats.folded).toMatchObject({ batchNorms: 1, activations: 1, residuals: 0 });
    expect(plan.outputs).toEqual([{ name: 'y', shape: [2, 5] }, { name: 'p', shape: [2, 5, 4, 8] }]);
    tidy(() => {
      const x = tensor(random(2 * 9 * 7 * 3, 11), [2, 9, 7, 3]);
      const out = plan.run({ x });
      const ref = reference(g, x);
      // conv1 (3x3, 3 input channels) runs fused Winograd F(4x4, 3x3), which rounds the folded and the
      // unfolded weights differently: about 1e-4 relative, where a direct sum stays within 1e-5.
      expectAllClose(out.y.dataSync(), ref.y.dataSync(), { rtol: 1e-4, atol: 1e-5 }, 'y');
      expectAllClose(out.p.dataSync(), ref.p.dataSync(), { rtol: 1e-4, atol: 1e-5 }, 'p');
    });
    plan.dispose();
  });

  it('fuse ResNet shortcuts into the conv before the add (Winograd, im2col and pointwise paths), then the relu', () => {
    const conv = (name: string, x: string, w: string, y: string, strides: number, extra: object = {}): Node =>
      ({ name, op: 'conv2d', inputs: [x, w], outputs: [y], attrs: { strides: [strides, strides], dilations: [1, 1], padding: 'same', groups: 1, padMode: 'zeros', ...extra } });
    const constants = new Map<string, Constant>([
      ['wa', c([3, 3, 16, 16], 31)], ['wb', c([3, 3, 16, 16], 32)], ['wd', c([1, 1, 16, 24], 33)],
      ['we', c([3, 3, 16, 24], 34)], ['wf', c([3, 3, 24, 24], 35)], ['wp', c([1, 1, 24, 24], 36)],
    ]);
    const nodes: Node[] = [
      conv('a', 'x', 'wa', 'a', 1, { activation: 'relu' }),
      conv('b', 'a', 'wb', 'b', 1),
      { name: 'add1', op: 'add', inputs: ['b', 'x'], outputs: ['s1'], attrs: {} }, // into b (Winograd)
      { name: 'relu1', op: 'relu', inputs: ['s1'], outputs: ['r1'], attrs: {} },
      conv('down', 'r1', 'wd', 'd', 2), // the shortcut: a strided 1x1 conv (im2col)
      conv('e', 'r1', 'we', 'e', 2, { activation: 'relu' }),
      conv('f', 'e', 'wf', 'f', 1),
      { name: 'add2', op: 'add', inputs: ['d', 'f'], outputs: ['s2'], attrs: {} }, // into f, the later one
      { name: 'relu2', op: 'relu', inputs: ['s2'], outputs: ['r2'], attrs: {} },
      conv('p', 'r2', 'wp', 'pw', 1),
      { name: 'add3', op: 'add', inputs: ['r2', 'pw'], outputs: ['y'], attrs: {} }, // into p (pointwise GEMM)
    ];
    const graph: Graph = { name: 'shortcuts', inputs: [{ name: 'x', shape: [2, 12, 12, 16] }], outputs: ['y'], nodes, constants };
    const plan = compile(graph);
    expect(plan.stats.folded).toMatchObject({ residuals: 3, activations: 2 });
    expect(plan.stats.steps).toBe(6);
    tidy(() => {
      const x = tensor(random(2 * 12 * 12 * 16, 37), [2, 12, 12, 16]);
      const k = (name: string) => t(constants.get(name)!);
      const r1 = nn.relu(nn.add(nn.conv2d(nn.conv2d(x, k('wa'), { padding: 'same', activation: 'relu' }), k('wb'), { padding: 'same' }), x));
      const d = nn.conv2d(r1, k('wd'), { strides: 2, padding: 'same' });
      const f = nn.conv2d(nn.conv2d(r1, k('we'), { strides: 2, padding: 'same', activation: 'relu' }), k('wf'), { padding: 'same' });
      const r2 = nn.relu(nn.add(d, f));
      const y = nn.add(r2, nn.conv2d(r2, k('wp'), { padding: 'same' }));
      expectAllClose(plan.run({ x }).y.dataSync(), y.dataSync(), { rtol: 1e-5, atol: 1e-6 }, 'y');
    });
    plan.dispose();
  });

  it('leave an add alone where the conv cannot take it', () => {
    const attrs = { strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number], padding: 'same' as const, groups: 1, padMode: 'zeros' as const };
    const constants = new Map<string, Constant>([['w', c([3, 3, 8, 8], 41)], ['wdw', c([3, 3, 1, 8], 42)], ['row', c([8], 43)]]);
    const nodes: Node[] = [
      { name: 'act', op: 'conv2d', inputs: ['x', 'w'], outputs: ['a'], attrs: { ...attrs, activation: 'relu' } },
      { name: 'add1', op: 'add', inputs: ['a', 'x'], outputs: ['s1'], attrs: {} }, // the conv has an activation
      { name: 'twice', op: 'conv2d', inputs: ['s1', 'w'], outputs: ['b'], attrs },
      { name: 'add2', op: 'add', inputs: ['b', 's1'], outputs: ['s2'], attrs: {} }, // b is read twice
      { name: 'add3', op: 'add', inputs: ['b', 'row'], outputs: ['s3'], attrs: {} }, // broadcast, and a constant
      { name: 'dw', op: 'conv2d', inputs: ['s2', 'wdw'], outputs: ['e'], attrs: { ...attrs, groups: 8 } },
      { name: 'add4', op: 'add', inputs: ['e', 's3'], outputs: ['y'], attrs: {} }, // depthwise
    ];
    const graph: Graph = { name: 'no', inputs: [{ name: 'x', shape: [1, 6, 5, 8] }], outputs: ['y'], nodes, constants };
    const plan = compile(graph);
    expect(plan.stats.folded.residuals).toBe(0);
    tidy(() => {
      const x = tensor(random(6 * 5 * 8, 44), [1, 6, 5, 8]);
      const k = (name: string) => t(constants.get(name)!);
      const s1 = nn.add(nn.conv2d(x, k('w'), { padding: 'same', activation: 'relu' }), x);
      const b = nn.conv2d(s1, k('w'), { padding: 'same' });
      const y = nn.add(nn.conv2d(nn.add(b, s1), k('wdw'), { padding: 'same', groups: 8 }), nn.add(b, k('row')));
      expectAllClose(plan.run({ x }).y.dataSync(), y.dataSync(), { rtol: 1e-5, atol: 1e-6 }, 'y');
    });
    plan.dispose();
    const bad: Graph = {
      name: 'bad', inputs: [{ name: 'x', shape: [1, 6, 5, 8] }, { name: 'r', shape: [1, 6, 5, 4] }], outputs: ['y'], constants,
      nodes: [{ name: 'c', op: 'conv2d', inputs: ['x', 'w', 'row', 'r'], outputs: ['y'], attrs: { ...attrs, residual: true } }],
    };
    expect(() => compile(bad)).toThrow("conv2d 'c': the residual input must have the output's shape [1,6,5,8], got [1,6,5,4]");
    const dwResidual: Graph = {
      ...bad, inputs: [{ name: 'x', shape: [1, 6, 5, 8] }, { name: 'r', shape: [1, 6, 5, 8] }],
      nodes: [{ name: 'c', op: 'conv2d', inputs: ['x', 'wdw', 'row', 'r'], outputs: ['y'], attrs: { ...attrs, groups: 8, residual: true } }],
    };
    expect(() => compile(dwResidual)).toThrow("conv2d 'c': a residual input is fused only into GEMM and Winograd convs");
  });

  it('fuse a 2x2 max pool into the Winograd conv before it: the bits of conv then pool, in bands or whole', () => {
    const attrs = { strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number], padding: 'same' as const, groups: 1, padMode: 'zeros' as const };
    const pool: Node = { name: 'pool', op: 'maxPool2d', inputs: ['c'], outputs: ['y'], attrs: { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], padding: 'valid', ceilMode: false } };
    // 16 tile rows (64 conv rows), 18 (two images of 33 rows, the last dropped), 4, 5 (which do not split
    // evenly between 2 to 4 threads, nor give each 8: the whole output first), 28; channel tails;
    // activations in the epilogue.
    const cases: Array<[number[], number, Activation | undefined]> = [
      [[1, 64, 60, 16], 24, 'relu'], [[2, 33, 30, 16], 20, 'relu6'], [[1, 13, 14, 16], 8, { type: 'leakyRelu', alpha: 0.1 }], [[1, 16, 9, 32], 4, undefined],
      [[1, 112, 112, 16], 32, 'relu'], [[1, 20, 12, 16], 12, 'relu'],
    ];
    cases.forEach(([shape, cout, activation], i) => {
      const constants = new Map<string, Constant>([['w', c([3, 3, shape[3], cout], 50 + i)], ['b', c([cout], 60 + i)]]);
      const conv: Node = { name: 'conv', op: 'conv2d', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { ...attrs, activation } };
      const graph = (outputs: string[]): Graph => ({ name: 'pooled', inputs: [{ name: 'x', shape }], outputs, nodes: [conv, pool], constants });
      const fused = compile(graph(['y']));
      // The conv's output read as a graph output too: conv, then the pool on its own.
      const apart = compile(graph(['y', 'c']));
      expect(fused.stats.folded.pools, `case ${i}`).toBe(1);
      expect(apart.stats.folded.pools).toBe(0);
      const pooled = [shape[0], shape[1] >> 1, shape[2] >> 1, cout];
      expect(fused.outputs).toEqual([{ name: 'y', shape: pooled }]);
      // The conv's output is not an arena value (when not in bands, it is scratch).
      const convBytes = shape[0] * shape[1] * shape[2] * cout * 4;
      expect(fused.stats.arenaBytes).toBeLessThanOrEqual(apart.stats.arenaBytes - convBytes + 64);
      tidy(() => {
        const x = tensor(random(shape.reduce((a, b) => a * b), 70 + i), shape);
        const y = fused.run({ x }).y;
        expect(y.shape).toEqual(pooled);
        expect(Array.from(y.dataSync()), `case ${i}`).toEqual(Array.from(apart.run({ x }).y.dataSync()));
      });
      fused.dispose();
      apart.dispose();
    });
  });

  it('leave a pool alone where the conv cannot take it', () => {
    const attrs = { strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number], padding: 'same' as const, groups: 1, padMode: 'zeros' as const };
    const poolAttrs: Pool2dAttrs = { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], padding: 'valid', ceilMode: false };
    const plan = (x: number[], conv: Partial<Node['attrs']>, pool: Partial<typeof poolAttrs>, w = c([3, 3, x[3], 8], 81)) => compile({
      name: 'no', inputs: [{ name: 'x', shape: x }], outputs: ['y'],
      nodes: [
        { name: 'conv', op: 'conv2d', inputs: ['x', 'w'], outputs: ['c'], attrs: { ...attrs, ...conv } as Node['attrs'] },
        { name: 'pool', op: 'maxPool2d', inputs: ['c'], outputs: ['y'], attrs: { ...poolAttrs, ...pool } },
      ],
      constants: new Map([['w', w]]),
    });
    const pools = (p: ReturnType<typeof compile>) => {
      const n = p.stats.folded.pools;
      p.dispose();
      return n;
    };
    expect(pools(plan([1, 12, 12, 16], {}, {}))).toBe(1);
    expect(pools(plan([1, 12, 12, 16], {}, { ceilMode: true }))).toBe(1); // even sizes: no rounding up
    expect(pools(plan([1, 13, 12, 16], {}, { ceilMode: true }))).toBe(0); // a last window over the edge
    expect(pools(plan([1, 12, 12, 16], {}, { kernel: [3, 3] }))).toBe(0);
    expect(pools(plan([1, 12, 12, 16], {}, { strides: [1, 1] }))).toBe(0);
    expect(pools(plan([1, 12, 12, 16], {}, { padding: 'same', kernel: [3, 3] }))).toBe(0);
    expect(pools(plan([1, 12, 12, 16], { activation: 'sigmoid' }, {}))).toBe(0); // applied after the epilogue
    expect(pools(plan([1, 12, 12, 16], { strides: [2, 2] }, {}))).toBe(0); // im2col + GEMM
    expect(pools(plan([1, 12, 12, 3], {}, {}))).toBe(0); // few input channels: the direct kernel
    // A conv told to pool where it cannot: a clear error, not a wrong answer.
    const told = (x: number[], more: Partial<typeof attrs> & { activation?: Activation; residual?: boolean }) => () =>
      nn.createConv2d('conv2d', x, [3, 3, x[3], 8], c([3, 3, x[3], 8], 82).data, undefined, { ...attrs, ...more, maxPool2x2: true });
    const why = 'conv2d: a 2x2 max pool is fused only into Winograd convs without a residual, with the activation in the epilogue and an output of 2x2 or more; ';
    expect(told([1, 12, 12, 3], {})).toThrow(`${why}it runs on the hwc-winograd path, not Winograd`);
    expect(told([1, 12, 12, 16], { activation: 'sigmoid' })).toThrow(`${why}its "sigmoid" activation runs after the epilogue`);
    expect(told([1, 12, 12, 16], { residual: true })).toThrow(`${why}it takes a residual`);
  });

  it("read the caller's inputs in place without changing them, and write outputs straight into new tensors", () => {
    const nodes: Node[] = [
      { name: 'id', op: 'identity', inputs: ['x'], outputs: ['xi'], attrs: {} },
      { name: 'r', op: 'relu', inputs: ['x'], outputs: ['r'], attrs: {} },
      { name: 'n', op: 'sub', inputs: ['r', 'x'], outputs: ['n'], attrs: {} }, // reads the output r after it is written
      { name: 'r2', op: 'relu', inputs: ['n'], outputs: ['y'], attrs: {} }, // in place on n, then the output
    ];
    const plan = compile({ name: 'io', inputs: [{ name: 'x', shape: [2, 3] }], outputs: ['xi', 'r', 'y'], nodes, constants: new Map() });
    tidy(() => {
      const values = [-1, 2, -3, 4, -5, 6];
      const x = tensor(values, [2, 3]);
      for (let run = 0; run < 2; run++) {
        const out = plan.run({ x });
        expect(Array.from(out.xi.dataSync())).toEqual(values);
        expect(Array.from(out.r.dataSync())).toEqual([0, 2, 0, 4, 0, 6]);
        expect(Array.from(out.y.dataSync())).toEqual([1, 0, 3, 0, 5, 0]);
        expect(new Set([out.xi.ptr(), out.r.ptr(), out.y.ptr(), x.ptr()]).size).toBe(4);
      }
      expect(Array.from(x.dataSync())).toEqual(values);
    });
    plan.dispose();
  });

  it('shares activation memory by liveness: a chain needs about its two largest values', () => {
    const constants = new Map<string, Constant>();
    const nodes: Node[] = [];
    let prev = 'x';
    for (let i = 0; i < 6; i++) {
      constants.set(`w${i}`, c([3, 3, i === 0 ? 3 : 16, 16], 20 + i));
      nodes.push({ name: `conv${i}`, op: 'conv2d', inputs: [prev, `w${i}`], outputs: [`c${i}`], attrs: { strides: [1, 1], dilations: [1, 1], padding: 'same', groups: 1, padMode: 'zeros' } });
      nodes.push({ name: `relu${i}`, op: 'relu', inputs: [`c${i}`], outputs: [`r${i}`], attrs: {} });
      prev = `r${i}`;
    }
    const plan = compile({ name: 'chain', inputs: [{ name: 'x', shape: [1, 32, 32, 3] }], outputs: [prev], nodes, constants });
    const activation = 32 * 32 * 16 * 4;
    expect(plan.stats.folded.activations).toBe(6);
    expect(plan.stats.unsharedBytes).toBe(32 * 32 * 3 * 4 + 6 * activation);
    expect(plan.stats.arenaBytes).toBe(32 * 32 * 3 * 4 + 2 * activation);
    plan.dispose();
  });

  it('folds constant subgraphs, runs layout ops, and returns constants and inputs as outputs', () => {
    const constants = new Map<string, Constant>([['k', c([2, 3], 12)], ['two', { data: new Float32Array([2]), shape: [1] }]]);
    const nodes: Node[] = [
      { name: 'kt', op: 'transpose', inputs: ['k'], outputs: ['kT'], attrs: { perm: [1, 0] } },
      { name: 'k2', op: 'mul', inputs: ['kT', 'two'], outputs: ['k2'], attrs: {} },
      { name: 'toNchw', op: 'transpose', inputs: ['x'], outputs: ['xc'], attrs: { perm: [0, 3, 1, 2] } },
      { name: 'flat', op: 'flatten', inputs: ['xc'], outputs: ['f'], attrs: {} },
      { name: 'r', op: 'reshape', inputs: ['f'], outputs: ['f2'], attrs: { shape: [0, 3, -1] } },
      { name: 'sl', op: 'slice', inputs: ['f2'], outputs: ['s'], attrs: { starts: [1], ends: [3], axes: [1], steps: [1] } },
      { name: 'pd', op: 'pad', inputs: ['x'], outputs: ['xp'], attrs: { pads: [0, 1, 0, 0, 0, 0, 2, 0], mode: 'edge', value: 0 } },
      { name: 'cat', op: 'concat', inputs: ['xp', 'xp'], outputs: ['cat'], attrs: { axis: 2 } },
    ];
    const g: Graph = { name: 'layout', inputs: [{ name: 'x', shape: [1, 2, 2, 3] }], outputs: ['k2', 's', 'cat', 'x'], nodes, constants };
    const plan = compile(g);
    expect(plan.stats.folded.constants).toBe(2);
    tidy(() => {
      const xs = Float32Array.from({ length: 12 }, (_, i) => i);
      const x = tensor(xs, [1, 2, 2, 3]);
      const out = plan.run({ x });
      const k = constants.get('k')!.data;
      expect(Array.from(out.k2.dataSync())).toEqual([k[0], k[3], k[1], k[4], k[2], k[5]].map((v) => Math.fround(v * 2)));
      // NCHW of x is channel-major: [0,3,6,9 | 1,4,7,10 | 2,5,8,11]; reshape (1,3,4) then rows 1..2.
      expect(Array.from(out.s.dataSync())).toEqual([1, 4, 7, 10, 2, 5, 8, 11]);
      expect(out.cat.shape).toEqual([1, 3, 8, 3]);
      const padded = nn.pad2d(x, { pads: [1, 0, 0, 2], mode: 'edge' });
      const ref = nn.concat([padded, padded], { axis: 2 });
      expect(Array.from(out.cat.dataSync())).toEqual(Array.from(ref.dataSync()));
      expect(Array.from(out.x.dataSync())).toEqual(Array.from(xs));
    });
    plan.dispose();
  });

  it('GraphModel compiles per batch size, and a thousand predicts leave memory() unchanged', () => {
    const model = new GraphModel(residualGraph());
    const x1 = tensor(random(9 * 7 * 3, 13), [1, 9, 7, 3]);
    const x3 = tensor(random(3 * 9 * 7 * 3, 14), [3, 9, 7, 3]);
    expect(model.predict(x3).y.shape).toEqual([3, 5]);
    tidy(() => void model.predict({ x: x1 }));
    const before = memory();
    for (let i = 0; i < 1000; i++) {
      const out = model.predict(x1);
      out.y.dispose();
      out.p.dispose();
    }
    expect(memory()).toEqual(before);
    model.dispose();
    x1.dispose();
    x3.dispose();
  });
});

describe('graph errors', () => {
  beforeAll(() => useBuild('baseline'));

  it('names the node and what it expected', () => {
    const g = residualGraph();
    expect(() => compile(g)).toThrow("compile: input 'x' has an unknown dimension [null,9,7,3]; give its shape");
    expect(() => compile(g, { inputShapes: { x: [1, 9, 7, 4] } })).toThrow("compile: input 'x' has shape [1,9,7,4] but the model expects [null,9,7,3]");
    expect(() => compile(g, { inputShapes: { z: [1] } })).toThrow("compile: unknown input 'z' (model inputs: x)");
    const bad: Graph = { ...g, constants: new Map(g.constants).set('w2', c([3, 3, 4, 8], 1)) };
    expect(() => compile(bad, { inputShapes: { x: [1, 9, 7, 3] } })).toThrow("conv2d 'conv2': input has 8 channels but the filter expects 4 (w shape [3,3,4,8])");
    const dangling: Graph = { ...g, nodes: [{ ...g.nodes[0], inputs: ['nope', 'w1'] }] };
    expect(() => compile(dangling, { inputShapes: { x: [1, 9, 7, 3] } })).toThrow("compile: node 'conv1' reads 'nope', which is not defined before it");
    const unknownOp: Graph = { ...g, nodes: [{ ...g.nodes[0], op: 'lstm' as 'relu' }] };
    expect(() => compile(unknownOp, { inputShapes: { x: [1, 9, 7, 3] } })).toThrow("compile: node 'conv1' has unknown op 'lstm'");
  });

  it('refuses NaN and infinite weights, naming them', () => {
    const g = residualGraph();
    const w = c([3, 3, 8, 8], 7);
    w.data[5] = Number.NaN;
    expect(() => compile({ ...g, constants: new Map(g.constants).set('w2', w) }, { inputShapes: { x: [1, 9, 7, 3] } })).toThrow(
      "conv2d 'conv2': weight 'w2' holds NaN at index 5; weights must be finite",
    );
    const b = c([5], 9);
    b.data[4] = Infinity;
    expect(() => compile({ ...g, constants: new Map(g.constants).set('bd', b) }, { inputShapes: { x: [1, 9, 7, 3] } })).toThrow(
      "dense 'fc': weight 'bd' holds Infinity at index 4",
    );
  });

  it('GraphModel.predict checks its inputs', () => {
    const model = new GraphModel(residualGraph());
    tidy(() => {
      const x = tensor(random(9 * 7 * 3, 1), [1, 9, 7, 3]);
      expect(() => model.predict({ y: x } as never)).toThrow("predict: unknown input 'y' (model inputs: x)");
      expect(() => model.predict(tensor(random(9 * 7 * 2, 1), [1, 9, 7, 2]))).toThrow("predict: input 'x' has shape [1,9,7,2] but the model expects [null,9,7,3]");
      expect(() => model.predict([x, x])).toThrow('predict: the model has 1 input (x), got 2 tensors');
    });
    model.dispose();
    expect(() => model.predict(tensor([1], [1]))).toThrow();
  });
});
