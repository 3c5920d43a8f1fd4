// compile(): graph -> plan. Shape inference, constant folding, batch-norm folding, activation
// fusion, weight prepacking (operators are created once), and activation buffers assigned by
// liveness in one arena. Plan.run() then only copies inputs in, calls kernels and copies outputs out.
import { backend, formatShape, Tensor, tensor } from '@wcnn/tensor';
import type { Activation } from '../activation.js';
import { foldBatchNorm } from '../ops/normalize.js';
import { conv2dAlgorithm, convGeometry, convPath, poolUnfusable, residualFusable } from '../ops/conv2d.js';
import { poolGeometry } from '../ops/pool.js';
import { execute, sizeOf, type Operator, type Shape } from '../runtime.js';
import { fail } from '../validate.js';
import { OP_TYPES, type Constant, type Graph, type Node, type OpSpecs } from './ir.js';
import { ALIAS_OPS, createNodeOperator, IN_PLACE_OPS, inferNode, WEIGHT_INPUTS } from './nodes.js';

const ALIGN = 64;
const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export interface CompileOptions {
  /** Concrete shapes for graph inputs with unknown (null) dimensions. */
  inputShapes?: Record<string, readonly number[]>;
}

export interface PlanStats {
  steps: number;
  /** Nodes removed: folded constants, batch norms folded into convs, fused activations, residuals and pools, aliases. */
  folded: { constants: number; batchNorms: number; activations: number; residuals: number; pools: number; aliases: number };
  /** Bytes of packed weights and other operator-owned memory. */
  weightBytes: number;
  /** Bytes of the activation arena (every intermediate value shares it by liveness). */
  arenaBytes: number;
  scratchBytes: number;
  /** Sum of all intermediate values' sizes: what the arena would take without reuse. */
  unsharedBytes: number;
}

interface Step {
  name: string;
  op: Operator;
  inputs: number[];
  outputs: number[];
}

/** A pointer slot of a step that run() fills with a graph input's or output's tensor. */
interface Patch {
  outputs: boolean;
  slot: number;
  input?: number;
  output?: number;
}

/** Resolves the graph's input shapes: every unknown dimension must be given. */
export function resolveInputShapes(graph: Graph, given: Record<string, readonly number[]> = {}): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const name of Object.keys(given)) {
    if (!graph.inputs.some((i) => i.name === name)) fail('compile', `unknown input '${name}' (model inputs: ${graph.inputs.map((i) => i.name).join(', ')})`);
  }
  for (const input of graph.inputs) {
    const g = given[input.name];
    if (g) {
      const ok = g.length === input.shape.length && g.every((d, i) => Number.isInteger(d) && d >= 1 && (input.shape[i] === null || input.shape[i] === d));
      if (!ok) fail('compile', `input '${input.name}' has shape ${formatShape(g)} but the model expects ${formatShape(input.shape)}`);
      shapes.set(input.name, [...g]);
    } else {
      if (input.shape.some((d) => d === null)) fail('compile', `input '${input.name}' has an unknown dimension ${formatShape(input.shape)}; give its shape`);
      shapes.set(input.name, input.shape as number[]);
    }
  }
  return shapes;
}

/** Shapes of every value (inputs, constants, node outputs), checking every node. */
export function inferShapes(graph: Graph, inputShapes: Map<string, number[]>, nodes: readonly Node[] = graph.nodes, constants: ReadonlyMap<string, Constant> = graph.constants): Map<string, number[]> {
  const shapes = new Map<string, number[]>(inputShapes);
  for (const [name, c] of constants) shapes.set(name, c.shape);
  for (const n of nodes) {
    const inShapes = n.inputs.map((name) => {
      const s = shapes.get(name);
      if (!s) fail(`${n.op} '${n.name}'`, `input '${name}' is not defined before this node`);
      return s;
    });
    const outs = inferNode(n, inShapes);
    n.outputs.forEach((o, i) => shapes.set(o, outs[i]));
  }
  for (const o of graph.outputs) if (!shapes.has(o)) fail('compile', `graph output '${o}' is not produced by any node`);
  return shapes;
}

