// Symbolic tensors: what `layer.apply()` passes around while a model is being described. They carry
// a shape (batch dimension null) and the receptive field, never data.
import type { Layer } from './layer.js';

/** Dimensions of a symbolic tensor; null is unknown (always the batch dimension, maybe H and W). */
export type SymbolicShape = ReadonlyArray<number | null>;

/**
 * Receptive field of one output unit (Araujo, Norris, Sim, Distill 2019), per spatial axis [h, w]:
 * `size` input pixels, `jump` input pixels between neighbouring units (the effective stride).
 * 'global': the unit sees the whole input (after flatten, dense, global pooling).
 * 'none': not an image (an Input that is not [h, w, c]).
 */
export type LayerReceptiveField =
  | { kind: 'window'; size: [number, number]; jump: [number, number] }
  | { kind: 'global' }
  | { kind: 'none' };

export class SymbolicTensor {
  /** @internal Made by `Layer.apply()` and `Input`. */
  constructor(
    /** The layer whose output this is. */
    readonly layer: Layer,
    /** [batch (null), ...] */
    readonly shape: SymbolicShape,
    readonly receptiveField: LayerReceptiveField,
  ) {
    Object.freeze(shape);
  }

  /** The graph value name: the name of the layer that produced it. */
  get name(): string {
    return this.layer.name;
  }

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `SymbolicTensor(${formatSymbolicShape(this.shape)}, from ${this.layer.className} '${this.layer.name}')`;
  }
}

/** [null,224,224,3] (errors) */
export const formatSymbolicShape = (shape: SymbolicShape): string => `[${shape.map((d) => (d === null ? 'null' : d)).join(',')}]`;

/** (None, 224, 224, 3) (summaries, as Keras prints them) */
export const kerasShape = (shape: SymbolicShape): string => `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')}${shape.length === 1 ? ',' : ''})`;
