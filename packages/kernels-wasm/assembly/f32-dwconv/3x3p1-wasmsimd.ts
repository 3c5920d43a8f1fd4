// Depthwise 3x3 convolution, dilation 1, zero padding of at most one row / column on each side
// (MobileNet's 'same' 3x3 at stride 1 and 2), 4 channels per step.
// Per output row and channel step, the nine weight vectors stay in registers across the row of output
// pixels. Rows and columns that fall in the padding are dropped at compile time: every output row and
// border pixel picks one of the instantiations below instead of checking taps.
// Interior pixels go two at a time: the pair shares the input columns of its overlapping windows
// (12 loads for 2 outputs at stride 1, 15 at stride 2, instead of 18), and V8's per-iteration loop
// overhead (counter, bounds, stack check) is paid once per pair. Stride 1 and 2 only (others take
// the generic loop).
import { madd } from '../common';

/** Cache lines per L1 set a tile may fill when a row's lines collide (see f32_dwconv_3x3p1). */
const LINES_PER_SET: i32 = 8;

// The epilogue with pmin/pmax, one instruction each on x86: f32x4.min/max lower to about seven
// (NaN and signed-zero fix-ups). pmax(v, lo) = v < lo ? lo : v keeps NaN and -0 like epilogueScalar.
@inline function clamp(v: v128, vmin: v128, vmax: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, vmin), vmax);
}

@inline function leakyClamp(v: v128, vmin: v128, vmax: v128, valpha: v128): v128 {
  const neg = f32x4.lt(v, f32x4.splat(0));
  return clamp(v128.bitselect(f32x4.mul(v, valpha), v, neg), vmin, vmax);
}

// Epilogues, fixed at compile time per instantiation. LINEAR (min, max = -Inf, +Inf, alpha = 1: the
// clamp is the identity, bit for bit) also frees the two registers of vmin / vmax in the pair loop.
const EP_LINEAR: i32 = 0;
const EP_CLAMP: i32 = 1;
const EP_LEAKY: i32 = 2;

@inline function finish(v: v128, vmin: v128, vmax: v128, valpha: v128, ep: i32): v128 {
  if (ep == EP_LINEAR) return v;
  if (ep == EP_CLAMP) return clamp(v, vmin, vmax);
  return leakyClamp(v, vmin, vmax, valpha);
}

/**
 * One output pixel, 4 channels. p0, p1, p2: input rows 0..2 of the window at its column 0 (bytes);
 * the columns are `pixelBytes` apart. A tap whose row or column flag is false is never read.
 */
@inline function pixel(
  p0: usize, p1: usize, p2: usize, pixelBytes: usize,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128,
  vbias: v128, dst: usize, vmin: v128, vmax: v128, valpha: v128,
  row0: bool, row2: bool, col0: bool, col2: bool, ep: i32,
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
  vacc = finish(vacc, vmin, vmax, valpha, ep);
  v128.store(dst, vacc);
}

/**
 * Scheduling barrier for a pair, as in `pixel`: TurboFan emits a block's loads in program order but its
 * arithmetic just before the first use, so without a use here the loads of all three rows would be
 * live at once and push the weights out of registers. d is 4-byte aligned: the stores never run.
 * (Unconditional stores of the partial sums cost more: +2 stores per row and no gain.)
 */
@inline function fence(d: usize, pixelBytes: usize, a: v128, b: v128): void {
  if (d & 3) {
    v128.store(d, a);
    v128.store(d + pixelBytes, b);
  }
}

/**
 * Two neighbouring interior output pixels (all 9 taps of each inside the input except rows dropped by
 * row0 / row2), 4 channels. p0, p1, p2: window rows of the first pixel at its column 0.
 */
