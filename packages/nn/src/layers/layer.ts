// The Layer base class: naming, the functional `apply()`, weights (specs, seeded initialisation,
// get/set) and what every layer contributes to a model's graph.
import { sizeOf } from '@wcnn/tensor';
import type { Constant, OpSpecs, OpType } from '../graph/ir.js';
import { checkOptions, fail } from '../validate.js';
import { heNormal, layerSeed } from './init.js';
import { formatSymbolicShape, SymbolicTensor, type LayerReceptiveField, type SymbolicShape } from './symbolic.js';

/** Options every layer accepts. */
export interface LayerOptions {
  /** Unique within a model; may not contain '/'. Default: the snake-cased class name, numbered (conv2d, conv2d_1, ...). */
  name?: string;
  /** Shape of one example (no batch dimension), for the first layer of a Sequential model. */
  inputShape?: ReadonlyArray<number | null>;
}

export const LAYER_OPTIONS = ['name', 'inputShape'] as const;

/** What a layer can be applied to: a symbolic tensor, or an Input layer (its output). */
export type SymbolicInput = SymbolicTensor | Layer;

/** How a weight is initialised before a model seed or setWeights() gives it values. */
export type WeightInit = { kind: 'heNormal'; fanIn: number } | { kind: 'zeros' } | { kind: 'ones' };

export interface WeightSpec {
  /** 'kernel', 'bias', 'gamma', ... (the graph constant is `<layer name>/<name>`) */
  name: string;
  /** Keras layout: conv [kh, kw, cin/groups, cout], depthwise [kh, kw, cin, multiplier], dense [in, out]. */
  shape: number[];
  /** The graph constant's shape when the IR wants another view of the same data (depthwise). */
  graphShape?: number[];
  trainable: boolean;
  init: WeightInit;
}

/** A weight for setWeights(): values in the Keras layout, with their shape if known (an .npy array). */
export type WeightValues = Float32Array | readonly number[] | { data: Float32Array | readonly number[]; shape: readonly number[] };

/** Where layers write their nodes and constants when a model builds its graph. */
export interface GraphWriter {
  node<T extends OpType>(op: T, name: string, inputs: string[], output: string, attrs: OpSpecs[T]): void;
  /** Adds a constant `name` and returns its name. */
  constant(name: string, c: Constant): string;
}

export interface ParamCounts {
  trainable: number;
  nonTrainable: number;
}

/** Keras' to_snake_case: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, ReLU -> re_lu. */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

const showShape = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** Order in which layers were applied (Input: created): a topological order of every graph. */
let sequence = 0;

/**
 * Names of the layers that can end up in one model: the layers connected to the same Inputs.
 * Scopes merge when a layer joins tensors of two scopes (a second Input, say), so names are unique
 * per model rather than per process, and numbering starts afresh for every model (conv2d, conv2d_1).
 */
export class NameScope {
  private static count = 0;
  private readonly id = NameScope.count++;
  private parent: NameScope | undefined;
  private readonly layers: Layer[] = [];
  private readonly byName = new Map<string, Layer>();

  root(): NameScope {
    let s: NameScope = this;
    while (s.parent) s = s.parent;
    return s;
  }

  /** One scope holding the names of all given scopes. Clashing automatic names are renumbered. */
  static merge(scopes: readonly NameScope[]): NameScope {
    const roots = [...new Set(scopes.map((s) => s.root()))].sort((a, b) => a.id - b.id);
    const target = roots[0];
    for (const other of roots.slice(1)) {
      for (const layer of [...other.layers].sort((a, b) => a._seq - b._seq)) target.adopt(layer);
      other.layers.length = 0;
      other.byName.clear();
      other.parent = target;
    }
    return target;
  }

  /** A layer being applied: checks an explicit name, or picks the first free automatic one. */
  register(layer: Layer): void {
    const explicit = layer._explicitName;
    if (explicit !== undefined) {
      const holder = this.byName.get(explicit);
      if (holder) duplicate(layer, holder);
      layer._name = explicit;
    } else {
      layer._name = this.freeName(layer._base);
    }
    this.byName.set(layer._name, layer);
    this.layers.push(layer);
    layer._seq = sequence++;
    layer._scope = this;
  }

  /** Undoes register() when apply() fails, so the name can be used again. */
  unregister(layer: Layer): void {
    if (this.byName.get(layer.name) === layer) this.byName.delete(layer.name);
    const i = this.layers.indexOf(layer);
    if (i >= 0) this.layers.splice(i, 1);
    layer._name = undefined;
    layer._scope = undefined;
  }