function validateGraph(graph: Graph): void {
  const defined = new Set<string>([...graph.inputs.map((i) => i.name), ...graph.constants.keys()]);
  for (const n of graph.nodes) {
    if (!OP_TYPES.includes(n.op)) fail('compile', `node '${n.name}' has unknown op '${n.op}'`);
    for (const i of n.inputs) if (!defined.has(i)) fail('compile', `node '${n.name}' reads '${i}', which is not defined before it`);
    for (const o of n.outputs) {
      if (defined.has(o)) fail('compile', `value '${o}' is defined twice (node '${n.name}')`);
      defined.add(o);
    }
  }
}

/** How many nodes read each value, plus one for each graph output. */
function useCounts(nodes: readonly Node[], outputs: readonly string[]): Map<string, number> {
  const uses = new Map<string, number>();
  const bump = (v: string) => uses.set(v, (uses.get(v) ?? 0) + 1);
  nodes.forEach((n) => n.inputs.forEach(bump));
  outputs.forEach(bump);
  return uses;
}

const FUSABLE: Record<string, (n: Node) => Activation> = {
  relu: () => 'relu',
  relu6: () => 'relu6',
  sigmoid: () => 'sigmoid',
  tanh: () => 'tanh',
  leakyRelu: (n) => ({ type: 'leakyRelu', alpha: (n.attrs as OpSpecs['leakyRelu']).alpha }),
  clip: (n) => ({ type: 'clip', ...(n.attrs as OpSpecs['clip']) }),
};