@inline function pair(
  p0: usize, p1: usize, p2: usize, pixelBytes: usize, threeCols: usize,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128,
  vbias: v128, dst: usize, vmin: v128, vmax: v128, valpha: v128,
  row0: bool, row2: bool, s2: bool, ep: i32,
): void {
  const twoCols = pixelBytes << 1;
  const fourCols = pixelBytes << 2;
  let a = vbias;
  let b = vbias;
  if (row0) {
    const x0 = v128.load(p0);
    const x1 = v128.load(p0 + pixelBytes);
    const x2 = v128.load(p0 + twoCols);
    const x3 = v128.load(p0 + threeCols);
    a = madd(x0, w0, a);
    a = madd(x1, w1, a);
    a = madd(x2, w2, a);
    if (s2) {
      const x4 = v128.load(p0 + fourCols);
      b = madd(x2, w0, b);
      b = madd(x3, w1, b);
      b = madd(x4, w2, b);
    } else {
      b = madd(x1, w0, b);
      b = madd(x2, w1, b);
      b = madd(x3, w2, b);
    }
    fence(dst, pixelBytes, a, b);
  }
  {
    const x0 = v128.load(p1);
    const x1 = v128.load(p1 + pixelBytes);
    const x2 = v128.load(p1 + twoCols);
    const x3 = v128.load(p1 + threeCols);
    a = madd(x0, w3, a);
    a = madd(x1, w4, a);
    a = madd(x2, w5, a);
    if (s2) {
      const x4 = v128.load(p1 + fourCols);
      b = madd(x2, w3, b);
      b = madd(x3, w4, b);
      b = madd(x4, w5, b);
    } else {
      b = madd(x1, w3, b);
      b = madd(x2, w4, b);
      b = madd(x3, w5, b);
    }
  }
  if (row2) {
    fence(dst, pixelBytes, a, b);
    const x0 = v128.load(p2);
    const x1 = v128.load(p2 + pixelBytes);
    const x2 = v128.load(p2 + twoCols);
    const x3 = v128.load(p2 + threeCols);
    a = madd(x0, w6, a);
    a = madd(x1, w7, a);
    a = madd(x2, w8, a);
    if (s2) {
      const x4 = v128.load(p2 + fourCols);
      b = madd(x2, w6, b);
      b = madd(x3, w7, b);
      b = madd(x4, w8, b);
    } else {
      b = madd(x1, w6, b);
      b = madd(x2, w7, b);
      b = madd(x3, w8, b);
    }
  }
  a = finish(a, vmin, vmax, valpha, ep);
  b = finish(b, vmin, vmax, valpha, ep);
  v128.store(dst, a);
  v128.store(dst + pixelBytes, b);
}

/**
 * Output pixels [ox0, ox1) of one output row, channels [0, cVec). in0: input row iy0 of the image at
 * column 0, channel 0 (it may lie outside the image when row0 is false: it is then never read).
 * dst: the output row. Pixels [0, oxBegin) miss window column 0 (at most pixel 0), [oxEnd, ow) miss
 * column 2 (at most the last one).
 */
@inline function outputTile(
  in0: usize, rowBytes: usize, pixelBytes: usize, sw: i32, padL: i32, ox0: i32, ox1: i32,
  oxBegin: i32, oxEnd: i32, firstCol2: bool, cVec: i32,
  weights: usize, bias: usize, dst: usize, vmin: v128, vmax: v128, valpha: v128,
  row0: bool, row2: bool, s2: bool, ep: i32,
): void {
  const tapBytes = pixelBytes;
  const stepBytes = pixelBytes * <usize>sw;
  const pairBytes = stepBytes << 1;
  const threeCols = pixelBytes * 3;
  const left = ox0 < oxBegin;
  const midBegin = left ? oxBegin : ox0;
  const midEnd = oxEnd < ox1 ? oxEnd : ox1;
  const pairs = midEnd > midBegin ? (midEnd - midBegin) >> 1 : 0;
  const col0 = <usize>(ox0 * sw - padL) * pixelBytes;

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

    // Window of pixel ox0.
    let p0 = in0 + chBytes + col0;
    let p1 = p0 + rowBytes;
    let p2 = p1 + rowBytes;
    let d = dst + chBytes + <usize>ox0 * pixelBytes;
    let ox = ox0;
    if (left) {
      if (firstCol2) pixel(p0, p1, p2, pixelBytes, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, false, true, ep);
      else pixel(p0, p1, p2, pixelBytes, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, false, false, ep);
      p0 += stepBytes;
      p1 += stepBytes;
      p2 += stepBytes;
      d += pixelBytes;
      ox++;
    }
    for (let i = 0; i < pairs; i++) {
      pair(p0, p1, p2, pixelBytes, threeCols, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, s2, ep);
      p0 += pairBytes;
      p1 += pairBytes;
      p2 += pairBytes;
      d += pixelBytes << 1;
    }
    ox += pairs << 1;
    if (ox < midEnd) {
      pixel(p0, p1, p2, pixelBytes, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, true, true, ep);
      p0 += stepBytes;
      p1 += stepBytes;
      p2 += stepBytes;
      d += pixelBytes;
      ox++;
    }
    if (ox < ox1) {
      pixel(p0, p1, p2, pixelBytes, w0, w1, w2, w3, w4, w5, w6, w7, w8, vbias, d, vmin, vmax, valpha, row0, row2, true, false, ep);
    }
  }
}

