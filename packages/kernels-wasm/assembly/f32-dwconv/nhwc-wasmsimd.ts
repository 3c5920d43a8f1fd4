// Depthwise convolution (channel multiplier 1) on NHWC, direct. The ABI entry: 3x3 windows with at
// most one row / column of zero padding per side go to the specialised kernel; everything else
// (other sizes, dilation, circular padding, wider pads, channel tails) to the generic loop here,
// 4 channels per f32x4 and a scalar tail, which clips each window's taps to the input.
import { epilogue, epilogueScalar, madd, maddScalar } from '../common';
import { dwconv3x3p1Applies, f32_dwconv_3x3p1 } from './3x3p1-wasmsimd';

/** i modulo size, non-negative even when |i| > size (circular pads wider than the input). */
@inline function wrap(i: i32, size: i32): i32 {
  let r = i % size;
  if (r < 0) r += size;
  return r;
}

/** First tap t in [0, taps) with 0 <= i0 + t * d: the taps before it fall in the top/left pad. */
@inline function firstTap(i0: i32, d: i32, taps: i32): i32 {
  if (i0 >= 0) return 0;
  const t = (d - 1 - i0) / d;
  return t < taps ? t : taps;
}

/** One past the last tap t with i0 + t * d < size: the taps after it fall in the bottom/right pad. */
@inline function endTap(i0: i32, d: i32, taps: i32, size: i32): i32 {
  if (i0 >= size) return 0;
  const t = (size - 1 - i0) / d + 1;
  return t < taps ? t : taps;
}

/**
 * out[img, oy, ox, ch] = bias[ch] + sum over taps of x[img, iy, ix, ch] * weights[ky, kx, ch], then the epilogue,
 * for the global output rows [r0, r1) only (row img * oh + oy; threads split a batch by rows).
 * x: (n, h, w, c). weights: (kh, kw, c). bias: (c) or 0 for none. out: (n, oh, ow, c).
 */
export function f32_dwconv(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  weights: usize, bias: usize,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, circular: i32,
  out: usize, outMin: f32, outMax: f32, alpha: f32, r0: i32, r1: i32,
): void {
  let chStart = 0;
  if (c >= 4 && dwconv3x3p1Applies(h, w, kh, kw, sh, sw, dh, dw, padT, padL, oh, ow, circular)) {
    f32_dwconv_3x3p1(x, h, w, c, weights, bias, sh, sw, padT, padL, oh, ow, out, outMin, outMax, alpha, r0, r1);
    chStart = c & ~3;
    if (chStart == c) return;
  }
  dwconvGeneric(
    x, h, w, c, weights, bias, kh, kw, sh, sw, dh, dw, padT, padL, oh, ow, circular,
    out, outMin, outMax, alpha, chStart, r0, r1,
  );
}

/** Channels [chStart, c) of f32_dwconv for global output rows [r0, r1), any geometry. */
function dwconvGeneric(
  x: usize, h: i32, w: i32, c: i32,
  weights: usize, bias: usize,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, circular: i32,
  out: usize, outMin: f32, outMax: f32, alpha: f32, chStart: i32, r0: i32, r1: i32,
): void {
  const vmin = f32x4.splat(outMin);
  const vmax = f32x4.splat(outMax);
  const valpha = f32x4.splat(alpha);
  const pixelBytes = <usize>c << 2;
  const rowBytes = pixelBytes * w;
  const imageBytes = rowBytes * h;
  const tapRowBytes = pixelBytes * kw;
  const cVec = chStart + ((c - chStart) & ~3);

  let dst = out + <usize>r0 * <usize>ow * pixelBytes;
  let img = r0 / oh;
  let oy = r0 - img * oh;
  let image = x + <usize>img * imageBytes;
  for (let r = r0; r < r1; r++) {
    const iy0 = oy * sh - padT;
    // Zero padding skips the taps outside the input; circular padding keeps all and wraps them.
    const kyLo = circular ? 0 : firstTap(iy0, dh, kh);
    const kyHi = circular ? kh : endTap(iy0, dh, kh, h);
    for (let ox = 0; ox < ow; ox++) {
      const ix0 = ox * sw - padL;
      const kxLo = circular ? 0 : firstTap(ix0, dw, kw);
      const kxHi = circular ? kw : endTap(ix0, dw, kw, w);

      let ch = chStart;
      for (; ch < cVec; ch += 4) {
        const chBytes = <usize>ch << 2;
        let vacc = bias != 0 ? v128.load(bias + chBytes) : f32x4.splat(0);
        for (let ky = kyLo; ky < kyHi; ky++) {
          let iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) iy = wrap(iy, h);
          const inRow = image + <usize>iy * rowBytes + chBytes;
          const wRow = weights + <usize>ky * tapRowBytes + chBytes;
          for (let kx = kxLo; kx < kxHi; kx++) {
            let ix = ix0 + kx * dw;
            if (ix < 0 || ix >= w) ix = wrap(ix, w);
            vacc = madd(v128.load(inRow + <usize>ix * pixelBytes), v128.load(wRow + <usize>kx * pixelBytes), vacc);
          }
        }
        v128.store(dst + chBytes, epilogue(vacc, vmin, vmax, valpha));
      }
      for (; ch < c; ch++) {
        const chBytes = <usize>ch << 2;
        let acc: f32 = bias != 0 ? load<f32>(bias + chBytes) : 0;
        for (let ky = kyLo; ky < kyHi; ky++) {
          let iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) iy = wrap(iy, h);
          const inRow = image + <usize>iy * rowBytes + chBytes;
          const wRow = weights + <usize>ky * tapRowBytes + chBytes;
          for (let kx = kxLo; kx < kxHi; kx++) {
            let ix = ix0 + kx * dw;
            if (ix < 0 || ix >= w) ix = wrap(ix, w);
            acc = maddScalar(load<f32>(inRow + <usize>ix * pixelBytes), load<f32>(wRow + <usize>kx * pixelBytes), acc);
          }
        }
        store<f32>(dst + chBytes, epilogueScalar(acc, outMin, outMax, alpha));
      }
      dst += pixelBytes;
    }
    if (++oy == oh) {
      oy = 0;
      image += imageBytes;
    }
  }
}
