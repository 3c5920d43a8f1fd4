// A runnable graph: compiles a plan per input shape on first use and keeps it.
import { backend, formatShape, keep, stridesOf, Tensor, tensor } from '@wcnn/tensor';
import { fail } from '../validate.js';
import { compile, foldBatchNormsIntoConvs, inferShapes, resolveInputShapes, type Plan } from './compile.js';
import type { Constant, Conv2dAttrs, Graph, Node } from './ir.js';
import { checkFinite, nodeLabel, WEIGHT_INPUTS } from './nodes.js';
import { conv2dAlgorithm, convGeometry, convPath, packWinogradFilterInto, winogradApplies } from '../ops/conv2d.js';
import { packWinogradFilter } from './winograd-filter.js';
import { hwioStrides, packGemmFilter, packGemmFilterInto, type FilterSource } from './gemm-filter.js';
import { GemmFilter, kernels, scaleColumns, WinogradFilter, withScratch } from '../runtime.js';

/** Plans kept per model: one per distinct input shape (batch sizes, say), oldest dropped first. */
const MAX_PLANS = 4;

/**
 * The output area (oh * ow at the first plan's shapes) from which a model deferring its Winograd filters
 * still builds a conv's up front. Building one costs about cin * cout (36 of them, most of it touching new
 * pages); a run on im2col + GEMM instead costs about oh * ow * cin * cout more. From 56x56 on the first run
 * alone saves more than the building costs (VGG16's 224..56 layers, ResNet's first stage), and it runs the
 * Winograd kernels while the model's memory is low: V8 compiles them optimised once they are hot, with
 * ~16 MB of transient memory, which a second run would add on top of the finished Winograd filters.
 */
const UPFRONT_WINOGRAD_MIN_AREA = 56 * 56;

export type ModelInputs = Tensor | readonly Tensor[] | Record<string, Tensor>;

export interface GraphModelOptions {
  /**
   * Keep each weight once, in wasm memory, owned by the model: on the first compile, batch norms
   * are folded into the convs before them, and every weight moves into wasm one at a time (read
   * with the constant's `take()` when it has one), checked for NaN and Infinity once. The model's
   * graph then refers to those tensors, not to the arrays it was given: once the caller drops its
   * own references to them, they are garbage. Operators that can use a weight's layout read it in
   * place (a batch-1 dense layer, depthwise convs); a conv filter the GEMM or Winograd runs on is kept
   * only packed for it (see `takeWeights`); plans for other input shapes compile from them.
   * The weights are freed by dispose(); they do not survive `shutdown()`.
   */
  ownWeights?: boolean;
  /**
   * With ownWeights, default true: the first predict() runs the 3x3 convs that later run Winograd on
   * im2col + GEMM, and the second builds their Winograd filters (4x the weights' bytes, most of a cold
   * start's time) over the GEMM packings; only convs with outputs of 56x56 or more (at the first
   * predict's shapes; an area: 3136 pixels) have theirs built before the first run, which they make faster than building
   * them costs. false: all are built before the first run.
   */
  deferWinograd?: boolean;
}

/** A filter whose Winograd form the second run builds, from its GEMM packing. */
interface PendingWinograd {
  name: string;
  node: Node;
  filter: GemmFilter;
  /** Where the Winograd form goes in the block of `WinogradHome` (bytes). */
  offset: number;
}

/**
 * One block for the Winograd forms of the deferred filters, each at `winograd[i]` (bytes; filters in
 * order of size, smallest first), with their GEMM packings at its end, at `gemm[i]`, in the same order:
 * the first run touches the packings' pages only, and the second writes each Winograd form over the
 * packings it has already used (each packing lies past the end of its own Winograd form, except the
 * last, which is copied out first), so the block's pages are all the memory the filters ever take.
 */
interface WinogradHome {
  bytes: number;
  winograd: number[];
  gemm: number[];
}

/**
 * The layout of WinogradHome for filters (kh, kw, cin, cout). A Winograd form takes 36 (cin + 1) / (9 cin + 1)
 * >= 3.6 times its packing's bytes, so with the smallest first every packing but the last lies past the end
 * of its own Winograd form (and of those built before it): each one after it holds at least 3.6 of its sizes.
 */
