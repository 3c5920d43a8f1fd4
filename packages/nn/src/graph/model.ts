// A runnable graph: compiles a plan per input shape on first use and keeps it.
import { backend, formatShape, keep, Tensor, tensor } from '@wcnn/tensor';
import { fail } from '../validate.js';
import { compile, foldBatchNormsIntoConvs, inferShapes, resolveInputShapes, type Plan } from './compile.js';
import type { Constant, Conv2dAttrs, Graph, Node } from './ir.js';
import { checkFinite, nodeLabel, WEIGHT_INPUTS } from './nodes.js';
import { conv2dAlgorithm, convAlgorithmFor, convGeometry } from '../ops/conv2d.js';
import { packWinogradFilter } from './winograd-filter.js';
import { scaleColumns } from '../runtime.js';

/** Plans kept per model: one per distinct input shape (batch sizes, say), oldest dropped first. */
const MAX_PLANS = 4;

export type ModelInputs = Tensor | readonly Tensor[] | Record<string, Tensor>;

export interface GraphModelOptions {
  /**
   * Keep each weight once, in wasm memory, owned by the model: on the first compile, batch norms
   * are folded into the convs before them, and every weight moves into wasm one at a time (read
   * with the constant's `take()` when it has one), checked for NaN and Infinity once. The model's
   * graph then refers to those tensors, not to the arrays it was given: once the caller drops its
   * own references to them, they are garbage. Operators that can use a weight's layout read it in
   * place (a batch-1 dense layer, depthwise convs); plans for other input shapes compile from them.
   * The weights are freed by dispose(); they do not survive `shutdown()`.
   */
  ownWeights?: boolean;
}

export class GraphModel {
  readonly graph: Graph;
  private plans = new Map<string, Plan>();
  private disposed = false;
  private readonly ownWeights: boolean;
  /** Weights moved into wasm memory (ownWeights), and the backend generation they belong to. */
  private weights: Tensor[] | undefined;
  private weightGeneration = -1;

