// Finds the model a command names: `zoo:NAME` (the model zoo, seeded weights) or an .onnx file.
import { existsSync } from 'node:fs';
import { formatModelSummary, formatSummary, GraphModel, loadOnnx, summarizeGraph, type Model } from '@wcnn/nn';
import { zoo, zooNames } from '@wcnn/models';
import { InputError } from './errors.js';

export interface LoadedModel {
  label: string;
  /** How the model's 4-D inputs are laid out: ONNX models keep NCHW, zoo models are Keras NHWC. */
  layout: 'NCHW' | 'NHWC';
  /** The runnable model (a zoo model's weights are created here, not before). */
  runnable(): GraphModel;
  /** The summary table and its data, for an input shape in the model's own layout (batch first). */
  summary(inputShape?: number[]): { lines: string[]; data: unknown };
}

function zooModel(name: string, inputShape?: number[]): LoadedModel {
  const build = zoo[name];
  if (!build) throw new InputError(`unknown zoo model '${name}' (available: ${zooNames.join(', ')})`);
  if (inputShape && inputShape.length !== 4) throw new InputError(`--input-shape for zoo:${name} must be 4 numbers (batch, height, width, channels), got ${inputShape.join(',')}`);
  let model: Model;
  try {
    model = build(inputShape ? { inputShape: inputShape.slice(1) as [number, number, number] } : {});
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  return {
    label: `zoo:${name}`,
    layout: 'NHWC',
    // The model owns its weights in wasm memory: each seeded weight is created, moved there and
    // dropped in turn (the layers never keep a JS copy), so they exist once.
    runnable: () => new GraphModel(model.graph, { ownWeights: true }),
    summary: () => {
      const data = model.summaryData();
      return { lines: formatModelSummary(data), data };
    },
  };
}

export async function loadModel(spec: string, inputShape?: number[]): Promise<LoadedModel> {
  if (spec.startsWith('zoo:')) return zooModel(spec.slice(4), inputShape);
  if (!existsSync(spec)) throw new InputError(`${spec}: no such file`);
  if (!/\.onnx$/i.test(spec)) throw new InputError(`${spec}: expected an .onnx file or zoo:NAME`);
  let model: GraphModel;
  try {
    model = await loadOnnx(spec);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  return {
    label: spec,
    layout: 'NCHW',
    runnable: () => model,
    summary: (shape) => {
      const first = model.graph.inputs[0];
      try {
        const data = summarizeGraph(model.graph, shape && first ? { [first.name]: shape } : {});
        return { lines: formatSummary(data), data };
      } catch (e) {
        throw new InputError((e as Error).message);
      }
    },
  };
}