function winogradHome(shapes: ReadonlyArray<readonly number[]>): WinogradHome {
  const k = kernels();
  const line = (b: number) => Math.ceil(b / 64) * 64;
  const wBytes = shapes.map(([, , cin, cout]) => line(36 * k.f32_gemm_packed_size(cin, cout) * 4));
  const gBytes = shapes.map(([kh, kw, cin, cout]) => line(k.f32_gemm_packed_size(kh * kw * cin, cout) * 4));
  const order = shapes.map((_, i) => i).sort((a, b) => wBytes[a] - wBytes[b]);
  const bytes = wBytes.reduce((a, b) => a + b, 0);
  const winograd: number[] = [];
  const gemm: number[] = [];
  let w = 0;
  let g = bytes - gBytes.reduce((a, b) => a + b, 0);
  for (const i of order) {
    winograd[i] = w;
    gemm[i] = g;
    w += wBytes[i];
    g += gBytes[i];
    if (i !== order[order.length - 1] && gemm[i] < w) throw new Error('wcnn: internal error: a GEMM packing lies under an earlier Winograd form');
  }
  return { bytes, winograd, gemm };
}

/** The constant of a filter kept only in Winograd form. */
function winogradConstant(name: string, n: Node, shape: number[], f: WinogradFilter): Constant {
  return {
    shape,
    winograd: f,
    get data(): Float32Array {
      return fail(nodeLabel(n), `weight '${name}' is kept only in Winograd form by the model that owns it`);
    },
  };
}

/** Whether a stored weight is a matrix kept as it is stored or transposed (what readMatrix reads). */
function storedMatrix(stored: NonNullable<Constant['stored']>): boolean {
  return stored.perm.length === 2 || stored.perm.every((p, i) => p === i);
}

/** Rows of a transposed weight read at a time: 4 MB chunks through two scratch blocks. */
const TRANSPOSE_CHUNK_BYTES = 4 << 20;

/**
 * A stored weight (storedMatrix) from its file into wasm memory at dst: as it is, or a (rows, cols) matrix
 * transposed a chunk of rows at a time (read into a scratch, transposed, copied to its columns of dst).
 */
function readMatrix(stored: NonNullable<Constant['stored']>, dst: number): void {
  const file = stored.file!;
  if (stored.perm.every((p, i) => p === i)) {
    file.read(new Uint8Array(backend().memory.buffer, dst, file.byteLength));
    return;
  }
  const [rows, cols] = stored.shape;
  const chunk = Math.max(1, Math.min(rows, Math.floor(TRANSPOSE_CHUNK_BYTES / (cols * 4))));
  const k = kernels();
  withScratch([chunk * cols * 4, chunk * cols * 4], ([raw, t]) => {
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const count = Math.min(chunk, rows - r0);
      file.read(new Uint8Array(backend().memory.buffer, raw, count * cols * 4), r0 * cols * 4);
      k.f32_transpose(raw, 1, count, cols, t);
      k.f32_copy_channels(t, cols, count, dst, rows, r0);
    }
  });
}

/**
 * The strides (per output channel, input channel and tap) of a stored filter whose HWIO view is a
 * permutation of it, when its taps are one stride apart (kx's stride times kw is ky's), as in ONNX's
 * (cout, cin, kh, kw) layout.
 */
function storedStrides(stored: Constant['stored']): [number, number, number] | undefined {
  if (!stored || stored.shape.length !== 4 || stored.perm.length !== 4) return undefined;
  const strides = stridesOf(stored.shape);
  const [ky, kx, ci, co] = stored.perm.map((p) => strides[p]);
  const kw = stored.shape[stored.perm[1]];
  return stored.shape[stored.perm[0]] === 1 || ky === kx * kw ? [co, ci, kx] : undefined;
}

export class GraphModel {
  readonly graph: Graph;
  private plans = new Map<string, Plan>();
  private disposed = false;
  private readonly ownWeights: boolean;
  /** Weights moved into wasm memory (ownWeights), and the backend generation they belong to. */
  private weights: Tensor[] | undefined;
  private weightGeneration = -1;
  private readonly deferWinograd: boolean;
  private pending: PendingWinograd[] = [];
  /** predict() calls so far: the second builds the deferred Winograd filters. */
  private runs = 0;
  /** Why the model cannot run any more (building its Winograd filters failed midway). */
  private broken: string | undefined;

