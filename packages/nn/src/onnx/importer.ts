/**
 * importOnnx: ModelProto -> graph IR. Walks the nodes in order: Constant nodes and ops whose inputs
 * are all known are folded (shape subgraphs vanish), the rest are translated to IR nodes. Unsupported
 * ops are collected and reported in one error at the end.
 */
import type { Graph, GraphInput, Node } from '../graph/ir.js';
import { Builder, irShape } from './builder.js';
import { FOLDERS, foldShapeOf, SHAPE_OPS } from './fold.js';
import { makeFloat, makeInt, OnnxError, toInt, Unsupported, type Dim, type Known } from './known.js';
import { Attrs, dataTypeName, decodeModel, isFloatType, tensorToKnown, type ModelProto, type NodeProto, type TensorSource, type ValueInfoProto } from './proto.js';
import { TRANSLATORS, type NodeCtx } from './translate.js';

export const MIN_OPSET = 7;
export const MAX_OPSET = 17;

export interface OnnxImportOptions {
  /** the file name, for messages (and the graph name) */
  name?: string;
  /** the directory external data paths are relative to */
  baseDir?: string;
  /** reads an external data file (path relative to the model's directory) */
  readExternal?: (relativePath: string) => Uint8Array;
}

export interface OnnxValueInfo {
  name: string;
  /** as the ONNX model declares it (NCHW for images); null: symbolic or unknown */
  shape: Array<number | null>;
}

export interface OnnxImport {
  graph: Graph;
  opset: number;
  irVersion: number;
  producer: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** Parses an .onnx file's bytes and translates it to the graph IR (synchronous, no I/O of its own). */
export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}): OnnxImport {
  const file = options.name ?? 'the model';
  return importModel(decodeModel(bytes, file), options);
}

