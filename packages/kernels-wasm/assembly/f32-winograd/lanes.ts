// Channel-vector loads and stores of n = 1..4 lanes, shared by the Winograd transforms: the
// channel tail (c % 4) runs the same transform code as the full vectors, on fewer lanes.
// Called with a literal n = 4 on the main path, where the branches fold away.

/** Lanes [0, n) from p, the others zero; never reads past p + 4 * n. */
@inline export function loadLanes(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  if (n == 3) return v128.load32_lane(p, v128.load64_zero(p), 2, 8);
  if (n == 2) return v128.load64_zero(p);
  return v128.load32_zero(p);
}

/** Stores lanes [0, n) of v to p; never writes past p + 4 * n. */
@inline export function storeLanes(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
  } else if (n == 3) {
    v128.store64_lane(p, v, 0);
    v128.store32_lane(p, v, 2, 8);
  } else if (n == 2) {
    v128.store64_lane(p, v, 0);
  } else {
    v128.store32_lane(p, v, 0);
  }
}
