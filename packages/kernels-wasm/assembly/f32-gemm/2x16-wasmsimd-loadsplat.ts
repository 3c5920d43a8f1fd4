// GEMM microkernel: an mr x nc tile (mr <= 2, nc <= 16) of C = A * B + bias, then the epilogue.
// Loadsplat form: per k, each row broadcasts one A float (v128.load32_splat) against four vectors of B.
//
// Shape and form measured best under V8 on x86 of 4x8, 5x8, 6x8, 3x8, 4x16, 3x16 and 2x16 (loadsplat),
// 4x8 and 6x8 (splat): wider tiles spill, since x64 has 16 xmm registers (one reserved by V8).
// Why k is unrolled by 2 with a barrier: V8's TurboFan schedules every load of a loop body before
// its arithmetic, so two plain k steps keep 12 loaded vectors live next to the 8 accumulators and
// spill. The never-taken branch that stores the accumulators makes the first step's arithmetic
// finish before the second step's loads.
import { epilogue, madd } from '../common';
import { addResidual } from './residual';

/**
 * a: (mr, kc) rows `aStride` bytes apart. w: one packed panel, 16 bias floats then (kc, 16).
 * c: (mr, nc) rows `cStride` bytes apart. With mr = 1 the second row aliases the first: it computes
 * and stores the same values again instead of branching in the k loop. r: 0, or a residual (mr, nc)
 * laid out like c (rows `rStride` bytes apart), added before the epilogue.
 */
