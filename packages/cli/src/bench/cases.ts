// What wcnn runs for each case: a suite layer as a one-node graph, or a whole model, both compiled
// once (weights prepacked) and then run through Plan.run (inputs copied in, outputs out), the path a
// user's predict() takes. Flops of a model are its conv and dense layers' (2 * multiply-adds).
import { readFileSync } from 'node:fs';
import { gemmCalls, GraphModel, inferShapes, resolveInputShapes, resolveWindow, type Graph, type Plan } from '@wcnn/nn';
import { backend, dispose, tensor, type Tensor } from '@wcnn/tensor';
import type { ConvLayerSpec, ModelSpec, TensorData } from '../peers/common.js';
import { loadModel } from '../models.js';
import type { RunFn } from './measure.js';
import type { SuiteLayer } from './suite.js';

export interface WcnnCase {
  run: RunFn;
  outputs(): Record<string, Float32Array>;
  dispose(): void;
}

/** Uniform values in [-scale, scale), the same for every engine (a small LCG: no Math.random). */
export function seeded(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

/** The data of a suite layer: input, HWIO weights scaled by 1/sqrt(fan-in) so outputs stay near 1, bias. */
export function layerSpec(l: SuiteLayer, seed = 1): ConvLayerSpec {
  const [n, h, w, cin] = l.input;
  const [kh, kw] = l.kernel;
  const cpg = cin / l.groups;
  const fanIn = kh * kw * cpg;
  const { pads } = resolveWindow(h, w, l.kernel, l.strides, [1, 1], l.padding);
  return {
    x: seeded(n * h * w * cin, seed),
    xShape: [n, h, w, cin],
    w: seeded(kh * kw * cpg * l.cout, seed + 1, 1 / Math.sqrt(fanIn)),
    wShape: [kh, kw, cpg, l.cout],
    bias: seeded(l.cout, seed + 2, 0.1),
    strides: l.strides,
    padding: l.padding,
    pads,
    groups: l.groups,
  };
}

/** A conv layer as a graph of one node (bias, no activation), as ONNX would hold it. */
export function layerGraph(spec: ConvLayerSpec): Graph {
  return {
    name: 'conv',
    inputs: [{ name: 'x', shape: spec.xShape }],
    outputs: ['y'],
    nodes: [
      {
        name: 'conv',
        op: 'conv2d',
        inputs: ['x', 'w', 'b'],
        outputs: ['y'],
        attrs: { strides: spec.strides, dilations: [1, 1], padding: spec.padding, groups: spec.groups, padMode: 'zeros' },
      },
    ],
    constants: new Map([
      ['w', { data: spec.w, shape: spec.wShape }],
      ['b', { data: spec.bias, shape: [spec.bias.length] }],
    ]),
  };
}

/** Compiles a graph once and runs its plan; inputs live in wasm memory for the whole case. */
export function graphCase(graph: Graph, inputs: Record<string, TensorData>): WcnnCase {
  const model = new GraphModel(graph);
  const tensors: Record<string, Tensor> = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tensor(v.data, v.shape)]));
  let plan: Plan;
  try {
    plan = model.plan(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.shape])));
  } catch (e) {
    dispose(Object.values(tensors));
    throw e;
  }
  return {
    run: () => dispose(plan.run(tensors)),
    outputs() {
      const outs = plan.run(tensors);
      const data = Object.fromEntries(Object.entries(outs).map(([k, t]) => [k, t.dataSync()]));
      dispose(outs);
      return data;
    },
    dispose() {
      model.dispose();
      dispose(Object.values(tensors));
    },
  };
}

/** Conv and dense flops (2 * multiply-adds) of a graph for concrete input shapes. */
export function graphFlops(graph: Graph, inputShapes: Record<string, readonly number[]>): number {
  const shapes = inferShapes(graph, resolveInputShapes(graph, inputShapes));
  let flops = 0;
  for (const n of graph.nodes) {
    const out = shapes.get(n.outputs[0])!;
    const w = graph.constants.get(n.inputs[1])?.shape ?? shapes.get(n.inputs[1]);
    if (!w) continue;
    const outSize = out.reduce((a, b) => a * b, 1);
    if (n.op === 'conv2d') flops += 2 * outSize * w[0] * w[1] * w[2]; // each output: kh * kw * cin/groups MACs
    else if (n.op === 'dense') flops += 2 * outSize * w[0];
  }
  return flops;
}

export interface ModelCase {
  name: string;
  flops: number;
  /** Input shapes used (batch 1 where the model leaves it open), in the model's own layout. */
  inputShapes: Record<string, number[]>;
  layout: 'NCHW' | 'NHWC';
  spec: ModelSpec;
}

/** Loads MODEL.onnx or zoo:NAME (UsageError/InputError if it cannot be loaded) with seeded batch-1 inputs. */
export async function loadModelCase(name: string, seed = 7): Promise<ModelCase> {
  const loaded = await loadModel(name);
  const graph = loaded.runnable().graph;
  const inputShapes = Object.fromEntries(graph.inputs.map((i) => [i.name, i.shape.map((d) => d ?? 1)]));
  const inputs = Object.fromEntries(
    Object.entries(inputShapes).map(([k, shape], i) => [k, { data: seeded(shape.reduce((a, b) => a * b, 1), seed + i), shape }]),
  );
  return {
    name: loaded.label,
    flops: graphFlops(graph, inputShapes),
    inputShapes,
    layout: loaded.layout,
    spec: { label: loaded.label, graph, inputs, onnx: name.startsWith('zoo:') ? undefined : new Uint8Array(readFileSync(name)) },
  };
}

/**
 * C = A B for n x n matrices through f32_gemm directly (B packed once, as a conv packs its filter),
 * on the threads: the kernel case the "GEMM 512x512x512, % of peak" target reads.
 */
export function gemmWcnnCase(n: number): WcnnCase {
  const { kernels: k, allocator } = backend();
  const a = allocator.alloc(n * n * 4);
  const b = allocator.alloc(n * n * 4);
  const packed = allocator.alloc(k.f32_gemm_packed_size(n, n) * 4);
  const c = allocator.alloc(n * n * 4);
  new Float32Array(backend().memory.buffer, a, n * n).set(seeded(n * n, 5));
  new Float32Array(backend().memory.buffer, b, n * n).set(seeded(n * n, 6));
  k.f32_gemm_pack_b(b, n, n, n, 0, packed);
  // Split across the threads as the library splits its GEMMs.
  const calls = gemmCalls(n, n, n, a, n, packed, c, n, -Infinity, Infinity, 1);
  return {
    run: () => backend().parallel(calls),
    outputs: () => ({ c: new Float32Array(backend().memory.buffer, c, n * n).slice() }),
    dispose: () => [a, b, packed, c].forEach((p) => allocator.release(p)),
  };
}