/** Translates a decoded model; errors that are not the importer's own get the file named too. */
export function importModel(model: ModelProto, options: OnnxImportOptions = {}): OnnxImport {
  const file = options.name ?? 'the model';
  try {
    return translateModel(model, file, options);
  } catch (e) {
    if (e instanceof OnnxError) throw new Error(e.message.startsWith('onnx:') ? e.message : `onnx: ${file}: ${e.message}`, { cause: e.cause });
    throw new Error(`onnx: cannot import ${file}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

/** The default-domain opset; other domains and opsets outside 7..17 are refused. */
function defaultOpset(model: ModelProto, file: string): number {
  const imports = model.opsetImport ?? [];
  let opset: number | undefined;
  for (const o of imports) {
    const domain = o.domain ?? '';
    const version = toInt(o.version);
    if (domain !== '' && domain !== 'ai.onnx') {
      throw new OnnxError(`onnx: ${file} imports opset ${version} of the domain '${domain}'; only the default ONNX domain (ai.onnx), opsets ${MIN_OPSET} to ${MAX_OPSET}, is supported`);
    }
    opset = version;
  }
  if (opset === undefined) throw new OnnxError(`onnx: ${file} imports no opset of the default ONNX domain (IR version ${toInt(model.irVersion)}); opsets ${MIN_OPSET} to ${MAX_OPSET} are supported`);
  if (!(opset >= MIN_OPSET && opset <= MAX_OPSET)) throw new OnnxError(`onnx: ${file} uses ONNX opset ${opset}; only opsets ${MIN_OPSET} to ${MAX_OPSET} are supported`);
  return opset;
}

/** Declared dims: numbers, dim_param names, fresh names for dims declared without either. */
function declaredDims(vi: ValueInfoProto, b: Builder): Dim[] | undefined {
  const shape = vi.type?.tensorType?.shape;
  if (!shape) return undefined;
  return (shape.dim ?? []).map((d) => {
    // oneof: the field not set decodes as null
    if (d.dimValue != null && toInt(d.dimValue) > 0) return toInt(d.dimValue);
    if (d.dimParam) return d.dimParam;
    return b.dims.fresh();
  });
}

const nullable = (dims: readonly Dim[]): Array<number | null> => dims.map((d) => (typeof d === 'number' ? d : null));

/** The value of a Constant node. */
function constantValue(attrs: Attrs, src: TensorSource, node: string): Known {
  const t = attrs.tensor('value');
  if (t) return tensorToKnown(t, src, `the value of Constant ${node}`);
  const f = attrs.float('value_float');
  if (f !== undefined) return makeFloat([], Float32Array.of(f));
  const fs = attrs.floats('value_floats');
  if (fs) return makeFloat([fs.length], Float32Array.from(fs));
  const i = attrs.int('value_int');
  if (i !== undefined) return makeInt([], [i]);
  const is = attrs.ints('value_ints');
  if (is) return makeInt([is.length], is);
  throw new Unsupported(`value attribute ${attrs.names().join(', ') || '(none)'} is not supported (value, value_float(s), value_int(s) are)`);
}

const isKnownOp = (op: string): boolean => op === 'Constant' || SHAPE_OPS.has(op) || op in FOLDERS || op in TRANSLATORS;

/** Problems per op type, in order of first appearance. */
class Problems {
  private readonly byOp = new Map<string, Array<{ node: string; reason?: string }>>();

  add(op: string, node: string, reason?: string): void {
    const list = this.byOp.get(op) ?? [];
    list.push({ node, reason });
    this.byOp.set(op, list);
  }

  get size(): number {
    return this.byOp.size;
  }

  /** `Foo (nodes /a/Foo, /b/Foo), MatMul (node /m: B is not constant)` */
  toString(): string {
    return [...this.byOp]
      .map(([op, list]) => `${op} (${list.length > 1 ? 'nodes' : 'node'} ${list.map((p) => (p.reason ? `${p.node}: ${p.reason}` : p.node)).join(', ')})`)
      .join(', ');
  }
}

function translateModel(model: ModelProto, file: string, options: OnnxImportOptions): OnnxImport {
  const g = model.graph;
  if (!g) throw new OnnxError(`onnx: ${file} has no graph`);
  const opset = defaultOpset(model, file);
  const src: TensorSource = { file, baseDir: options.baseDir, readExternal: options.readExternal };
  const initializers = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const nodes = g.node ?? [];
  const allNames = [
    ...(g.input ?? []).map((v) => v.name ?? ''),
    ...(g.output ?? []).map((v) => v.name ?? ''),
    ...initializers,
    ...nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]),
  ].filter((n) => n !== '');
  const outputNames = (g.output ?? []).map((v) => v.name ?? '');
  const b = new Builder(src, new Set(outputNames), allNames);
  const problems = new Problems();

  for (const t of g.initializer ?? []) b.setValue(t.name ?? '', { kind: 'initializer', tensor: t });

  // graph inputs (IR < 4 lists the initializers among them: those are constants)
  const inputs: OnnxImport['inputs'] = [];
  const irInputs: GraphInput[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (initializers.has(name)) continue;
    const elem = vi.type?.tensorType?.elemType ?? 0;
    if (!vi.type?.tensorType) throw new OnnxError(`onnx: ${file}: graph input '${name}' is not a tensor`);
    if (!isFloatType(elem)) throw new OnnxError(`onnx: ${file}: graph input '${name}' has type ${dataTypeName(elem)}; only float inputs are supported`);
    const dims = declaredDims(vi, b);
    if (!dims) throw new OnnxError(`onnx: ${file}: graph input '${name}' declares no shape; its rank is needed to choose the layout`);
    const v = b.defineInput(name, dims);
    inputs.push({ name, shape: nullable(dims) });
    irInputs.push({ name, shape: nullable(irShape(v)) });
  }

  nodes.forEach((n, index) => translateNode(n, index, b, opset, problems, file));

  const outputs = finishOutputs(g.output ?? [], b, problems);
  if (problems.size > 0) throw new OnnxError(`onnx: unsupported ops in ${file}: ${problems}`);

  const graph: Graph = {
    name: graphName(options.name, g.name ?? ''),
    inputs: irInputs,
    outputs: outputNames.filter((n, i) => outputNames.indexOf(n) === i),
    nodes: b.nodes,
    constants: b.constants,
  };
  pruneDead(graph);
  return { graph, opset, irVersion: toInt(model.irVersion), producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '), inputs, outputs };
}

function translateNode(n: NodeProto, index: number, b: Builder, opset: number, problems: Problems, file: string): void {
  const op = n.opType ?? '';
  const node = n.name || `${op}_${index}`;
  const inputs = [...(n.input ?? [])];
  const outputs = [...(n.output ?? [])];
  const poison = () => outputs.forEach((o) => o !== '' && !b.has(o) && b.definePoison(o));
  const domain = n.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx') {
    problems.add(`${domain}:${op}`, node);
    return poison();
  }
  // a node reading the output of an unsupported node is skipped (the cause is reported already),
  // but an op the importer does not know at all is reported wherever it is
  if (inputs.some((i) => i !== '' && b.isPoison(i, node))) {
    if (!isKnownOp(op)) problems.add(op, node);
    return poison();
  }
  const attrs = new Attrs(n.attribute);
  try {
    if (op === 'Constant') return b.defineKnown(outputs[0], constantValue(attrs, b.src, node));
    if (SHAPE_OPS.has(op)) {
      const v = b.value(inputs[0] ?? '', node);
      const shape = v.kind === 'runtime' ? v.shape : b.known(inputs[0], node)!.shape;
      return b.defineKnown(outputs[0], foldShapeOf(op, opset, attrs, shape));
    }
    if (foldNode(op, node, inputs, outputs, attrs, b, opset, file)) return;
    const translate = TRANSLATORS[op];
    if (!translate) throw new Unsupported();
    const c: NodeCtx = { b, node, op, opset, attrs, inputs, outputs };
    translate(c);
  } catch (e) {
    if (!(e instanceof Unsupported)) {
      if (e instanceof OnnxError && !e.message.startsWith('onnx:')) throw new OnnxError(`onnx: ${file}: ${e.message}`, { cause: e });
      throw e;
    }
    problems.add(op, node, e.reason);
    poison();
  }
}

/**
 * Folds the node when every present input is known; returns false when it is to be translated.
 * A foldable-only op (Gather, Range...) with a run-time input is unsupported.
 */
function foldNode(op: string, node: string, inputs: string[], outputs: string[], attrs: Attrs, b: Builder, opset: number, file: string): boolean {
  const folder = FOLDERS[op];
  if (!folder) return false;
  const knowns = inputs.map((i) => (i === '' ? undefined : b.known(i, node)));
  const runtimeInput = inputs.find((i, j) => i !== '' && knowns[j] === undefined);
  const canTranslate = op in TRANSLATORS;
  if (runtimeInput !== undefined) {
    if (canTranslate) return false;
    throw new Unsupported(`only supported when its inputs are known at import time, but '${runtimeInput}' is computed at run time`);
  }
  try {
    const results = folder({ op, opset, attrs, inputs: knowns, dims: b.dims, file });
    results.forEach((k, j) => outputs[j] && b.defineKnown(outputs[j], k));
    return true;
  } catch (e) {
    // e.g. an element-wise op on symbolic dimensions: the translator may still handle it
    if (e instanceof Unsupported && canTranslate) return false;
    throw e;
  }
}

/** Graph outputs: NHWC values get their transpose back to NCHW, known values become constants. */
function finishOutputs(list: readonly ValueInfoProto[], b: Builder, problems: Problems): OnnxImport['outputs'] {
  const out: OnnxImport['outputs'] = [];
  const seen = new Set<string>();
  for (const vi of list) {
    const name = vi.name ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    const v = b.value(name, `(graph output '${name}')`);
    if (v.kind === 'poison') continue;
    try {
      let r = v.kind === 'runtime' ? v : b.materialize(name, b.known(name, 'graph output')!);
      r = b.asPlain(r, `${name}::output`);
      if (r.ir !== name) {
        if (b.isDefinedIr(name)) throw new Unsupported(`the graph output '${name}' is also a 4-D graph input, whose IR value is NHWC`);
        b.add(`${name}::output`, 'identity', [r.ir], [b.defineIrName(name)], {});
      }
      const declared = declaredDims(vi, b);
      out.push({ name, shape: nullable(declared && declared.length === r.shape.length ? declared : r.shape) });
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      problems.add('(graph output)', name, e.reason);
    }
  }
  return out;
}

/** Removes nodes whose outputs nothing reads (and constants nothing reads). */
function pruneDead(graph: Graph): void {
  const live = new Set(graph.outputs);
  const kept: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (!n.outputs.some((o) => live.has(o))) continue;
    kept.push(n);
    for (const x of n.inputs) live.add(x);
  }
  graph.nodes = kept.reverse();
  for (const name of [...graph.constants.keys()]) if (!live.has(name)) graph.constants.delete(name);
}

function graphName(fileName: string | undefined, protoName: string): string {
  const base = fileName?.split(/[\\/]/).pop()?.replace(/\.onnx$/i, '');
  return base || protoName || 'onnx';
}

