// The peak probe runs on both builds and gives a positive peak (its value is the machine's business).
import { afterAll, describe, expect, it } from 'vitest';
import { backend, init, shutdown } from '@wcnn/tensor';
import { startEngine } from '../engine.js';
import { measurePeaks, PeakProbe, PROBE_FLOPS_PER_ITER } from './probe.js';

const QUICK = { warmupMs: 20, callMs: 5, calls: 2 };

afterAll(() => shutdown());

describe('peak probe', () => {
  it('relaxed build: mul+add and FMA peaks, % of peak refers to FMA', async () => {
    shutdown();
    expect((await startEngine('relaxed')).flavor).toBe('relaxed');
    const p = measurePeaks(QUICK);
    expect(p.muladd).toBeGreaterThan(0);
    expect(p.fma).toBeGreaterThan(0);
    expect(p.reference).toBe('fma');
    expect(p.gflops).toBe(p.fma);
  });

  it('baseline build: mul+add only; the FMA probe returns -1 at once', async () => {
    shutdown();
    await init({ simd: 'baseline' });
    expect(backend().kernels.f32_peak_probe_fma(1000)).toBe(-1);
    const p = measurePeaks(QUICK);
    expect(p.muladd).toBeGreaterThan(0);
    expect(p).toMatchObject({ fma: null, reference: 'muladd' });
    expect(p.gflops).toBe(p.muladd);
  });

  it('the kernels return a finite lane sum (nothing optimised away) and count 96 flops per iteration', async () => {
    const k = backend().kernels;
    const v = k.f32_peak_probe_muladd(1000);
    expect(Number.isFinite(v)).toBe(true);
    // The 48 lanes converge to c / (1 - m) = 1: the sum nears 48.
    expect(k.f32_peak_probe_muladd(100_000)).toBeCloseTo(48, 1);
    expect(PROBE_FLOPS_PER_ITER).toBe(96);
  });

  it('keeps the best call: sampling again never lowers a peak', () => {
    const probe = new PeakProbe(QUICK);
    const before = probe.peaks;
    probe.sample(2);
    expect(probe.peaks.muladd).toBeGreaterThanOrEqual(before.muladd);
    expect(probe.peaks.gflops).toBeGreaterThanOrEqual(before.gflops);
  });
});
