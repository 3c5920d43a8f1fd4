// Winograd F(4x4, 3x3) filter transform: U = G g G^T for every (cin, cout) pair, SIMD over cout.
// Runs once, when an operator is created; the 36 matrices it writes are then packed for f32_gemm.
//
// Interpolation points 0, 1, -1, 2, -2 and infinity (Lavin & Gray 2016):
//   G = [  1/4     0     0  ]
//       [ -1/6  -1/6  -1/6  ]
//       [ -1/6   1/6  -1/6  ]
//       [ 1/24  1/12   1/6  ]
//       [ 1/24 -1/12   1/6  ]
//       [   0     0     1   ]
import { madd } from '../common';
import { loadLanes, storeLanes } from './lanes';

/**
 * The 6 entries G g of one 3-vector (g0, g1, g2), stored at dst + i * stride for i = 0..5.
 * u1/u2 and u3/u4 share their even part (g0 and g2 terms) and differ in the sign of the g1 term.
 */
@inline function gStore(g0: v128, g1: v128, g2: v128, dst: usize, stride: usize, n: i32): void {
  const even = f32x4.add(g0, g2);
  const u1 = f32x4.mul(f32x4.add(even, g1), f32x4.splat(-1.0 / 6.0));
  const u2 = f32x4.mul(f32x4.sub(even, g1), f32x4.splat(-1.0 / 6.0));
  const even34 = madd(g0, f32x4.splat(1.0 / 24.0), f32x4.mul(g2, f32x4.splat(1.0 / 6.0)));
  const odd34 = f32x4.mul(g1, f32x4.splat(1.0 / 12.0));
  storeLanes(dst, f32x4.mul(g0, f32x4.splat(0.25)), n);
  storeLanes(dst + stride, u1, n);
  storeLanes(dst + 2 * stride, u2, n);
  storeLanes(dst + 3 * stride, f32x4.add(even34, odd34), n);
  storeLanes(dst + 4 * stride, f32x4.sub(even34, odd34), n);
  storeLanes(dst + 5 * stride, g2, n);
}

/** Same as gStore for one entry i of G g, returned: the column pass keeps its results in registers. */
@inline function g1Row(g0: v128, g1: v128, g2: v128): v128 {
  return f32x4.mul(f32x4.add(f32x4.add(g0, g2), g1), f32x4.splat(-1.0 / 6.0));
}
@inline function g2Row(g0: v128, g1: v128, g2: v128): v128 {
  return f32x4.mul(f32x4.sub(f32x4.add(g0, g2), g1), f32x4.splat(-1.0 / 6.0));
}
@inline function g3Row(g0: v128, g1: v128, g2: v128): v128 {
  const even = madd(g0, f32x4.splat(1.0 / 24.0), f32x4.mul(g2, f32x4.splat(1.0 / 6.0)));
  return madd(g1, f32x4.splat(1.0 / 12.0), even);
}
@inline function g4Row(g0: v128, g1: v128, g2: v128): v128 {
  const even = madd(g0, f32x4.splat(1.0 / 24.0), f32x4.mul(g2, f32x4.splat(1.0 / 6.0)));
  return madd(g1, f32x4.splat(-1.0 / 12.0), even);
}

/**
 * One (ci, 4-cout) block: g[ky][kx] at src + (ky * 3 + kx) * tapBytes, times the column scales sc;
 * U[i][j] to dst + (i * 6 + j) * matBytes. Column pass (G along ky) in registers, then row pass
 * (G^T along kx) straight to the 36 matrices.
 */
