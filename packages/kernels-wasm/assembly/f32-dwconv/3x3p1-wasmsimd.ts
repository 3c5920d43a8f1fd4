// Depthwise 3x3 convolution, dilation 1, zero padding of at most one row / column on each side
// (MobileNet's 'same' 3x3 at stride 1 and 2), 4 channels per step.
// Per output row and channel step, the nine weight vectors stay in registers across the row of output
// pixels. Rows and columns that fall in the padding are dropped at compile time: every output row and
// border pixel picks one of the instantiations below instead of checking taps.
import { madd } from '../common';

// The epilogue with pmin/pmax, one instruction each on x86: f32x4.min/max lower to about seven
// (NaN and signed-zero fix-ups). pmax(v, lo) = v < lo ? lo : v keeps NaN and -0 like epilogueScalar.
@inline function clamp(v: v128, vmin: v128, vmax: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, vmin), vmax);
}

@inline function leakyClamp(v: v128, vmin: v128, vmax: v128, valpha: v128): v128 {
  const neg = f32x4.lt(v, f32x4.splat(0));
  return clamp(v128.bitselect(f32x4.mul(v, valpha), v, neg), vmin, vmax);
}

/**
 * One output pixel, 4 channels. p0, p1, p2: input rows 0..2 of the window at its column 0 (bytes);
 * the columns are `pixelBytes` apart. A tap whose row or column flag is false is never read.
 */
@inline function pixel(
  p0: usize, p1: usize, p2: usize, pixelBytes: usize,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128,
  vbias: v128, dst: usize, vmin: v128, vmax: v128, valpha: v128,
  row0: bool, row2: bool, col0: bool, col2: bool, leaky: bool,
): void {
  const oneCol = pixelBytes;
  const twoCols = pixelBytes << 1;
  let vacc = vbias;
  if (row0) {
    if (col0) vacc = madd(v128.load(p0), w0, vacc);
    vacc = madd(v128.load(p0 + oneCol), w1, vacc);
    if (col2) vacc = madd(v128.load(p0 + twoCols), w2, vacc);
    // Scheduling barrier: V8's TurboFan would hoist all nine loads above the arithmetic and spill the
    // weights. dst is 4-byte aligned, so the store never runs (and would be overwritten if it did).
    if (dst & 3) v128.store(dst, vacc);
  }
  if (col0) vacc = madd(v128.load(p1), w3, vacc);
  vacc = madd(v128.load(p1 + oneCol), w4, vacc);
  if (col2) vacc = madd(v128.load(p1 + twoCols), w5, vacc);
  if (row2) {
    if (dst & 3) v128.store(dst, vacc);
    if (col0) vacc = madd(v128.load(p2), w6, vacc);
    vacc = madd(v128.load(p2 + oneCol), w7, vacc);
    if (col2) vacc = madd(v128.load(p2 + twoCols), w8, vacc);
  }
  vacc = leaky ? leakyClamp(vacc, vmin, vmax, valpha) : clamp(vacc, vmin, vmax);
  v128.store(dst, vacc);
}

/**
 * One output row, channels [0, cVec). in0: input row iy0 of the image at column 0, channel 0 (it may
 * lie outside the image when row0 is false: it is then never read). dst: the output row.
 */
@inline function outputRow(
  in0: usize, rowBytes: usize, pixelBytes: usize, w: i32, sw: i32, padL: i32, ow: i32, cVec: i32,
  weights: usize, bias: usize, dst: usize, vmin: v128, vmax: v128, valpha: v128,
  row0: bool, row2: bool, leaky: bool,
): void {
  const tapBytes = pixelBytes;
  const stepBytes = pixelBytes * <usize>sw;
  // Pixels [0, oxBegin) miss column 0 (at most pixel 0), [oxEnd, ow) miss column 2 (at most one).
  const oxBegin = padL;
  let oxEnd = w - 2 + padL <= 0 ? 0 : (w - 2 + padL + sw - 1) / sw;
  if (oxEnd > ow) oxEnd = ow;
  const firstCol2 = w > 1;

  for (let ch = 0; ch < cVec; ch += 4) {
    const chBytes = <usize>ch << 2;
    const wp = weights + chBytes;
    const w0 = v128.load(wp);
    const w1 = v128.load(wp + tapBytes);
    const w2 = v128.load(wp + tapBytes * 2);
    const w3 = v128.load(wp + tapBytes * 3);
    const w4 = v128.load(wp + tapBytes * 4);
    const w5 = v128.load(wp + tapBytes * 5);
    const w6 = v128.load(wp + tapBytes * 6);
    const w7 = v128.load(wp + tapBytes * 7);
    const w8 = v128.load(wp + tapBytes * 8);
    const vbias = bias != 0 ? v128.load(bias + chBytes) : f32x4.splat(0);

    // Window of pixel 0 at column -padL.
    let p0 = in0 + chBytes - <usize>padL * pixelBytes;
    let p1 = p0 + rowBytes;
    let p2 = p1 + rowBytes;
    let d = dst + chBytes;
    let ox = 0;
    if (oxBegin > 0) {
      if (firstCol2) pixel(p0, p1, p2, pixelBytes, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, false, true, leaky);
      else pixel(p0, p1, p2, pixelBytes, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, false, false, leaky);
      p0 += stepBytes;
      p1 += stepBytes;
      p2 += stepBytes;
      d += pixelBytes;
      ox = 1;
    }
    for (; ox < oxEnd; ox++) {
      pixel(p0, p1, p2, pixelBytes, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, true, true, leaky);
      p0 += stepBytes;
      p1 += stepBytes;
      p2 += stepBytes;
      d += pixelBytes;
    }
    if (ox < ow) {
      pixel(p0, p1, p2, pixelBytes, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, true, false, leaky);
    }
  }
}

