/**
 * The IR graph under construction and what the importer knows about every ONNX value: a known
 * constant, a run-time value (its IR name, static ONNX shape and layout) or poison (produced by an
 * unsupported node, so its consumers are skipped silently: the root cause is already reported).
 *
 * Layout: a run-time value of rank 4 is either `nhwc` (IR memory order [N, H, W, C] for the ONNX
 * shape [N, C, H, W]) or plain (IR memory order = ONNX order). Ops that need NHWC (conv, pools,
 * batch norm) call asNhwc; ops that depend on memory order (Flatten, Reshape, MatMul) call asPlain.
 */
import type { Constant, Node, OpSpecs, OpType } from '../graph/ir.js';
import { DimNames, firstSym, floatsOf, isSym, OnnxError, permuteData, Unsupported, type Dim, type Known } from './known.js';
import { tensorToKnown, type TensorProto, type TensorSource } from './proto.js';

export interface Runtime {
  kind: 'runtime';
  /** the ONNX value this is (for naming derived values) */
  onnx: string;
  ir: string;
  /** static ONNX shape (NCHW order for 4-D) */
  shape: Dim[];
  nhwc: boolean;
}

export type Value = Runtime | { kind: 'known'; value: Known } | { kind: 'initializer'; tensor: TensorProto } | { kind: 'poison' };

/** IR axis j of a 4-D nhwc value holds ONNX axis TO_NCHW[j]; ONNX axis a lives at IR axis TO_NHWC[a]. */
export const NHWC_ORDER = [0, 2, 3, 1] as const;
export const NCHW_POS = [0, 3, 1, 2] as const;

/** The IR (memory-order) shape of a run-time value. */
export const irShape = (v: Runtime): Dim[] => (v.nhwc ? NHWC_ORDER.map((a) => v.shape[a]) : v.shape);

/** The IR axis of ONNX axis `a` (already non-negative) of v. */
export const irAxis = (v: Runtime, a: number): number => (v.nhwc ? NCHW_POS[a] : a);

export class Builder {
  readonly nodes: Node[] = [];
  readonly constants = new Map<string, Constant>();
  readonly dims = new DimNames();
  private readonly values = new Map<string, Value>();
  /** every name an IR value may not take: all ONNX names plus the generated ones */
  private readonly reserved = new Set<string>();
  private readonly defined = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly layoutCache = new Map<string, Runtime>();
  private readonly constCache = new Map<string, string>();

  constructor(
    readonly src: TensorSource,
    readonly graphOutputs: ReadonlySet<string>,
    reservedNames: Iterable<string>,
  ) {
    for (const n of reservedNames) this.reserved.add(n);
  }

  // ---------------------------------------------------------------- names

  /** A value name not used by the ONNX model nor generated before. */
  freshValue(base: string): string {
    let name = base;
    for (let i = 2; this.reserved.has(name); i++) name = `${base}#${i}`;
    this.reserved.add(name);
    return name;
  }

  freshNode(base: string): string {
    let name = base;
    for (let i = 2; this.nodeNames.has(name); i++) name = `${base}#${i}`;
    this.nodeNames.add(name);
    return name;
  }

  // ---------------------------------------------------------------- values

  has(name: string): boolean {
    return this.values.has(name);
  }

  setValue(name: string, v: Value): void {
    this.values.set(name, v);
  }

  /** The value of an ONNX name; a name nothing defines breaks the model's topological order. */
  value(name: string, node: string): Value {
    const v = this.values.get(name);
    if (v === undefined) throw new OnnxError(`node ${node} reads '${name}', which no graph input, initializer or earlier node defines`);
    return v;
  }

  /** The known value of a name, or undefined for run-time and poisoned values. */
  known(name: string, node: string): Known | undefined {
    const v = this.value(name, node);
    if (v.kind === 'initializer') {
      const value = tensorToKnown(v.tensor, this.src, `initializer '${name}'`);
      this.values.set(name, { kind: 'known', value });
      return value;
    }
    return v.kind === 'known' ? v.value : undefined;
  }

  isPoison(name: string, node: string): boolean {
    return this.value(name, node).kind === 'poison';
  }

  defineKnown(name: string, value: Known): void {
    this.values.set(name, { kind: 'known', value });
  }

  definePoison(name: string): void {
    this.values.set(name, { kind: 'poison' });
  }