  constructor(graph: Graph, options: GraphModelOptions = {}) {
    this.ownWeights = options.ownWeights ?? false;
    this.deferWinograd = options.deferWinograd ?? true;
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
   * Folds batch norms into convs and moves every weight into wasm memory, one at a time. A conv that
   * the first plan (these input shapes) runs with im2col + GEMM keeps its filter only packed for it
   * (`GemmFilter`, bias included), packed straight from the layout it is stored in (an ONNX file's
   * (cout, cin, kh, kw) too). A conv it runs with Winograd keeps its filter only in Winograd form:
   * with `deferWinograd` the first run uses a GemmFilter and the second builds the Winograd form from
   * it (`buildWinogradFilters`), unless its output is large (UPFRONT_WINOGRAD_MIN_AREA); else it is
   * built here, panel by panel, from the original, which is then dropped. Plans for other shapes run
   * such a conv the same way.
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
    const { forms, upfront, largestActivation } = this.filterForms(folded, constants, inputShapes);
    const deferred = (name: string): boolean => this.deferWinograd && forms.get(name) === 'winograd' && !upfront.has(name);
    // The originals of packed filters pass through one wasm block, allocated before the weights and
    // freed after, so that the first plan's arena and scratch, allocated later, fit in it and the pages
    // it touched are used again rather than left resident. Its size only needs to cover them: pages it
    // never touches cost nothing. VGG16's arena is 2 activations and a bit (26.3 MB) plus 2.4 MB of
    // scratch: a block of exactly 2 activations left the 9.4 MB the originals touched unused (~1 % of
    // the model's peak RSS).
    const size = (c: Constant): number => c.shape.reduce((a, b) => a * b, 1);
    const largest = Math.max(0, ...[...forms.keys()].map((name) => size(constants.get(name)!)));
    const { allocator } = backend();
    const reserve = largest > 0 ? allocator.alloc(Math.max(largest * 4, 3 * largestActivation + (8 << 20))) : 0;
    /**
     * The values of a filter (HWIO (kh, kw, cin, cout)) in the reserved block, checked: as stored (an
     * ONNX filter's (cout, cin, kh, kw), with its strides) when `asStored` and the layout allows, else HWIO.
     */
    const original = (name: string, c: Constant, n: Node, asStored: boolean): FilterSource => {
      const [kh, kw, cin, cout] = c.shape;
      const view = new Float32Array(backend().memory.buffer, reserve, size(c));
      const stored = asStored ? storedStrides(c.stored) : undefined;
      const file = c.stored?.file;
      if (stored && file) file.read(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      else if (stored) view.set(c.stored!.data);
      else {
        const data = c.take ? c.take(view) : c.data;
        if (data !== view) view.set(data);
      }
      checkFinite(nodeLabel(n), name, view);
      return { ptr: reserve, strides: stored ?? hwioStrides(cin, cout) };
    };
    const weights: Tensor[] = [];
    const pending: PendingWinograd[] = [];
    let home: { names: string[]; layout: WinogradHome; tensor: Tensor } | undefined;
    try {
      const names = [...forms.keys()].filter(deferred);
      if (names.length > 0) {
        const layout = winogradHome(names.map((name) => constants.get(name)!.shape));
        home = { names, layout, tensor: keep(Tensor.empty([layout.bytes / 4], 'predict')) };
        weights.push(home.tensor);
      }
      // Biases first: a packed GEMM filter takes its conv's bias in.
      for (const [name, n] of readers) {
        if (forms.has(name)) continue;
        const c = constants.get(name)!;
        let t: Tensor;
        const src = c.scaled?.source ?? c;
        if (!c.scaled && c.stored?.file && storedMatrix(c.stored)) {
          // A weight still in the file, as stored or transposed (a Gemm's B): read straight into wasm memory.
          t = keep(Tensor.empty(c.shape, 'predict'));
          weights.push(t);
          readMatrix(c.stored, t.ptr());
          checkFinite(nodeLabel(n), name, new Float32Array(backend().memory.buffer, t.ptr(), t.size));
        } else if (c.take || c.scaled) {
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
      for (const [name, form] of forms) {
        const n = readers.get(name)!;
        const c = constants.get(name)!;
        const shape = c.shape as [number, number, number, number];
        const scale = c.scaled?.scale;
        const base = c.scaled?.source ?? c;
        if (form === 'winograd' && !deferred(name)) {
          const f = packWinogradFilter(original(name, base, n, false).ptr, shape[2], shape[3], scale);
          weights.push(f.tensor);
          constants.set(name, winogradConstant(name, n, c.shape, f));
          continue;
        }
        const b = n.inputs[2];
        const bias = b === undefined ? 0 : constants.get(b)!.tensor!.ptr();
        const at = home ? home.names.indexOf(name) : -1;
        let f: GemmFilter;
        if (at >= 0) {
          packGemmFilterInto(original(name, base, n, true), shape, bias, scale, home!.tensor.ptr() + home!.layout.gemm[at]);
          f = new GemmFilter(home!.tensor, shape, bias !== 0, home!.layout.gemm[at]);
        } else {
          f = packGemmFilter(original(name, base, n, true), shape, bias, scale);
          weights.push(f.tensor);
        }
        constants.set(name, {
          shape: c.shape,
          gemm: f,
          get data(): Float32Array {
            return fail(nodeLabel(n), `weight '${name}' is kept only packed for im2col + GEMM by the model that owns it`);
          },
        });
        if (at >= 0) pending.push({ name, node: n, filter: f, offset: home!.layout.winograd[at] });
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
    this.pending = pending;
    this.weightGeneration = backend().generation;
  }

  /**
   * The Winograd form of the filters the first run took through im2col + GEMM (`deferWinograd`), built from
   * their GEMM packings; the plans are then compiled again. Building them (4x the filters' bytes, most of
   * it the first touch of new pages) is most of a cold start's time, which is why the first run does
   * without. Each is written in the WinogradHome over packings already used.
   */
  private buildWinogradFilters(): void {
    this.plans.forEach((p) => p.dispose());
    this.plans.clear();
    const constants = this.graph.constants;
    const weights = this.weights!;
    const pending = [...this.pending].sort((a, b) => a.offset - b.offset);
    this.pending = [];
    const home = pending[0].filter.tensor;
    // The last packing lies under its own Winograd form: a copy of it is read instead (in blocks the plans just freed).
    const last = pending[pending.length - 1];
    const [kh, kw, lastCin, lastCout] = last.filter.shape;
    const copy = keep(Tensor.empty([kernels().f32_gemm_packed_size(kh * kw * lastCin, lastCout)], 'predict'));
    try {
      new Uint8Array(backend().memory.buffer).copyWithin(copy.ptr(), last.filter.ptr, last.filter.ptr + copy.size * 4);
      for (const p of pending) {
        const [, , cin, cout] = p.filter.shape;
        const src = p === last ? new GemmFilter(copy, last.filter.shape, false) : p.filter;
        packWinogradFilterInto(src, cin, cout, home.ptr() + p.offset);
        constants.set(p.name, winogradConstant(p.name, p.node, [...p.filter.shape], new WinogradFilter(home, cin, cout, p.offset)));
      }
    } catch (e) {
      // Winograd forms written so far may lie over packings the other constants still name.
      this.broken = `building its Winograd filters failed (${(e as Error).message}); load the model again`;
      throw e;
    } finally {
      copy.dispose();
    }
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

  /**
   * The filters (constant names) of the convs that the plan for these shapes runs with Winograd or with
   * im2col + GEMM (one group), which the model keeps only in that form; those of the Winograd ones whose
   * outputs are large enough to build it up front (UPFRONT_WINOGRAD_MIN_AREA); the largest activation's bytes.
   */
  private filterForms(nodes: readonly Node[], constants: ReadonlyMap<string, Constant>, inputShapes: Record<string, readonly number[]>): { forms: Map<string, 'winograd' | 'gemm'>; upfront: Set<string>; largestActivation: number } {
    const forms = new Map<string, 'winograd' | 'gemm'>();
    const upfront = new Set<string>();
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
      if (b !== undefined && !constants.has(b)) continue;
      const g = convGeometry(nodeLabel(n), shapes.get(n.inputs[0])!, shapes.get(w)!, n.attrs as Conv2dAttrs, b === undefined ? undefined : shapes.get(b));
      const path = convPath(g, algorithm);
      if (path === 'winograd') {
        forms.set(w, 'winograd');
        if (g.oh * g.ow >= UPFRONT_WINOGRAD_MIN_AREA) upfront.add(w);
      }
      // A 3x3 conv that Winograd does not pay off for at these shapes may at others: it keeps its plain form.
      else if (path === 'gemm' && g.groups === 1 && !winogradApplies(g)) forms.set(w, 'gemm');
    }
    return { forms, upfront, largestActivation };
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
    if (this.broken) fail('predict', this.broken);
    if (this.pending.length > 0 && this.runs > 0) this.buildWinogradFilters();
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
    const outputs = this.plan(shapes).run(record);
    this.runs++;
    return outputs;
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
