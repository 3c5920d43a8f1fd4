// Dense, Flatten, activations, Dropout and ZeroPadding2D.
import { denseParams } from '@wcnn/tensor';
import { fail, finiteNumber } from '../validate.js';
import { emitWithActivation } from './conv.js';
import { Layer, type GraphWriter, type LayerOptions, type ParamCounts, type WeightSpec } from './layer.js';
import { booleanOption, channelAxis, parseActivation, positiveInt, type ActivationParts, type LayerActivation } from './options.js';
import { formatSymbolicShape, type LayerReceptiveField, type SymbolicShape, type SymbolicTensor } from './symbolic.js';

export interface DenseLayerOptions extends LayerOptions {
  activation?: LayerActivation;
  /** Default true. */
  useBias?: boolean;
}

/**
 * Fully connected: `new Dense(4096, { activation: 'relu' })`. On [batch, features] inputs, or on
 * the last axis of higher-rank ones. Kernel [in, units] (He-normal), bias [units] (zeros).
 * Parameters: (in + 1) * units.
 */
export class Dense extends Layer {
  readonly units: number;
  readonly useBias: boolean;
  readonly activation: ActivationParts;
  private inFeatures = 0;

  constructor(units: number, options: DenseLayerOptions = {}) {
    super('Dense', options, ['activation', 'useBias']);
    this.units = positiveInt(this.label, 'units', units);
    this.useBias = booleanOption(this.label, 'useBias', options.useBias, true);
    this.activation = parseActivation(this.label, options.activation);
  }

  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    const features = x[x.length - 1];
    if (x.length < 2 || features === null) {
      this.fail(`expects an input [batch, ..., features] with a known number of features, got ${formatSymbolicShape(x)}`);
    }
    this.inFeatures = features;
    return [...x.slice(0, -1), this.units];
  }

  /** On images Dense mixes channels per pixel (a 1x1 conv); on vectors it sees everything. */
  protected override computeReceptiveField([x]: readonly SymbolicTensor[]): LayerReceptiveField {
    if (x.rank > 2 || x.receptiveField.kind === 'none') return x.receptiveField;
    return { kind: 'global' };
  }

  override weightSpecs(): WeightSpec[] {
    this.requireBuilt('weightSpecs');
    const specs: WeightSpec[] = [{ name: 'kernel', shape: [this.inFeatures, this.units], trainable: true, init: { kind: 'heNormal', fanIn: this.inFeatures } }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.units], trainable: true, init: { kind: 'zeros' } });
    return specs;
  }

  override countParams(): ParamCounts {
    this.requireBuilt('countParams');
    return { trainable: denseParams(this.inFeatures, this.units, this.useBias), nonTrainable: 0 };
  }

  emit(g: GraphWriter): void {
    const attrs = this.activation.fused ? { activation: this.activation.fused } : {};
    emitWithActivation(g, this, 'dense', [this.inbound[0].name, ...this.weightConstants(g)], attrs, this.activation, this.output.rank - 1);
  }
}

/** [batch, h, w, c] -> [batch, h * w * c], in memory order (h, w, c), as Keras flattens NHWC. */
export class Flatten extends Layer {
  constructor(options: LayerOptions = {}) {
    super('Flatten', options, []);
  }

  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    const rest = x.slice(1);
    if (rest.length === 0 || rest.some((d) => d === null)) {
      this.fail(`needs every dimension but the batch to be known, got ${formatSymbolicShape(x)}`);
    }
    return [x[0], (rest as number[]).reduce((a, b) => a * b, 1)];
  }

  protected override computeReceptiveField([x]: readonly SymbolicTensor[]): LayerReceptiveField {
    return x.receptiveField.kind === 'none' ? x.receptiveField : { kind: 'global' };
  }

  emit(g: GraphWriter): void {
    g.node('flatten', this.name, [this.inbound[0].name], this.name, {});
  }
}

/** Shape-preserving layers: activations, dropout. */
abstract class Elementwise extends Layer {
  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    return [...x];
  }
}

/** `new Activation('relu')`: 'linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax' (last axis), 'leaky_relu', ... */
export class Activation extends Elementwise {
  readonly activation: ActivationParts;

  constructor(activation: LayerActivation, options: LayerOptions = {}) {
    super('Activation', options, []);
    if (activation === undefined) this.fail(`needs an activation, e.g. new Activation('relu')`);
    this.activation = parseActivation(this.label, activation);
  }

  emit(g: GraphWriter): void {
    const x = [this.inbound[0].name];
    const { fused, softmax } = this.activation;
    if (softmax) return g.node('softmax', this.name, x, this.name, { axis: this.output.rank - 1 });
    if (fused === undefined || fused === 'linear') return g.node('identity', this.name, x, this.name, {});
    if (fused === 'leakyRelu') return g.node('leakyRelu', this.name, x, this.name, { alpha: 0.2 });
    if (typeof fused === 'string') return g.node(fused, this.name, x, this.name, {});
    if (fused.type === 'leakyRelu') return g.node('leakyRelu', this.name, x, this.name, { alpha: fused.alpha ?? 0.2 });
    g.node('clip', this.name, x, this.name, { min: fused.min, max: fused.max });
  }
}

