// A Keras-like summary of any graph: per node its output shape, parameters and receptive field.
// Receptive fields follow Araujo, Norris & Sim (Distill 2019): through a window of k_eff with
// stride s, r_out = r_in + (k_eff - 1) * j_in and j_out = j_in * s; merges take the largest r.
import { effectiveKernel, formatShape } from '@wcnn/tensor';
import { sizeOf } from '../runtime.js';
import { inferShapes, resolveInputShapes } from './compile.js';
import type { Graph, Node, OpSpecs } from './ir.js';

/** Per spatial axis [h, w]: size r and jump j (the effective stride), or 'global' once flattened. */
export type ReceptiveField = { size: [number, number]; jump: [number, number] } | 'global' | null;

export interface SummaryRow {
  name: string;
  op: string;
  outputShape: Array<number | null>;
  params: number;
  trainable: number;
  receptiveField: ReceptiveField;
}

export interface Summary {
  name: string;
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

const SPATIAL_PASS = new Set(['add', 'sub', 'mul', 'div', 'relu', 'relu6', 'leakyRelu', 'clip', 'sigmoid', 'tanh', 'identity', 'batchNorm', 'concat', 'pad', 'softmax']);

function nodeParams(n: Node, shapeOf: (v: string) => number[]): { params: number; trainable: number } {
  const size = (i: number) => (n.inputs[i] === undefined ? 0 : sizeOf(shapeOf(n.inputs[i])));
  switch (n.op) {
    case 'conv2d':
    case 'dense':
      return { params: size(1) + size(2), trainable: size(1) + size(2) };
    case 'batchNorm': {
      const c = size(3);
      return { params: 4 * c, trainable: 2 * c };
    }
    default:
      return { params: 0, trainable: 0 };
  }
}

function nodeField(n: Node, inputs: ReceptiveField[], last: (v: string) => number[]): ReceptiveField {
  const spatial = inputs.filter((r): r is Exclude<ReceptiveField, 'global' | null> => r !== null && r !== 'global');
  if (n.op === 'conv2d' || n.op === 'maxPool2d' || n.op === 'avgPool2d') {
    const r = spatial[0];
    if (!r) return inputs[0] ?? null;
    const a = n.attrs as OpSpecs['maxPool2d'] & OpSpecs['conv2d'];
    const kernel = n.op === 'conv2d' ? [last(n.inputs[1])[0], last(n.inputs[1])[1]] : a.kernel;
    const size: [number, number] = [0, 1].map((d) => r.size[d] + (effectiveKernel(kernel[d], a.dilations[d]) - 1) * r.jump[d]) as [number, number];
    const jump: [number, number] = [0, 1].map((d) => r.jump[d] * a.strides[d]) as [number, number];
    return { size, jump };
  }
  if (SPATIAL_PASS.has(n.op)) {
    if (spatial.length === 0) return inputs.includes('global') ? 'global' : null;
    const best = spatial.reduce((p, q) => (q.size[0] * q.size[1] > p.size[0] * p.size[1] ? q : p));
    return { size: [...best.size], jump: [...best.jump] };
  }
  return inputs.some((r) => r !== null) ? 'global' : null;
}

/** Summarises a graph for the given input shapes (unknown dimensions stay null in the table). */
export function summarizeGraph(graph: Graph, inputShapes: Record<string, readonly number[]> = {}): Summary {
  // Unknown dimensions are inferred with 1 and shown as null again.
  const concrete: Record<string, number[]> = {};
  for (const i of graph.inputs) concrete[i.name] = inputShapes[i.name] ? [...inputShapes[i.name]] : i.shape.map((d) => d ?? 1);
  const shapes = inferShapes(graph, resolveInputShapes(graph, concrete));
  const unknownBatch = graph.inputs.some((i) => i.shape[0] === null) && !graph.inputs.some((i) => inputShapes[i.name]);
  const fields = new Map<string, ReceptiveField>();
  for (const i of graph.inputs) {
    fields.set(i.name, i.shape.length === 4 ? { size: [1, 1], jump: [1, 1] } : null);
  }
  const rows: SummaryRow[] = [];
  for (const n of graph.nodes) {
    const ins = n.inputs.filter((v) => !graph.constants.has(v)).map((v) => fields.get(v) ?? null);
    const field = nodeField(n, ins, (v) => shapes.get(v)!);
    n.outputs.forEach((o) => fields.set(o, field));
    const out = shapes.get(n.outputs[0])!;
    rows.push({
      name: n.name,
      op: n.op,
      outputShape: unknownBatch ? [null, ...out.slice(1)] : out,
      ...nodeParams(n, (v) => shapes.get(v)!),
      receptiveField: field,
    });
  }
  const totalParams = rows.reduce((s, r) => s + r.params, 0);
  const trainableParams = rows.reduce((s, r) => s + r.trainable, 0);
  return { name: graph.name, rows, totalParams, trainableParams, nonTrainableParams: totalParams - trainableParams };
}

export function formatReceptiveField(r: ReceptiveField): string {
  if (r === null) return '';
  if (r === 'global') return 'global';
  const size = r.size[0] === r.size[1] ? `${r.size[0]}` : `${r.size[0]}x${r.size[1]}`;
  const jump = r.jump[0] === r.jump[1] ? `${r.jump[0]}` : `${r.jump[0]}x${r.jump[1]}`;
  return `${size} / ${jump}`;
}

/** The summary as a Keras-like text table. */
export function formatSummary(s: Summary): string[] {
  const header = ['Layer (type)', 'Output shape', 'Param #', 'Receptive field / jump'];
  const body = s.rows.map((r) => [`${r.name} (${r.op})`, formatShape(r.outputShape), r.params.toLocaleString('en-US'), formatReceptiveField(r.receptiveField)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = '='.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [
    `Model: "${s.name}"`,
    rule,
    line(header),
    rule,
    ...body.map(line),
    rule,
    `Total params: ${s.totalParams.toLocaleString('en-US')}`,
    `Trainable params: ${s.trainableParams.toLocaleString('en-US')}`,
    `Non-trainable params: ${s.nonTrainableParams.toLocaleString('en-US')}`,
  ];
}
