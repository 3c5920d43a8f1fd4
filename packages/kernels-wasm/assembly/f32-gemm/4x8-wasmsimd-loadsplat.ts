// GEMM microkernel: an mr x nc tile (mr <= 4, nc <= 8) of C = A * B + bias, then the epilogue.
// Loadsplat form: per k, each of the 4 rows broadcasts one A float against two vectors of B.
// The driver runs it on a last panel of at most 8 columns, which the 2x16 kernel would half waste.
import { epilogue, madd } from '../common';
import { addResidual } from './residual';

/**
 * a: (mr, kc) rows `aStride` bytes apart. w: one packed panel, 8 bias floats then (kc, 8).
 * c: (mr, nc) rows `cStride` bytes apart. Rows beyond mr alias the row above them, so they
 * compute and store the same values again instead of branching in the k loop. r: 0, or a residual
 * (mr, nc) laid out like c (rows `rStride` bytes apart), added before the epilogue.
 */
@inline export function f32_gemm_ukernel_4x8__wasmsimd_loadsplat(
  mr: i32, nc: i32, kc: i32,
  a: usize, aStride: usize,
  w: usize,
  c: usize, cStride: usize,
  r: usize, rStride: usize,
  vmin: v128, vmax: v128, valpha: v128,
): void {
  let a0 = a;
  let c0 = c;
  let a1 = a0 + aStride;
  let c1 = c0 + cStride;
  if (mr < 2) {
    a1 = a0;
    c1 = c0;
  }
  let a2 = a1 + aStride;
  let c2 = c1 + cStride;
  if (mr <= 2) {
    a2 = a1;
    c2 = c1;
  }
  let a3 = a2 + aStride;
  let c3 = c2 + cStride;
  if (mr != 4) {
    a3 = a2;
    c3 = c2;
  }

  let vacc0x0123 = v128.load(w);
  let vacc0x4567 = v128.load(w, 16);
  let vacc1x0123 = vacc0x0123;
  let vacc1x4567 = vacc0x4567;
  let vacc2x0123 = vacc0x0123;
  let vacc2x4567 = vacc0x4567;
  let vacc3x0123 = vacc0x0123;
  let vacc3x4567 = vacc0x4567;
  w += 32;

  for (let k = kc; k > 0; k--) {
    const va0 = v128.load32_splat(a0);
    const va1 = v128.load32_splat(a1);
    const va2 = v128.load32_splat(a2);
    const va3 = v128.load32_splat(a3);
    a0 += 4;
    a1 += 4;
    a2 += 4;
    a3 += 4;

    const vb0123 = v128.load(w);
    const vb4567 = v128.load(w, 16);
    w += 32;

    vacc0x0123 = madd(va0, vb0123, vacc0x0123);
    vacc0x4567 = madd(va0, vb4567, vacc0x4567);
    vacc1x0123 = madd(va1, vb0123, vacc1x0123);
    vacc1x4567 = madd(va1, vb4567, vacc1x4567);
    vacc2x0123 = madd(va2, vb0123, vacc2x0123);
    vacc2x4567 = madd(va2, vb4567, vacc2x4567);
    vacc3x0123 = madd(va3, vb0123, vacc3x0123);
    vacc3x4567 = madd(va3, vb4567, vacc3x4567);
  }

  if (r != 0) {
    // Row i's residual: the row above it when i >= mr, as for a and c.
    const r1 = mr < 2 ? r : r + rStride;
    const r2 = mr <= 2 ? r1 : r1 + rStride;
    const r3 = mr != 4 ? r2 : r2 + rStride;
    vacc0x0123 = addResidual(vacc0x0123, r, nc);
    vacc0x4567 = addResidual(vacc0x4567, r + 16, nc - 4);
    vacc1x0123 = addResidual(vacc1x0123, r1, nc);
    vacc1x4567 = addResidual(vacc1x4567, r1 + 16, nc - 4);
    vacc2x0123 = addResidual(vacc2x0123, r2, nc);
    vacc2x4567 = addResidual(vacc2x4567, r2 + 16, nc - 4);
    vacc3x0123 = addResidual(vacc3x0123, r3, nc);
    vacc3x4567 = addResidual(vacc3x4567, r3 + 16, nc - 4);
  }
  vacc0x0123 = epilogue(vacc0x0123, vmin, vmax, valpha);
  vacc0x4567 = epilogue(vacc0x4567, vmin, vmax, valpha);
  vacc1x0123 = epilogue(vacc1x0123, vmin, vmax, valpha);
  vacc1x4567 = epilogue(vacc1x4567, vmin, vmax, valpha);
  vacc2x0123 = epilogue(vacc2x0123, vmin, vmax, valpha);
  vacc2x4567 = epilogue(vacc2x4567, vmin, vmax, valpha);
  vacc3x0123 = epilogue(vacc3x0123, vmin, vmax, valpha);
  vacc3x4567 = epilogue(vacc3x4567, vmin, vmax, valpha);

  // Stores go bottom-up: an aliased row is rewritten with its own values last.
  if (nc == 8) {
    v128.store(c3, vacc3x0123);
    v128.store(c3, vacc3x4567, 16);
    v128.store(c2, vacc2x0123);
    v128.store(c2, vacc2x4567, 16);
    v128.store(c1, vacc1x0123);
    v128.store(c1, vacc1x4567, 16);
    v128.store(c0, vacc0x0123);
    v128.store(c0, vacc0x4567, 16);
    return;
  }
  if (nc & 4) {
    v128.store(c3, vacc3x0123);
    v128.store(c2, vacc2x0123);
    v128.store(c1, vacc1x0123);
    v128.store(c0, vacc0x0123);
    vacc3x0123 = vacc3x4567;
    vacc2x0123 = vacc2x4567;
    vacc1x0123 = vacc1x4567;
    vacc0x0123 = vacc0x4567;
    c3 += 16;
    c2 += 16;
    c1 += 16;
    c0 += 16;
  }
  if (nc & 2) {
    v128.store64_lane(c3, vacc3x0123, 0);
    v128.store64_lane(c2, vacc2x0123, 0);
    v128.store64_lane(c1, vacc1x0123, 0);
    v128.store64_lane(c0, vacc0x0123, 0);
    // Lanes 2, 3 down to 0, 1 for the last odd column.
    vacc3x0123 = i64x2.shuffle(vacc3x0123, vacc3x0123, 1, 1);
    vacc2x0123 = i64x2.shuffle(vacc2x0123, vacc2x0123, 1, 1);
    vacc1x0123 = i64x2.shuffle(vacc1x0123, vacc1x0123, 1, 1);
    vacc0x0123 = i64x2.shuffle(vacc0x0123, vacc0x0123, 1, 1);
    c3 += 8;
    c2 += 8;
    c1 += 8;
    c0 += 8;
  }
  if (nc & 1) {
    v128.store32_lane(c3, vacc3x0123, 0);
    v128.store32_lane(c2, vacc2x0123, 0);
    v128.store32_lane(c1, vacc1x0123, 0);
    v128.store32_lane(c0, vacc0x0123, 0);
  }
}
