// An ONNX model ready to run: inputs and outputs stay NCHW, as ONNX defines them; the conversion
// to the runtime's NHWC is a node of the graph (a compiled step), not the caller's job.
import { GraphModel } from '../graph/model.js';
import type { Graph, Node } from '../graph/ir.js';
import { importOnnx, readOnnxFile, type OnnxImport } from './index.js';

/** The imported graph with each 4-D input taken as NCHW and transposed to NHWC by its first node. */
export function nchwInputGraph(imp: OnnxImport): Graph {
  const g = imp.graph;
  const taken = new Set<string>([...g.constants.keys(), ...g.inputs.map((i) => i.name), ...g.nodes.flatMap((n) => n.outputs)]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const renamed = new Map<string, string>();
  const head: Node[] = [];
  const inputs = g.inputs.map((input) => {
    if (input.shape.length !== 4) return input;
    const nhwc = fresh(`${input.name}::nhwc`);
    renamed.set(input.name, nhwc);
    head.push({ name: fresh(`${input.name}::to_nhwc`), op: 'transpose', inputs: [input.name], outputs: [nhwc], attrs: { perm: [0, 2, 3, 1] } });
    const [n, h, w, c] = input.shape;
    return { name: input.name, shape: [n, c, h, w] };
  });
  const nodes = g.nodes.map((n) => ({ ...n, inputs: n.inputs.map((i) => renamed.get(i) ?? i) }));
  const outputs = g.outputs.map((o) => renamed.get(o) ?? o);
  return { ...g, inputs, nodes: [...head, ...nodes], outputs };
}

/**
 * An imported model. It owns its weights (GraphModelOptions.ownWeights): on the first compile they
 * move into wasm memory and the decoded arrays are dropped, so a loaded model holds each weight once.
 */
export class OnnxModel extends GraphModel {
  /** What the import found (opset, producer, value infos); `graph` is the model's own graph. */
  readonly onnx: OnnxImport;

  constructor(onnx: OnnxImport, options: { deferWinograd?: boolean } = {}) {
    super(nchwInputGraph(onnx), { ownWeights: true, deferWinograd: options.deferWinograd });
    this.onnx = { ...onnx, graph: this.graph };
  }
}

/**
 * Loads an .onnx model from bytes or a path (Node). Every unsupported op is reported at once;
 * inputs and outputs are NCHW by their ONNX names. `deferWinograd` (default true): the first predict()
 * runs the 3x3 convs that then run Winograd on im2col + GEMM (but those with outputs of 3136 pixels, 56 x 56, or more),
 * the second builds their Winograd filters (see GraphModelOptions).
 */
export async function loadOnnx(source: Uint8Array | ArrayBuffer | string, options: { name?: string; deferWinograd?: boolean } = {}): Promise<OnnxModel> {
  if (typeof source === 'string') return new OnnxModel(await readOnnxFile(source), options);
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  return new OnnxModel(importOnnx(bytes, { name: options.name }), options);
}