  /**
   * Declares the run-time value an IR node will write, under the ONNX name. A graph output kept in
   * NHWC gets another name: the final transpose to NCHW writes the ONNX name.
   */
  defineRuntime(onnx: string, shape: Dim[], nhwc: boolean): Runtime {
    const ir = nhwc && this.graphOutputs.has(onnx) ? this.freshValue(`${onnx}::nhwc`) : onnx;
    this.defined.add(ir);
    const v: Runtime = { kind: 'runtime', onnx, ir, shape, nhwc: nhwc && shape.length === 4 };
    this.values.set(onnx, v);
    return v;
  }

  /** A graph input of the IR (NHWC for rank 4). */
  defineInput(onnx: string, shape: Dim[]): Runtime {
    this.defined.add(onnx);
    const v: Runtime = { kind: 'runtime', onnx, ir: onnx, shape, nhwc: shape.length === 4 };
    this.values.set(onnx, v);
    return v;
  }

  /** A fresh IR value derived from `from` (an inserted node's output). */
  derived(from: Runtime, suffix: string, shape: Dim[], nhwc: boolean): Runtime {
    const ir = this.freshValue(`${from.onnx}::${suffix}`);
    this.defined.add(ir);
    return { kind: 'runtime', onnx: from.onnx, ir, shape, nhwc: nhwc && shape.length === 4 };
  }

  /** The run-time form of an input: known values become IR constants (NHWC when 4-D). */
  runtime(name: string, node: string): Runtime {
    const v = this.value(name, node);
    if (v.kind === 'runtime') return v;
    if (v.kind === 'poison') throw new Unsupported(`input '${name}' is not available`);
    return this.materialize(name, this.known(name, node)!);
  }

  /** A known value as an IR constant; 4-D values are stored NHWC, like every 4-D activation. */
  materialize(name: string, k: Known): Runtime {
    const cached = this.layoutCache.get(`const:${name}`);
    if (cached) return cached;
    const sym = firstSym(k);
    if (sym !== undefined) throw new Unsupported(`'${name}' depends on the unknown dimension '${sym}' and cannot become a constant`);
    const nhwc = k.shape.length === 4;
    const data = floatsOf(k, `'${name}'`);
    const stored = nhwc ? permuteData(data, k.shape, NHWC_ORDER) : { data, shape: k.shape };
    const ir = this.constant(name, 'const', stored.shape, stored.data);
    const v: Runtime = { kind: 'runtime', onnx: name, ir, shape: [...k.shape], nhwc };
    this.layoutCache.set(`const:${name}`, v);
    return v;
  }

  /**
   * Adds an IR constant derived from the ONNX value `name` for one purpose (weights, broadcast
   * operand...), keeping the ONNX name the first time so users recognise it.
   */
  constant(name: string, purpose: string, shape: number[], data: Float32Array): string {
    const key = `${name}|${purpose}`;
    const cached = this.constCache.get(key);
    if (cached !== undefined) return cached;
    const ir = !this.defined.has(name) && !this.graphOutputs.has(name) ? name : this.freshValue(`${name}::${purpose}`);
    this.reserved.add(ir);
    this.defined.add(ir);
    this.constants.set(ir, { data, shape });
    this.constCache.set(key, ir);
    return ir;
  }

  /**
   * As constant(), for a weight stored permuted (OIHW filters as HWIO, a Gemm's B transposed) or as it
   * is (perm the identity): the permutation runs when the values are read, once (`data`), or straight
   * into a model's wasm memory (`take(into)`), so an imported model never holds both layouts; values
   * still in the file (`source.file`) are read from it only then.
   */
  permutedConstant(name: string, purpose: string, source: Known & { data: Float32Array }, perm: readonly number[]): string {
    const key = `${name}|${purpose}`;
    const cached = this.constCache.get(key);
    if (cached !== undefined) return cached;
    const ir = !this.defined.has(name) && !this.graphOutputs.has(name) ? name : this.freshValue(`${name}::${purpose}`);
    this.reserved.add(ir);
    this.defined.add(ir);
    const sourceShape = source.shape;
    const shape = perm.map((p) => sourceShape[p]);
    const identity = perm.every((p, i) => p === i);
    let values: Float32Array | undefined;
    const constant: Constant = {
      shape,
      get data() {
        values ??= identity ? source.data : permuteData(source.data, sourceShape, perm).data;
        return values;
      },
    };
    // Not enumerable: the constant still looks like { data, shape } to whoever lists it.
    Object.defineProperty(constant, 'take', {
      enumerable: false,
      value: (into?: Float32Array): Float32Array => {
        if (!values) return permuteData(source.data, sourceShape, perm, into).data;
        if (!into) return values;
        if (into.length !== values.length) throw new Error(`permuteData: into has ${into.length} values, expected ${values.length}`);
        into.set(values);
        return into;
      },
    });
    // The values as stored, for a model that packs them itself (from the file, when they are still there).
    const stored = { get data() { return source.data; }, shape: sourceShape, perm, file: source.file };
    Object.defineProperty(constant, 'stored', { enumerable: false, value: stored });
    this.constants.set(ir, constant);
    this.constCache.set(key, ir);
    return ir;
  }