/** Rewrites the node list; returns the new list and constants. */
function optimize(graph: Graph, inputShapes: Map<string, number[]>, stats: PlanStats['folded']): { nodes: Node[]; constants: Map<string, Constant> } {
  const constants = new Map(graph.constants);
  let nodes: Node[] = graph.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } as Node['attrs'] }));

  // Constant folding: a node whose inputs are all constants runs once, now.
  const shapes = inferShapes(graph, inputShapes, nodes, constants);
  nodes = nodes.filter((n) => {
    if (!n.inputs.every((i) => constants.has(i))) return true;
    const op = createNodeOperator(n, n.inputs.map((i) => shapes.get(i)!), constants);
    const inputs = n.inputs.map((i) => tensor(constants.get(i)!.data, constants.get(i)!.shape));
    try {
      const outs = execute(`${n.op} '${n.name}'`, op, inputs);
      outs.forEach((t, i) => {
        constants.set(n.outputs[i], { data: t.dataSync(), shape: [...t.shape] });
        t.dispose();
      });
    } finally {
      inputs.forEach((t) => t.dispose());
    }
    stats.constants++;
    return false;
  });

  // Batch norm after a conv (its only reader) becomes the conv's weights and bias.
  const bn = foldBatchNormsIntoConvs(nodes, constants, graph.outputs);
  nodes = bn.nodes;
  stats.batchNorms += bn.folded;

  nodes = fuseResiduals(nodes, graph, constants, inputShapes, stats);

  // A piecewise-linear (or sigmoid/tanh) activation after a conv or dense joins its epilogue.
  const uses = useCounts(nodes, graph.outputs);
  const producer = new Map<string, Node>();
  nodes.forEach((n) => n.outputs.forEach((o) => producer.set(o, n)));
  nodes = nodes.filter((n) => {
    const fuse = FUSABLE[n.op];
    if (!fuse) return true;
    const p = producer.get(n.inputs[0]);
    if (!p || (p.op !== 'conv2d' && p.op !== 'dense') || uses.get(n.inputs[0]) !== 1) return true;
    const a = p.attrs as OpSpecs['conv2d'];
    if (a.activation) return true;
    a.activation = fuse(n);
    p.outputs = [n.outputs[0]];
    producer.set(n.outputs[0], p);
    stats.activations++;
    return false;
  });
  nodes = fusePools(nodes, graph, constants, inputShapes, stats);
  return { nodes, constants };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * maxPool2d(conv(x)) with a 2x2 window, strides 2, no padding and no rounding up becomes the conv with
 * attrs.maxPool2x2, pooling its output as it makes it (VGG's blocks end so): the conv must be the pool's
 * only input reader and run on a path that takes the pool (`poolUnfusable`), after its activation fused.
 */
function fusePools(
  nodes: Node[], graph: Graph, constants: Map<string, Constant>, inputShapes: Map<string, number[]>, stats: PlanStats['folded'],
): Node[] {
  const shapes = inferShapes(graph, inputShapes, nodes, constants);
  const uses = useCounts(nodes, graph.outputs);
  const producer = new Map<string, Node>();
  nodes.forEach((n) => n.outputs.forEach((o) => producer.set(o, n)));
  return nodes.filter((pool) => {
    if (pool.op !== 'maxPool2d') return true;
    const conv = producer.get(pool.inputs[0]);
    if (!conv || conv.op !== 'conv2d' || uses.get(pool.inputs[0]) !== 1) return true;
    const pa = pool.attrs as OpSpecs['maxPool2d'];
    const x = shapes.get(pool.inputs[0])!;
    const pg = poolGeometry(`maxPool2d '${pool.name}'`, x, pa);
    const halves = pg.oh === x[1] >> 1 && pg.ow === x[2] >> 1;
    if (!sameDims(pa.kernel, [2, 2]) || !sameDims(pa.strides, [2, 2]) || !sameDims(pa.dilations, [1, 1]) || pg.pads.some((p) => p !== 0) || !halves) return true;
    const a = conv.attrs as OpSpecs['conv2d'];
    const w = constants.get(conv.inputs[1]);
    if (!w || a.maxPool2x2) return true;
    const g = convGeometry(`conv2d '${conv.name}'`, shapes.get(conv.inputs[0])!, shapes.get(conv.inputs[1])!, a);
    const path = w.winograd ? 'winograd' : w.gemm ? 'gemm' : convPath(g, conv2dAlgorithm());
    if (poolUnfusable(g, path, a)) return true;
    conv.attrs = { ...a, maxPool2x2: true };
    conv.outputs = [pool.outputs[0]];
    stats.pools++;
    return false;
  });
}

/**
 * add(conv(x), r) becomes conv(x) with r as its residual input, added in the conv's epilogue before
 * its activation (a later relu then fuses too): ResNet's shortcut. The conv must be the add's only
 * reader, have no activation yet, take a residual on its path, and come after r's producer, so that
 * r exists when it runs; r must have the conv's output shape (no broadcasting).
 */
function fuseResiduals(
  nodes: Node[], graph: Graph, constants: Map<string, Constant>, inputShapes: Map<string, number[]>, stats: PlanStats['folded'],
): Node[] {
  const shapes = inferShapes(graph, inputShapes, nodes, constants);
  const uses = useCounts(nodes, graph.outputs);
  const index = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => index.set(o, i)));
  const removed = new Set<Node>();
  for (const add of nodes) {
    if (add.op !== 'add') continue;
    const sameShape = (a: string, b: string) => sameDims(shapes.get(a)!, shapes.get(b)!);
    // The later-computed operand is the conv to fuse into; the other must exist by then.
    const candidates = [0, 1].map((i) => ({ conv: add.inputs[i], other: add.inputs[1 - i] }))
      .filter(({ conv }) => index.has(conv))
      .sort((a, b) => index.get(b.conv)! - index.get(a.conv)!);
    for (const { conv: value, other } of candidates) {
      const conv = nodes[index.get(value)!];
      if (conv.op !== 'conv2d' || removed.has(conv) || uses.get(value) !== 1 || constants.has(other)) continue;
      const a = conv.attrs as OpSpecs['conv2d'];
      if (a.activation || a.residual || !sameShape(value, other) || (index.get(other) ?? -1) >= index.get(value)!) continue;
      const g = convGeometry(`conv2d '${conv.name}'`, shapes.get(conv.inputs[0])!, shapes.get(conv.inputs[1])!, a);
      if (!residualFusable(g)) continue;
      let bias = conv.inputs[2];
      if (bias === undefined) {
        bias = `${conv.name}::b_zero`;
        constants.set(bias, { data: new Float32Array(g.cout), shape: [g.cout] });
      }
      conv.inputs = [conv.inputs[0], conv.inputs[1], bias, other];
      conv.attrs = { ...a, residual: true };
      conv.outputs = [add.outputs[0]];
      index.set(add.outputs[0], index.get(value)!);
      removed.add(add);
      stats.residuals++;
      break;
    }
  }
  return nodes.filter((n) => !removed.has(n));
}