export interface ReLUOptions extends LayerOptions {
  /** Upper bound (6: ReLU6). Default none. */
  maxValue?: number;
  /** Slope below zero (leaky ReLU). Default 0. */
  negativeSlope?: number;
  /** Only 0 is supported. */
  threshold?: number;
}

/** max(x, 0), capped at maxValue (`new ReLU({ maxValue: 6 })` is ReLU6), leaky with negativeSlope. */
export class ReLU extends Elementwise {
  readonly maxValue: number | undefined;
  readonly negativeSlope: number;

  constructor(options: ReLUOptions = {}) {
    super('ReLU', options, ['maxValue', 'negativeSlope', 'threshold']);
    if (options.maxValue !== undefined) {
      const m = finiteNumber(this.label, 'maxValue', options.maxValue, 0);
      if (!(m >= 0)) this.fail(`maxValue must be a non-negative number, got ${JSON.stringify(options.maxValue)}`);
      this.maxValue = m;
    }
    this.negativeSlope = finiteNumber(this.label, 'negativeSlope', options.negativeSlope, 0);
    if (!(this.negativeSlope >= 0)) this.fail(`negativeSlope must be a non-negative number, got ${JSON.stringify(options.negativeSlope)}`);
    const threshold = finiteNumber(this.label, 'threshold', options.threshold, 0);
    if (threshold !== 0) this.fail(`threshold other than 0 is not supported, got ${threshold}`);
  }

  emit(g: GraphWriter): void {
    const x = this.inbound[0].name;
    const max = this.maxValue;
    if (this.negativeSlope === 0) {
      if (max === undefined) g.node('relu', this.name, [x], this.name, {});
      else if (max === 6) g.node('relu6', this.name, [x], this.name, {});
      else g.node('clip', this.name, [x], this.name, { min: 0, max });
      return;
    }
    if (max === undefined) {
      g.node('leakyRelu', this.name, [x], this.name, { alpha: this.negativeSlope });
      return;
    }
    const leaky = `${this.name}/leaky`;
    g.node('leakyRelu', leaky, [x], leaky, { alpha: this.negativeSlope });
    g.node('clip', `${this.name}/clip`, [leaky], this.name, { min: -Infinity, max });
  }
}

export interface SoftmaxOptions extends LayerOptions {
  /** Default -1 (the last axis). */
  axis?: number;
}

/** Softmax over one axis (default the last). */
export class Softmax extends Elementwise {
  readonly axis: number;
  private resolvedAxis = -1;

  constructor(options: SoftmaxOptions = {}) {
    super('Softmax', options, ['axis']);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) this.fail(`axis must be an integer, got ${JSON.stringify(options.axis)}`);
  }

  protected override computeOutputShape(inputs: readonly SymbolicShape[]): Array<number | null> {
    this.resolvedAxis = channelAxis(this.label, 'axis', this.axis, inputs[0].length);
    return [...inputs[0]];
  }

  emit(g: GraphWriter): void {
    g.node('softmax', this.name, [this.inbound[0].name], this.name, { axis: this.resolvedAxis });
  }
}

/** Randomly zeroes inputs while training; at inference (all wcnn does) it is the identity. */
export class Dropout extends Elementwise {
  readonly rate: number;

  constructor(rate: number, options: LayerOptions = {}) {
    super('Dropout', options, []);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) fail(this.label, `rate must be a number in [0, 1), got ${JSON.stringify(rate)}`);
    this.rate = rate;
  }

  emit(g: GraphWriter): void {
    g.node('identity', this.name, [this.inbound[0].name], this.name, {});
  }
}

/** Padding of ZeroPadding2D: all sides, [h, w] (top = bottom, left = right), or [[top, bottom], [left, right]]. */
export type ZeroPadding = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

/** Pads H and W with zeros: `new ZeroPadding2D(3)`, `new ZeroPadding2D([[0, 1], [0, 1]])`. */
export class ZeroPadding2D extends Layer {
  /** [top, bottom, left, right] */
  readonly pads: [number, number, number, number];

  constructor(padding: ZeroPadding = 1, options: LayerOptions = {}) {
    super('ZeroPadding2D', options, []);
    const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
    const p = padding as unknown;
    if (ok(p)) this.pads = [p, p, p, p];
    else if (Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1])) this.pads = [p[0], p[0], p[1], p[1]];
    else if (Array.isArray(p) && p.length === 2 && p.every((q) => Array.isArray(q) && q.length === 2 && ok(q[0]) && ok(q[1]))) {
      this.pads = [p[0][0], p[0][1], p[1][0], p[1][1]];
    } else {
      this.fail(`padding must be a non-negative integer, [h, w] or [[top, bottom], [left, right]], got ${JSON.stringify(padding)}`);
    }
  }

  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    const [h, w, c] = this.expectImage(x);
    const [t, b, l, r] = this.pads;
    return [x[0], h === null ? null : h + t + b, w === null ? null : w + l + r, c];
  }

  emit(g: GraphWriter): void {
    const [t, b, l, r] = this.pads;
    // ONNX order: the begins of every axis (N, H, W, C), then the ends.
    g.node('pad', this.name, [this.inbound[0].name], this.name, { pads: [0, t, l, 0, 0, b, r, 0], mode: 'constant', value: 0 });
  }
}
