// A runnable graph: compiles a plan per input shape on first use and keeps it.
import { formatShape, Tensor } from '@wcnn/tensor';
import { fail } from '../validate.js';
import { compile, inferShapes, resolveInputShapes, type Plan } from './compile.js';
import type { Graph } from './ir.js';

/** Plans kept per model: one per distinct input shape (batch sizes, say), oldest dropped first. */
const MAX_PLANS = 4;

export type ModelInputs = Tensor | readonly Tensor[] | Record<string, Tensor>;

export class GraphModel {
  private plans = new Map<string, Plan>();
  private disposed = false;

  constructor(readonly graph: Graph) {}

  get inputNames(): string[] {
    return this.graph.inputs.map((i) => i.name);
  }

  get outputNames(): string[] {
    return [...this.graph.outputs];
  }

  /** Inputs by name, from a tensor (one-input models), an array in input order, or a record. */
  private named(op: string, inputs: ModelInputs): Record<string, Tensor> {
    const names = this.inputNames;
    let record: Record<string, Tensor>;
    if (inputs instanceof Tensor) {
      if (names.length !== 1) fail(op, `the model has ${names.length} inputs (${names.join(', ')}); pass them by name`);
      record = { [names[0]]: inputs };
    } else if (Array.isArray(inputs)) {
      if (inputs.length !== names.length) fail(op, `the model has ${names.length} input${names.length === 1 ? '' : 's'} (${names.join(', ')}), got ${inputs.length} tensors`);
      record = Object.fromEntries(names.map((n, i) => [n, inputs[i]]));
    } else if (inputs && typeof inputs === 'object') {
      record = inputs as Record<string, Tensor>;
      for (const k of Object.keys(record)) if (!names.includes(k)) fail(op, `unknown input '${k}' (model inputs: ${names.join(', ')})`);
    } else {
      fail(op, `expects a Tensor, an array of tensors or a record of tensors by input name, got ${String(inputs)}`);
    }
    for (const spec of this.graph.inputs) {
      const t = record[spec.name];
      if (!(t instanceof Tensor)) fail(op, `missing input '${spec.name}'`);
      if (t.isDisposed) fail(op, `input '${spec.name}' has been disposed`);
      const ok = t.rank === spec.shape.length && spec.shape.every((d, i) => d === null || d === t.shape[i]);
      if (!ok) fail(op, `input '${spec.name}' has shape ${formatShape(t.shape)} but the model expects ${formatShape(spec.shape)}`);
    }
    return record;
  }

  /** The plan for these input shapes (compiled once, then cached). */
  plan(inputShapes: Record<string, readonly number[]> = {}): Plan {
    if (this.disposed) fail('predict', 'the model has been disposed');
    const key = JSON.stringify(this.inputNames.map((n) => inputShapes[n] ?? null));
    let plan = this.plans.get(key);
    if (plan) {
      this.plans.delete(key);
      this.plans.set(key, plan);
      return plan;
    }
    plan = compile(this.graph, { inputShapes });
    this.plans.set(key, plan);
    if (this.plans.size > MAX_PLANS) {
      const [oldest, old] = this.plans.entries().next().value as [string, Plan];
      old.dispose();
      this.plans.delete(oldest);
    }
    return plan;
  }

  /** Runs the model; returns every output by name (dispose them when done). `op` prefixes errors. */
  predict(inputs: ModelInputs, op = 'predict'): Record<string, Tensor> {
    const record = this.named(op, inputs);
    const shapes = Object.fromEntries(Object.entries(record).map(([k, t]) => [k, t.shape]));
    return this.plan(shapes).run(record);
  }

  /** Shapes of every value for the given input shapes (no memory is touched). */
  shapes(inputShapes: Record<string, readonly number[]> = {}): Map<string, number[]> {
    return inferShapes(this.graph, resolveInputShapes(this.graph, inputShapes));
  }

  /** Frees the compiled plans (packed weights, activation arenas). */
  dispose(): void {
    this.plans.forEach((p) => p.dispose());
    this.plans.clear();
    this.disposed = true;
  }
}