/**
 * Folds each batch norm that follows a conv (its only reader, no fused activation yet, all
 * parameters constant) into the conv's weights and bias: new constants `<conv>::w_bn` and
 * `<conv>::b_bn` are set in `constants` and the conv node (mutated) takes the batch norm's output.
 * Returns the nodes without the folded batch norms. `read` gives a constant's values (default its data).
 * `lazy`: the new weights are `scaled` constants over the old ones (computed when read).
 */
export function foldBatchNormsIntoConvs(
  nodes: Node[], constants: Map<string, Constant>, outputs: readonly string[],
  read: (c: Constant) => Float32Array = (c) => c.data,
  lazy = false,
): { nodes: Node[]; folded: number } {
  const uses = useCounts(nodes, outputs);
  const producer = new Map<string, Node>();
  nodes.forEach((n) => n.outputs.forEach((o) => producer.set(o, n)));
  let folded = 0;
  const kept = nodes.filter((n) => {
    if (n.op !== 'batchNorm') return true;
    const conv = producer.get(n.inputs[0]);
    if (!conv || conv.op !== 'conv2d' || (conv.attrs as OpSpecs['conv2d']).activation || uses.get(n.inputs[0]) !== 1) return true;
    if (!n.inputs.slice(1).every((i) => constants.has(i)) || !constants.has(conv.inputs[1])) return true;
    const w = constants.get(conv.inputs[1])!;
    const cout = w.shape[3];
    const [gamma, beta, mean, variance] = n.inputs.slice(1).map((i) => read(constants.get(i)!));
    const { scale, shift } = foldBatchNorm(`batchNorm '${n.name}'`, cout, { gamma, beta, mean, variance, epsilon: (n.attrs as OpSpecs['batchNorm']).epsilon });
    // HWIO: cout is the fastest axis, so each row of cout weights scales by the same vector.
    const scaleRows = (src: Float32Array): Float32Array => {
      const wData = new Float32Array(src.length);
      for (let i = 0; i < src.length; i += cout) {
        for (let c = 0; c < cout; c++) wData[i + c] = src[i + c] * scale[c];
      }
      return wData;
    };
    const oldBias = conv.inputs[2] ? read(constants.get(conv.inputs[2])!) : new Float32Array(cout);
    const bData = new Float32Array(cout);
    for (let c = 0; c < cout; c++) bData[c] = oldBias[c] * scale[c] + shift[c];
    const wName = `${conv.name}::w_bn`;
    const bName = `${conv.name}::b_bn`;
    if (lazy) {
      // `scaled` tells the reader how to compute the values; `data` computes them in JS if asked.
      const scaled = { source: w, scale: Float32Array.from(scale) };
      constants.set(wName, { shape: w.shape, scaled, get data() { return scaleRows(read(w)); } });
    } else {
      constants.set(wName, { data: scaleRows(read(w)), shape: w.shape });
    }
    constants.set(bName, { data: bData, shape: [cout] });
    conv.inputs = [conv.inputs[0], wName, bName];
    conv.outputs = [n.outputs[0]];
    folded++;
    return false;
  });
  return { nodes: kept, folded };
}