@inline function filterBlock(src: usize, tapBytes: usize, sc: v128, dst: usize, matBytes: usize, n: i32): void {
  // Column kx of g: (g[0][kx], g[1][kx], g[2][kx]) -> rows 0..5 of G g.
  let a = f32x4.mul(loadLanes(src, n), sc);
  let b = f32x4.mul(loadLanes(src + 3 * tapBytes, n), sc);
  let c = f32x4.mul(loadLanes(src + 6 * tapBytes, n), sc);
  const t00 = f32x4.mul(a, f32x4.splat(0.25));
  const t10 = g1Row(a, b, c);
  const t20 = g2Row(a, b, c);
  const t30 = g3Row(a, b, c);
  const t40 = g4Row(a, b, c);
  const t50 = c;
  a = f32x4.mul(loadLanes(src + tapBytes, n), sc);
  b = f32x4.mul(loadLanes(src + 4 * tapBytes, n), sc);
  c = f32x4.mul(loadLanes(src + 7 * tapBytes, n), sc);
  const t01 = f32x4.mul(a, f32x4.splat(0.25));
  const t11 = g1Row(a, b, c);
  const t21 = g2Row(a, b, c);
  const t31 = g3Row(a, b, c);
  const t41 = g4Row(a, b, c);
  const t51 = c;
  a = f32x4.mul(loadLanes(src + 2 * tapBytes, n), sc);
  b = f32x4.mul(loadLanes(src + 5 * tapBytes, n), sc);
  c = f32x4.mul(loadLanes(src + 8 * tapBytes, n), sc);
  const t02 = f32x4.mul(a, f32x4.splat(0.25));
  const t12 = g1Row(a, b, c);
  const t22 = g2Row(a, b, c);
  const t32 = g3Row(a, b, c);
  const t42 = g4Row(a, b, c);
  const t52 = c;
  // Row i of (G g) G^T: the 6 entries G (t[i][0], t[i][1], t[i][2]), matrices i * 6 .. i * 6 + 5.
  const rowBytes = 6 * matBytes;
  gStore(t00, t01, t02, dst, matBytes, n);
  gStore(t10, t11, t12, dst + rowBytes, matBytes, n);
  gStore(t20, t21, t22, dst + 2 * rowBytes, matBytes, n);
  gStore(t30, t31, t32, dst + 3 * rowBytes, matBytes, n);
  gStore(t40, t41, t42, dst + 4 * rowBytes, matBytes, n);
  gStore(t50, t51, t52, dst + 5 * rowBytes, matBytes, n);
}

/**
 * w: HWIO (3, 3, cin, *) with rows of `ldw` floats: columns [0, cout) are transformed (a slice of a
 * wider filter when ldw > cout). scale: cout floats multiplying the output channels first (a folded
 * batch norm), or 0 for none. U[i][j] of (ci, co), matrix m = i * 6 + j, goes to
 * out + m * matStride + ci * ciStride + co (floats): matStride = cin * cout, ciStride = cout gives 36
 * matrices (cin, cout) back to back; matStride = cout, ciStride = 36 * cout keeps each input channel's
 * 36 rows together (contiguous writes; the matrices are then read with a row stride of 36 * cout).
 */
export function f32_winograd_filter_f4x4_3x3(w: usize, cin: i32, cout: i32, ldw: i32, scale: usize, out: usize, matStride: i32, ciStride: i32): void {
  const rowBytes = <usize>ldw << 2;
  const tapBytes = <usize>cin * rowBytes; // one (cin, ldw) slice of HWIO
  const matBytes = <usize>matStride << 2;
  const ciBytes = <usize>ciStride << 2;
  const coVec = cout & ~3;
  const one = f32x4.splat(1);
  for (let ci = 0; ci < cin; ci++) {
    const src = w + <usize>ci * rowBytes;
    const dst = out + <usize>ci * ciBytes;
    let co = 0;
    for (; co < coVec; co += 4) {
      const off = <usize>co << 2;
      filterBlock(src + off, tapBytes, scale != 0 ? v128.load(scale + off) : one, dst + off, matBytes, 4);
    }
    if (co < cout) {
      const off = <usize>co << 2;
      filterBlock(src + off, tapBytes, scale != 0 ? loadLanes(scale + off, cout - co) : one, dst + off, matBytes, cout - co);
    }
  }
}