@inline export function f32_gemm_ukernel_2x16__wasmsimd_loadsplat(
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
  if (mr != 2) {
    a1 = a0;
    c1 = c0;
  }

  let vacc0x0123 = v128.load(w);
  let vacc0x4567 = v128.load(w, 16);
  let vacc0x89AB = v128.load(w, 32);
  let vacc0xCDEF = v128.load(w, 48);
  let vacc1x0123 = vacc0x0123;
  let vacc1x4567 = vacc0x4567;
  let vacc1x89AB = vacc0x89AB;
  let vacc1xCDEF = vacc0xCDEF;
  w += 64;

  let k = kc;
  for (; k >= 2; k -= 2) {
    const vb0123 = v128.load(w);
    const vb4567 = v128.load(w, 16);
    const vb89AB = v128.load(w, 32);
    const vbCDEF = v128.load(w, 48);
    const va0 = v128.load32_splat(a0);
    vacc0x0123 = madd(va0, vb0123, vacc0x0123);
    vacc0x4567 = madd(va0, vb4567, vacc0x4567);
    vacc0x89AB = madd(va0, vb89AB, vacc0x89AB);
    vacc0xCDEF = madd(va0, vbCDEF, vacc0xCDEF);
    const va1 = v128.load32_splat(a1);
    vacc1x0123 = madd(va1, vb0123, vacc1x0123);
    vacc1x4567 = madd(va1, vb4567, vacc1x4567);
    vacc1x89AB = madd(va1, vb89AB, vacc1x89AB);
    vacc1xCDEF = madd(va1, vbCDEF, vacc1xCDEF);

    // Scheduling barrier (see the header): packed B is 4-byte aligned, so the stores never run.
    if (w & 3) {
      v128.store(c0, vacc0x0123);
      v128.store(c0, vacc0x4567);
      v128.store(c0, vacc0x89AB);
      v128.store(c0, vacc0xCDEF);
      v128.store(c0, vacc1x0123);
      v128.store(c0, vacc1x4567);
      v128.store(c0, vacc1x89AB);
      v128.store(c0, vacc1xCDEF);
    }

    const vb0123n = v128.load(w, 64);
    const vb4567n = v128.load(w, 80);
    const vb89ABn = v128.load(w, 96);
    const vbCDEFn = v128.load(w, 112);
    const va0n = v128.load32_splat(a0, 4);
    vacc0x0123 = madd(va0n, vb0123n, vacc0x0123);
    vacc0x4567 = madd(va0n, vb4567n, vacc0x4567);
    vacc0x89AB = madd(va0n, vb89ABn, vacc0x89AB);
    vacc0xCDEF = madd(va0n, vbCDEFn, vacc0xCDEF);
    const va1n = v128.load32_splat(a1, 4);
    vacc1x0123 = madd(va1n, vb0123n, vacc1x0123);
    vacc1x4567 = madd(va1n, vb4567n, vacc1x4567);
    vacc1x89AB = madd(va1n, vb89ABn, vacc1x89AB);
    vacc1xCDEF = madd(va1n, vbCDEFn, vacc1xCDEF);
    a0 += 8;
    a1 += 8;
    w += 128;
  }
  if (k != 0) {
    const vb0123 = v128.load(w);
    const vb4567 = v128.load(w, 16);
    const vb89AB = v128.load(w, 32);
    const vbCDEF = v128.load(w, 48);
    const va0 = v128.load32_splat(a0);
    vacc0x0123 = madd(va0, vb0123, vacc0x0123);
    vacc0x4567 = madd(va0, vb4567, vacc0x4567);
    vacc0x89AB = madd(va0, vb89AB, vacc0x89AB);
    vacc0xCDEF = madd(va0, vbCDEF, vacc0xCDEF);
    const va1 = v128.load32_splat(a1);
    vacc1x0123 = madd(va1, vb0123, vacc1x0123);
    vacc1x4567 = madd(va1, vb4567, vacc1x4567);
    vacc1x89AB = madd(va1, vb89AB, vacc1x89AB);
    vacc1xCDEF = madd(va1, vbCDEF, vacc1xCDEF);
  }

  if (r != 0) {
    const r1 = mr == 2 ? r + rStride : r;
    vacc0x0123 = addResidual(vacc0x0123, r, nc);
    vacc0x4567 = addResidual(vacc0x4567, r + 16, nc - 4);
    vacc0x89AB = addResidual(vacc0x89AB, r + 32, nc - 8);
    vacc0xCDEF = addResidual(vacc0xCDEF, r + 48, nc - 12);
    vacc1x0123 = addResidual(vacc1x0123, r1, nc);
    vacc1x4567 = addResidual(vacc1x4567, r1 + 16, nc - 4);
    vacc1x89AB = addResidual(vacc1x89AB, r1 + 32, nc - 8);
    vacc1xCDEF = addResidual(vacc1xCDEF, r1 + 48, nc - 12);
  }
  vacc0x0123 = epilogue(vacc0x0123, vmin, vmax, valpha);
  vacc0x4567 = epilogue(vacc0x4567, vmin, vmax, valpha);
  vacc0x89AB = epilogue(vacc0x89AB, vmin, vmax, valpha);
  vacc0xCDEF = epilogue(vacc0xCDEF, vmin, vmax, valpha);
  vacc1x0123 = epilogue(vacc1x0123, vmin, vmax, valpha);
  vacc1x4567 = epilogue(vacc1x4567, vmin, vmax, valpha);
  vacc1x89AB = epilogue(vacc1x89AB, vmin, vmax, valpha);
  vacc1xCDEF = epilogue(vacc1xCDEF, vmin, vmax, valpha);

  // Stores go bottom-up: an aliased row is rewritten with its own values last.
  if (nc == 16) {
    v128.store(c1, vacc1x0123);
    v128.store(c1, vacc1x4567, 16);
    v128.store(c1, vacc1x89AB, 32);
    v128.store(c1, vacc1xCDEF, 48);
    v128.store(c0, vacc0x0123);
    v128.store(c0, vacc0x4567, 16);
    v128.store(c0, vacc0x89AB, 32);
    v128.store(c0, vacc0xCDEF, 48);
    return;
  }
  if (nc & 8) {
    v128.store(c1, vacc1x0123);
    v128.store(c1, vacc1x4567, 16);
    v128.store(c0, vacc0x0123);
    v128.store(c0, vacc0x4567, 16);
    vacc1x0123 = vacc1x89AB;
    vacc1x4567 = vacc1xCDEF;
    vacc0x0123 = vacc0x89AB;
    vacc0x4567 = vacc0xCDEF;
    c1 += 32;
    c0 += 32;
  }
  if (nc & 4) {
    v128.store(c1, vacc1x0123);
    v128.store(c0, vacc0x0123);
    vacc1x0123 = vacc1x4567;
    vacc0x0123 = vacc0x4567;
    c1 += 16;
    c0 += 16;
  }
  if (nc & 2) {
    v128.store64_lane(c1, vacc1x0123, 0);
    v128.store64_lane(c0, vacc0x0123, 0);
    // Lanes 2, 3 down to 0, 1 for the last odd column.
    vacc1x0123 = i64x2.shuffle(vacc1x0123, vacc1x0123, 1, 1);
    vacc0x0123 = i64x2.shuffle(vacc0x0123, vacc0x0123, 1, 1);
    c1 += 8;
    c0 += 8;
  }
  if (nc & 1) {
    v128.store32_lane(c1, vacc1x0123, 0);
    v128.store32_lane(c0, vacc0x0123, 0);
  }
}