/** One output row in tiles of `tile` pixels (see f32_dwconv_3x3p1). */
@inline function outputRow(
  in0: usize, rowBytes: usize, pixelBytes: usize, w: i32, sw: i32, padL: i32, ow: i32, tile: i32, cVec: i32,
  weights: usize, bias: usize, dst: usize, vmin: v128, vmax: v128, valpha: v128,
  row0: bool, row2: bool, s2: bool, ep: i32, tiled: bool,
): void {
  const oxBegin = padL < ow ? padL : ow;
  let oxEnd = w - 2 + padL <= 0 ? 0 : (w - 2 + padL + sw - 1) / sw;
  if (oxEnd > ow) oxEnd = ow;
  if (oxEnd < oxBegin) oxEnd = oxBegin;
  const firstCol2 = w > 1;
  if (!tiled) {
    // Whole rows, in functions of their own: the tile loop's extra live values cost 5-10% on 14x14.
    outputTile(
      in0, rowBytes, pixelBytes, sw, padL, 0, ow, oxBegin, oxEnd, firstCol2, cVec,
      weights, bias, dst, vmin, vmax, valpha, row0, row2, s2, ep,
    );
    return;
  }
  for (let ox0 = 0; ox0 < ow; ox0 += tile) {
    const ox1 = ow - ox0 > tile ? ox0 + tile : ow;
    outputTile(
      in0, rowBytes, pixelBytes, sw, padL, ox0, ox1, oxBegin, oxEnd, firstCol2, cVec,
      weights, bias, dst, vmin, vmax, valpha, row0, row2, s2, ep,
    );
  }
}

/** Is (kh, kw, sh, sw, dh, dw, pads) a case `f32_dwconv_3x3p1` handles? */
@inline export function dwconv3x3p1Applies(
  h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, circular: i32,
): bool {
  if (kh != 3 || kw != 3 || dh != 1 || dw != 1 || circular != 0 || oh <= 0 || ow <= 0) return false;
  if (sw != 1 && sw != 2) return false;
  if (padT < 0 || padT > 1 || padL < 0 || padL > 1) return false;
  // The last window overhangs the bottom / right edge by at most one row / column.
  return (oh - 1) * sh - padT + 3 <= h + 1 && (ow - 1) * sw - padL + 3 <= w + 1;
}

/** All rows [r0, r1) of one instantiation (row flags, stride, epilogue fixed at compile time). */
@inline function rows(
  x: usize, h: i32, w: i32, sh: i32, sw: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128,
  r0: i32, r1: i32, s2: bool, ep: i32, tiled: bool,
): void {
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
    if (row0 && row2) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, tile, cVec, weights, bias, dst, vmin, vmax, valpha, true, true, s2, ep, tiled);
    else if (row2) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, tile, cVec, weights, bias, dst, vmin, vmax, valpha, false, true, s2, ep, tiled);
    else if (row0) outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, tile, cVec, weights, bias, dst, vmin, vmax, valpha, true, false, s2, ep, tiled);
    else outputRow(in0, rowBytes, pixelBytes, w, sw, padL, ow, tile, cVec, weights, bias, dst, vmin, vmax, valpha, false, false, s2, ep, tiled);
    dst += outRowBytes;
    if (++oy == oh) {
      oy = 0;
      image += imageBytes;
    }
  }
}

