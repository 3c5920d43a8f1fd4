// Short benchmarks with Benchmark.js statistics: warmed up (V8 tiers wasm up after a few calls),
// the mean of many timed runs, with its relative margin of error.
import Benchmark from 'benchmark';

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

export function runBench(c: BenchCase, maxTime = 1): BenchResult {
  for (let i = 0; i < 5; i++) c.run();
  const bench = new Benchmark(c.name, c.run, { maxTime, minSamples: 5, initCount: 1 });
  bench.run({ async: false });
  if (bench.error) throw bench.error as Error;
  const mean = bench.stats.mean;
  c.teardown?.();
  return { name: c.name, shape: c.shape, ms: mean * 1e3, rme: bench.stats.rme, gops: c.ops / mean / 1e9, samples: bench.stats.sample.length };
}
