// Peak-throughput probes for `wcnn bench`: 12 independent f32x4 chains of `iters` steps each, so
// the FP ports stay busy (12 chains cover latency x throughput of mul + add and of FMA on current
// x86 and ARM cores, and fit the 16 vector registers V8 allocates on x64). Each step of each chain
// is 2 flops per lane: flops = iters * 12 chains * 4 lanes * 2. The chains converge to
// c / (1 - m), so values stay normal (no denormals, no overflow) for any `iters`. The lane sum is
// returned so nothing is optimised away.

/**
 * A splat Binaryen cannot fold into a v128.const: V8 rematerialises a v128.const at every use
 * inside the loop (a load or a shuffle per op), which would cap the probe well below the ports'
 * throughput. A value computed from `iters` stays in a register.
 */
@inline function splatFrom(iters: i32, v: f32): v128 {
  return f32x4.splat(iters > 0 ? v : <f32>0.5);
}

@inline function laneSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** acc = acc * m + c on 12 chains with separate f32x4.mul and f32x4.add (the baseline build's madd). */
export function f32_peak_probe_muladd(iters: i32): f32 {
  const m = splatFrom(iters, 0.999);
  const c = splatFrom(iters, 0.001);
  let a0 = f32x4(0.0, 0.1, 0.2, 0.3), a1 = f32x4(1.0, 1.1, 1.2, 1.3), a2 = f32x4(2.0, 2.1, 2.2, 2.3);
  let a3 = f32x4(3.0, 3.1, 3.2, 3.3), a4 = f32x4(4.0, 4.1, 4.2, 4.3), a5 = f32x4(5.0, 5.1, 5.2, 5.3);
  let a6 = f32x4(6.0, 6.1, 6.2, 6.3), a7 = f32x4(7.0, 7.1, 7.2, 7.3), a8 = f32x4(8.0, 8.1, 8.2, 8.3);
  let a9 = f32x4(9.0, 9.1, 9.2, 9.3), a10 = f32x4(10.0, 10.1, 10.2, 10.3), a11 = f32x4(11.0, 11.1, 11.2, 11.3);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.add(f32x4.mul(a0, m), c);
    a1 = f32x4.add(f32x4.mul(a1, m), c);
    a2 = f32x4.add(f32x4.mul(a2, m), c);
    a3 = f32x4.add(f32x4.mul(a3, m), c);
    a4 = f32x4.add(f32x4.mul(a4, m), c);
    a5 = f32x4.add(f32x4.mul(a5, m), c);
    a6 = f32x4.add(f32x4.mul(a6, m), c);
    a7 = f32x4.add(f32x4.mul(a7, m), c);
    a8 = f32x4.add(f32x4.mul(a8, m), c);
    a9 = f32x4.add(f32x4.mul(a9, m), c);
    a10 = f32x4.add(f32x4.mul(a10, m), c);
    a11 = f32x4.add(f32x4.mul(a11, m), c);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return laneSum(f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))));
}

/**
 * acc = relaxed_madd(acc, m, c) on 12 chains: one FMA per step where the CPU has it. Only the
 * relaxed build has it; the baseline build returns -1 at once (no time spent, no peak to report).
 */
export function f32_peak_probe_fma(iters: i32): f32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return -1;
  const m = splatFrom(iters, 0.999);
  const c = splatFrom(iters, 0.001);
  let a0 = f32x4(0.0, 0.1, 0.2, 0.3), a1 = f32x4(1.0, 1.1, 1.2, 1.3), a2 = f32x4(2.0, 2.1, 2.2, 2.3);
  let a3 = f32x4(3.0, 3.1, 3.2, 3.3), a4 = f32x4(4.0, 4.1, 4.2, 4.3), a5 = f32x4(5.0, 5.1, 5.2, 5.3);
  let a6 = f32x4(6.0, 6.1, 6.2, 6.3), a7 = f32x4(7.0, 7.1, 7.2, 7.3), a8 = f32x4(8.0, 8.1, 8.2, 8.3);
  let a9 = f32x4(9.0, 9.1, 9.2, 9.3), a10 = f32x4(10.0, 10.1, 10.2, 10.3), a11 = f32x4(11.0, 11.1, 11.2, 11.3);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.relaxed_madd(a0, m, c);
    a1 = f32x4.relaxed_madd(a1, m, c);
    a2 = f32x4.relaxed_madd(a2, m, c);
    a3 = f32x4.relaxed_madd(a3, m, c);
    a4 = f32x4.relaxed_madd(a4, m, c);
    a5 = f32x4.relaxed_madd(a5, m, c);
    a6 = f32x4.relaxed_madd(a6, m, c);
    a7 = f32x4.relaxed_madd(a7, m, c);
    a8 = f32x4.relaxed_madd(a8, m, c);
    a9 = f32x4.relaxed_madd(a9, m, c);
    a10 = f32x4.relaxed_madd(a10, m, c);
    a11 = f32x4.relaxed_madd(a11, m, c);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return laneSum(f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))));
}