// One wasm function per (stride, epilogue, tiling): TurboFan allocates registers worse in one huge
// function (all of them in f32_dwconv_3x3p1: -10 to -25%). Tiled rows (rare) have no LINEAR variant:
// they clamp to +-Inf, which gives the same bits.
function rowsS1Linear(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 1, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, false, EP_LINEAR, false);
}

function rowsS2Linear(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 2, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, true, EP_LINEAR, false);
}

function rowsS1(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 1, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, false, EP_CLAMP, false);
}

function rowsS2(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 2, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, true, EP_CLAMP, false);
}

function rowsS1Leaky(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 1, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, false, EP_LEAKY, false);
}

function rowsS2Leaky(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 2, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, true, EP_LEAKY, false);
}

function rowsS1Tiled(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 1, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, false, EP_CLAMP, true);
}

function rowsS2Tiled(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 2, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, true, EP_CLAMP, true);
}

function rowsS1LeakyTiled(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 1, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, false, EP_LEAKY, true);
}

function rowsS2LeakyTiled(
  x: usize, h: i32, w: i32, sh: i32, padT: i32, padL: i32, oh: i32, ow: i32, tile: i32, cVec: i32,
  rowBytes: usize, pixelBytes: usize, imageBytes: usize, outRowBytes: usize,
  weights: usize, bias: usize, out: usize, vmin: v128, vmax: v128, valpha: v128, r0: i32, r1: i32,
): void {
  rows(x, h, w, sh, 2, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1, true, EP_LEAKY, true);
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
  const pixelBytes = <usize>c << 2;
  const rowBytes = pixelBytes * <usize>w;
  const imageBytes = rowBytes * <usize>h;
  const outRowBytes = pixelBytes * <usize>ow;
  const cVec = c & ~3;
  // Each channel step re-reads the cache lines of the step before (a line holds 16 channels), which
  // must still be in L1. When the input pixels of a row are a multiple of 512 bytes apart (c = 64 at
  // stride 2, c = 128, 256, ...), a row's lines all fall in at most 8 of L1's 64 sets and evict each
  // other before the next step: such rows go in tiles of a few input columns (1.3-1.7x for 56x56x128,
  // 28x28x256 at stride 2 and 56x56x128 at stride 1; other shapes lose ~10% to tiling, so they run
  // whole rows).
  let tile = ow;
  const stepBytes = pixelBytes * <usize>sw;
  if ((stepBytes & 511) == 0) {
    // Successive pixels of a row stream hit 64 / gcd(lines per step, 64) sets; keep the tile's 3 rows
    // of lines within LINES_PER_SET of them per set.
    const lineStep = <i32>(stepBytes >> 6) & 63;
    const sets = lineStep == 0 ? 1 : 64 / (lineStep & -lineStep);
    const inCols = sets * LINES_PER_SET / 3;
    // Tiles of one pixel reload the weights for every pixel and lose more than they save (14x14x1024).
    const t = inCols > 3 ? (inCols - 3) / sw + 1 : 1;
    if (t > 1 && t < ow) tile = t;
  }
  // alpha = 1 (no leaky ReLU) leaves only the clamp: 2 vector ops per pixel instead of 5, none when
  // the clamp is to +-Inf.
  const leaky = alpha != 1;
  if (tile < ow) {
    if (leaky) {
      if (sw == 2) rowsS2LeakyTiled(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
      else rowsS1LeakyTiled(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
    } else {
      if (sw == 2) rowsS2Tiled(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
      else rowsS1Tiled(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
    }
  } else if (leaky) {
    if (sw == 2) rowsS2Leaky(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
    else rowsS1Leaky(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
  } else if (outMin == -Infinity && outMax == Infinity) {
    if (sw == 2) rowsS2Linear(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
    else rowsS1Linear(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
  } else {
    if (sw == 2) rowsS2(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
    else rowsS1(x, h, w, sh, padT, padL, oh, ow, tile, cVec, rowBytes, pixelBytes, imageBytes, outRowBytes, weights, bias, out, vmin, vmax, valpha, r0, r1);
  }
}