  /** A constant that no ONNX value names (generated data). */
  freshConstant(base: string, shape: number[], data: Float32Array): string {
    const ir = this.freshValue(base);
    this.defined.add(ir);
    this.constants.set(ir, { data, shape });
    return ir;
  }

  /** Whether an IR value of this name exists already. */
  isDefinedIr(name: string): boolean {
    return this.defined.has(name);
  }

  /** Claims an exact IR value name (a graph output written by a final node). */
  defineIrName(name: string): string {
    this.reserved.add(name);
    this.defined.add(name);
    return name;
  }

  // ---------------------------------------------------------------- nodes

  add<T extends OpType>(name: string, op: T, inputs: string[], outputs: string[], attrs: OpSpecs[T]): void {
    this.nodes.push({ name: this.freshNode(name), op, inputs, outputs, attrs } as Node);
  }

  // ---------------------------------------------------------------- layouts

  /** v in plain (ONNX) memory order. */
  asPlain(v: Runtime, node: string): Runtime {
    if (!v.nhwc) return v;
    return this.convert(v, node, false);
  }

  /** v (rank 4) in NHWC memory order. */
  asNhwc(v: Runtime, node: string): Runtime {
    if (v.nhwc || v.shape.length !== 4) return v;
    return this.convert(v, node, true);
  }

  private convert(v: Runtime, node: string, toNhwc: boolean): Runtime {
    const key = `${toNhwc ? 'nhwc' : 'nchw'}:${v.ir}`;
    const cached = this.layoutCache.get(key);
    if (cached) return cached;
    let out: Runtime;
    if (!toNhwc && this.graphOutputs.has(v.onnx) && !this.defined.has(v.onnx) && v.ir !== v.onnx) {
      // the NCHW form of a graph output is the output itself
      this.defined.add(v.onnx);
      out = { kind: 'runtime', onnx: v.onnx, ir: v.onnx, shape: v.shape, nhwc: false };
    } else {
      out = this.derived(v, toNhwc ? 'nhwc' : 'nchw', v.shape, toNhwc);
    }
    const perm = toNhwc ? NHWC_ORDER : NCHW_POS;
    const target = memoryTrivialReshape(irShape(v), irShape(out), perm);
    const name = `${node}::${toNhwc ? 'to_nhwc' : 'to_nchw'}`;
    if (target) this.add(name, 'reshape', [v.ir], [out.ir], { shape: target });
    else this.add(name, 'transpose', [v.ir], [out.ir], { perm: [...perm] });
    this.layoutCache.set(key, out);
    return out;
  }
}

/**
 * When permuting `inShape` by `perm` moves only axes of size 1 (e.g. NHWC [N,1,1,C] -> NCHW), the
 * memory order does not change: a reshape to `outShape` does it. Returns the reshape target, or
 * undefined when a transpose is needed (or the target cannot be written with 0 / one -1).
 */
export function memoryTrivialReshape(inShape: readonly Dim[], outShape: readonly Dim[], perm: readonly number[]): number[] | undefined {
  // input axes (in output order) whose size is not known to be 1 must keep their order
  const moving = perm.filter((p) => inShape[p] !== 1);
  if (moving.some((p, i) => i > 0 && p < moving[i - 1])) return undefined;
  return reshapeTarget(inShape, outShape);
}

/**
 * The IR reshape target for a static output shape: numbers as they are, an unknown dimension that
 * the input has at the same index as 0 (copy), at most one other unknown as -1.
 */
export function reshapeTarget(inShape: readonly Dim[], outShape: readonly Dim[]): number[] | undefined {
  let inferred = false;
  const target: number[] = [];
  for (let i = 0; i < outShape.length; i++) {
    const d = outShape[i];
    if (!isSym(d)) {
      if (d === 0) return undefined; // 0 would mean "copy" in the IR
      target.push(d);
    } else if (i < inShape.length && inShape[i] === d) {
      target.push(0);
    } else if (!inferred) {
      inferred = true;
      target.push(-1);
    } else {
      return undefined;
    }
  }
  return target;
}
