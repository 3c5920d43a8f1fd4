// Merge layers: Add (residual connections) and Concatenate (channel stacking).
import { Layer, type GraphWriter, type LayerOptions } from './layer.js';
import { channelAxis } from './options.js';
import { formatSymbolicShape, type LayerReceptiveField, type SymbolicShape, type SymbolicTensor } from './symbolic.js';

/**
 * A merged unit sees what any input unit sees: the largest receptive field. Inputs must step through
 * the image alike (same jump), or one output unit would not have one receptive field.
 */
function mergedReceptiveField(layer: Layer, inputs: readonly SymbolicTensor[]): LayerReceptiveField {
  const rfs = inputs.map((t) => t.receptiveField);
  if (rfs.some((r) => r.kind === 'global')) return { kind: 'global' };
  const windows = inputs.filter((t) => t.receptiveField.kind === 'window');
  if (windows.length === 0) return { kind: 'none' };
  const first = windows[0].receptiveField as Extract<LayerReceptiveField, { kind: 'window' }>;
  const size: [number, number] = [...first.size];
  for (const t of windows.slice(1)) {
    const rf = t.receptiveField as Extract<LayerReceptiveField, { kind: 'window' }>;
    if (rf.jump[0] !== first.jump[0] || rf.jump[1] !== first.jump[1]) {
      throw new Error(
        `${layer.label}: inputs have different jumps (effective strides): '${windows[0].name}' [${first.jump.join(',')}] and '${t.name}' [${rf.jump.join(',')}]; merged inputs must be aligned`,
      );
    }
    size[0] = Math.max(size[0], rf.size[0]);
    size[1] = Math.max(size[1], rf.size[1]);
  }
  return { kind: 'window', size, jump: [...first.jump] };
}

/** Sum of two or more tensors of the same shape. */
export class Add extends Layer {
  protected override readonly arity = [2, Infinity] as const;

  constructor(options: LayerOptions = {}) {
    super('Add', options, []);
  }

  protected computeOutputShape(inputs: readonly SymbolicShape[]): Array<number | null> {
    const out = [...inputs[0]];
    for (const s of inputs.slice(1)) {
      if (s.length !== out.length || s.some((d, i) => d !== null && out[i] !== null && d !== out[i])) {
        this.fail(`inputs have shapes ${formatSymbolicShape(inputs[0])} and ${formatSymbolicShape(s)}; all inputs must have the same shape`);
      }
      s.forEach((d, i) => (out[i] ??= d));
    }
    return out;
  }

  protected override computeReceptiveField(inputs: readonly SymbolicTensor[]): LayerReceptiveField {
    return mergedReceptiveField(this, inputs);
  }

  emit(g: GraphWriter): void {
    const names = this.inbound.map((t) => t.name);
    // A chain of binary adds; the last one writes the layer's output.
    let acc = names[0];
    for (let i = 1; i < names.length; i++) {
      const last = i === names.length - 1;
      const out = last ? this.name : `${this.name}/sum${i}`;
      g.node('add', last ? this.name : out, [acc, names[i]], out, {});
      acc = out;
    }
  }
}

export interface ConcatenateOptions extends LayerOptions {
  /** Default -1 (channels). */
  axis?: number;
}

/** Joins two or more tensors along one axis (default channels); the others must match. */
export class Concatenate extends Layer {
  protected override readonly arity = [2, Infinity] as const;
  readonly axis: number;
  private resolvedAxis = -1;

  constructor(options: ConcatenateOptions = {}) {
    super('Concatenate', options, ['axis']);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) this.fail(`axis must be an integer, got ${JSON.stringify(options.axis)}`);
  }

  protected computeOutputShape(inputs: readonly SymbolicShape[]): Array<number | null> {
    const first = inputs[0];
    const axis = channelAxis(this.label, 'axis', this.axis, first.length);
    const out = [...first];
    for (const s of inputs.slice(1)) {
      if (s.length !== first.length || s.some((d, i) => i !== axis && d !== null && out[i] !== null && d !== out[i])) {
        this.fail(`inputs have shapes ${formatSymbolicShape(first)} and ${formatSymbolicShape(s)}; all axes but ${this.axis} must match`);
      }
      s.forEach((d, i) => {
        if (i === axis) out[i] = out[i] === null || d === null ? null : (out[i] as number) + d;
        else out[i] ??= d;
      });
    }
    this.resolvedAxis = axis;
    return out;
  }

  protected override computeReceptiveField(inputs: readonly SymbolicTensor[]): LayerReceptiveField {
    return mergedReceptiveField(this, inputs);
  }

  emit(g: GraphWriter): void {
    g.node('concat', this.name, this.inbound.map((t) => t.name), this.name, { axis: this.resolvedAxis });
  }
}