/** Is (kh, kw, sh, sw, dh, dw, pads) a case `f32_dwconv_3x3p1` handles? */
@inline export function dwconv3x3p1Applies(
  h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, circular: i32,
): bool {
  if (kh != 3 || kw != 3 || dh != 1 || dw != 1 || circular != 0 || oh <= 0 || ow <= 0) return false;
  if (padT < 0 || padT > 1 || padL < 0 || padL > 1) return false;
  // The last window overhangs the bottom / right edge by at most one row / column.
  return (oh - 1) * sh - padT + 3 <= h + 1 && (ow - 1) * sw - padL + 3 <= w + 1;
}

/**
 * Channels [0, c & ~3) of the depthwise convolution (see f32_dwconv) when dwconv3x3p1Applies, for the
 * global output rows [r0, r1) (row img * oh + oy). x: (n, h, w, c). weights: (3, 3, c). bias: (c) or 0.
 * out: (n, oh, ow, c).
 */
export function f32_dwconv_3x3p1(
  x: usize, h: i32, w: i32, c: i32,
  weights: usize, bias: usize,
  sh: i32, sw: i32, padT: i32, padL: i32, oh: i32, ow: i32,
  out: usize, outMin: f32, outMax: f32, alpha: f32, r0: i32, r1: i32,
): void {
  const vmin = f32x4.splat(outMin);
  const vmax = f32x4.splat(outMax);
  const valpha = f32x4.splat(alpha);
  // alpha = 1 (no leaky ReLU) leaves only the clamp: 2 vector ops per pixel instead of 5.
  const leaky = alpha != 1;
  const pixelBytes = <usize>c << 2;
  const rowBytes = pixelBytes * <usize>w;
  const imageBytes = rowBytes * <usize>h;
  const outRowBytes = pixelBytes * <usize>ow;
  const cVec = c & ~3;

  let dst = out + <usize>r0 * outRowBytes;
  let img = r0 / oh;
  let oy = r0 - img * oh;
  let image = x + <usize>img * imageBytes;
  for (let r = r0; r < r1; r++) {
    const iy0 = oy * sh - padT;
    // Row iy0 - 1 * rowBytes may precede the image: the address is formed but, with row0 false, never read.
    const in0 = image + <usize>iy0 * rowBytes;
    const row0 = iy0 >= 0;
    const row2 = iy0 + 2 < h;
    if (leaky) {
      if (row0 && row2) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, cVec, weights, bias, dst, vmin, vmax, valpha, true, true, true);
      else if (row2) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, cVec, weights, bias, dst, vmin, vmax, valpha, false, true, true);
      else if (row0) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, cVec, weights, bias, dst, vmin, vmax, valpha, true, false, true);
      else outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, cVec, weights, bias, dst, vmin, vmax, valpha, false, false, true);
    } else {
      if (row0 && row2) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, cVec, weights, bias, dst, vmin, vmax, valpha, true, true, false);
      else if (row2) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, cVec, weights, bias, dst, vmin, vmax, valpha, false, true, false);
      else if (row0) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, cVec, weights, bias, dst, vmin, vmax, valpha, true, false, false);
      else outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, cVec, weights, bias, dst, vmin, vmax, valpha, false, false, false);
    }
    dst += outRowBytes;
    if (++oy == oh) {
      oy = 0;
      image += imageBytes;
    }
  }
}
