// Timing with Benchmark.js: one Benchmark per measurement (warmed up first: V8 tiers a wasm
// function up only after a few calls), samples pooled per engine across the interleaved rounds.
import Benchmark from 'benchmark';

/** What is timed: a synchronous call (wcnn, tfjs) or a promise (onnxruntime-web's session.run). */
export type RunFn = () => void | Promise<unknown>;

export interface Stats {
  /** Median of the samples, ms per run: what the tables print and the ratios use. */
  ms: number;
  /** Mean of the samples, ms per run. */
  mean: number;
  /** Relative margin of error of the mean, % (95 %, Student's t, as Benchmark.js computes it). */
  rme: number;
  samples: number;
}

export interface MeasureOptions {
  /** Minimum samples of one Benchmark.js run (--runs). */
  minSamples: number;
  /** Seconds one Benchmark.js run may take once it has minSamples (Benchmark.js maxTime). */
  maxTime: number;
}

/** Benchmark.js's table of two-sided 95 % Student's t values by degrees of freedom. */
const T_TABLE: Record<string, number> = {
  1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
  11: 2.201, 12: 2.179, 13: 2.16, 14: 2.145, 15: 2.131, 16: 2.12, 17: 2.11, 18: 2.101, 19: 2.093, 20: 2.086,
  21: 2.08, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.06, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
  infinity: 1.96,
};

/** Median, mean and margin of error of samples given in seconds per run, Benchmark.js's way. */
export function summarize(samplesSec: readonly number[]): Stats {
  const n = samplesSec.length;
  if (n === 0) throw new Error('no samples');
  const sorted = [...samplesSec].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const mean = samplesSec.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? samplesSec.reduce((a, s) => a + (s - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance / n);
  const critical = T_TABLE[Math.round(n - 1) || 1] ?? T_TABLE.infinity;
  return { ms: median * 1e3, mean: mean * 1e3, rme: mean > 0 ? ((sem * critical) / mean) * 100 : 0, samples: n };
}

/** Calls `fn` at least `calls` times and for at least `ms` milliseconds (wasm tier-up). */
export async function warmUp(fn: RunFn, calls = 3, ms = 150): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < calls || performance.now() - start < ms; i++) await fn();
}

/** One Benchmark.js run of `fn`; returns its samples in seconds per call. */
export function sampleOnce(name: string, fn: RunFn, async: boolean, o: MeasureOptions): Promise<number[]> {
  // A sample lasts at least minTime (Benchmark.js's default 0.05 s); shorter for a quick run (small maxTime).
  const minTime = Math.min(0.05, o.maxTime / 4);
  return new Promise((resolvePromise, reject) => {
    // No setup/teardown: Benchmark.js then calls `fn` by reference (closures work) instead of
    // compiling its source into a loop.
    const bench = async
      ? new Benchmark(name, {
          defer: true,
          fn: (deferred: { resolve(): void }) => {
            (fn() as Promise<unknown>).then(() => deferred.resolve(), (e: unknown) => {
              bench.error = e as Error;
              bench.abort();
              deferred.resolve();
            });
          },
          minSamples: o.minSamples,
          maxTime: o.maxTime,
          minTime,
          initCount: 1,
        })
      : new Benchmark(name, fn as () => void, { minSamples: o.minSamples, maxTime: o.maxTime, minTime, initCount: 1 });
    bench.on('complete', () => {
      if (bench.error) reject(bench.error instanceof Error ? bench.error : new Error(String(bench.error)));
      else resolvePromise([...bench.stats.sample]);
    });
    bench.on('error', () => reject(bench.error instanceof Error ? bench.error : new Error(String(bench.error))));
    bench.run({ async: true });
  });
}
