// Helpers shared by the kernels. Everything here is @inline: no calls on the hot path.

/** a * b + c. The relaxed build lowers to f32x4.relaxed_madd (FMA where the CPU has it). */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Scalar counterpart of `madd`, for tails: same rounding as the baseline build. */
@inline export function maddScalar(a: f32, b: f32, c: f32): f32 {
  return a * b + c;
}

/**
 * Epilogue: y < 0 ? alpha * y : y, then clamp to [min, max]. pmin/pmax are one instruction each on x86,
 * where f32x4.min/max lower to about seven (NaN and signed-zero fix-ups); pmax(v, lo) = v < lo ? lo : v
 * keeps NaN and -0 exactly like epilogueScalar.
 */
@inline export function epilogue(v: v128, vmin: v128, vmax: v128, valpha: v128): v128 {
  return clampStep(leakyStep(v, valpha), vmin, vmax);
}

// The epilogue's two steps, so a kernel can drop the leaky one when alpha = 1 (no activation, relu,
// relu6, clip): 2 instructions per vector instead of 5, which matters where K is small (3x3x3).

/** y < 0 ? alpha * y : y. */
@inline export function leakyStep(v: v128, valpha: v128): v128 {
  return v128.bitselect(f32x4.mul(v, valpha), v, f32x4.lt(v, f32x4.splat(0)));
}

/** clamp(y, min, max) with pmin/pmax. */
@inline export function clampStep(v: v128, vmin: v128, vmax: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, vmin), vmax);
}

@inline export function epilogueScalar(v: f32, min: f32, max: f32, alpha: f32): f32 {
  const leaky = v < 0 ? v * alpha : v;
  return leaky < min ? min : leaky > max ? max : leaky;
}