  private adopt(layer: Layer): void {
    const holder = this.byName.get(layer.name);
    if (holder) {
      if (layer._explicitName !== undefined || holder._explicitName !== undefined) duplicate(layer, holder);
      // Two automatic names: renumber the later layer, unless a model has already fixed its name.
      const [keep, move] = (layer._seq > holder._seq && !layer._frozen) || holder._frozen ? [holder, layer] : [layer, holder];
      if (move._frozen) duplicate(layer, holder);
      this.byName.set(keep.name, keep);
      move._name = this.freeName(move._base);
      this.byName.set(move._name, move);
    } else {
      this.byName.set(layer.name, layer);
    }
    this.layers.push(layer);
  }

  private freeName(base: string): string {
    if (!this.byName.has(base)) return base;
    for (let i = 1; ; i++) if (!this.byName.has(`${base}_${i}`)) return `${base}_${i}`;
  }
}

function duplicate(layer: Layer, holder: Layer): never {
  fail(`${layer.className} '${layer.name}'`, `the name '${layer.name}' is already used by ${holder.className} '${holder.name}' in the same model; layer names must be unique`);
}

export abstract class Layer {
  /** Keras class name: 'Conv2D', 'InputLayer', ... */
  readonly className: string;
  /** From the options: the expected shape of one example (no batch dimension). */
  readonly inputShape: ReadonlyArray<number | null> | undefined;

  /** @internal */ readonly _explicitName: string | undefined;
  /** @internal */ readonly _base: string;
  /** @internal Assigned by the name scope when applied. */ _name: string | undefined;
  /** @internal */ _scope: NameScope | undefined;
  /** @internal */ _seq = -1;
  /** @internal Set once a model is built over this layer: its name no longer changes. */ _frozen = false;
  /** @internal Seed of the random weights, set by the first model that includes the layer. */ _initSeed: number | undefined;
  /** @internal Bumped by setWeights(), so models know their compiled graphs are stale. */ _version = 0;

  private _inbound: SymbolicTensor[] = [];
  private _output: SymbolicTensor | undefined;
  private _weights: Float32Array[] | undefined;

  /** [min, max] number of inputs of apply(). */
  protected readonly arity: readonly [number, number] = [1, 1];

