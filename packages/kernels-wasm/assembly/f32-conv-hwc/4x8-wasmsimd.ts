// Direct NHWC convolution microkernel: 4 output pixels of one output row x 8 output channels, for a last
// panel of at most 8 channels (the 2x16 kernel would half waste it). Same tap walk as 2x16-wasmsimd.ts:
// 8 accumulators + 2 weights + 4 broadcasts.
import { clampStep, leakyStep, madd } from '../common';

/**
 * As f32_conv_hwc_ukernel_2x16__wasmsimd with up to 4 pixels `aStride` input bytes and `cStride` output
 * bytes apart (pixels beyond mr alias the one before), bias of 8 floats and (tap, 8) weights.
 */
@inline export function f32_conv_hwc_ukernel_4x8__wasmsimd(
  mr: i32, nc: i32,
  a: usize, aStride: usize,
  rows: i32, rowStep: usize, segs: i32, segStep: usize, run: i32,
  bias: usize, w: usize, wSkip: usize,
  c: usize, cStride: usize,
  vmin: v128, vmax: v128, valpha: v128, leaky: bool,
): void {
  let c0 = c;
  let c1 = c0 + cStride;
  let a1Off = aStride;
  if (mr < 2) {
    c1 = c0;
    a1Off = 0;
  }
  let c2 = c1 + cStride;
  let a2Off = a1Off + aStride;
  if (mr <= 2) {
    c2 = c1;
    a2Off = a1Off;
  }
  let c3 = c2 + cStride;
  let a3Off = a2Off + aStride;
  if (mr != 4) {
    c3 = c2;
    a3Off = a2Off;
  }

  let vacc0x0123 = v128.load(bias);
  let vacc0x4567 = v128.load(bias, 16);
  let vacc1x0123 = vacc0x0123;
  let vacc1x4567 = vacc0x4567;
  let vacc2x0123 = vacc0x0123;
  let vacc2x4567 = vacc0x4567;
  let vacc3x0123 = vacc0x0123;
  let vacc3x4567 = vacc0x4567;

  let aRow = a;
  for (let ky = 0; ky < rows; ky++) {
    let aSeg = aRow;
    for (let s = 0; s < segs; s++) {
      let a0 = aSeg;
      let a1 = aSeg + a1Off;
      let a2 = aSeg + a2Off;
      let a3 = aSeg + a3Off;
      for (let k = run; k > 0; k--) {
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
      aSeg += segStep;
    }
    w += wSkip;
    aRow += rowStep;
  }

  if (leaky) {
    vacc0x0123 = leakyStep(vacc0x0123, valpha);
    vacc0x4567 = leakyStep(vacc0x4567, valpha);
    vacc1x0123 = leakyStep(vacc1x0123, valpha);
    vacc1x4567 = leakyStep(vacc1x4567, valpha);
    vacc2x0123 = leakyStep(vacc2x0123, valpha);
    vacc2x4567 = leakyStep(vacc2x4567, valpha);
    vacc3x0123 = leakyStep(vacc3x0123, valpha);
    vacc3x4567 = leakyStep(vacc3x4567, valpha);
  }
  vacc0x0123 = clampStep(vacc0x0123, vmin, vmax);
  vacc0x4567 = clampStep(vacc0x4567, vmin, vmax);
  vacc1x0123 = clampStep(vacc1x0123, vmin, vmax);
  vacc1x4567 = clampStep(vacc1x4567, vmin, vmax);
  vacc2x0123 = clampStep(vacc2x0123, vmin, vmax);
  vacc2x4567 = clampStep(vacc2x4567, vmin, vmax);
  vacc3x0123 = clampStep(vacc3x0123, vmin, vmax);
  vacc3x4567 = clampStep(vacc3x4567, vmin, vmax);

  // Stores go last pixel first: an aliased pixel is rewritten with its own values last.
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
