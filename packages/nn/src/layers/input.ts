// The model input: a placeholder for one batch of examples, shape [batch (null), ...shape].
import { checkOptions, fail } from '../validate.js';
import { Layer, NameScope, type GraphWriter, type SymbolicInput } from './layer.js';
import type { SymbolicTensor } from './symbolic.js';

export interface InputOptions {
  /** One example, without the batch dimension: [h, w, c] for images (NHWC). null: any size. */
  shape: ReadonlyArray<number | null>;
  /** The graph input's name; default 'input_layer', 'input_layer_1', ... */
  name?: string;
}

/**
 * `new Input({ shape: [224, 224, 3] })`: pass it (or `.output`) to the first layers and to
 * `new Model({ inputs })`. Shown as InputLayer in summaries, as Keras does.
 */
export class Input extends Layer {
  readonly shape: ReadonlyArray<number | null>;

  constructor(options: InputOptions) {
    if (options === undefined || options === null || typeof options !== 'object' || Array.isArray(options)) {
      fail('Input', `options { shape, name? } are required, got ${JSON.stringify(options)}`);
    }
    checkOptions('Input', options, ['shape', 'name']);
    super('InputLayer', options.name === undefined ? undefined : { name: options.name }, []);
    const shape = options.shape;
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => d === null || (Number.isInteger(d) && d > 0))) {
      fail(this.label, `shape must be a non-empty array of positive integers or null, without the batch dimension (e.g. [224, 224, 3]), got ${JSON.stringify(shape)}`);
    }
    this.shape = Object.freeze([...shape]);
    new NameScope().register(this);
    // Images [h, w, c]: a unit of the input sees one pixel; anything else has no receptive field.
    this.setOutput([null, ...shape], shape.length === 3 ? { kind: 'window', size: [1, 1], jump: [1, 1] } : { kind: 'none' });
  }

  override apply(_inputs: SymbolicInput | readonly SymbolicInput[]): SymbolicTensor {
    this.fail('an Input is not applied to anything: pass the Input itself (or input.output) to the next layer');
  }

  protected computeOutputShape(): Array<number | null> {
    return [null, ...this.shape];
  }

  /** Inputs become graph inputs, not nodes. */
  emit(_g: GraphWriter): void {}
}

