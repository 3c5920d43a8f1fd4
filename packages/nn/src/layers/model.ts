// Model (functional) and Sequential: collect the layers between inputs and outputs, seed their
// weights, build the IR graph, summarise, and run through GraphModel.
import { backend, Tensor } from '@wcnn/tensor';
import type { Graph, Node } from '../graph/ir.js';
import { GraphModel } from '../graph/model.js';
import { checkOptions, fail } from '../validate.js';
import { layerSeed } from './init.js';
import { Input } from './input.js';
import { Layer, NameScope, type GraphWriter, type SymbolicInput } from './layer.js';
import { formatSummary, summarize, type ModelSummary, type SummaryOptions } from './summary.js';
import { SymbolicTensor } from './symbolic.js';

export interface ModelOptions {
  /** Input layers (or their outputs), in the order predict() takes arrays. */
  inputs: SymbolicInput | readonly SymbolicInput[];
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  /** Default 'functional' (Keras). */
  name?: string;
  /** Seeds the He-normal kernels: layer i gets layerSeed(seed, i). Default 0. */
  seed?: number;
}

/** Inputs for predict(): one tensor (one-input models), tensors in input order, or tensors by input name. */
export type PredictInputs = Tensor | readonly Tensor[] | Record<string, Tensor>;

export interface ParamTotals {
  total: number;
  trainable: number;
  nonTrainable: number;
}

/**
 * A model over symbolic tensors, as Keras' functional API:
 *
 *     const x = new Input({ shape: [32, 32, 3] });
 *     const y = new Dense(10, { activation: 'softmax' }).apply(new Flatten().apply(new Conv2D(8, 3).apply(x)));
 *     const model = new Model({ inputs: x, outputs: y, seed: 1 });
 *
 * Layers are those between the inputs and the outputs, in the order they were applied.
 */
export class Model {
  readonly name: string;
  readonly seed: number;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** @internal Every layer, Inputs included, in topological (application) order; index i seeds layer i. */
  readonly _allLayers: readonly Layer[];
  private _graph: Graph | undefined;
  private runner: { model: GraphModel; version: number; generation: number } | undefined;

