// Conv2D and DepthwiseConv2D: Keras arguments and weight layouts, one conv2d graph node each.
import { conv2dParams, depthwiseConv2dParams } from '@wcnn/tensor';
import type { Conv2dAttrs, OpSpecs, OpType } from '../graph/ir.js';
import { fail, positivePair } from '../validate.js';
import { Layer, type GraphWriter, type LayerOptions, type ParamCounts, type WeightSpec } from './layer.js';
import {
  booleanOption,
  parseActivation,
  parsePadding,
  positiveInt,
  windowOutput,
  windowReceptiveField,
  type ActivationParts,
  type LayerActivation,
  type LayerPadding,
  type ResolvedPadding,
} from './options.js';
import { formatSymbolicShape, type LayerReceptiveField, type SymbolicShape, type SymbolicTensor } from './symbolic.js';

export interface Conv2DOptions extends LayerOptions {
  /** Default 1. */
  strides?: number | [number, number];
  /** 'valid' (default), 'same', 'full', 'circular', a number or [top, bottom, left, right]. */
  padding?: LayerPadding;
  /** Default 1. */
  dilationRate?: number | [number, number];
  /** Channels split into independent convolutions; must divide the input channels and filters. Default 1. */
  groups?: number;
  activation?: LayerActivation;
  /** Default true. */
  useBias?: boolean;
  /** What lies beyond the border: 'zeros' (default) or 'circular' (wrap around). */
  padMode?: 'zeros' | 'circular';
}

export interface DepthwiseConv2DOptions extends Omit<Conv2DOptions, 'groups'> {
  /** Output channels per input channel. Default 1. */
  depthMultiplier?: number;
}

const WINDOW_OPTIONS = ['strides', 'padding', 'dilationRate', 'activation', 'useBias', 'padMode'];
const CONV_PADDINGS = ['valid', 'same', 'full', 'circular'];

/** What Conv2D and DepthwiseConv2D share: the window, activation and bias. */
abstract class ConvBase extends Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: ResolvedPadding;
  readonly padMode: 'zeros' | 'circular';
  readonly useBias: boolean;
  readonly activation: ActivationParts;
  /** Input channels, known once applied. */
  protected inChannels = 0;

  protected constructor(className: string, kernelSize: unknown, options: Conv2DOptions | DepthwiseConv2DOptions, known: string[]) {
    super(className, options, known);
    const label = this.label;
    this.kernelSize = positivePair(label, 'kernelSize', kernelSize);
    this.strides = positivePair(label, 'strides', options.strides, [1, 1]);
    this.dilationRate = positivePair(label, 'dilationRate', options.dilationRate, [1, 1]);
    this.padding = parsePadding(label, options.padding, 'valid', CONV_PADDINGS);
    const padMode = options.padMode ?? (this.padding.circular ? 'circular' : 'zeros');
    if (padMode !== 'zeros' && padMode !== 'circular') fail(label, `padMode must be 'zeros' or 'circular', got ${JSON.stringify(padMode)}`);
    if (this.padding.circular && padMode !== 'circular') fail(label, `padding 'circular' contradicts padMode '${padMode}'`);
    this.padMode = padMode;
    this.useBias = booleanOption(label, 'useBias', options.useBias, true);
    this.activation = parseActivation(label, options.activation);
  }

  protected spatialOutput(shape: SymbolicShape): [number | null, number | null, number] {
    const [h, w, c] = this.expectImage(shape);
    const [oh, ow] = windowOutput(this.label, 'kernel', [h, w], this.kernelSize, this.strides, this.dilationRate, this.padding);
    return [oh, ow, c];
  }

  protected override computeReceptiveField(inputs: readonly SymbolicTensor[]): LayerReceptiveField {
    return windowReceptiveField(inputs[0].receptiveField, this.kernelSize, this.strides, this.dilationRate);
  }

  protected convAttrs(groups: number): Conv2dAttrs {
    const attrs: Conv2dAttrs = { strides: this.strides, dilations: this.dilationRate, padding: this.padding.ir, groups, padMode: this.padMode };
    if (this.activation.fused) attrs.activation = this.activation.fused;
    return attrs;
  }

  emit(g: GraphWriter): void {
    const consts = this.weightConstants(g);
    emitWithActivation(g, this, 'conv2d', [this.inbound[0].name, ...consts], this.convAttrs(this.groupsFor()), this.activation, 3);
  }

  protected abstract groupsFor(): number;
}

/**
 * Writes `op` under the layer's name, followed by a softmax node when the activation is softmax
 * (over `axis`): the layer's output value is always named after the layer.
 */
