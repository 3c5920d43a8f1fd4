// The ONNX importer: fixture models' IR structure and weight layouts, hand-built models for each
// translation (checked structurally and, through GraphModel, numerically), errors, external data.
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutdown, tensor } from '@wcnn/tensor';
import { OP_TYPES, type Graph, type Node } from '../graph/ir.js';
import { GraphModel } from '../graph/model.js';
import { expectAllClose, FIXTURES, random, readFixture, useBuild } from '../../test/setup.js';
import { importOnnx, readOnnxFile, type OnnxImport } from './index.js';
import { loadOnnx, nchwInputGraph } from './model.js';
import { setConv2dAlgorithm } from '../ops/conv2d.js';
import { FOLDERS } from './fold.js';
import { alignRawData, Attrs, decodeModel } from './proto.js';
import type { AttributeProto } from './wire.js';
import { DimNames, makeFloat, makeInt, type Known } from './known.js';

const { onnx } = pkg;
const DT = onnx.TensorProto.DataType;

// ------------------------------------------------------------------ building models in tests

type AttrValue = number | number[] | string | { f: number } | { floats: number[] } | { t: P.ITensorProto };

function attribute(name: string, v: AttrValue): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('f' in v) return { name, type: T.FLOAT, f: v.f };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: v.t };
}

interface NodeSpec {
  op: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
  domain?: string;
}

function floatTensor(name: string, dims: number[], data: ArrayLike<number>, encoding: 'raw' | 'float_data' = 'raw'): P.ITensorProto {
  const f = Float32Array.from(data);
  if (encoding === 'float_data') return { name, dims, dataType: DT.FLOAT, floatData: Array.from(f) };
  return { name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(f.buffer) };
}

function int64Tensor(name: string, dims: number[], data: number[]): P.ITensorProto {
  return { name, dims, dataType: DT.INT64, rawData: new Uint8Array(BigInt64Array.from(data.map(BigInt)).buffer) };
}

function valueInfo(name: string, dims: Array<number | string>, elemType: number = DT.FLOAT): P.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

interface ModelSpec {
  opset?: number;
  opsets?: P.IOperatorSetIdProto[];
  inputs: Array<[string, Array<number | string>]>;
  outputs: Array<[string, Array<number | string>]>;
  nodes: NodeSpec[];
  initializers?: P.ITensorProto[];
}

function encodeModel(spec: ModelSpec): Uint8Array {
  const model: P.IModelProto = {
    irVersion: 8,
    producerName: 'wcnn-test',
    opsetImport: spec.opsets ?? [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      input: spec.inputs.map(([n, d]) => valueInfo(n, d)),
      output: spec.outputs.map(([n, d]) => valueInfo(n, d)),
      initializer: spec.initializers ?? [],
      node: spec.nodes.map((n, i) => ({
        opType: n.op,
        name: n.name ?? `/${n.op}_${i}`,
        input: n.inputs,
        output: n.outputs,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

const build = (spec: ModelSpec, name = 'test.onnx'): OnnxImport => importOnnx(encodeModel(spec), { name });

// ------------------------------------------------------------------ running and checking

/** NCHW -> NHWC data. */
function toNhwc(data: ArrayLike<number>, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x];
  return out;
}

/** Runs an imported graph on NCHW inputs; returns the outputs (ONNX layout) as arrays. */
function run(imp: OnnxImport, feeds: Record<string, { data: ArrayLike<number>; shape: number[] }>): Record<string, { data: Float32Array; shape: number[] }> {
  const model = new GraphModel(imp.graph);
  const inputs = Object.fromEntries(
    Object.entries(feeds).map(([k, { data, shape }]) => [k, shape.length === 4 ? tensor(toNhwc(data, shape), [shape[0], shape[2], shape[3], shape[1]]) : tensor(data, shape)]),
  );
  try {
    const out = model.predict(inputs);
    const res = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.dataSync().slice(), shape: [...t.shape] }]));
    Object.values(out).forEach((t) => t.dispose());
    return res;
  } finally {
    Object.values(inputs).forEach((t) => t.dispose());
    model.dispose();
  }
}

const TOL = { rtol: 1e-5, atol: 1e-6 };

/** Element (b, c, y, x) of NCHW data. */
const at = (data: ArrayLike<number>, [, c, h, w]: number[], b: number, ch: number, y: number, x: number): number => data[((b * c + ch) * h + y) * w + x];

/** Builds NCHW data from a function of the index. */
function nchw(shape: number[], f: (b: number, c: number, y: number, x: number) => number): Float32Array {
  const [n, c, h, w] = shape;
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * c + ch) * h + y) * w + x] = f(b, ch, y, x);
  return out;
}

/** Every node input is a graph input, a constant or an earlier node's output; names are unique. */
function expectWellFormed(g: Graph): void {
  const defined = new Set<string>([...g.inputs.map((i) => i.name), ...g.constants.keys()]);
  const nodeNames = new Set<string>();
  for (const n of g.nodes) {
    expect(OP_TYPES, `op of ${n.name}`).toContain(n.op);
    expect(nodeNames.has(n.name), `node name ${n.name} repeats`).toBe(false);
    nodeNames.add(n.name);
    for (const i of n.inputs) expect(defined.has(i), `${n.name} reads '${i}' before it is defined`).toBe(true);
    for (const o of n.outputs) {
      expect(defined.has(o), `${n.name} redefines '${o}'`).toBe(false);
      defined.add(o);
    }
  }
  for (const o of g.outputs) expect(defined.has(o), `graph output ${o}`).toBe(true);
  const read = new Set(g.nodes.flatMap((n) => n.inputs));
  for (const c of g.constants.keys()) expect(read.has(c), `constant ${c} is read`).toBe(true);
}