  constructor(graph: Graph, options: GraphModelOptions = {}) {
    this.ownWeights = options.ownWeights ?? false;
    // An own copy of the node list and constants when they are going to be rewritten.
    this.graph = this.ownWeights
      ? { ...graph, nodes: graph.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } as Node['attrs'] })), constants: new Map(graph.constants) }
      : graph;
  }

  /** Bytes of the weights the model owns in wasm memory (ownWeights), 0 before the first compile. */
  get weightBytes(): number {
    return (this.weights ?? []).reduce((s, t) => s + t.size * 4, 0);
  }

  /**
   * Folds batch norms into convs and moves every weight into wasm memory, one at a time. A conv the
   * first plan (these input shapes) runs with Winograd keeps its filter only in that form, built
   * panel by panel from the original, which is then dropped: 4x the weights instead of 5x (the
   * original plus the transformed). Plans for other shapes run such a conv with Winograd too.
   */
  private takeWeights(inputShapes: Record<string, readonly number[]>): void {
    const g = this.graph;
    const read = (c: Constant): Float32Array => (c.take ? c.take() : c.data);
    const nodes = g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] }));
    const constants = new Map(g.constants);
    const folded = foldBatchNormsIntoConvs(nodes, constants, g.outputs, read, true).nodes;
    const used = new Set<string>([...folded.flatMap((n) => n.inputs), ...g.outputs]);
    for (const name of [...constants.keys()]) if (!used.has(name)) constants.delete(name);
    const readers = new Map<string, Node>();
    for (const n of folded) {
      for (const i of WEIGHT_INPUTS[n.op] ?? []) {
        const name = n.inputs[i];
        if (name !== undefined && constants.has(name) && !readers.has(name)) readers.set(name, n);
      }
    }
    const { names: winograd, largestActivation } = this.winogradFilters(folded, constants, inputShapes);
    // The originals of Winograd filters pass through one wasm block, allocated before the weights and
    // freed after, so that the first plan's arena and scratch, allocated later, fit in it and the pages
    // it touched are used again rather than left resident. Its size only needs to cover them: pages it
    // never touches cost nothing. VGG16's arena is 2 activations and a bit (26.3 MB) plus 2.4 MB of
    // scratch: a block of exactly 2 activations left the 9.4 MB the originals touched unused (~1 % of
    // the model's peak RSS).
    const size = (c: Constant): number => c.shape.reduce((a, b) => a * b, 1);
    const largest = Math.max(0, ...[...winograd].map((name) => size(constants.get(name)!)));
    const { allocator } = backend();
    const reserve = largest > 0 ? allocator.alloc(Math.max(largest * 4, 3 * largestActivation + (8 << 20))) : 0;
    /** The original values of a Winograd filter in the reserved block; returns its address. */
    const original = (c: Constant): number => {
      const view = new Float32Array(backend().memory.buffer, reserve, size(c));
      const data = c.take ? c.take(view) : c.data;
      if (data !== view) view.set(data);
      return reserve;
    };
    const weights: Tensor[] = [];
    try {
      for (const [name, n] of readers) {
        const c = constants.get(name)!;
        let t: Tensor;
        if (winograd.has(name)) {
          const ptr = original(c.scaled?.source ?? c);
          checkFinite(nodeLabel(n), name, new Float32Array(backend().memory.buffer, ptr, size(c)));
          const f = packWinogradFilter(ptr, c.shape[2], c.shape[3], c.scaled?.scale);
          weights.push(f.tensor);
          constants.set(name, {
            shape: c.shape,
            winograd: f,
            get data(): Float32Array {
              return fail(nodeLabel(n), `weight '${name}' is kept only in Winograd form by the model that owns it`);
            },
          });
          continue;
        }
        const src = c.scaled?.source ?? c;
        if (c.take || c.scaled) {
          // Created (or copied) straight into wasm memory; take() allocates none, so the view stays valid.
          t = keep(Tensor.empty(c.shape, 'predict'));
          weights.push(t);
          const view = new Float32Array(backend().memory.buffer, t.ptr(), t.size);
          const data = src.take ? src.take(view) : src.data;
          if (data !== view) view.set(data);
          checkFinite(nodeLabel(n), name, view);
          if (c.scaled) scaleColumns(t.ptr(), t.size / c.scaled.scale.length, c.scaled.scale);
        } else {
          const data = c.data;
          checkFinite(nodeLabel(n), name, data);
          t = keep(tensor(data, c.shape));
          weights.push(t);
        }
        constants.set(name, {
          shape: c.shape,
          tensor: t,
          get data() {
            return t.dataSync();
          },
        });
      }
    } catch (e) {
      weights.forEach((t) => t.dispose());
      throw e;
    } finally {
      if (reserve) allocator.release(reserve);
    }
    g.nodes = folded;
    g.constants = constants;
    this.weights = weights;
    this.weightGeneration = backend().generation;
  }

  get inputNames(): string[] {
    return this.graph.inputs.map((i) => i.name);
  }

  get outputNames(): string[] {
    return [...this.graph.outputs];
  }

  /** Inputs by name, from a tensor (one-input models), an array in input order, or a record. */
  private named(op: string, inputs: ModelInputs): Record<string, Tensor> {
    const names = this.inputNames;
    let record: Record<string, Tensor>;
    if (inputs instanceof Tensor) {
      if (names.length !== 1) fail(op, `the model has ${names.length} inputs (${names.join(', ')}); pass them by name`);
      record = { [names[0]]: inputs };
    } else if (Array.isArray(inputs)) {
      if (inputs.length !== names.length) fail(op, `the model has ${names.length} input${names.length === 1 ? '' : 's'} (${names.join(', ')}), got ${inputs.length} tensors`);
      record = Object.fromEntries(names.map((n, i) => [n, inputs[i]]));
    } else if (inputs && typeof inputs === 'object') {
      record = inputs as Record<string, Tensor>;
      for (const k of Object.keys(record)) if (!names.includes(k)) fail(op, `unknown input '${k}' (model inputs: ${names.join(', ')})`);
    } else {
      fail(op, `expects a Tensor, an array of tensors or a record of tensors by input name, got ${String(inputs)}`);
    }
    for (const spec of this.graph.inputs) {
      const t = record[spec.name];
      if (!(t instanceof Tensor)) fail(op, `missing input '${spec.name}'`);
      if (t.isDisposed) fail(op, `input '${spec.name}' has been disposed`);
      const ok = t.rank === spec.shape.length && spec.shape.every((d, i) => d === null || d === t.shape[i]);
      if (!ok) fail(op, `input '${spec.name}' has shape ${formatShape(t.shape)} but the model expects ${formatShape(spec.shape)}`);
    }
    return record;
  }

  /** Filters (constant names) of the convs that the plan for these shapes runs with Winograd. */
  private winogradFilters(nodes: readonly Node[], constants: ReadonlyMap<string, Constant>, inputShapes: Record<string, readonly number[]>): { names: Set<string>; largestActivation: number } {
    const names = new Set<string>();
    const shapes = inferShapes(this.graph, resolveInputShapes(this.graph, inputShapes), nodes, constants);
    const largestActivation = Math.max(0, ...nodes.flatMap((n) => n.outputs.map((o) => Math.ceil((shapes.get(o)!.reduce((a, b) => a * b, 1) * 4) / 64) * 64)));
    const reads = new Map<string, number>();
    nodes.forEach((n) => n.inputs.forEach((i) => reads.set(i, (reads.get(i) ?? 0) + 1)));
    this.graph.outputs.forEach((o) => reads.set(o, (reads.get(o) ?? 0) + 1));
    const algorithm = conv2dAlgorithm();
    for (const n of nodes) {
      const w = n.inputs[1];
      if (n.op !== 'conv2d' || !constants.has(w) || reads.get(w) !== 1 || constants.has(n.inputs[0])) continue;
      const b = n.inputs[2];
      const g = convGeometry(nodeLabel(n), shapes.get(n.inputs[0])!, shapes.get(w)!, n.attrs as Conv2dAttrs, b === undefined ? undefined : shapes.get(b));
      if (convAlgorithmFor(g, algorithm) === 'winograd') names.add(w);
    }
    return { names, largestActivation };
  }

  /** The plan for these input shapes (compiled once, then cached). */
  plan(inputShapes: Record<string, readonly number[]> = {}): Plan {
    if (this.disposed) fail('predict', 'the model has been disposed');
    if (this.ownWeights) {
      if (!this.weights) this.takeWeights(inputShapes);
      else if (this.weightGeneration !== backend().generation) {
        fail('predict', "the model's weights were in the memory of a backend that was shut down; load the model again");
      }
    }
    const key = JSON.stringify(this.inputNames.map((n) => inputShapes[n] ?? null));
    let plan = this.plans.get(key);
    if (plan) {
      this.plans.delete(key);
      this.plans.set(key, plan);
      return plan;
    }
    plan = compile(this.graph, { inputShapes });
    this.plans.set(key, plan);
    if (this.plans.size > MAX_PLANS) {
      const [oldest, old] = this.plans.entries().next().value as [string, Plan];
      old.dispose();
      this.plans.delete(oldest);
    }
    return plan;
  }

  /** Runs the model; returns every output by name (dispose them when done). `op` prefixes errors. */
  predict(inputs: ModelInputs, op = 'predict'): Record<string, Tensor> {
    const record = this.named(op, inputs);
    const shapes = Object.fromEntries(Object.entries(record).map(([k, t]) => [k, t.shape]));
    return this.plan(shapes).run(record);
  }

  /** Shapes of every value for the given input shapes (no memory is touched). */
  shapes(inputShapes: Record<string, readonly number[]> = {}): Map<string, number[]> {
    return inferShapes(this.graph, resolveInputShapes(this.graph, inputShapes));
  }

  /** Frees the compiled plans (packed weights, activation arenas) and the weights the model owns. */
  dispose(): void {
    this.plans.forEach((p) => p.dispose());
    this.plans.clear();
    this.weights?.forEach((t) => t.dispose());
    this.weights = [];
    this.disposed = true;
  }
}
