// This machine's own f32x4 peak, measured in the same process by the probe kernels
// (packages/kernels-wasm/assembly/f32-probe): 12 independent mul + add (or FMA) chains.
import { backend } from '@wcnn/tensor';

/** Flops of one probe iteration: 12 chains * 4 lanes * 2 (mul + add, or one FMA). */
export const PROBE_FLOPS_PER_ITER = 12 * 4 * 2;

export interface Peaks {
  /** GFLOP/s of f32x4.mul + f32x4.add chains (every build). */
  muladd: number;
  /** GFLOP/s of f32x4.relaxed_madd chains (relaxed build only). */
  fma: number | null;
  /** The peak % of peak refers to: FMA for the relaxed build, mul + add for the baseline build. */
  reference: 'fma' | 'muladd';
  gflops: number;
}

export interface ProbeOptions {
  /** Milliseconds of warm-up calls per probe (V8 compiles a hot wasm function with TurboFan). */
  warmupMs?: number;
  /** Milliseconds one timed call should take. */
  callMs?: number;
  /** Timed calls per probe; the best one counts (other load only ever slows a call down). */
  calls?: number;
}

type Probe = (iters: number) => number;

/** One probe kernel, warmed up and calibrated once; `sample()` times calls and keeps the best. */
class Timed {
  private iters = 100_000;
  best = 0;

  constructor(private readonly probe: Probe, o: Required<ProbeOptions>) {
    const start = performance.now();
    while (performance.now() - start < o.warmupMs) probe(10_000);
    // Calibrate: iterations for about callMs per call.
    for (;;) {
      const t = performance.now();
      probe(this.iters);
      const ms = performance.now() - t;
      if (ms >= o.callMs / 4 || this.iters >= 1 << 30) {
        this.iters = Math.max(1, Math.min(2 ** 31 - 1, Math.round((this.iters * o.callMs) / Math.max(ms, 1e-3))));
        break;
      }
      this.iters *= 4;
    }
  }

  sample(): void {
    const t = performance.now();
    const sum = this.probe(this.iters);
    const sec = (performance.now() - t) / 1e3;
    if (!Number.isFinite(sum)) throw new Error(`the peak probe returned ${sum}`);
    this.best = Math.max(this.best, (this.iters * PROBE_FLOPS_PER_ITER) / sec / 1e9);
  }
}

/**
 * The peaks of the running backend's kernels (init() first). Other processes' load only ever slows
 * a call down, so the best call counts: `sample()` again between cases to catch a quiet moment.
 */
export class PeakProbe {
  private readonly muladd: Timed;
  private readonly fma: Timed | undefined;

  constructor(options: ProbeOptions = {}) {
    const o: Required<ProbeOptions> = { warmupMs: 150, callMs: 20, calls: 7, ...options };
    const { kernels: k, flavor } = backend();
    if (typeof k.f32_peak_probe_muladd !== 'function' || typeof k.f32_peak_probe_fma !== 'function') {
      throw new Error('the kernel build has no peak probe (f32_peak_probe_muladd); rebuild the kernels: npx turbo run build');
    }
    this.muladd = new Timed((n) => k.f32_peak_probe_muladd(n), o);
    this.fma = flavor === 'relaxed' && k.f32_peak_probe_fma(1) !== -1 ? new Timed((n) => k.f32_peak_probe_fma(n), o) : undefined;
    this.sample(o.calls);
  }

  /** `calls` more timed calls of each probe. */
  sample(calls = 1): void {
    for (let i = 0; i < calls; i++) {
      this.muladd.sample();
      this.fma?.sample();
    }
  }

  get peaks(): Peaks {
    const fma = this.fma ? this.fma.best : null;
    return { muladd: this.muladd.best, fma, reference: fma === null ? 'muladd' : 'fma', gflops: fma ?? this.muladd.best };
  }
}

/** Measures the peaks once (warm-up, calibration, `calls` timed calls of each probe). */
export function measurePeaks(options: ProbeOptions = {}): Peaks {
  return new PeakProbe(options).peaks;
}