export class Plan {
  readonly inputs: Array<{ name: string; shape: number[] }>;
  readonly outputs: Array<{ name: string; shape: number[] }>;
  readonly stats: PlanStats;
  private readonly steps: Step[];
  private readonly inputPtrs: number[];
  private readonly outputPtrs: number[];
  private readonly blocks: number[];
  private readonly scratch: number;
  private readonly generation: number;
  /** Per step, the pointer slots run() points at the caller's input tensors or at the new output tensors. */
  private readonly patches: Patch[][];
  /** Outputs no step writes in place of the arena (a graph input passed through, an output listed twice). */
  private readonly copiedOutputs: number[];
  private disposed = false;

  /** @internal use compile() */
  constructor(parts: {
    inputs: Plan['inputs']; outputs: Plan['outputs']; stats: PlanStats; steps: Step[];
    inputPtrs: number[]; outputPtrs: number[]; blocks: number[]; scratch: number;
  }) {
    this.inputs = parts.inputs;
    this.outputs = parts.outputs;
    this.stats = parts.stats;
    this.steps = parts.steps;
    this.inputPtrs = parts.inputPtrs;
    this.outputPtrs = parts.outputPtrs;
    this.blocks = parts.blocks;
    this.scratch = parts.scratch;
    this.generation = backend().generation;
    // Graph inputs live throughout (never overwritten, never shared), so every slot holding an input's
    // buffer reads the caller's tensor directly. A graph output lives from its producing step (the last
    // one writing its buffer) to the end, so the producer writes the output tensor and later steps read it.
    this.patches = this.steps.map(() => []);
    this.inputPtrs.forEach((p, i) => this.steps.forEach((st, k) => st.inputs.forEach((q, j) => {
      if (q === p) this.patches[k].push({ outputs: false, slot: j, input: i });
    })));
    this.copiedOutputs = [];
    this.outputPtrs.forEach((p, i) => {
      const producer = this.steps.map((st) => st.outputs.includes(p)).lastIndexOf(true);
      if (producer < 0 || this.outputPtrs.indexOf(p) !== i) {
        this.copiedOutputs.push(i);
        return;
      }
      for (let k = producer; k < this.steps.length; k++) {
        // The producer itself may run in place (relu after the conv that wrote the buffer): it still
        // reads the arena, and writes the tensor.
        if (k > producer) this.steps[k].inputs.forEach((q, j) => q === p && this.patches[k].push({ outputs: false, slot: j, output: i }));
        this.steps[k].outputs.forEach((q, j) => q === p && this.patches[k].push({ outputs: true, slot: j, output: i }));
      }
    });
  }

  /** Runs the plan: inputs by name (shapes must match the plan), outputs by name (the caller disposes them). */
  run(inputs: Record<string, Tensor>): Record<string, Tensor> {
    if (this.disposed) fail('run', 'the plan has been disposed');
    const b = backend();
    if (b.generation !== this.generation) fail('run', 'the plan belongs to a backend that was shut down');
    const inPtrs = this.inputs.map((spec) => {
      const t = inputs[spec.name];
      if (!(t instanceof Tensor)) fail('run', `missing input '${spec.name}'`);
      if (t.shape.length !== spec.shape.length || t.shape.some((d, j) => d !== spec.shape[j])) {
        fail('run', `input '${spec.name}' has shape ${formatShape(t.shape)} but the plan expects ${formatShape(spec.shape)}`);
      }
      return t.ptr('run', spec.name);
    });
    const outs = this.outputs.map((spec) => Tensor.empty(spec.shape, 'run'));
    try {
      const outPtrs = outs.map((t) => t.ptr());
      this.steps.forEach((st, k) => {
        const patches = this.patches[k];
        if (patches.length === 0) {
          st.op.run(st.inputs, st.outputs, this.scratch);
          return;
        }
        const ins = st.inputs.slice();
        const os = st.outputs.slice();
        for (const p of patches) (p.outputs ? os : ins)[p.slot] = p.input !== undefined ? inPtrs[p.input] : outPtrs[p.output!];
        st.op.run(ins, os, this.scratch);
      });
      const mem = new Float32Array(b.memory.buffer);
      for (const i of this.copiedOutputs) {
        // From the input it passes through, the output listed before it, or the arena.
        const p = this.outputPtrs[i];
        const input = this.inputPtrs.indexOf(p);
        const earlier = this.outputPtrs.indexOf(p);
        const src = (input >= 0 ? inPtrs[input] : earlier !== i ? outPtrs[earlier] : p) >> 2;
        mem.copyWithin(outPtrs[i] >> 2, src, src + outs[i].size);
      }
    } catch (e) {
      outs.forEach((t) => t.dispose());
      throw e;
    }
    const out: Record<string, Tensor> = {};
    this.outputs.forEach((spec, i) => {
      out[spec.name] = outs[i];
    });
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const b = backend();
    if (b.generation !== this.generation) return;
    this.steps.forEach((s) => s.op.dispose());
    this.blocks.forEach((p) => b.allocator.release(p));
  }
}

