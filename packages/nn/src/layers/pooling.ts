// Pooling layers: max and average over windows, and global pooling over H and W. No parameters.
import type { Pool2dAttrs } from '../graph/ir.js';
import { positivePair } from '../validate.js';
import { Layer, type GraphWriter, type LayerOptions } from './layer.js';
import { booleanOption, parsePadding, windowOutput, windowReceptiveField, type LayerPadding, type ResolvedPadding } from './options.js';
import type { LayerReceptiveField, SymbolicShape, SymbolicTensor } from './symbolic.js';

export interface Pooling2DOptions extends LayerOptions {
  /** Default: poolSize (non-overlapping windows). */
  strides?: number | [number, number];
  /** 'valid' (default), 'same', 'full', a number or [top, bottom, left, right]. Average pooling ignores the padded taps (Keras). */
  padding?: Exclude<LayerPadding, 'circular'>;
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: ResolvedPadding;

  protected constructor(className: string, poolSize: unknown, options: Pooling2DOptions) {
    super(className, options, ['strides', 'padding']);
    this.poolSize = positivePair(this.label, 'poolSize', poolSize ?? 2);
    this.strides = positivePair(this.label, 'strides', options.strides ?? undefined, this.poolSize);
    this.padding = parsePadding(this.label, options.padding, 'valid', ['valid', 'same', 'full']);
  }

  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    const [h, w, c] = this.expectImage(x);
    const [oh, ow] = windowOutput(this.label, 'pool window', [h, w], this.poolSize, this.strides, [1, 1], this.padding, true);
    return [x[0], oh, ow, c];
  }

  protected override computeReceptiveField(inputs: readonly SymbolicTensor[]): LayerReceptiveField {
    return windowReceptiveField(inputs[0].receptiveField, this.poolSize, this.strides, [1, 1]);
  }

  protected attrs(): Pool2dAttrs {
    return { kernel: this.poolSize, strides: this.strides, dilations: [1, 1], padding: this.padding.ir, ceilMode: false };
  }
}

/** `new MaxPooling2D([2, 2])`: the maximum of each window. */
export class MaxPooling2D extends Pooling2D {
  constructor(poolSize: number | [number, number] = 2, options: Pooling2DOptions = {}) {
    super('MaxPooling2D', poolSize, options);
  }

  emit(g: GraphWriter): void {
    g.node('maxPool2d', this.name, [this.inbound[0].name], this.name, this.attrs());
  }
}

/** `new AveragePooling2D([2, 2])`: the mean of each window (padding not counted, as Keras). */
export class AveragePooling2D extends Pooling2D {
  constructor(poolSize: number | [number, number] = 2, options: Pooling2DOptions = {}) {
    super('AveragePooling2D', poolSize, options);
  }

  emit(g: GraphWriter): void {
    g.node('avgPool2d', this.name, [this.inbound[0].name], this.name, { ...this.attrs(), countIncludePad: false });
  }
}

export interface GlobalPooling2DOptions extends LayerOptions {
  /** Keep H and W as 1: [batch, 1, 1, c] instead of [batch, c]. Default false. */
  keepDims?: boolean;
}

abstract class GlobalPooling2D extends Layer {
  readonly keepDims: boolean;

  protected constructor(className: string, options: GlobalPooling2DOptions) {
    super(className, options, ['keepDims']);
    this.keepDims = booleanOption(this.label, 'keepDims', options.keepDims, false);
  }

  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    const [, , c] = this.expectImage(x);
    return this.keepDims ? [x[0], 1, 1, c] : [x[0], c];
  }

  /** Every output sees the whole input. */
  protected override computeReceptiveField(inputs: readonly SymbolicTensor[]): LayerReceptiveField {
    return inputs[0].receptiveField.kind === 'none' ? { kind: 'none' } : { kind: 'global' };
  }
}

/** Mean over H and W: [batch, h, w, c] -> [batch, c]. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  constructor(options: GlobalPooling2DOptions = {}) {
    super('GlobalAveragePooling2D', options);
  }

  emit(g: GraphWriter): void {
    g.node('globalAvgPool2d', this.name, [this.inbound[0].name], this.name, { keepDims: this.keepDims });
  }
}

/** Max over H and W: [batch, h, w, c] -> [batch, c]. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  constructor(options: GlobalPooling2DOptions = {}) {
    super('GlobalMaxPooling2D', options);
  }

  emit(g: GraphWriter): void {
    g.node('globalMaxPool2d', this.name, [this.inbound[0].name], this.name, { keepDims: this.keepDims });
  }
}
