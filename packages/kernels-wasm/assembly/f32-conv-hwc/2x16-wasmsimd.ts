// Direct NHWC convolution microkernel: 2 output pixels of one output row x 16 output channels.
// An implicit GEMM: per tap (ky, kx, ci), each pixel broadcasts one input float (v128.load32_splat) against
// four vectors of the packed weights, so 8 accumulators + 4 weights + 2 broadcasts = 14 of the 15 xmm
// registers V8 gives out on x64. The taps of one kernel row are `segs` runs of `run` contiguous input floats
// (dilation 1: one run of kw * cin; dilation d: kw runs of cin), which makes the clipping of edge pixels
// (fewer taps, a weight skip per kernel row) the same loop as the interior.
// Why the run is unrolled by 2 with a never-taken store: see f32-gemm/2x16-wasmsimd-loadsplat.ts.
import { clampStep, leakyStep, madd } from '../common';

/**
 * a: pixel 0's input at its first tap; pixel 1's is `aStride` bytes on (mr = 1: pixel 1 aliases pixel 0).
 * rows kernel rows `rowStep` input bytes apart, each `segs` runs of `run` floats `segStep` bytes apart.
 * bias: 16 floats. w: the (tap, 16) weights of the first tap; after each kernel row `wSkip` bytes of clipped
 * taps are skipped. c: pixel 0's nc outputs; pixel 1's are `cStride` bytes on. leaky: alpha != 1 (else the
 * epilogue is only the clamp).
 */
@inline export function f32_conv_hwc_ukernel_2x16__wasmsimd(
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
  if (mr != 2) {
    c1 = c0;
    a1Off = 0;
  }

  let vacc0x0123 = v128.load(bias);
  let vacc0x4567 = v128.load(bias, 16);
  let vacc0x89AB = v128.load(bias, 32);
  let vacc0xCDEF = v128.load(bias, 48);
  let vacc1x0123 = vacc0x0123;
  let vacc1x4567 = vacc0x4567;
  let vacc1x89AB = vacc0x89AB;
  let vacc1xCDEF = vacc0xCDEF;

  let aRow = a;
  for (let ky = 0; ky < rows; ky++) {
    let aSeg = aRow;
    for (let s = 0; s < segs; s++) {
      let a0 = aSeg;
      let a1 = aSeg + a1Off;
      let k = run;
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

        // Scheduling barrier: packed weights are 4-byte aligned, so the stores never run.
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
        w += 64;
      }
      aSeg += segStep;
    }
    w += wSkip;
    aRow += rowStep;
  }

  if (leaky) {
    vacc0x0123 = leakyStep(vacc0x0123, valpha);
    vacc0x4567 = leakyStep(vacc0x4567, valpha);
    vacc0x89AB = leakyStep(vacc0x89AB, valpha);
    vacc0xCDEF = leakyStep(vacc0xCDEF, valpha);
    vacc1x0123 = leakyStep(vacc1x0123, valpha);
    vacc1x4567 = leakyStep(vacc1x4567, valpha);
    vacc1x89AB = leakyStep(vacc1x89AB, valpha);
    vacc1xCDEF = leakyStep(vacc1xCDEF, valpha);
  }
  vacc0x0123 = clampStep(vacc0x0123, vmin, vmax);
  vacc0x4567 = clampStep(vacc0x4567, vmin, vmax);
  vacc0x89AB = clampStep(vacc0x89AB, vmin, vmax);
  vacc0xCDEF = clampStep(vacc0xCDEF, vmin, vmax);
  vacc1x0123 = clampStep(vacc1x0123, vmin, vmax);
  vacc1x4567 = clampStep(vacc1x4567, vmin, vmax);
  vacc1x89AB = clampStep(vacc1x89AB, vmin, vmax);
  vacc1xCDEF = clampStep(vacc1xCDEF, vmin, vmax);

  // Stores go pixel 1 first: an aliased pixel is rewritten with its own values last.
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