interface Buffer {
  bytes: number;
  first: number;
  last: number;
  offset: number;
}

/** Greedy by size: each buffer goes to the lowest offset free during its whole lifetime. */
function placeBuffers(buffers: Buffer[]): number {
  const placed: Buffer[] = [];
  let top = 0;
  for (const b of [...buffers].sort((p, q) => q.bytes - p.bytes)) {
    const clashes = placed
      .filter((p) => p.first <= b.last && b.first <= p.last)
      .sort((p, q) => p.offset - q.offset);
    let offset = 0;
    for (const p of clashes) {
      if (offset + b.bytes <= p.offset) break;
      offset = Math.max(offset, p.offset + p.bytes);
    }
    b.offset = offset;
    placed.push(b);
    top = Math.max(top, offset + b.bytes);
  }
  return top;
}

const runtimeInputsOf = (n: Node): string[] => n.inputs.filter((_, i) => !(WEIGHT_INPUTS[n.op] ?? []).includes(i));

/**
 * Buffers by liveness. Values that share memory form a group: aliases (reshape, flatten, identity)
 * always, and an elementwise op's output joins its input's group when the group is read for the
 * last time by that op (it then runs in place). A group lives from its first write to its last read;
 * graph inputs and constants read at run time live throughout.
 */
function assignBuffers(graph: Graph, nodes: readonly Node[], constants: ReadonlyMap<string, Constant>, shapes: Map<string, number[]>) {
  const parent = new Map<string, string>();
  const root = (v: string): string => {
    let r = v;
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  const lastRead = new Map<string, number>();
  const read = (v: string, step: number) => lastRead.set(v, Math.max(lastRead.get(v) ?? -1, step));
  nodes.forEach((n, step) => runtimeInputsOf(n).forEach((i) => read(i, step)));
  graph.outputs.forEach((o) => read(o, Infinity));
  let aliases = 0;
  nodes.forEach((n) => {
    if (ALIAS_OPS.has(n.op)) {
      parent.set(n.outputs[0], root(n.inputs[0]));
      aliases++;
    }
  });
  const groupLast = new Map<string, number>();
  for (const [v, step] of lastRead) groupLast.set(root(v), Math.max(groupLast.get(root(v)) ?? -1, step));
  const pinned = new Set<string>([...graph.inputs.map((i) => i.name), ...constants.keys()]);
  nodes.forEach((n, step) => {
    if (!IN_PLACE_OPS.has(n.op)) return;
    const r = root(n.inputs[0]);
    const out = n.outputs[0];
    if (pinned.has(r) || groupLast.get(r) !== step) return;
    if (sizeOf(shapes.get(n.inputs[0])!) !== sizeOf(shapes.get(out)!) || root(out) !== out) return;
    parent.set(out, r);
    groupLast.set(r, Math.max(step, groupLast.get(out) ?? -1));
  });

  const runtimeConstants = new Set<string>();
  nodes.forEach((n) => runtimeInputsOf(n).forEach((i) => { if (constants.has(i)) runtimeConstants.add(i); }));
  graph.outputs.forEach((o) => { if (constants.has(o)) runtimeConstants.add(o); });

  const firstWrite = new Map<string, number>();
  graph.inputs.forEach((i) => firstWrite.set(i.name, -1));
  runtimeConstants.forEach((c) => firstWrite.set(c, -1));
  nodes.forEach((n, step) => n.outputs.forEach((o) => { if (!parent.has(o)) firstWrite.set(o, step); }));

  const buffers: Buffer[] = [];
  const byRoot = new Map<string, Buffer>();
  for (const [v, first] of firstWrite) {
    const last = pinned.has(v) ? Infinity : groupLast.get(v) ?? first;
    const b: Buffer = { bytes: align(sizeOf(shapes.get(v)!) * 4), first, last, offset: 0 };
    buffers.push(b);
    byRoot.set(v, b);
  }
  const bufferOf = (v: string): Buffer => {
    const b = byRoot.get(root(v));
    if (!b) fail('compile', `value '${v}' has no buffer`);
    return b;
  };
  return { buffers, bufferOf, runtimeConstants, aliases };
}

/** Compiles a graph for concrete input shapes. */
export function compile(graph: Graph, options: CompileOptions = {}): Plan {
  validateGraph(graph);
  const inputShapes = resolveInputShapes(graph, options.inputShapes);
  const folded = { constants: 0, batchNorms: 0, activations: 0, residuals: 0, pools: 0, aliases: 0 };
  const { nodes, constants } = optimize(graph, inputShapes, folded);
  const shapes = inferShapes(graph, inputShapes, nodes, constants);

  const { buffers, bufferOf, runtimeConstants, aliases } = assignBuffers(graph, nodes, constants, shapes);
  folded.aliases = aliases;
  const runtimeInputs = (n: Node) => n.inputs.filter((_, i) => !(WEIGHT_INPUTS[n.op] ?? []).includes(i));
  const arenaBytes = placeBuffers(buffers);
  const { allocator } = backend();
  const blocks: number[] = [];
  const steps: Step[] = [];
  let scratchBytes = 0;
  let weightBytes = 0;
  const created: Array<{ node: Node; op: Operator }> = [];
  try {
    // Operators first, then the arena and scratch: these then fill the holes that packing's
    // transient scratch left in wasm memory (touched pages, resident) instead of adding to the top.
    for (const node of nodes) {
      if (ALIAS_OPS.has(node.op)) continue;
      const op = createNodeOperator(node, node.inputs.map((i) => shapes.get(i)!), constants);
      created.push({ node, op });
      scratchBytes = Math.max(scratchBytes, op.scratchBytes);
      weightBytes += op.ownedBytes;
    }
    const arena = allocator.alloc(Math.max(arenaBytes, ALIGN));
    blocks.push(arena);
    const scratch = allocator.alloc(Math.max(scratchBytes, ALIGN));
    blocks.push(scratch);
    const ptr = (name: string) => arena + bufferOf(name).offset;
    const mem = new Float32Array(backend().memory.buffer);
    for (const name of runtimeConstants) mem.set(constants.get(name)!.data, ptr(name) >> 2);
    for (const { node, op } of created) steps.push({ name: node.name, op, inputs: runtimeInputs(node).map(ptr), outputs: node.outputs.map(ptr) });
    return new Plan({
      inputs: graph.inputs.map((i) => ({ name: i.name, shape: shapes.get(i.name)! })),
      outputs: graph.outputs.map((o) => ({ name: o, shape: shapes.get(o)! })),
      stats: {
        steps: steps.length,
        folded,
        weightBytes,
        arenaBytes,
        scratchBytes,
        unsharedBytes: buffers.reduce((s, b) => s + b.bytes, 0),
      },
      steps,
      inputPtrs: graph.inputs.map((i) => ptr(i.name)),
      outputPtrs: graph.outputs.map(ptr),
      blocks,
      scratch,
    });
  } catch (e) {
    created.forEach((c) => c.op.dispose());
    blocks.forEach((p) => allocator.release(p));
    throw e;
  }
}
