// onnxruntime-web set up the one way wcnn compares with it. Imports nothing of wcnn: the cold-start
// child process times onnxruntime-web's own loading with it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as ORT from 'onnxruntime-web';

/**
 * Imports onnxruntime-web and sets it up as every wcnn comparison runs it (the bench's peer and the
 * cold start's child process): the wasm execution provider on `threads` threads, SIMD, no proxy
 * worker, its .wasm files read from the installed package.
 */
export async function startOrt(module: string, threads: number): Promise<{ ort: typeof ORT; options: ORT.InferenceSession.SessionOptions; version: string }> {
  const imported = (await import(module)) as typeof ORT & { default?: typeof ORT };
  const ort = imported.InferenceSession ? imported : imported.default!;
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve(`${module}/ort-wasm-simd-threaded.wasm`));
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = join(dist, '/');
  ort.env.logLevel = 'error';
  const options: ORT.InferenceSession.SessionOptions = {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  };
  return { ort, options, version: ort.env.versions?.web ?? 'unknown' };
}
