// Batch normalization at inference: a per-channel scale and shift from the moving statistics.
import { batchNormParams } from '@wcnn/tensor';
import { Layer, type GraphWriter, type LayerOptions, type ParamCounts, type WeightSpec } from './layer.js';
import { channelAxis } from './options.js';
import { formatSymbolicShape, type SymbolicShape } from './symbolic.js';

export interface BatchNormalizationOptions extends LayerOptions {
  /** Channels axis: only the last (NHWC) is supported. Default -1. */
  axis?: number;
  /** Added to the variance. Default 1e-3 (Keras; PyTorch uses 1e-5). */
  epsilon?: number;
  /** Training only; accepted for Keras compatibility. Default 0.99. */
  momentum?: number;
}

/**
 * y = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta, per channel.
 * Weights [gamma, beta, moving_mean, moving_variance], each [c]; by default 1, 0, 0, 1.
 * Parameters 4c, of which 2c (the moving statistics) are not trainable, as Keras counts them.
 */
export class BatchNormalization extends Layer {
  readonly epsilon: number;
  readonly axis: number;
  private channels = 0;

  constructor(options: BatchNormalizationOptions = {}) {
    super('BatchNormalization', options, ['axis', 'epsilon', 'momentum']);
    this.axis = options.axis ?? -1;
    this.epsilon = options.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon >= 0) || !Number.isFinite(this.epsilon)) {
      this.fail(`epsilon must be a non-negative number, got ${JSON.stringify(options.epsilon)}`);
    }
    const momentum = options.momentum;
    if (momentum !== undefined && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) {
      this.fail(`momentum must be a number in [0, 1], got ${JSON.stringify(momentum)}`);
    }
  }

  protected computeOutputShape([x]: readonly SymbolicShape[]): Array<number | null> {
    if (x.length < 2) this.fail(`expects an input [batch, ..., channels], got ${formatSymbolicShape(x)}`);
    const axis = channelAxis(this.label, 'axis', this.axis, x.length);
    if (axis !== x.length - 1) this.fail(`only the last axis (channels, NHWC) is supported, got axis ${this.axis} of a rank-${x.length} input`);
    const c = x[axis];
    if (c === null) this.fail(`needs a known number of channels, got input shape ${formatSymbolicShape(x)}`);
    this.channels = c;
    return [...x];
  }

  override weightSpecs(): WeightSpec[] {
    this.requireBuilt('weightSpecs');
    const c = [this.channels];
    return [
      { name: 'gamma', shape: c, trainable: true, init: { kind: 'ones' } },
      { name: 'beta', shape: [...c], trainable: true, init: { kind: 'zeros' } },
      { name: 'moving_mean', shape: [...c], trainable: false, init: { kind: 'zeros' } },
      { name: 'moving_variance', shape: [...c], trainable: false, init: { kind: 'ones' } },
    ];
  }

  override countParams(): ParamCounts {
    this.requireBuilt('countParams');
    const { total, trainable } = batchNormParams(this.channels);
    return { trainable, nonTrainable: total - trainable };
  }

  protected override checkWeights(arrays: ReadonlyArray<Float32Array | readonly number[]>): void {
    const variance = arrays[3];
    for (let i = 0; i < variance.length; i++) {
      if (!(variance[i] + this.epsilon > 0)) {
        this.fail(`setWeights: moving_variance + epsilon must be positive, got ${variance[i]} + ${this.epsilon} at channel ${i}`);
      }
    }
  }

  emit(g: GraphWriter): void {
    g.node('batchNorm', this.name, [this.inbound[0].name, ...this.weightConstants(g)], this.name, { epsilon: this.epsilon });
  }
}
