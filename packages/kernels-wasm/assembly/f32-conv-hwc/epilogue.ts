// The GEMM epilogue (common.ts `epilogue`) in its two steps, so a kernel can drop the leaky step when
// alpha = 1 (no activation, relu, relu6, clip): 2 instructions per vector instead of 5, which matters
// at K = 27 (3x3x3), where the epilogue is a sizeable share of a tile's work.

/** y < 0 ? alpha * y : y. */
@inline export function leakyStep(v: v128, valpha: v128): v128 {
  return v128.bitselect(f32x4.mul(v, valpha), v, f32x4.lt(v, f32x4.splat(0)));
}

/** clamp(y, min, max) with pmin/pmax, exactly as `epilogue` does (NaN and -0 kept). */
@inline export function clampStep(v: v128, vmin: v128, vmax: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, vmin), vmax);
}