export function emitWithActivation<T extends OpType>(g: GraphWriter, layer: Layer, op: T, inputs: string[], attrs: OpSpecs[T], act: ActivationParts, axis: number): void {
  if (!act.softmax) {
    g.node(op, layer.name, inputs, layer.name, attrs);
    return;
  }
  const pre = `${layer.name}/preactivation`;
  g.node(op, layer.name, inputs, pre, attrs);
  g.node('softmax', `${layer.name}/softmax`, [pre], layer.name, { axis });
}

/**
 * 2-D convolution, `new Conv2D(64, [3, 3], { padding: 'same', activation: 'relu' })`.
 * Kernel [kh, kw, cin / groups, filters] (He-normal), bias [filters] (zeros).
 * Parameters: (kh * kw * cin / groups + 1) * filters, without the +1 when useBias is false.
 */
export class Conv2D extends ConvBase {
  readonly filters: number;
  readonly groups: number;

  constructor(filters: number, kernelSize: number | [number, number], options: Conv2DOptions = {}) {
    super('Conv2D', kernelSize, options, [...WINDOW_OPTIONS, 'groups']);
    this.filters = positiveInt(this.label, 'filters', filters);
    this.groups = options.groups === undefined ? 1 : positiveInt(this.label, 'groups', options.groups);
    if (this.filters % this.groups !== 0) this.fail(`groups ${this.groups} must divide the ${this.filters} filters`);
  }

  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    const [oh, ow, c] = this.spatialOutput(x);
    if (c % this.groups !== 0) this.fail(`groups ${this.groups} must divide the ${c} input channels (input shape ${formatSymbolicShape(x)})`);
    this.inChannels = c;
    return [x[0], oh, ow, this.filters];
  }

  override weightSpecs(): WeightSpec[] {
    this.requireBuilt('weightSpecs');
    const [kh, kw] = this.kernelSize;
    const cpg = this.inChannels / this.groups;
    const specs: WeightSpec[] = [{ name: 'kernel', shape: [kh, kw, cpg, this.filters], trainable: true, init: { kind: 'heNormal', fanIn: kh * kw * cpg } }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.filters], trainable: true, init: { kind: 'zeros' } });
    return specs;
  }

  override countParams(): ParamCounts {
    this.requireBuilt('countParams');
    return {
      trainable: conv2dParams({ kernel: this.kernelSize, inChannels: this.inChannels, filters: this.filters, groups: this.groups, useBias: this.useBias }),
      nonTrainable: 0,
    };
  }

  protected groupsFor(): number {
    return this.groups;
  }
}

/**
 * One filter per input channel (times depthMultiplier): `new DepthwiseConv2D([3, 3], { padding: 'same' })`.
 * Keras layout depthwise_kernel [kh, kw, cin, multiplier]; output channel c * multiplier + j reads
 * input channel c, so the graph sees the same data as a grouped conv kernel [kh, kw, 1, cin * multiplier].
 * Parameters: (kh * kw + 1) * cin * multiplier.
 */
export class DepthwiseConv2D extends ConvBase {
  readonly depthMultiplier: number;

  constructor(kernelSize: number | [number, number], options: DepthwiseConv2DOptions = {}) {
    super('DepthwiseConv2D', kernelSize, options, [...WINDOW_OPTIONS, 'depthMultiplier']);
    this.depthMultiplier = options.depthMultiplier === undefined ? 1 : positiveInt(this.label, 'depthMultiplier', options.depthMultiplier);
  }

  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    const [oh, ow, c] = this.spatialOutput(x);
    this.inChannels = c;
    return [x[0], oh, ow, c * this.depthMultiplier];
  }

  override weightSpecs(): WeightSpec[] {
    this.requireBuilt('weightSpecs');
    const [kh, kw] = this.kernelSize;
    const c = this.inChannels;
    const m = this.depthMultiplier;
    const specs: WeightSpec[] = [
      { name: 'depthwise_kernel', shape: [kh, kw, c, m], graphShape: [kh, kw, 1, c * m], trainable: true, init: { kind: 'heNormal', fanIn: kh * kw } },
    ];
    if (this.useBias) specs.push({ name: 'bias', shape: [c * m], trainable: true, init: { kind: 'zeros' } });
    return specs;
  }

  override countParams(): ParamCounts {
    this.requireBuilt('countParams');
    return { trainable: depthwiseConv2dParams(this.kernelSize, this.inChannels, this.depthMultiplier, this.useBias), nonTrainable: 0 };
  }

  protected groupsFor(): number {
    return this.inChannels;
  }
}
