// wcnn run: runs a model on .npy inputs and writes every output as .npy.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatShape, readNpyFile, tensor, writeNpyFile, type Tensor } from '@wcnn/tensor';
import { InputError, UsageError } from './errors.js';
import type { GraphModel } from '@wcnn/nn';

/** `NAME=FILE.npy`, or just `FILE.npy` for a one-input model. */
export function parseInputArgs(args: readonly string[], inputNames: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf('=');
    let name: string;
    let file: string;
    if (eq > 0) {
      name = a.slice(0, eq);
      file = a.slice(eq + 1);
    } else {
      if (inputNames.length !== 1) throw new UsageError(`--input ${a}: the model has ${inputNames.length} inputs (${inputNames.join(', ')}); write NAME=FILE.npy`);
      name = inputNames[0];
      file = a;
    }
    if (!inputNames.includes(name)) throw new InputError(`unknown input '${name}' (model inputs: ${inputNames.join(', ')})`);
    if (files.has(name)) throw new UsageError(`input '${name}' is given twice`);
    files.set(name, file);
  }
  const missing = inputNames.filter((n) => !files.has(n));
  if (missing.length > 0) throw new UsageError(`missing --input for ${missing.map((m) => `'${m}'`).join(', ')} (model inputs: ${inputNames.join(', ')})`);
  return files;
}

/** Output value names may hold '/' or ':' (ONNX): keep file names to [A-Za-z0-9._-]. */
export const outputFileName = (name: string): string => `${name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '') || 'output'}.npy`;

/** Runs the model `runs` times on the .npy inputs (printing each run's time when more than one); writes the last outputs. */
export async function runModel(model: GraphModel, layout: 'NCHW' | 'NHWC', inputArgs: readonly string[], outDir: string, print: (l: string) => void, runs = 1): Promise<void> {
  const files = parseInputArgs(inputArgs, model.inputNames);
  const inputs: Record<string, Tensor> = {};
  try {
    for (const [name, file] of files) {
      if (!/\.npy$/i.test(file)) throw new InputError(`${file}: expected a .npy file for input '${name}'`);
      const npy = await readNpyFile(file).catch((e: Error) => {
        throw new InputError(e.message);
      });
      const spec = model.graph.inputs.find((i) => i.name === name)!;
      const ok = npy.shape.length === spec.shape.length && spec.shape.every((d, i) => d === null || d === npy.shape[i]);
      if (!ok) throw new InputError(`${file}: input '${name}' has shape ${formatShape(npy.shape)} but the model expects ${formatShape(spec.shape)} (${layout})`);
      inputs[name] = tensor(npy.data, npy.shape);
    }
    mkdirSync(outDir, { recursive: true });
    // Compile first, so the time printed is the inference alone.
    model.plan(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, t.shape])));
    let outputs: Record<string, Tensor> = {};
    let ms = 0;
    for (let r = 1; r <= runs; r++) {
      Object.values(outputs).forEach((t) => t.dispose());
      const start = performance.now();
      outputs = model.predict(inputs);
      ms = performance.now() - start;
      if (runs > 1) print(`run ${r}  ${ms.toFixed(1)} ms`);
    }
    for (const [name, t] of Object.entries(outputs)) {
      const file = join(outDir, outputFileName(name));
      await writeNpyFile(file, t.dataSync(), t.shape);
      print(`${name}  ${formatShape(t.shape)}  ${ms.toFixed(1)} ms  -> ${file}`);
      t.dispose();
    }
  } finally {
    Object.values(inputs).forEach((t) => t.dispose());
  }
}
