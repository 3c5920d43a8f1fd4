// model.summary(): a Keras-like table with the receptive field and jump of every layer.
import type { Layer } from './layer.js';
import { kerasShape } from './symbolic.js';

export interface LayerSummary {
  name: string;
  /** Keras class name: 'Conv2D', 'InputLayer', ... */
  type: string;
  /** Batch dimension null. */
  outputShape: Array<number | null>;
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** [h, w] input pixels one output unit sees; 'global' after flatten, dense, global pooling; null for non-images. */
  receptiveField: [number, number] | 'global' | null;
  /** [h, w] input pixels between neighbouring units (the effective stride); null unless a window. */
  jump: [number, number] | null;
  /** Names of the layers feeding this one. */
  inbound: string[];
}

export interface ModelSummary {
  name: string;
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

export interface SummaryOptions {
  /** Receives each line; default console.log. */
  print?: (line: string) => void;
}

/** @internal */
export function summarize(model: { name: string; _allLayers: readonly Layer[] }, includeInputs: boolean): ModelSummary {
  const layers = model._allLayers.filter((l) => includeInputs || l.className !== 'InputLayer').map((l): LayerSummary => {
    const { trainable, nonTrainable } = l.countParams();
    const rf = l.output.receptiveField;
    return {
      name: l.name,
      type: l.className,
      outputShape: [...l.output.shape],
      params: trainable + nonTrainable,
      trainableParams: trainable,
      nonTrainableParams: nonTrainable,
      receptiveField: rf.kind === 'window' ? [...rf.size] : rf.kind === 'global' ? 'global' : null,
      jump: rf.kind === 'window' ? [...rf.jump] : null,
      inbound: l.inbound.map((t) => t.name),
    };
  });
  const trainableParams = layers.reduce((s, l) => s + l.trainableParams, 0);
  const nonTrainableParams = layers.reduce((s, l) => s + l.nonTrainableParams, 0);
  return { name: model.name, layers, totalParams: trainableParams + nonTrainableParams, trainableParams, nonTrainableParams };
}

const pair = (p: [number, number] | null): string => (p === null ? '-' : p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`);
const count = (n: number): string => n.toLocaleString('en-US');

/**
 * The table as lines. A "Connected to" column appears when the layers do not form a plain chain
 * (branches, merges), as in Keras.
 */
export function formatSummary(s: ModelSummary): string[] {
  const chain = s.layers.every((l, i) => (i === 0 ? l.inbound.length <= 1 : l.inbound.length === 1 && l.inbound[0] === s.layers[i - 1].name));
  const header = ['Layer (type)', 'Output Shape', 'Param #', 'Receptive field', 'Jump'];
  if (!chain) header.push('Connected to');
  const rows = s.layers.map((l) => {
    const cells = [`${l.name} (${l.type})`, kerasShape(l.outputShape), `${l.params}`, l.receptiveField === 'global' ? 'global' : pair(l.receptiveField), pair(l.jump)];
    if (!chain) cells.push(l.inbound.join(', '));
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => ` ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd();
  const width = 1 + widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  return [
    `Model: "${s.name}"`,
    '_'.repeat(width),
    line(header),
    '='.repeat(width),
    ...rows.map(line),
    '='.repeat(width),
    `Total params: ${count(s.totalParams)}`,
    `Trainable params: ${count(s.trainableParams)}`,
    `Non-trainable params: ${count(s.nonTrainableParams)}`,
    '_'.repeat(width),
  ];
}
