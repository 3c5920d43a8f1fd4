// y[j] = epilogue(bias[j] + sum_i x[i] * w[i * ldw + j]) for the columns j in [n0, n1): a matrix-vector
// product over row-major weights (K x N, row stride ldw) read in place, without packing. One pass reads
// the weights once, 4 rows at a time, each row's [n0, n1) slice front to back (sequential streams, as
// the prefetchers like), accumulating into y, which stays in L1 for the column counts of dense layers.
// Batch-1 dense layers are memory-bound: this needs no packed copy, at about 1.3x the packed GEMM's time
// (VGG16 fc1 on a 2-core machine: 20-28 ms against 16-21 ms).
// A column range lets threads split one call: [0, a) and [a, n) write disjoint outputs.
import { epilogue, epilogueScalar, madd } from '../common';

/**
 * a * b + c for the column tails, rounded as a vector lane is (fused in the relaxed build where the
 * CPU fuses), so a column gives the same bits whether a range puts it in a vector or in the tail.
 */
@inline function maddLane(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return a * b + c;
}

export function f32_gemv(
  k: i32, n0: i32, n1: i32,
  x: usize, w: usize, ldw: i32,
  bias: usize, y: usize,
  min: f32, max: f32, alpha: f32,
): void {
  if (n1 <= n0) return;
  const cols = n1 - n0;
  const yb = y + (<usize>n0 << 2);
  const row = <usize>ldw << 2;
  // y = bias (or 0)
  if (bias) memory.copy(yb, bias + (<usize>n0 << 2), <usize>cols << 2);
  else memory.fill(yb, 0, <usize>cols << 2);

  let wr = w + (<usize>n0 << 2);
  let xp = x;
  let i = 0;
  while (i + 4 <= k) {
    const s0 = load<f32>(xp);
    const s1 = load<f32>(xp, 4);
    const s2 = load<f32>(xp, 8);
    const s3 = load<f32>(xp, 12);
    const x0 = f32x4.splat(s0);
    const x1 = f32x4.splat(s1);
    const x2 = f32x4.splat(s2);
    const x3 = f32x4.splat(s3);
    const r0 = wr;
    const r1 = r0 + row;
    const r2 = r1 + row;
    const r3 = r2 + row;
    let o: usize = 0;
    let j = 0;
    // 16 columns: four independent accumulation chains (one chain is bound by the madd latency).
    while (j + 16 <= cols) {
      let a0 = v128.load(yb + o);
      let a1 = v128.load(yb + o, 16);
      let a2 = v128.load(yb + o, 32);
      let a3 = v128.load(yb + o, 48);
      a0 = madd(x0, v128.load(r0 + o), a0); a1 = madd(x0, v128.load(r0 + o, 16), a1); a2 = madd(x0, v128.load(r0 + o, 32), a2); a3 = madd(x0, v128.load(r0 + o, 48), a3);
      a0 = madd(x1, v128.load(r1 + o), a0); a1 = madd(x1, v128.load(r1 + o, 16), a1); a2 = madd(x1, v128.load(r1 + o, 32), a2); a3 = madd(x1, v128.load(r1 + o, 48), a3);
      a0 = madd(x2, v128.load(r2 + o), a0); a1 = madd(x2, v128.load(r2 + o, 16), a1); a2 = madd(x2, v128.load(r2 + o, 32), a2); a3 = madd(x2, v128.load(r2 + o, 48), a3);
      a0 = madd(x3, v128.load(r3 + o), a0); a1 = madd(x3, v128.load(r3 + o, 16), a1); a2 = madd(x3, v128.load(r3 + o, 32), a2); a3 = madd(x3, v128.load(r3 + o, 48), a3);
      v128.store(yb + o, a0);
      v128.store(yb + o, a1, 16);
      v128.store(yb + o, a2, 32);
      v128.store(yb + o, a3, 48);
      o += 64;
      j += 16;
    }
    while (j + 4 <= cols) {
      let acc = v128.load(yb + o);
      acc = madd(x0, v128.load(r0 + o), acc);
      acc = madd(x1, v128.load(r1 + o), acc);
      acc = madd(x2, v128.load(r2 + o), acc);
      acc = madd(x3, v128.load(r3 + o), acc);
      v128.store(yb + o, acc);
      o += 16;
      j += 4;
    }
    while (j < cols) {
      let acc = load<f32>(yb + o);
      acc = maddLane(s0, load<f32>(r0 + o), acc);
      acc = maddLane(s1, load<f32>(r1 + o), acc);
      acc = maddLane(s2, load<f32>(r2 + o), acc);
      acc = maddLane(s3, load<f32>(r3 + o), acc);
      store<f32>(yb + o, acc);
      o += 4;
      j++;
    }
    wr += row << 2;
    xp += 16;
    i += 4;
  }
  while (i < k) {
    const s0 = load<f32>(xp);
    const x0 = f32x4.splat(s0);
    let o: usize = 0;
    let j = 0;
    while (j + 4 <= cols) {
      v128.store(yb + o, madd(x0, v128.load(wr + o), v128.load(yb + o)));
      o += 16;
      j += 4;
    }
    while (j < cols) {
      store<f32>(yb + o, maddLane(s0, load<f32>(wr + o), load<f32>(yb + o)));
      o += 4;
      j++;
    }
    wr += row;
    xp += 4;
    i++;
  }

  // The epilogue, unless it is the identity.
  if (min == -Infinity && max == Infinity && alpha == 1) return;
  const vmin = f32x4.splat(min);
  const vmax = f32x4.splat(max);
  const valpha = f32x4.splat(alpha);
  let o: usize = 0;
  let j = 0;
  while (j + 4 <= cols) {
    v128.store(yb + o, epilogue(v128.load(yb + o), vmin, vmax, valpha));
    o += 16;
    j += 4;
  }
  while (j < cols) {
    store<f32>(yb + o, epilogueScalar(load<f32>(yb + o), min, max, alpha));
    o += 4;
    j++;
  }
}