  constructor(options: ModelOptions) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      fail('Model', `options { inputs, outputs, name?, seed? } are required, got ${JSON.stringify(options)}`);
    }
    checkOptions('Model', options, ['inputs', 'outputs', 'name', 'seed']);
    const name = options.name ?? 'functional';
    if (typeof name !== 'string' || name.length === 0) fail('Model', `name must be a non-empty string, got ${JSON.stringify(name)}`);
    this.name = name;
    const label = this.label;
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) fail(label, `seed must be an integer, got ${JSON.stringify(options.seed)}`);
    this.seed = seed;

    this.inputs = listOf(options.inputs).map((x, i) => {
      const t = x instanceof Input ? x.output : x;
      if (!(t instanceof SymbolicTensor) || !(t.layer instanceof Input)) {
        const got = t instanceof SymbolicTensor ? `the output of ${t.layer.label}` : x instanceof Layer ? x.label : typeof x;
        fail(label, `inputs[${i}] must be an Input (or its output), got ${got}`);
      }
      return t;
    });
    this.outputs = listOf<unknown>(options.outputs).map((t, i) => {
      if (!(t instanceof SymbolicTensor)) {
        fail(label, `outputs[${i}] must be a SymbolicTensor (a layer's apply() result), got ${t instanceof Layer ? `${t.label} (a layer; pass its output)` : t === null ? 'null' : typeof t}`);
      }
      return t;
    });
    if (this.inputs.length === 0) fail(label, 'needs at least one input');
    if (this.outputs.length === 0) fail(label, 'needs at least one output');
    const repeated = (ts: readonly SymbolicTensor[]) => ts.find((t, i) => ts.indexOf(t) !== i);
    const dupIn = repeated(this.inputs);
    if (dupIn) fail(label, `input '${dupIn.name}' is listed twice`);
    const dupOut = repeated(this.outputs);
    if (dupOut) fail(label, `output '${dupOut.name}' is listed twice`);

    // Walk back from the outputs: every Input reached must be one of the model's inputs.
    const seen = new Set<Layer>();
    const stack = this.outputs.map((t) => t.layer);
    while (stack.length > 0) {
      const layer = stack.pop()!;
      if (seen.has(layer)) continue;
      seen.add(layer);
      if (layer instanceof Input && !this.inputs.includes(layer.output)) {
        fail(label, `the outputs depend on Input '${layer.name}', which is not in inputs (${this.inputs.map((t) => `'${t.name}'`).join(', ')})`);
      }
      stack.push(...layer.inbound.map((t) => t.layer));
    }
    const unused = this.inputs.find((t) => !seen.has(t.layer));
    if (unused) fail(label, `input '${unused.name}' is not connected to any output`);

    const layers = [...seen].sort((a, b) => a._seq - b._seq);
    // One name space for the whole model (inputs of separate branches may not have met yet).
    NameScope.merge(layers.map((l) => l._scope!));
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.name)) fail(label, `layer name '${l.name}' is used twice; layer names must be unique`);
      names.add(l.name);
      l._frozen = true;
    }
    layers.forEach((l, i) => l._assignSeed(layerSeed(seed, i)));
    this._allLayers = layers;
  }

  /** "Model 'vgg16'" (errors). */
  get label(): string {
    return `Model '${this.name}'`;
  }

  /** The layers in order (as Keras: Input layers included for functional models, not for Sequential). */
  get layers(): readonly Layer[] {
    return this._allLayers;
  }

  getLayer(name: string): Layer {
    const l = this._allLayers.find((x) => x.name === name);
    if (!l) fail(this.label, `no layer named '${name}'`);
    return l;
  }

  /** Parameter counts (from shapes; no weights are created). */
  countParams(): ParamTotals {
    let trainable = 0;
    let nonTrainable = 0;
    for (const l of this._allLayers) {
      const c = l.countParams();
      trainable += c.trainable;
      nonTrainable += c.nonTrainable;
    }
    return { total: trainable + nonTrainable, trainable, nonTrainable };
  }

  /**
   * The IR graph: inputs named after the Input layers, outputs after the output layers, weights as
   * constants `<layer>/<weight>` in Keras layouts. Built (and the weights initialised) on first use;
   * the constants share memory with the layers, so setWeights() shows through.
   */
  get graph(): Graph {
    if (!this._graph) {
      const graph: Graph = {
        name: this.name,
        inputs: this.inputs.map((t) => ({ name: t.name, shape: [...t.shape] })),
        outputs: this.outputs.map((t) => t.name),
        nodes: [],
        constants: new Map(),
      };
      const writer: GraphWriter = {
        node: (op, name, inputs, output, attrs) => {
          graph.nodes.push({ name, op, inputs, outputs: [output], attrs } as Node);
        },
        constant: (name, c) => {
          if (graph.constants.has(name)) fail(this.label, `constant '${name}' is written twice`);
          graph.constants.set(name, c);
          return name;
        },
      };
      for (const l of this._allLayers) l.emit(writer);
      this._graph = graph;
    }
    return this._graph;
  }

  /** Structured summary: per layer its type, output shape, parameters and receptive field (for --json). */
  summaryData(): ModelSummary {
    return summarize(this, !(this instanceof Sequential));
  }

  /** Prints a Keras-like table (one call of `print` per line; default console.log). */
  summary(options: SummaryOptions = {}): void {
    checkOptions(`${this.label}: summary`, options, ['print']);
    const print = options.print ?? ((line: string) => console.log(line));
    if (typeof print !== 'function') fail(`${this.label}: summary`, `print must be a function, got ${typeof print}`);
    formatSummary(this.summaryData()).forEach((line) => print(line));
  }

  /**
   * Runs the model on a batch (NHWC images). Returns the output; for several outputs use
   * predictAll(). Dispose the result when done.
   */
  predict(x: PredictInputs): Tensor {
    if (this.outputs.length !== 1) {
      fail(this.label, `has ${this.outputs.length} outputs (${this.outputs.map((t) => `'${t.name}'`).join(', ')}); use predictAll() to get them by name`);
    }
    return this.predictAll(x)[this.outputs[0].name];
  }

  /** Runs the model and returns every output by name (inputs checked against the Input layers). */
  predictAll(x: PredictInputs): Record<string, Tensor> {
    return this.graphModel().predict(x, this.label);
  }

  /** Frees the compiled plans (packed weights, buffers); the model can run again afterwards. */
  dispose(): void {
    this.dropRunner();
  }

  /** The compiled model, rebuilt when weights changed or the backend restarted. */
  private graphModel(): GraphModel {
    const version = this._allLayers.reduce((s, l) => s + l._version, 0);
    const generation = backend().generation;
    const r = this.runner;
    if (r && r.version === version && r.generation === generation) return r.model;
    this.dropRunner();
    const model = new GraphModel(this.graph);
    this.runner = { model, version, generation };
    return model;
  }

  private dropRunner(): void {
    const r = this.runner;
    this.runner = undefined;
    if (!r) return;
    try {
      r.model.dispose();
    } catch {
      // Plans of a backend that was shut down are gone already.
    }
  }
}

export interface SequentialOptions {
  /** Default 'sequential'. */
  name?: string;
  /** As Model: layer i gets layerSeed(seed, i), with the input layer at 0. */
  seed?: number;
}

/**
 * A stack of layers, each applied to the previous one's output:
 * `new Sequential([new Input({ shape: [28, 28, 1] }), new Conv2D(8, 3), new Flatten(), new Dense(10)])`.
 * The first layer is an Input, or any layer given `inputShape` in its options.
 */
export class Sequential extends Model {
  constructor(layers: readonly Layer[], options: SequentialOptions = {}) {
    checkOptions('Sequential', options, ['name', 'seed']);
    const name = options.name ?? 'sequential';
    const label = `Sequential '${name}'`;
    if (!Array.isArray(layers) || layers.length === 0) fail(label, `expects a non-empty array of layers, got ${Array.isArray(layers) ? 'an empty array' : typeof layers}`);
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) fail(label, `layers[${i}] must be a layer, got ${l === null ? 'null' : typeof l}`);
      if (i > 0 && l instanceof Input) fail(label, `layers[${i}] is an Input; only the first layer may be one`);
    });
    const first = layers[0];
    let input: Input;
    let rest: readonly Layer[];
    if (first instanceof Input) {
      input = first;
      rest = layers.slice(1);
    } else {
      if (!first.inputShape) {
        fail(label, `the first layer (${first.label}) needs an input shape: start with new Input({ shape }) or give it inputShape in its options`);
      }
      input = new Input({ shape: first.inputShape });
      rest = layers;
    }
    let x: SymbolicTensor = input.output;
    for (const l of rest) x = l.apply(x);
    super({ inputs: input, outputs: x, name, seed: options.seed });
  }

  /** The layers given (the input layer is not listed, as in Keras). */
  override get layers(): readonly Layer[] {
    return this._allLayers.filter((l) => !(l instanceof Input));
  }
}

function listOf<T>(v: T | readonly T[]): readonly T[] {
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}