  protected constructor(className: string, options: LayerOptions | undefined, known: readonly string[]) {
    this.className = className;
    this._base = snakeCase(className);
    const explicit = options?.name;
    checkOptions(explicit === undefined || typeof explicit !== 'string' ? className : `${className} '${explicit}'`, options, [...LAYER_OPTIONS, ...known]);
    if (explicit !== undefined) {
      if (typeof explicit !== 'string' || explicit.length === 0 || explicit.includes('/')) {
        fail(className, `name must be a non-empty string without '/', got ${JSON.stringify(explicit)}`);
      }
      this._explicitName = explicit;
    }
    const inputShape = options?.inputShape;
    if (inputShape !== undefined) {
      if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => d === null || (Number.isInteger(d) && d > 0))) {
        fail(this.label, `inputShape must be a non-empty array of positive integers or null (no batch dimension), got ${JSON.stringify(inputShape)}`);
      }
      this.inputShape = Object.freeze([...inputShape]);
    }
  }

  /** The layer's name: explicit, or assigned when applied (before that, the automatic base name). */
  get name(): string {
    return this._name ?? this._explicitName ?? this._base;
  }

  /** "Conv2D 'block1_conv1'": how errors name the layer. */
  get label(): string {
    return this._name !== undefined || this._explicitName !== undefined ? `${this.className} '${this.name}'` : this.className;
  }

  /** Applied (or an Input): shapes and weight shapes are known. */
  get built(): boolean {
    return this._output !== undefined;
  }

  /** The tensors this layer was applied to. */
  get inbound(): readonly SymbolicTensor[] {
    return this._inbound;
  }

  get output(): SymbolicTensor {
    if (!this._output) fail(this.label, 'has no output yet: apply it to a tensor first');
    return this._output;
  }

  /**
   * Applies the layer to symbolic tensors (functional API): checks the input shapes and returns the
   * output, whose shape is known (batch dimension null). A layer is applied once.
   */
  apply(inputs: SymbolicInput | readonly SymbolicInput[]): SymbolicTensor {
    if (this._output) {
      fail(this.label, `has already been applied (to ${this._inbound.map((t) => `'${t.name}'`).join(', ') || 'an input'}); layers are not shared: create another layer`);
    }
    const list: readonly SymbolicInput[] = Array.isArray(inputs) ? (inputs as readonly SymbolicInput[]) : [inputs as SymbolicInput];
    // Name the layer first (in the scope of its inputs), so that every error below can use the name.
    const valid = list.filter((x) => x instanceof SymbolicTensor || (x instanceof Layer && x.className === 'InputLayer'));
    const scope = valid.length > 0 ? NameScope.merge(valid.map((x) => (x instanceof Layer ? x.output : x).layer._scope!)) : new NameScope();
    scope.register(this);
    try {
      const tensors = list.map((x, i) => this.toSymbolic(x, Array.isArray(inputs) ? `inputs[${i}]` : 'input'));
      const [min, max] = this.arity;
      if (tensors.length < min || tensors.length > max) {
        const expected = min === max ? (min === 1 ? 'one input' : `${min} inputs`) : `a list of at least ${min} inputs`;
        fail(this.label, `expects ${expected}, got ${Array.isArray(inputs) ? `a list of ${tensors.length}` : 'one tensor'}`);
      }
      if (this.inputShape) this.checkDeclaredShape(tensors[0].shape);
      const shape = this.computeOutputShape(tensors.map((t) => t.shape));
      const rf = this.computeReceptiveField(tensors);
      this._inbound = tensors;
      this._output = new SymbolicTensor(this, shape, rf);
      return this._output;
    } catch (e) {
      scope.unregister(this);
      throw e;
    }
  }

  /** @internal For Input, which is built when constructed. */
  protected setOutput(shape: SymbolicShape, rf: LayerReceptiveField): SymbolicTensor {
    this._output = new SymbolicTensor(this, shape, rf);
    return this._output;
  }

  /** Validates the input shapes (throw with this.fail) and returns the output shape. */
  protected abstract computeOutputShape(inputs: readonly SymbolicShape[]): Array<number | null>;

  /** Default: the receptive field passes through (elementwise layers). */
  protected computeReceptiveField(inputs: readonly SymbolicTensor[]): LayerReceptiveField {
    return inputs[0].receptiveField;
  }

  /** @internal Writes the layer's nodes; the output value must be named `this.name`. */
  abstract emit(g: GraphWriter): void;

  /** The layer's weights and their shapes (known once applied). */
  weightSpecs(): WeightSpec[] {
    return [];
  }

  /** Parameters: trainable (kernels, biases, gamma, beta) and not (moving statistics). */
  countParams(): ParamCounts {
    this.requireBuilt('countParams');
    let trainable = 0;
    let nonTrainable = 0;
    for (const s of this.weightSpecs()) {
      if (s.trainable) trainable += sizeOf(s.shape);
      else nonTrainable += sizeOf(s.shape);
    }
    return { trainable, nonTrainable };
  }

  /** Copies of the weights, in the order and Keras layouts of weightSpecs(). */
  getWeights(): Float32Array[] {
    this.requireBuilt('getWeights');
    return this.weights().map((w) => w.slice());
  }

  /**
   * Replaces the weights (Keras layouts, in weightSpecs() order, e.g. [kernel, bias]). Arrays with a
   * shape (from an .npy file) must match it exactly; plain arrays must have the right length.
   */
  setWeights(values: readonly WeightValues[]): void {
    this.requireBuilt('setWeights');
    const specs = this.weightSpecs();
    const expected = specs.map((s) => `${s.name} ${showShape(s.shape)}`).join(', ');
    if (!Array.isArray(values) || values.length !== specs.length) {
      fail(this.label, `setWeights expects ${specs.length} array${specs.length === 1 ? '' : 's'} (${expected || 'none'}), got ${Array.isArray(values) ? values.length : JSON.stringify(values)}`);
    }
    const arrays = specs.map((spec, i) => {
      const v = values[i] as WeightValues;
      const size = sizeOf(spec.shape);
      let data: Float32Array | readonly number[];
      if (v instanceof Float32Array || Array.isArray(v)) {
        data = v as Float32Array | readonly number[];
      } else if (v && typeof v === 'object' && 'data' in v && 'shape' in v) {
        const shape = Array.from(v.shape);
        if (shape.length !== spec.shape.length || shape.some((d, j) => d !== spec.shape[j])) {
          fail(this.label, `setWeights: ${spec.name} must have shape ${showShape(spec.shape)}, got ${showShape(shape)}`);
        }
        data = v.data;
      } else {
        fail(this.label, `setWeights: ${spec.name} must be a Float32Array, an array of numbers or { data, shape }, got ${v === null ? 'null' : typeof v}`);
      }
      if (!data || data.length !== size) {
        fail(this.label, `setWeights: ${spec.name} must have shape ${showShape(spec.shape)} (${size} values), got ${data?.length ?? 0} values`);
      }
      return data;
    });
    this.checkWeights(arrays);
    if (this._weights) arrays.forEach((a, i) => this._weights![i].set(a));
    else this._weights = arrays.map((a) => Float32Array.from(a));
    this._version += 1;
  }

  /** Extra checks of new weights (batch norm: variances). */
  protected checkWeights(_arrays: ReadonlyArray<Float32Array | readonly number[]>): void {}

  /**
   * The weights, created on first use: He-normal kernels from the seed a model gave the layer,
   * zero biases, batch norm gamma 1, beta 0, mean 0, variance 1.
   */
  protected weights(): Float32Array[] {
    if (!this._weights) this._weights = this.weightSpecs().map((_, i) => this.initialWeight(i));
    return this._weights;
  }

  /** Weight i as initialised (not kept): the same values weights() creates, written into `into` if given. */
  private initialWeight(i: number, into?: Float32Array): Float32Array {
    const specs = this.weightSpecs();
    const s = specs[i];
    const size = sizeOf(s.shape);
    if (s.init.kind === 'zeros') return into ? into.fill(0) : new Float32Array(size);
    if (s.init.kind === 'ones') return (into ?? new Float32Array(size)).fill(1);
    const seed = this._initSeed;
    if (seed === undefined) {
      fail(this.label, 'has no weights yet: they are initialised from the model seed when a Model includes the layer (or call setWeights())');
    }
    // The first random weight uses the layer seed itself; further ones (none so far) derived ones.
    const randomIndex = specs.slice(0, i).filter((p) => p.init.kind === 'heNormal').length;
    return heNormal(size, s.init.fanIn, randomIndex === 0 ? seed : layerSeed(seed, randomIndex), into);
  }

  /**
   * @internal Writes the weights as graph constants `<name>/<weight>` and returns their names. The
   * constants read the layer's weights (created on first read, then shared, so setWeights() shows
   * through); `take()` gives them without creating the layer's copy when it has none yet.
   */
  protected weightConstants(g: GraphWriter): string[] {
    if (this._initSeed === undefined) this.weights(); // fails now, as before, if there is no seed
    return this.weightSpecs().map((s, i) => {
      const layer = this;
      return g.constant(`${this.name}/${s.name}`, {
        shape: [...(s.graphShape ?? s.shape)],
        get data() {
          return layer.weights()[i];
        },
        take: (into?: Float32Array) => {
          const kept = layer._weights?.[i];
          if (!kept) return layer.initialWeight(i, into);
          into?.set(kept);
          return into ?? kept;
        },
      });
    });
  }

  /** @internal The first model over this layer seeds its random weights. */
  _assignSeed(seed: number): void {
    if (this._initSeed === undefined && this._weights === undefined) this._initSeed = seed;
  }

  protected fail(message: string): never {
    fail(this.label, message);
  }

  protected requireBuilt(method: string): void {
    if (!this._output) fail(this.label, `${method}() needs the layer's input shape: apply it to a tensor (or put it in a model) first`);
  }

  /** A 4-D input [batch, h, w, c] with a known number of channels. */
  protected expectImage(shape: SymbolicShape): [number | null, number | null, number] {
    if (shape.length !== 4) this.fail(`expects a 4-D input [batch, h, w, c], got ${formatSymbolicShape(shape)}`);
    const c = shape[3];
    if (c === null) this.fail(`needs a known number of channels, got input shape ${formatSymbolicShape(shape)}`);
    return [shape[1], shape[2], c];
  }

  private checkDeclaredShape(actual: SymbolicShape): void {
    const declared = this.inputShape!;
    const rest = actual.slice(1);
    if (rest.length !== declared.length || declared.some((d, i) => d !== null && rest[i] !== null && d !== rest[i])) {
      this.fail(`inputShape ${formatSymbolicShape(declared)} does not match its input ${formatSymbolicShape(actual)} (inputShape excludes the batch dimension)`);
    }
  }

  private toSymbolic(x: unknown, arg: string): SymbolicTensor {
    if (x instanceof SymbolicTensor) return x;
    if (x instanceof Layer && x.className === 'InputLayer') return x.output;
    const got = x instanceof Layer ? `${x.label} (a layer; pass its output)` : x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
    this.fail(`${arg} must be a SymbolicTensor (from Input or another layer's apply()), got ${got}`);
  }
}