const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);
const nodeOf = (g: Graph, name: string): Node => {
  const n = g.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name} in ${g.nodes.map((x) => x.name).join(', ')}`);
  return n;
};

beforeAll(async () => {
  await useBuild('baseline');
});
afterAll(() => shutdown());

// ------------------------------------------------------------------ fixtures

interface ManifestModel {
  name: string;
  file: string;
  opset: number;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'onnx/manifest.json'), 'utf8')) as { models: ManifestModel[] };
const fixtureBytes = (file: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, file)));
const decodeFixture = (file: string): P.ModelProto => onnx.ModelProto.decode(fixtureBytes(file));

describe('fixture models', () => {
  it.each(manifest.models.map((m) => [m.name, m] as const))('%s imports with IR ops only, ONNX names and shapes', (_n, m) => {
    const imp = importOnnx(fixtureBytes(m.file), { name: m.file });
    expect(imp.opset).toBe(m.opset);
    expect(imp.producer).toMatch(/^pytorch/);
    expect(imp.irVersion).toBeGreaterThanOrEqual(6);
    const g = imp.graph;
    expect(g.name).toBe(m.name);
    expectWellFormed(g);
    // inputs: ONNX declares NCHW; the IR input is NHWC
    expect(imp.inputs.map((i) => i.name)).toEqual(Object.keys(m.inputs));
    for (const [name, rel] of Object.entries(m.inputs)) {
      const shape = readFixture(rel).shape;
      expect(imp.inputs.find((i) => i.name === name)!.shape).toEqual(shape);
      expect(g.inputs.find((i) => i.name === name)!.shape).toEqual([shape[0], shape[2], shape[3], shape[1]]);
    }
    expect(g.outputs).toEqual(Object.keys(m.outputs));
    expect(imp.outputs.map((o) => o.name)).toEqual(Object.keys(m.outputs));
    for (const [name, rel] of Object.entries(m.outputs)) {
      const declared = imp.outputs.find((o) => o.name === name)!.shape;
      const shape = readFixture(rel).shape;
      expect(declared.length).toBe(shape.length);
      declared.forEach((d, i) => d === null || expect(d).toBe(shape[i]));
      // a 4-D output is written by the final NHWC -> NCHW transpose
      const writer = g.nodes.find((n) => n.outputs.includes(name))!;
      if (shape.length === 4) expect(writer).toMatchObject({ op: 'transpose', attrs: { perm: [0, 3, 1, 2] } });
    }
  });

  it('pool_zoo: the shape computation folds away, pads and slices are in NHWC axis order', () => {
    const g = importOnnx(fixtureBytes('onnx/pool_zoo.onnx')).graph;
    expect(ops(g)).toEqual(['pad', 'avgPool2d', 'avgPool2d', 'maxPool2d', 'identity', 'slice', 'concat', 'pad', 'conv2d', 'globalMaxPool2d', 'reshape', 'flatten', 'transpose']);
    // F.pad(x, (1, 2, 0, 1)): W left 1 right 2, H bottom 1 -> begins [n, h, w, c], then ends
    expect(nodeOf(g, '/Pad_1').attrs).toEqual({ pads: [0, 0, 1, 0, 0, 1, 2, 0], mode: 'constant', value: 0 });
    expect(nodeOf(g, '/Pad').attrs).toEqual({ pads: [0, 1, 1, 0, 0, 1, 1, 0], mode: 'constant', value: 0 });
    expect(nodeOf(g, '/Slice_1').attrs).toEqual({ starts: [0], ends: [8], axes: [2], steps: [1] });
    expect(nodeOf(g, '/Concat').attrs).toEqual({ axis: 3 });
    expect(nodeOf(g, '/MaxPool').attrs).toMatchObject({ ceilMode: true, padding: [1, 1, 1, 1], kernel: [3, 3], strides: [2, 2] });
    expect(nodeOf(g, '/AveragePool').attrs).toMatchObject({ countIncludePad: false, padding: [0, 0, 0, 0] });
    // GlobalMaxPool gives NHWC [N,1,1,C]: back to NCHW is a reshape, not a transpose
    expect(nodeOf(g, '/Flatten::to_nchw')).toMatchObject({ op: 'reshape', attrs: { shape: [1, 4, 1, 1] } });
  });

  it('conv weights are OIHW -> HWIO, element for element', () => {
    const proto = decodeFixture('onnx/branches.onnx');
    const g = importOnnx(fixtureBytes('onnx/branches.onnx')).graph;
    for (const name of ['b1.weight', 'b3.weight', 'b5.weight']) {
      const init = proto.graph!.initializer!.find((t) => t.name === name)!;
      const oihw = new Float32Array(Uint8Array.from(init.rawData!).buffer);
      const [o, i, kh, kw] = init.dims!.map(Number);
      const hwio = g.constants.get(name)!;
      expect(hwio.shape).toEqual([kh, kw, i, o]);
      for (let a = 0; a < o; a++)
        for (let b = 0; b < i; b++)
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) expect(hwio.data[((y * kw + x) * i + b) * o + a]).toBe(oihw[((a * i + b) * kh + y) * kw + x]);
    }
    // depthwise: groups 32, W [32, 1, 3, 3] -> [3, 3, 1, 32]
    const mobile = importOnnx(fixtureBytes('onnx/mobile_block.onnx')).graph;
    const dw = nodeOf(mobile, '/dw/Conv');
    expect(dw.attrs).toMatchObject({ groups: 32, padding: [1, 1, 1, 1] });
    expect(mobile.constants.get(dw.inputs[1])!.shape).toEqual([3, 3, 1, 32]);
  });

  it('Gemm with transB = 1 gives dense weights [in, out] and keeps the bias name', () => {
    const proto = decodeFixture('onnx/jet_cnn.onnx');
    const init = proto.graph!.initializer!.find((t) => t.name === 'fc1.weight')!;
    const b = new Float32Array(Uint8Array.from(init.rawData!).buffer); // [out 32, in 288]
    const g = importOnnx(fixtureBytes('onnx/jet_cnn.onnx')).graph;
    const fc1 = nodeOf(g, '/fc1/Gemm');
    expect(fc1).toMatchObject({ op: 'dense', inputs: ['/Flatten_output_0', 'fc1.weight', 'fc1.bias'] });
    const w = g.constants.get('fc1.weight')!;
    expect(w.shape).toEqual([288, 32]);
    for (const [i, o] of [[0, 0], [5, 17], [287, 31], [100, 3]]) expect(w.data[i * 32 + o]).toBe(b[o * 288 + i]);
    // the flatten reads NCHW (c, h, w) order, so NHWC goes back first
    expect(nodeOf(g, '/Flatten::to_nchw')).toMatchObject({ op: 'transpose', attrs: { perm: [0, 3, 1, 2] } });
  });

  it('readOnnxFile gives the same import as importOnnx', async () => {
    const fromFile = await readOnnxFile(join(FIXTURES, 'onnx/lenet5.onnx'));
    const fromBytes = importOnnx(fixtureBytes('onnx/lenet5.onnx'), { name: 'lenet5.onnx' });
    expect(fromFile.graph.nodes).toEqual(fromBytes.graph.nodes);
    expect(fromFile.graph.name).toBe('lenet5');
    await expect(readOnnxFile(join(FIXTURES, 'onnx/nope.onnx'))).rejects.toThrow(/^onnx: cannot read .*nope\.onnx: .*ENOENT/);
  });
});

// ------------------------------------------------------------------ errors

describe('errors', () => {
  const lenet = fixtureBytes('onnx/lenet5.onnx');

  it('a truncated, random or empty file is a clear parse error naming the file', () => {
    expect(() => importOnnx(lenet.subarray(0, 100), { name: 'lenet5.onnx' })).toThrow(/^onnx: cannot parse lenet5\.onnx: .*truncated/);
    const noise = Uint8Array.from(random(4096, 7, 0, 256), (v) => Math.floor(v));
    expect(() => importOnnx(noise, { name: 'noise.onnx' })).toThrow(/^onnx: cannot parse noise\.onnx: /);
    expect(() => importOnnx(new Uint8Array(0), { name: 'empty.onnx' })).toThrow('onnx: cannot parse empty.onnx: the file is empty');
    expect(() => importOnnx(lenet.subarray(0, 100))).toThrow(/^onnx: cannot parse the model: /);
    expect(() => importOnnx('model.onnx' as unknown as Uint8Array)).toThrow(/expected the file's bytes as a Uint8Array, got string/);
  });

  it('every truncation of a model is an Error starting with "onnx:", never a crash', () => {
    const bytes = fixtureBytes('onnx/pool_zoo.onnx');
    for (let n = 1; n < bytes.length; n += 37) {
      let err: unknown;
      try {
        importOnnx(bytes.subarray(0, n), { name: 'pool_zoo.onnx' });
      } catch (e) {
        err = e;
      }
      expect(err, `truncated at ${n}`).toBeInstanceOf(Error);
      expect((err as Error).message, `truncated at ${n}`).toMatch(/^onnx: /);
    }
  });

  it('a model without a graph', () => {
    const bytes = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 13 }] }).finish();
    expect(() => importOnnx(bytes, { name: 'nograph.onnx' })).toThrow('onnx: cannot parse nograph.onnx: the model has no graph (not an ONNX model?)');
  });

  it('all unsupported ops are listed in one error, with reasons', () => {
    const spec: ModelSpec = {
      inputs: [['x', [1, 3, 8, 8]], ['m', [8, 4]]],
      outputs: [['y', [1, 3, 8, 4]], ['z', [1, 3, 8, 8]], ['l', [1, 3, 8, 8]]],
      nodes: [
        { op: 'Foo', name: '/a/Foo', inputs: ['x'], outputs: ['f1'] },
        { op: 'Relu', name: '/after_foo', inputs: ['f1'], outputs: ['r1'] }, // skipped: its input is unsupported
        { op: 'Foo', name: '/b/Foo', inputs: ['r1'], outputs: ['z'] },
        { op: 'MatMul', name: '/m', inputs: ['x', 'm'], outputs: ['y'] },
        { op: 'LSTM', name: '/l/LSTM', inputs: ['x'], outputs: ['l'] },
      ],
    };
    expect(() => build(spec, 'bad.onnx')).toThrow(new Error('onnx: unsupported ops in bad.onnx: Foo (nodes /a/Foo, /b/Foo), MatMul (node /m: B is not constant), LSTM (node /l/LSTM)'));
  });

  it('unsupported forms of supported ops give their reasons', () => {
    const spec: ModelSpec = {
      opset: 11,
      inputs: [['x', [1, 3, 8, 8]], ['s', [2]]],
      outputs: [['o1', [1, 3, 3]], ['o2', [1, 3, 4, 4]], ['o3', [1, 3, 8, 8]], ['o4', [1, 3, 8, 8]], ['o5', ['?']], ['o6', [1, 3, 8, 8]], ['o7', [1, 4, 6]]],
      initializers: [floatTensor('w1d', [4, 3, 3], new Float32Array(36)), int64Tensor('idx', [1], [0])],
      nodes: [
        { op: 'Constant', name: '/k', inputs: [], outputs: ['shape3'], attrs: { value: { t: int64Tensor('', [3], [1, 3, 64]) } } },
        { op: 'Reshape', name: '/r3', inputs: ['x', 'shape3'], outputs: ['r3'] },
        { op: 'Conv', name: '/c1d', inputs: ['r3', 'w1d'], outputs: ['o7'] },
        { op: 'MaxPool', name: '/mp', inputs: ['x'], outputs: ['o2', 'indices'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
        { op: 'Softmax', name: '/sm', inputs: ['x'], outputs: ['o3'], attrs: { axis: 1 } },
        { op: 'Dropout', name: '/dr', inputs: ['x'], outputs: ['o4', 'mask'] },
        { op: 'Gather', name: '/g', inputs: ['x', 'idx'], outputs: ['o5'] },
        { op: 'Reshape', name: '/rs', inputs: ['x', 's'], outputs: ['o6'] },
        { op: 'Slice', name: '/sl', inputs: ['x', 'idx', 'idx'], outputs: ['o1'] },
      ],
    };
    let message = '';
    try {
      build(spec, 'forms.onnx');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^onnx: unsupported ops in forms\.onnx: /);
    expect(message).toContain('Conv (node /c1d: only 2-D convolution is supported; W has shape [4, 3, 3])');
    expect(message).toContain('MaxPool (node /mp: the Indices output is not supported)');
    expect(message).toContain('Softmax (node /sm: opset 11 Softmax with axis 1 flattens axes 1..3 of [1, 3, 8, 8]; only a softmax over one axis is supported)');
    expect(message).toContain('Dropout (node /dr: the mask output is not supported)');
    expect(message).toContain("Gather (node /g: only supported when its inputs are known at import time, but 'x' is computed at run time)");
    expect(message).toContain('Reshape (node /rs: the shape input is computed at run time (not constant))');
    expect(message).toContain('Slice (node /sl: the slice of [1, 3, 8, 8] is empty)');
  });

  it('ops of other domains are unsupported ops', () => {
    const spec: ModelSpec = {
      inputs: [['x', [1, 4]]],
      outputs: [['y', [1, 4]]],
      nodes: [{ op: 'FusedGemm', name: '/f', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'] }],
    };
    expect(() => build(spec, 'ms.onnx')).toThrow('onnx: unsupported ops in ms.onnx: com.microsoft:FusedGemm (node /f)');
  });

  it('opsets outside 7..17 and other domains are refused, naming the opset', () => {
    const relu: ModelSpec = { inputs: [['x', [1, 4]]], outputs: [['y', [1, 4]]], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] };
    expect(() => build({ ...relu, opset: 18 }, 'new.onnx')).toThrow('onnx: new.onnx uses ONNX opset 18; only opsets 7 to 17 are supported');
    expect(() => build({ ...relu, opset: 6 }, 'old.onnx')).toThrow('onnx: old.onnx uses ONNX opset 6; only opsets 7 to 17 are supported');
    expect(() => build({ ...relu, opsets: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }] }, 'ms.onnx')).toThrow(
      "onnx: ms.onnx imports opset 1 of the domain 'com.microsoft'; only the default ONNX domain (ai.onnx), opsets 7 to 17, is supported",
    );
    expect(() => build({ ...relu, opsets: [] }, 'none.onnx')).toThrow(/^onnx: none\.onnx imports no opset of the default ONNX domain/);
    expect(build({ ...relu, opsets: [{ domain: 'ai.onnx', version: 17 }] }).opset).toBe(17);
  });

  it('a node reading an undefined value, a non-float input, an input without shape', () => {
    const spec: ModelSpec = { inputs: [['x', [1, 4]]], outputs: [['y', [1, 4]]], nodes: [{ op: 'Relu', name: '/r', inputs: ['nothing'], outputs: ['y'] }] };
    expect(() => build(spec, 'a.onnx')).toThrow("onnx: a.onnx: node /r reads 'nothing', which no graph input, initializer or earlier node defines");
    const ids = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: { input: [valueInfo('ids', [1, 4], DT.INT64)], output: [valueInfo('ids', [1, 4], DT.INT64)] },
    }).finish();
    expect(() => importOnnx(ids, { name: 'ids.onnx' })).toThrow("onnx: ids.onnx: graph input 'ids' has type INT64; only float inputs are supported");
    const noShape = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 13 }], graph: { input: [{ name: 'x', type: { tensorType: { elemType: DT.FLOAT } } }] } }).finish();
    expect(() => importOnnx(noShape, { name: 'ns.onnx' })).toThrow(/graph input 'x' declares no shape/);
  });
});

// ------------------------------------------------------------------ translations

describe('translations', () => {
  it('Add / Mul with [C,1,1] and [1,C,1,1] constants broadcast in NHWC', () => {
    const bias = [0.5, -1, 2];
    const scale = [2, 3, -1];
    const imp = build({
      inputs: [['x', [1, 3, 4, 5]]],
      outputs: [['y', [1, 3, 4, 5]]],
      initializers: [floatTensor('bias', [3, 1, 1], bias), floatTensor('scale', [1, 3, 1, 1], scale, 'float_data')],
      nodes: [
        { op: 'Add', name: '/add', inputs: ['x', 'bias'], outputs: ['a'] },
        { op: 'Mul', name: '/mul', inputs: ['scale', 'a'], outputs: ['y'] },
      ],
    });
    const g = imp.graph;
    expectWellFormed(g);
    expect(ops(g)).toEqual(['add', 'mul', 'transpose']);
    expect(g.constants.get('bias')).toEqual({ shape: [1, 1, 3], data: Float32Array.from(bias) });
    expect(g.constants.get('scale')).toEqual({ shape: [1, 1, 1, 3], data: Float32Array.from(scale) });
    const shape = [1, 3, 4, 5];
    const x = random(60, 1);
    const y = run(imp, { x: { data: x, shape } }).y;
    expect(y.shape).toEqual(shape);
    expectAllClose(y.data, nchw(shape, (b, c, h, w) => (at(x, shape, b, c, h, w) + bias[c]) * scale[c]), TOL, 'y');
  });

  it('binary ops of two activations, and a [W] constant against NHWC data', () => {
    const row = [1, 2, 3, 4, 5];
    const imp = build({
      inputs: [['x', [2, 3, 4, 5]], ['z', [2, 3, 4, 5]]],
      outputs: [['y', [2, 3, 4, 5]]],
      initializers: [floatTensor('row', [5], row)],
      nodes: [
        { op: 'Relu', name: '/r', inputs: ['x'], outputs: ['r'] },
        { op: 'Sub', name: '/sub', inputs: ['r', 'z'], outputs: ['s'] },
        { op: 'Div', name: '/div', inputs: ['s', 'row'], outputs: ['y'] },
      ],
    });
    // [W] right-aligns to [1,1,1,W]: in NHWC it is [1,1,W,1]
    expect(imp.graph.constants.get('row')!.shape).toEqual([1, 1, 5, 1]);
    const shape = [2, 3, 4, 5];
    const [x, z] = [random(120, 2), random(120, 3)];
    const y = run(imp, { x: { data: x, shape }, z: { data: z, shape } }).y;
    expectAllClose(y.data, nchw(shape, (b, c, h, w) => (Math.max(at(x, shape, b, c, h, w), 0) - at(z, shape, b, c, h, w)) / row[w]), TOL, 'y');
  });

  it('Concat, Slice and Transpose remap NCHW axes for NHWC data', () => {
    const shape = [1, 2, 3, 4];
    const imp = build({
      inputs: [['x', shape]],
      outputs: [['cat', [1, 2, 6, 4]], ['sl', [1, 1, 3, 2]], ['t', [1, 3, 4, 2]]],
      initializers: [int64Tensor('starts', [2], [1, -1]), int64Tensor('ends', [2], [2, -100]), int64Tensor('axes', [2], [1, -1]), int64Tensor('steps', [2], [1, -2])],
      nodes: [
        { op: 'Concat', name: '/cat', inputs: ['x', 'x'], outputs: ['cat'], attrs: { axis: -2 } },
        { op: 'Slice', name: '/sl', inputs: ['x', 'starts', 'ends', 'axes', 'steps'], outputs: ['sl'] },
        { op: 'Transpose', name: '/t', inputs: ['x'], outputs: ['t'], attrs: { perm: [0, 2, 3, 1] } },
      ],
    });
    const g = imp.graph;
    expectWellFormed(g);
    expect(nodeOf(g, '/cat').attrs).toEqual({ axis: 1 });
    expect(nodeOf(g, '/sl').attrs).toEqual({ starts: [1, -1], ends: [2, -100], axes: [3, 2], steps: [1, -2] });
    // NCHW -> NHWC of data already stored NHWC moves nothing; the plain result needs no transpose back
    expect(nodeOf(g, '/t').op).toBe('identity');
    expect(g.nodes.find((n) => n.outputs.includes('t'))!.name).toBe('/t');
    const x = random(24, 4);
    const out = run(imp, { x: { data: x, shape } });
    expectAllClose(out.cat.data, nchw([1, 2, 6, 4], (b, c, h, w) => at(x, shape, b, c, h % 3, w)), TOL, 'cat');
    expect(out.sl.shape).toEqual([1, 1, 3, 2]);
    expectAllClose(out.sl.data, nchw([1, 1, 3, 2], (b, _c, h, w) => at(x, shape, b, 1, h, 3 - 2 * w)), TOL, 'sl');
    // Transpose to [N,H,W,C]: the output (4-D, ONNX layout) is the NHWC data
    expect(out.t.shape).toEqual([1, 3, 4, 2]);
    expectAllClose(out.t.data, toNhwc(x, shape), TOL, 't');
  });

  it('Pad: attribute form (opset 7, reflect), input form (opset 11, edge, constant_value)', () => {
    const shape = [1, 2, 4, 5];
    const clampIdx = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
    const reflect = (v: number, n: number) => (v < 0 ? -v : v >= n ? 2 * (n - 1) - v : v);
    const x = random(40, 5);
    const v7 = build({
      opset: 7,
      inputs: [['x', shape]],
      outputs: [['y', [1, 2, 7, 7]]],
      nodes: [{ op: 'Pad', name: '/p', inputs: ['x'], outputs: ['y'], attrs: { pads: [0, 0, 1, 2, 0, 0, 2, 0], mode: 'reflect' } }],
    });
    expect(nodeOf(v7.graph, '/p').attrs).toEqual({ pads: [0, 1, 2, 0, 0, 2, 0, 0], mode: 'reflect', value: 0 });
    expectAllClose(run(v7, { x: { data: x, shape } }).y.data, nchw([1, 2, 7, 7], (b, c, h, w) => at(x, shape, b, c, reflect(h - 1, 4), reflect(w - 2, 5))), TOL, 'reflect');
    const v11 = build({
      opset: 11,
      inputs: [['x', shape]],
      outputs: [['y', [1, 2, 5, 8]], ['z', [1, 2, 6, 5]]],
      initializers: [int64Tensor('pads', [8], [0, 0, 0, 1, 0, 0, 1, 2]), int64Tensor('hpads', [8], [0, 0, 1, 0, 0, 0, 1, 0]), floatTensor('v', [], [1.5])],
      nodes: [
        { op: 'Pad', name: '/edge', inputs: ['x', 'pads'], outputs: ['y'], attrs: { mode: 'edge' } },
        { op: 'Pad', name: '/const', inputs: ['x', 'hpads', 'v'], outputs: ['z'] },
      ],
    });
    const out = run(v11, { x: { data: x, shape } });
    expect(nodeOf(v11.graph, '/edge').attrs).toEqual({ pads: [0, 0, 1, 0, 0, 1, 2, 0], mode: 'edge', value: 0 });
    expectAllClose(out.y.data, nchw([1, 2, 5, 8], (b, c, h, w) => at(x, shape, b, c, clampIdx(h, 4), clampIdx(w - 1, 5))), TOL, 'edge');
    expectAllClose(out.z.data, nchw([1, 2, 6, 5], (b, c, h, w) => (h === 0 || h === 5 ? 1.5 : at(x, shape, b, c, h - 1, w))), TOL, 'constant');
  });

  it('Pad of a 4-D value in plain layout (a Reshape output) goes to NHWC first', () => {
    const imp = build({
      inputs: [['x', [1, 12]]],
      outputs: [['y', [1, 3, 2, 4]]],
      initializers: [int64Tensor('shape', [4], [1, 3, 2, 2]), int64Tensor('pads', [8], [0, 0, 0, 1, 0, 0, 0, 1])],
      nodes: [
        { op: 'Reshape', name: '/rs', inputs: ['x', 'shape'], outputs: ['r'] },
        { op: 'Pad', name: '/pad', inputs: ['r', 'pads'], outputs: ['y'] },
      ],
    });
    expect(ops(imp.graph)).toEqual(['reshape', 'transpose', 'pad', 'transpose']);
    const x = random(12, 8);
    const y = run(imp, { x: { data: x, shape: [1, 12] } }).y;
    expectAllClose(y.data, nchw([1, 3, 2, 4], (_b, c, h, w) => (w === 0 || w === 3 ? 0 : x[(c * 2 + h) * 2 + w - 1])), TOL, 'pad');
  });

  it('a symbolic batch: Shape -> Gather -> Unsqueeze -> Concat -> Reshape folds to a reshape [0, -1]', () => {
    const w = random(3 * 2 * 2 * 4, 6);
    const imp = build({
      inputs: [['x', ['batch', 3, 2, 2]]],
      outputs: [['y', ['batch', 4]]],
      initializers: [floatTensor('w', [12, 4], w), int64Tensor('zero', [], [0]), int64Tensor('minus1', [1], [-1])],
      nodes: [
        { op: 'Constant', name: '/axes', inputs: [], outputs: ['axes0'], attrs: { value_ints: [0] } },
        { op: 'Shape', name: '/shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', name: '/gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', name: '/unsq', inputs: ['n', 'axes0'], outputs: ['n1'] },
        { op: 'Concat', name: '/cat', inputs: ['n1', 'minus1'], outputs: ['target'], attrs: { axis: 0 } },
        { op: 'Reshape', name: '/reshape', inputs: ['x', 'target'], outputs: ['flat'] },
        { op: 'MatMul', name: '/mm', inputs: ['flat', 'w'], outputs: ['y'] },
      ],
    });
    const g = imp.graph;
    expectWellFormed(g);
    expect(g.inputs).toEqual([{ name: 'x', shape: [null, 2, 2, 3] }]);
    expect(imp.inputs).toEqual([{ name: 'x', shape: [null, 3, 2, 2] }]);
    expect(imp.outputs).toEqual([{ name: 'y', shape: [null, 4] }]);
    expect(ops(g)).toEqual(['transpose', 'reshape', 'dense']);
    expect(nodeOf(g, '/reshape').attrs).toEqual({ shape: [0, 12] });
    for (const n of [1, 3]) {
      const shape = [n, 3, 2, 2];
      const x = random(n * 12, 10 + n);
      const y = run(imp, { x: { data: x, shape } }).y;
      expect(y.shape).toEqual([n, 4]);
      const expected = new Float32Array(n * 4).map((_, i) => {
        const [b, o] = [Math.floor(i / 4), i % 4];
        let s = 0;
        for (let k = 0; k < 12; k++) s += x[b * 12 + k] * w[k * 4 + o];
        return s;
      });
      expectAllClose(y.data, expected, { rtol: 1e-5, atol: 1e-5 }, `batch ${n}`);
    }
  });

  it('Gemm: alpha, beta, transA, a [M,N] C; Clip attribute and input forms', () => {
    const a = random(6, 20); // A^T: [3, 2] -> A [2, 3]
    const bm = random(12, 21); // B [3, 4]
    const cm = random(8, 22); // C [2, 4]
    const imp = build({
      opset: 13,
      inputs: [['at', [3, 2]]],
      outputs: [['y', [2, 4]]],
      initializers: [floatTensor('B', [3, 4], bm), floatTensor('C', [2, 4], cm), floatTensor('hi', [], [0.25])],
      nodes: [
        { op: 'Gemm', name: '/gemm', inputs: ['at', 'B', 'C'], outputs: ['g'], attrs: { transA: 1, alpha: { f: 2 }, beta: { f: 0.5 } } },
        { op: 'Clip', name: '/clip', inputs: ['g', '', 'hi'], outputs: ['y'] },
      ],
    });
    expect(ops(imp.graph)).toEqual(['transpose', 'dense', 'add', 'clip']);
    expect(nodeOf(imp.graph, '/clip').attrs).toEqual({ min: -Infinity, max: 0.25 });
    const y = run(imp, { at: { data: a, shape: [3, 2] } }).y;
    const expected = new Float32Array(8).map((_, i) => {
      const [m, n] = [Math.floor(i / 4), i % 4];
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[k * 2 + m] * bm[k * 4 + n];
      return Math.min(2 * s + 0.5 * cm[i], 0.25);
    });
    expectAllClose(y.data, expected, { rtol: 1e-5, atol: 1e-6 }, 'gemm');

    const v7 = build({
      opset: 7,
      inputs: [['x', [1, 4]]],
      outputs: [['y', [1, 4]], ['z', [1, 4]]],
      nodes: [
        { op: 'Clip', name: '/c', inputs: ['x'], outputs: ['y'], attrs: { min: { f: -1 }, max: { f: 1 } } },
        { op: 'Clip', name: '/d', inputs: ['x'], outputs: ['z'], attrs: { max: { f: 2 } } },
      ],
    });
    expect(nodeOf(v7.graph, '/c').attrs).toEqual({ min: -1, max: 1 });
    // before opset 11 the absent bound is the float32 extreme (the spec's default)
    expect(nodeOf(v7.graph, '/d').attrs).toEqual({ min: -3.4028234663852886e38, max: 2 });
  });

  it('Softmax: opset 11 flatten semantics reduced to one axis; opset 13 axes remapped for NHWC', () => {
    const v11 = build({
      opset: 11,
      inputs: [['x', [2, 5, 1, 1]]],
      outputs: [['y', [2, 5, 1, 1]]],
      nodes: [{ op: 'Softmax', name: '/sm', inputs: ['x'], outputs: ['y'] }],
    });
    // the flattened tail (C, 1, 1) is just C: IR axis 3 of NHWC
    expect(nodeOf(v11.graph, '/sm').attrs).toEqual({ axis: 3 });
    const v13 = build({
      inputs: [['x', [2, 5, 3, 4]]],
      outputs: [['y', [2, 5, 3, 4]]],
      nodes: [{ op: 'Softmax', name: '/sm', inputs: ['x'], outputs: ['y'], attrs: { axis: 2 } }],
    });
    expect(nodeOf(v13.graph, '/sm').attrs).toEqual({ axis: 1 });
    const shape = [2, 5, 3, 4];
    const x = random(120, 30, -3, 3);
    const y = run(v13, { x: { data: x, shape } }).y;
    const expected = nchw(shape, (b, c, h, w) => {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += Math.exp(at(x, shape, b, c, k, w));
      return Math.exp(at(x, shape, b, c, h, w)) / sum;
    });
    expectAllClose(y.data, expected, TOL, 'softmax axis 2');
  });

  it('BatchNormalization, Flatten(axis 2), Squeeze/Unsqueeze, Identity, Dropout, a 4-D Reshape output stays NCHW', () => {
    const c = 3;
    const [scale, bias, mean, variance] = [[1, 2, 0.5], [0, 0.1, -0.2], [0.3, -0.1, 0], [1, 0.5, 2]];
    const imp = build({
      inputs: [['x', [1, c, 2, 2]]],
      outputs: [['f', [3, 4]], ['r', [1, 3, 1, 4]], ['u', [1, 12, 1]]],
      initializers: [
        floatTensor('s', [c], scale),
        { name: 'b', dims: [c], dataType: DT.DOUBLE, doubleData: bias },
        floatTensor('m', [c], mean, 'float_data'),
        floatTensor('v', [c], variance),
        { name: 'rshape', dims: [4], dataType: DT.INT32, int32Data: [1, 3, 1, 4] },
        int64Tensor('ax', [1], [2]),
      ],
      nodes: [
        { op: 'Constant', name: '/sqax', inputs: [], outputs: ['sqax'], attrs: { value_int: 0 } },
        { op: 'BatchNormalization', name: '/bn', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['bn'], attrs: { epsilon: { f: 0.001 } } },
        { op: 'Dropout', name: '/drop', inputs: ['bn'], outputs: ['d'] },
        { op: 'Identity', name: '/id', inputs: ['d'], outputs: ['i'] },
        { op: 'Flatten', name: '/flat', inputs: ['i'], outputs: ['f'], attrs: { axis: 2 } },
        { op: 'Reshape', name: '/rs', inputs: ['i', 'rshape'], outputs: ['r'] },
        { op: 'Squeeze', name: '/sq', inputs: ['r', 'sqax'], outputs: ['sq'] },
        { op: 'Flatten', name: '/flat2', inputs: ['sq'], outputs: ['fl2'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', name: '/unsq', inputs: ['fl2', 'ax'], outputs: ['u'] },
      ],
    });
    const g = imp.graph;
    expectWellFormed(g);
    expect(nodeOf(g, '/bn')).toMatchObject({ op: 'batchNorm', attrs: { epsilon: Math.fround(0.001) } });
    expect(nodeOf(g, '/flat')).toMatchObject({ op: 'reshape', attrs: { shape: [3, 4] } });
    // reshape output is plain NCHW: no transpose back for the graph output 'r'
    expect(g.nodes.find((n) => n.outputs.includes('r'))!.op).toBe('reshape');
    const shape = [1, c, 2, 2];
    const x = random(12, 40);
    const out = run(imp, { x: { data: x, shape } });
    const bn = nchw(shape, (bb, ch, h, w) => ((at(x, shape, bb, ch, h, w) - mean[ch]) / Math.sqrt(variance[ch] + Math.fround(0.001))) * scale[ch] + bias[ch]);
    expectAllClose(out.f.data, bn, { rtol: 1e-5, atol: 1e-5 }, 'flatten');
    expectAllClose(out.r.data, bn, { rtol: 1e-5, atol: 1e-5 }, 'reshape');
    expect(out.u.shape).toEqual([1, 12, 1]);
    expectAllClose(out.u.data, bn, { rtol: 1e-5, atol: 1e-5 }, 'unsqueeze');
  });

  it('PRelu, HardSwish, ReduceMean over H, W, LeakyRelu default alpha', () => {
    const shape = [1, 2, 3, 3];
    const slope = [0.1, 0.3];
    const imp = build({
      opset: 14,
      inputs: [['x', shape]],
      outputs: [['p', shape], ['h', shape], ['m', [1, 2]], ['l', shape]],
      initializers: [floatTensor('slope', [2, 1, 1], slope)],
      nodes: [
        { op: 'PRelu', name: '/p', inputs: ['x', 'slope'], outputs: ['p'] },
        { op: 'HardSwish', name: '/h', inputs: ['x'], outputs: ['h'] },
        { op: 'ReduceMean', name: '/m', inputs: ['x'], outputs: ['m'], attrs: { axes: [-1, 2], keepdims: 0 } },
        { op: 'LeakyRelu', name: '/l', inputs: ['x'], outputs: ['l'] },
      ],
    });
    expect(nodeOf(imp.graph, '/m')).toMatchObject({ op: 'globalAvgPool2d', attrs: { keepDims: false } });
    expect(nodeOf(imp.graph, '/l').attrs).toEqual({ alpha: 0.01 });
    const x = random(18, 50, -4, 4);
    const out = run(imp, { x: { data: x, shape } });
    expectAllClose(out.p.data, nchw(shape, (b, c, h, w) => {
      const v = at(x, shape, b, c, h, w);
      return v < 0 ? v * slope[c] : v;
    }), TOL, 'prelu');
    expectAllClose(out.h.data, Float32Array.from(x, (v) => (v * Math.min(Math.max(v / 6 + 0.5, 0), 1))), { rtol: 1e-5, atol: 1e-6 }, 'hardswish');
    expectAllClose(out.m.data, [0, 1].map((c) => x.slice(c * 9, c * 9 + 9).reduce((s, v) => s + v, 0) / 9), { rtol: 1e-5, atol: 1e-6 }, 'mean');
    expectAllClose(out.l.data, Float32Array.from(x, (v) => (v < 0 ? 0.01 * v : v)), TOL, 'leaky');
  });

  it('Conv auto_pad SAME_LOWER / VALID, MaxPool dilations, AveragePool count_include_pad', () => {
    const imp = build({
      inputs: [['x', [1, 2, 6, 7]]],
      outputs: [['a', [1, 4, 3, 4]], ['b', [1, 4, 4, 5]], ['c', [1, 2, 4, 6]], ['d', [1, 2, 4, 4]]],
      initializers: [floatTensor('w', [4, 2, 2, 2], random(32, 60))],
      nodes: [
        { op: 'Conv', name: '/same', inputs: ['x', 'w'], outputs: ['a'], attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] } },
        { op: 'Conv', name: '/valid', inputs: ['x', 'w'], outputs: ['b'], attrs: { auto_pad: 'VALID', kernel_shape: [2, 2], dilations: [2, 2] } },
        { op: 'MaxPool', name: '/mp', inputs: ['x'], outputs: ['c'], attrs: { kernel_shape: [2, 2], dilations: [2, 2], pads: [0, 1, 0, 0] } },
        { op: 'AveragePool', name: '/ap', inputs: ['x'], outputs: ['d'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1, ceil_mode: 1 } },
      ],
    });
    const g = imp.graph;
    expect(nodeOf(g, '/same').attrs).toMatchObject({ padding: 'same_lower', strides: [2, 2] });
    expect(nodeOf(g, '/valid').attrs).toMatchObject({ padding: 'valid', dilations: [2, 2] });
    expect(nodeOf(g, '/mp').attrs).toMatchObject({ padding: [0, 0, 1, 0], dilations: [2, 2] });
    expect(nodeOf(g, '/ap').attrs).toMatchObject({ countIncludePad: true, ceilMode: true });
    const out = run(imp, { x: { data: random(84, 61), shape: [1, 2, 6, 7] } });
    expect(out.a.shape).toEqual([1, 4, 3, 4]);
    expect(out.b.shape).toEqual([1, 4, 4, 5]);
    expect(out.c.shape).toEqual([1, 2, 4, 6]);
    expect(out.d.shape).toEqual([1, 2, 4, 4]);
  });

  it('Conv weights are permuted OIHW -> HWIO when read: data once, or take() into a given array', () => {
    const oihw = random(4 * 3 * 2 * 5, 62);
    const imp = build({
      inputs: [['x', [1, 3, 6, 7]]],
      outputs: [['y', [1, 4, 5, 3]]],
      initializers: [floatTensor('w', [4, 3, 2, 5], oihw)],
      nodes: [{ op: 'Conv', name: '/c', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    const w = imp.graph.constants.get('w')!;
    expect(w.shape).toEqual([2, 5, 3, 4]);
    const hwio = new Float32Array(120);
    for (let o = 0; o < 4; o++) for (let i = 0; i < 3; i++) for (let y = 0; y < 2; y++) for (let x = 0; x < 5; x++) hwio[((y * 5 + x) * 3 + i) * 4 + o] = oihw[((o * 3 + i) * 2 + y) * 5 + x];
    const into = new Float32Array(120);
    expect(w.take!(into)).toBe(into);
    expect(Array.from(into)).toEqual(Array.from(hwio));
    expect(Array.from(w.data)).toEqual(Array.from(hwio));
    expect(w.data).toBe(w.data); // computed once
    const again = new Float32Array(120);
    expect(Array.from(w.take!(again))).toEqual(Array.from(hwio));
    expect(() => w.take!(new Float32Array(3))).toThrow('permuteData: into has 3 values, expected 120');
  });

  it('Constant forms and initializer encodings (float16, int32, uint8 raw)', () => {
    const half = new Uint16Array([0x3c00, 0xc000, 0x3800]); // 1, -2, 0.5
    const imp = build({
      inputs: [['x', [1, 3]]],
      outputs: [['y', [1, 3]]],
      initializers: [{ name: 'h', dims: [3], dataType: DT.FLOAT16, rawData: new Uint8Array(half.buffer) }],
      nodes: [
        { op: 'Constant', name: '/vf', inputs: [], outputs: ['vf'], attrs: { value_float: { f: 2 } } },
        { op: 'Constant', name: '/vfs', inputs: [], outputs: ['vfs'], attrs: { value_floats: { floats: [1, 2, 3] } } },
        { op: 'Mul', name: '/m1', inputs: ['vf', 'vfs'], outputs: ['k'] }, // folded: [2, 4, 6]
        { op: 'Add', name: '/a1', inputs: ['k', 'h'], outputs: ['k2'] }, // folded: [3, 2, 6.5]
        { op: 'Mul', name: '/m2', inputs: ['x', 'k2'], outputs: ['y'] },
      ],
    });
    expect(ops(imp.graph)).toEqual(['mul']);
    expect([...imp.graph.constants.values()][0]).toEqual({ shape: [3], data: Float32Array.of(3, 2, 6.5) });
  });

  it('a graph output that is a known value becomes a constant written by an identity', () => {
    const imp = build({
      inputs: [['x', [1, 3, 2, 2]]],
      outputs: [['y', [1, 3, 2, 2]], ['s', [4]]],
      nodes: [
        { op: 'Relu', name: '/r', inputs: ['x'], outputs: ['y'] },
        { op: 'Shape', name: '/s', inputs: ['y'], outputs: ['s'] },
      ],
    });
    expectWellFormed(imp.graph);
    const s = imp.graph.nodes.find((n) => n.outputs.includes('s'))!;
    expect(s.op).toBe('identity');
    expect(imp.graph.constants.get(s.inputs[0])).toEqual({ shape: [4], data: Float32Array.of(1, 3, 2, 2) });
  });
});

// ------------------------------------------------------------------ the constant evaluator

describe('constant evaluator', () => {
  const fold = (op: string, inputs: Array<Known | undefined>, attrs: Record<string, AttrValue> = {}, opset = 13): Known => {
    const list = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    // onnx-proto's attribute objects have the wire decoder's field names (Attrs reads name, type, i, f, s, t, ints, floats).
    return FOLDERS[op]({ op, opset, attrs: new Attrs(list as unknown as AttributeProto[]), inputs, dims: new DimNames(), file: 't' })[0];
  };
  const ints = (...v: number[]) => makeInt([v.length], v);

  it('Range, Where, Equal, Expand, ConstantOfShape, Cast', () => {
    expect(fold('Range', [makeInt([], [1]), makeInt([], [10]), makeInt([], [3])])).toEqual(ints(1, 4, 7));
    expect(fold('Range', [makeFloat([], Float32Array.of(1)), makeFloat([], Float32Array.of(0)), makeFloat([], Float32Array.of(-0.5))]).data).toEqual(Float32Array.of(1, 0.5));
    const eq = fold('Equal', [ints(1, -1, 3), makeInt([], [-1])]);
    expect(eq).toEqual(makeInt([3], [0, 1, 0], 'bool'));
    expect(fold('Where', [eq, ints(5, 5, 5), ints(1, 2, 3)])).toEqual(ints(1, 5, 3));
    expect(fold('Expand', [makeInt([2, 1], [1, 2]), ints(2, 3)])).toEqual(makeInt([2, 3], [1, 1, 1, 2, 2, 2]));
    expect(fold('ConstantOfShape', [ints(2, 2)], { value: { t: int64Tensor('', [1], [7]) } })).toEqual(makeInt([2, 2], [7, 7, 7, 7]));
    expect(fold('ConstantOfShape', [ints(3)]).data).toEqual(new Float32Array(3));
    expect(fold('Cast', [makeFloat([2], Float32Array.of(-1.7, 2.9))], { to: DT.INT64 })).toEqual(ints(-1, 2));
    expect(fold('Mod', [ints(-7, 7), ints(3)])).toEqual(ints(2, 1));
    expect(fold('Mod', [ints(-7, 7), ints(3)], { fmod: 1 })).toEqual(ints(-1, 1));
  });

  it('Gather, Slice (negative steps, INT64 bounds), Squeeze, Unsqueeze (attribute form), Transpose, Concat', () => {
    expect(fold('Gather', [makeInt([2, 3], [1, 2, 3, 4, 5, 6]), ints(-1, 0)], { axis: 1 })).toEqual(makeInt([2, 2], [3, 1, 6, 4]));
    expect(fold('Slice', [ints(0, 1, 2, 3, 4), ints(-1), ints(-(2 ** 63)), ints(0), ints(-2)])).toEqual(ints(4, 2, 0));
    expect(fold('Slice', [ints(0, 1, 2, 3, 4), ints(1), ints(2 ** 63)])).toEqual(ints(1, 2, 3, 4));
    expect(fold('Slice', [ints(0, 1, 2, 3)], { starts: [1], ends: [3] }, 9)).toEqual(ints(1, 2));
    expect(fold('Squeeze', [makeInt([1, 2, 1], [4, 5])]).shape).toEqual([2]);
    expect(fold('Unsqueeze', [ints(4, 5)], { axes: [0, -1] }, 11).shape).toEqual([1, 2, 1]);
    expect(fold('Transpose', [makeInt([2, 3], [1, 2, 3, 4, 5, 6])])).toEqual(makeInt([3, 2], [1, 4, 2, 5, 3, 6]));
    expect(fold('Concat', [ints(1), makeInt([2], ['N', 3])], { axis: 0 })).toEqual(makeInt([3], [1, 'N', 3]));
  });

  it('a huge folded constant (a corrupt shape) is refused, not allocated', () => {
    expect(() => fold('ConstantOfShape', [ints(1e6, 1e6)])).toThrow(/ConstantOfShape would create 1000000000000 elements at import time/);
    expect(() => fold('Range', [makeInt([], [0]), makeInt([], [1e12]), makeInt([], [1])])).toThrow(/Range would create/);
  });

  it('symbolic dimensions: products and exact quotients stay symbolic', () => {
    const shape = makeInt([4], ['N', 8, 6, 6]);
    expect(fold('Mul', [makeInt([], ['N']), makeInt([], [288])])).toEqual(makeInt([], ['N*288']));
    expect(fold('Div', [makeInt([], ['N*288']), makeInt([], ['N'])])).toEqual(makeInt([], [288]));
    expect(fold('Gather', [shape, makeInt([], [0])])).toEqual(makeInt([], ['N']));
    expect(() => fold('Equal', [makeInt([], ['N']), makeInt([], [1])])).toThrow(/unknown dimension 'N'/);
  });
});

// ------------------------------------------------------------------ external data

describe('external data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wcnn-onnx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const w = random(4 * 2, 70); // Conv W [4, 2, 1, 1]

  function writeModel(location: string, file = 'ext.onnx'): string {
    const bytes = encodeModel({
      inputs: [['x', [1, 2, 3, 3]]],
      outputs: [['y', [1, 4, 3, 3]]],
      initializers: [
        {
          name: 'W',
          dims: [4, 2, 1, 1],
          dataType: DT.FLOAT,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: '16' },
            { key: 'length', value: String(w.byteLength) },
          ],
        },
      ],
      nodes: [{ op: 'Conv', name: '/conv', inputs: ['x', 'W'], outputs: ['y'] }],
    });
    writeFileSync(join(dir, file), bytes);
    return join(dir, file);
  }
  // 16 bytes of something else first: the offset is honoured
  const blob = new Uint8Array(16 + w.byteLength);
  blob.set(new Uint8Array(w.buffer), 16);

  it('readOnnxFile reads the data file next to the model; importOnnx takes readExternal or baseDir', async () => {
    writeFileSync(join(dir, 'weights.bin'), blob);
    const path = writeModel('weights.bin');
    const expected = { shape: [1, 1, 2, 4], data: new Float32Array(8).map((_, i) => w[(i % 4) * 2 + Math.floor(i / 4)]) };
    expect((await readOnnxFile(path)).graph.constants.get('W')).toEqual(expected);
    const bytes = new Uint8Array(readFileSync(path));
    const asked: string[] = [];
    const viaReader = importOnnx(bytes, { name: 'ext.onnx', readExternal: (rel) => (asked.push(rel), blob) });
    expect(asked).toEqual(['weights.bin']);
    expect(viaReader.graph.constants.get('W')).toEqual(expected);
    expect(importOnnx(bytes, { baseDir: dir }).graph.constants.get('W')).toEqual(expected);
  });

  it('a missing data file is an error naming it', async () => {
    const path = writeModel('missing.bin', 'missing.onnx');
    await expect(readOnnxFile(path)).rejects.toThrow(new RegExp(`^onnx: .*missing\\.onnx: cannot read the external data file '.*missing\\.bin' of initializer 'W': ENOENT`));
    expect(() => importOnnx(new Uint8Array(readFileSync(path)), { name: 'missing.onnx' })).toThrow(
      "onnx: missing.onnx: initializer 'W' keeps its data in the external file 'missing.bin'; pass options.readExternal (or baseDir, on Node) or use readOnnxFile",
    );
    const short = () => importOnnx(new Uint8Array(readFileSync(path)), { name: 'm.onnx', readExternal: () => new Uint8Array(10) });
    expect(short).toThrow("onnx: m.onnx: initializer 'W' reads bytes 16..48 of 'missing.bin', which has only 10 bytes");
  });

  it('a location outside the model directory is refused', async () => {
    const path = writeModel('../escape.bin', 'escape.onnx');
    await expect(readOnnxFile(path)).rejects.toThrow(/initializer 'W' has external data location '\.\.\/escape\.bin', which is not a path inside the model's directory/);
  });
});

// ------------------------------------------------------------------ reading weights in place

describe('readOnnxFile reads float weights in place', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wcnn-align-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Names of 1 to 4 characters shift each payload to every offset mod 4; sizes from a few floats (a
  // one-byte length: only 2 framing bytes) to 40 KB (a 3-byte length); an int64 tensor and a Constant
  // node's float tensor in between.
  const sizes = [1, 3, 31, 32, 33, 200, 10000];
  const data = sizes.map((n, i) => random(n, 80 + i));
  const tensors = sizes.map((n, i) => floatTensor(`${'w'.repeat(1 + (i % 4))}${i}`, [n], data[i]));
  const total = 1 + sizes.reduce((a, b) => a + b, 0) + 5;
  // y = concat(x, the weights, the Constant): every weight reaches the output.
  const spec: ModelSpec = {
    inputs: [['x', [1]]],
    outputs: [['y', [total]]],
    initializers: [tensors[0], int64Tensor('shape', [2], [3, 4]), ...tensors.slice(1)],
    nodes: [
      { op: 'Constant', name: '/c', inputs: [], outputs: ['c'], attrs: { value: { t: floatTensor('cv', [5], [1, 2, 3, 4, 5]) } } },
      { op: 'Concat', inputs: ['x', ...tensors.map((t) => t.name!), 'c'], outputs: ['y'], attrs: { axis: 0 } },
    ],
  };

  it('aligns the payloads of the decoded model in its own bytes; every value is unchanged', () => {
    const bytes = encodeModel(spec);
    const model = decodeModel(bytes, 'm.onnx');
    const before = model.graph!.initializer!.map((t) => Array.from(t.rawData ?? []));
    const misaligned = model.graph!.initializer!.filter((t) => t.dataType === DT.FLOAT && t.rawData!.byteOffset % 4 !== 0).length;
    expect(misaligned).toBeGreaterThan(2);
    alignRawData(model, bytes);
    model.graph!.initializer!.forEach((t, i) => expect(Array.from(t.rawData ?? []), t.name!).toEqual(before[i]));
    // Every payload with at least 3 framing bytes (128 bytes and more) is aligned now.
    for (const t of model.graph!.initializer!) {
      if (t.dataType === DT.FLOAT && t.rawData!.length >= 128) expect(t.rawData!.byteOffset % 4, t.name!).toBe(0);
    }
    expect(Array.from(new Float32Array(new Uint8Array(model.graph!.node![0].attribute![0].t!.rawData!).buffer))).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives the same weights as importOnnx on a copy of the file', async () => {
    const bytes = encodeModel(spec);
    const path = join(dir, 'aligned.onnx');
    writeFileSync(path, bytes);
    const viaFile = await readOnnxFile(path);
    const viaBytes = importOnnx(new Uint8Array(bytes), { name: 'copy.onnx' });
    expect([...viaFile.graph.constants.keys()]).toEqual([...viaBytes.graph.constants.keys()]);
    for (const [name, c] of viaBytes.graph.constants) {
      expect(Array.from(viaFile.graph.constants.get(name)!.data), name).toEqual(Array.from(c.data));
    }
    const expected = [0.5, ...data.flatMap((d) => Array.from(d)), 1, 2, 3, 4, 5];
    expect(Array.from(run(viaFile, { x: { data: [0.5], shape: [1] } }).y.data)).toEqual(expected);
  });
});

// ------------------------------------------------------------------ large weights left in the file

describe('readOnnxFile leaves large float weights in the file until they are used', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wcnn-holes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A 3x3 conv 24 -> 80 (69,120 bytes of weights: left in the file), its bias (read with the structure),
  // then a ReLU and a Conv 1x1 80 -> 40 with a 12,800-byte filter (read with it too).
  const w = random(80 * 24 * 9, 3);
  const b = random(80, 4);
  const w2 = random(40 * 80, 5);
  const spec: ModelSpec = {
    inputs: [['x', [1, 24, 7, 6]]],
    outputs: [['y', [1, 40, 7, 6]]],
    initializers: [floatTensor('w', [80, 24, 3, 3], w), floatTensor('b', [80], b), floatTensor('w2', [40, 80, 1, 1], w2)],
    nodes: [
      { op: 'Conv', name: '/c', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Conv', name: '/p', inputs: ['r', 'w2'], outputs: ['y'] },
    ],
  };
  const bytes = encodeModel(spec);
  const x = random(24 * 7 * 6, 6);
  const write = (name: string, data: Uint8Array = bytes): string => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  const predict = (model: GraphModel): Float32Array => {
    const t = tensor(x, [1, 24, 7, 6]);
    try {
      const out = model.predict({ x: t }).y;
      const data = out.dataSync().slice();
      out.dispose();
      return data;
    } finally {
      t.dispose();
    }
  };
  beforeAll(() => useBuild('baseline'));

  it('reads only the structure and the small tensors; the weights, when asked for, are the file\'s', async () => {
    const { readModelFile } = await import('./file.js');
    const path = write('holes.onnx');
    const file = readModelFile(path);
    expect([...file.holes.values()].map((f) => f.byteLength)).toEqual([w.byteLength]);
    // The hole was never read: its bytes are still the fresh buffer's zeros.
    const [start] = file.holes.keys();
    expect(file.bytes.subarray(start, start + w.byteLength).every((v) => v === 0)).toBe(true);
    const viaFile = await readOnnxFile(path);
    const viaBytes = importOnnx(new Uint8Array(bytes), { name: 'holes.onnx' });
    for (const [name, c] of viaBytes.graph.constants) {
      expect(Array.from(viaFile.graph.constants.get(name)!.data), name).toEqual(Array.from(c.data));
    }
    expect(viaFile.graph.constants.get('w')!.stored!.file!.byteLength).toBe(w.byteLength);
    expect(predict(new GraphModel(nchwInputGraph(viaFile)))).toEqual(predict(new GraphModel(nchwInputGraph(viaBytes))));
  });

  it('a model that owns its weights packs them from the file: the same outputs, first run (GEMM) and second (Winograd)', async () => {
    const path = write('owned.onnx');
    const model = await loadOnnx(path);
    const reference = nchwInputGraph(importOnnx(new Uint8Array(bytes), { name: 'ref.onnx' }));
    const previous = setConv2dAlgorithm('direct');
    const direct = predict(new GraphModel(reference));
    setConv2dAlgorithm(previous);
    const winograd = predict(new GraphModel(reference));
    const first = predict(model);
    expectAllClose(first, direct, { rtol: 1e-5, atol: 1e-5 }, 'first run vs direct');
    expect(model.graph.constants.get('w')!.gemm).toBeDefined();
    expect(predict(model)).toEqual(predict(model));
    expectAllClose(predict(model), winograd, { rtol: 1e-5, atol: 1e-5 }, 'second run vs Winograd');
    expect(model.graph.constants.get('w')!.winograd).toBeDefined();
    model.dispose();
  });

  it('a file changed or removed before the weights are read is a clear error, not other weights', async () => {
    const changed = write('changed.onnx');
    const imp = await readOnnxFile(changed);
    const model = await loadOnnx(changed);
    const other = new Uint8Array(bytes);
    other[other.length - 1] ^= 1;
    writeFileSync(changed, new Uint8Array([...other, 0]));
    const message = /^onnx: .*changed\.onnx changed since the model was loaded \(its weights are read from it on the first run\); load the model again$/;
    expect(() => imp.graph.constants.get('w')!.data).toThrow(message);
    expect(() => predict(model)).toThrow(message);
    model.dispose();
    const removed = write('removed.onnx');
    const gone = await loadOnnx(removed);
    rmSync(removed);
    expect(() => predict(gone)).toThrow(/^onnx: cannot read the weights from .*removed\.onnx: ENOENT/);
    gone.dispose();
  });

  it('a file changed after the first run does not matter: the second builds the Winograd filters from the GEMM packing', async () => {
    const reread = write('reread.onnx');
    const kept = write('kept.onnx');
    const a = await loadOnnx(reread);
    const b = await loadOnnx(kept);
    const first = predict(a);
    expect(predict(b)).toEqual(first);
    // b's file changes after its first run: its second run does not read it.
    writeFileSync(kept, new Uint8Array([...bytes, 0]));
    const second = predict(a);
    expect(predict(b)).toEqual(second);
    expect(b.graph.constants.get('w')!.winograd).toBeDefined();
    expect(predict(b)).toEqual(second);
    a.dispose();
    b.dispose();
  });

  it('reads a large dense weight from the file straight into wasm memory, as stored (MatMul) or transposed in chunks (Gemm transB)', async () => {
    // Gemm B (1100, 1000), transB: 4.4 MB, two chunks of rows; MatMul B (1100, 20) as it is.
    const gb = random(1100 * 1000, 11);
    const mb = random(1100 * 20, 12);
    const dense: ModelSpec = {
      inputs: [['x', [1, 1000]]],
      outputs: [['y', [1, 20]]],
      initializers: [floatTensor('gb', [1100, 1000], gb), floatTensor('mb', [1100, 20], mb)],
      nodes: [
        { op: 'Gemm', name: '/g', inputs: ['x', 'gb'], outputs: ['h'], attrs: { transB: 1 } },
        { op: 'MatMul', name: '/m', inputs: ['h', 'mb'], outputs: ['y'] },
      ],
    };
    const path = write('dense.onnx', encodeModel(dense));
    const model = await loadOnnx(path);
    const plain = importOnnx(new Uint8Array(readFileSync(path)), { name: 'dense.onnx' });
    const xd = random(1000, 13);
    const xt = tensor(xd, [1, 1000]);
    const got = model.predict({ x: xt }).y;
    const want = run(plain, { x: { data: xd, shape: [1, 1000] } }).y;
    expectAllClose(got.dataSync(), want.data, { rtol: 1e-4, atol: 1e-4 }, 'owned (from the file) vs plain');
    got.dispose();
    xt.dispose();
    // The owned weights are the file's, bit for bit, in the dense layout (K, N).
    for (const name of ['gb', 'mb']) {
      const owned = [...model.graph.constants].find(([k]) => k.startsWith(name))![1];
      const expected = [...plain.graph.constants].find(([k]) => k.startsWith(name))![1];
      expect(owned.tensor).toBeDefined();
      expect(Array.from(owned.data), name).toEqual(Array.from(expected.data));
    }
    model.dispose();
  });

  it('reads the weights by the absolute path after a chdir, and tells a file of the same size and mtime from the loaded one', async () => {
    const here = process.cwd();
    let model: Awaited<ReturnType<typeof loadOnnx>>;
    try {
      process.chdir(dir);
      write('relative.onnx');
      model = await loadOnnx('relative.onnx');
    } finally {
      process.chdir(here);
    }
    expect(predict(model)).toHaveLength(40 * 7 * 6);
    model.dispose();
    // Same size, same mtime (as cp -p or rsync -a leave it), other weights: refused.
    const path = write('same-size.onnx');
    const imp = await readOnnxFile(path);
    const { mtime, atime } = statSync(path);
    const other = new Uint8Array(bytes);
    const [start] = (await import('./file.js')).readModelFile(path).holes.keys();
    other[start + 5] ^= 0x40;
    writeFileSync(path, other);
    utimesSync(path, atime, mtime);
    expect(() => imp.graph.constants.get('w')!.data).toThrow(/same-size\.onnx changed since the model was loaded/);
  });

  it('a large weight left in the file whose dims disagree with its data is an error naming it', async () => {
    const bad: ModelSpec = { ...spec, initializers: [floatTensor('w', [80, 24, 3, 4], w), floatTensor('b', [80], b), floatTensor('w2', [40, 80, 1, 1], w2)] };
    await expect(readOnnxFile(write('dims.onnx', encodeModel(bad)))).rejects.toThrow(/^onnx: .*dims\.onnx: initializer 'w' has 69120 bytes of data but its dims \[80, 24, 3, 4\] need 92160$/);
  });

  it('a file whose structure does not scan is read whole, and a truncated one is still a parse error', async () => {
    // A payload length past the end: no holes, and the decoder names the problem.
    await expect(readOnnxFile(write('cut.onnx', bytes.subarray(0, bytes.length - 100)))).rejects.toThrow(/^onnx: cannot parse .*cut\.onnx: .*truncated/);
    await expect(readOnnxFile(write('empty.onnx', new Uint8Array(0)))).rejects.toThrow(/^onnx: cannot parse .*empty\.onnx: the file is empty/);
  });
});
