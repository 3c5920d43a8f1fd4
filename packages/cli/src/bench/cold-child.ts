// One cold start, in a process of its own (`wcnn bench --cold` runs it): the engine's import, then
// what the target counts: wcnn's init() + loadOnnx() + the first predict(), or onnxruntime-web's
// session creation (from the file's bytes) + the first run. Prints one JSON line (ColdSample).
//   node cold-child.js wcnn|ort MODEL.onnx THREADS SIMD INPUTS_JSON
// INPUTS_JSON: {"name": [shape...]} (wcnn's child prints the shapes it used; ort's takes them).
import { readFileSync } from 'node:fs';

export interface ColdSample {
  engine: 'wcnn' | 'ort';
  /** ms: importing the engine's modules (not counted in `total`) */
  import: number;
  /** ms: wcnn's init() (wasm compile and instantiate, workers started); 0 for onnxruntime-web, which starts in `load` */
  init: number;
  /** ms: wcnn's loadOnnx(file); onnxruntime-web's file read and InferenceSession.create */
  load: number;
  /** ms: the first inference (wcnn compiles its plan and packs its weights here) */
  first: number;
  /** init + load + first */
  total: number;
  threads: number;
  /** the input shapes used */
  inputs: Record<string, number[]>;
}

/** Deterministic inputs in [-1, 1): the values do not change the time, only NaN-free data matters. */
function inputData(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 2654435761) % 1000) / 500 - 1;
  return out;
}

async function wcnn(file: string, threads: number, simd: string): Promise<ColdSample> {
  const t0 = performance.now();
  const { init, tensor } = await import('@wcnn/tensor');
  const { loadOnnx } = await import('@wcnn/nn');
  const t1 = performance.now();
  const started = await init({ simd: simd as 'auto', threads, onNotice: () => {} });
  const t2 = performance.now();
  const model = await loadOnnx(file);
  const t3 = performance.now();
  const inputs = Object.fromEntries(model.graph.inputs.map((i) => [i.name, i.shape.map((d) => d ?? 1)]));
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, shape]) => [k, tensor(inputData(shape), shape)]));
  const out = model.predict(feeds);
  Object.values(out).forEach((t) => t.dataSync());
  const t4 = performance.now();
  return { engine: 'wcnn', import: t1 - t0, init: t2 - t1, load: t3 - t2, first: t4 - t3, total: t4 - t1, threads: started.threads, inputs };
}

async function ort(file: string, threads: number, inputs: Record<string, number[]>): Promise<ColdSample> {
  const t0 = performance.now();
  const { startOrt } = await import('../peers/ort-setup.js');
  const { ort, options } = await startOrt('onnxruntime-web', threads);
  const t1 = performance.now();
  const session = await ort.InferenceSession.create(readFileSync(file), options);
  const t2 = performance.now();
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, shape]) => [k, new ort.Tensor('float32', inputData(shape), shape)]));
  await session.run(feeds);
  const t3 = performance.now();
  return { engine: 'ort', import: t1 - t0, init: 0, load: t2 - t1, first: t3 - t2, total: t3 - t1, threads, inputs };
}

const [engine, file, threads, simd, inputs] = process.argv.slice(2);
if (engine !== undefined) {
  try {
    const sample = engine === 'wcnn' ? await wcnn(file, Number(threads), simd) : await ort(file, Number(threads), JSON.parse(inputs) as Record<string, number[]>);
    process.stdout.write(`${JSON.stringify(sample)}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}
