// The short benchmark of the default job, on the timing of `wcnn bench` (bench/measure.ts):
// warmed up (V8 tiers wasm up after a few calls), the median of Benchmark.js samples.
import { sampleOnce, summarize, warmUp } from './bench/measure.js';

export interface BenchCase {
  name: string;
  shape: string;
  /** Floating-point operations per run (a multiply-add counts 2), or other ops for pooling. */
  ops: number;
  run: () => void;
  /** Frees what `run` needs once the case is done. */
  teardown?: () => void;
}

export interface BenchResult {
  name: string;
  shape: string;
  ms: number;
  rme: number;
  gops: number;
  samples: number;
}

/** Warms the case up, then times it with Benchmark.js (the statistics of `wcnn bench`: the median). */
export async function runBench(c: BenchCase, maxTime = 1): Promise<BenchResult> {
  try {
    await warmUp(c.run, 5);
    const stats = summarize(await sampleOnce(c.name, c.run, false, { minSamples: 5, maxTime }));
    return { name: c.name, shape: c.shape, ms: stats.ms, rme: stats.rme, gops: c.ops / (stats.ms / 1e3) / 1e9, samples: stats.samples };
  } finally {
    c.teardown?.();
  }
}
