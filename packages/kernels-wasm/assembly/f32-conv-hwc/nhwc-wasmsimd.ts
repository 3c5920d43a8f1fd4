// Direct convolution of an NHWC batch with few input channels (the RGB first layers: 3x3 stride 1 or 2,
// 7x7 stride 2, cin = 3), where im2col + GEMM writes and rereads kh * kw * cin floats per output pixel.
// Weights are f32_gemm_pack_b's panels of the (kh * kw * cin, cout) HWIO matrix: per panel of 16 output
// channels (8 for a last panel of at most 8) the bias, then (kh, kw, cin, 16). Per output row, per panel,
// the row's pixels go through the microkernel 2 (or 4) at a time; the taps of kernel rows in the top or
// bottom padding are dropped for the whole row, and pixels whose window crosses the left or right edge
// (a few per row) go one at a time with their clipped taps, so the interior has no branches.
import { endTap, firstTap } from '../f32-im2col/nhwc';
import { panelWidth } from '../f32-gemm/pack-b';
import { f32_conv_hwc_ukernel_2x16__wasmsimd } from './2x16-wasmsimd';
import { f32_conv_hwc_ukernel_4x8__wasmsimd } from './4x8-wasmsimd';

/**
 * Global output rows [r0, r1) (row r = img * oh + oy) of y (n, oh, ow, cout) = conv(x (n, h, w, cin),
 * packed weights + bias), zero padding, then y = clamp(y < 0 ? alpha * y : y, outMin, outMax).
 * Writes only those rows.
 */
export function f32_conv_hwc(
  x: usize, h: i32, w: i32, cin: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32,
  packed: usize, cout: i32,
  r0: i32, r1: i32, y: usize,
  outMin: f32, outMax: f32, alpha: f32,
): void {
  const vmin = f32x4.splat(outMin);
  const vmax = f32x4.splat(outMax);
  const valpha = f32x4.splat(alpha);
  // alpha = 1: the leaky step is the identity (see leakyStep in ../common.ts).
  const leaky = alpha != 1;
  const pixelBytes = <usize>cin << 2;
  const rowBytes = pixelBytes * <usize>w;
  const imageBytes = rowBytes * <usize>h;
  const outPixelBytes = <usize>cout << 2;
  const outRowBytes = outPixelBytes * <usize>ow;
  const depth = kh * kw * cin;
  const aStride = pixelBytes * <usize>sw;

  // Output columns [oxLo, oxHi) see all kw taps inside the input.
  let oxLo = padL > 0 ? (padL + sw - 1) / sw : 0;
  if (oxLo > ow) oxLo = ow;
  const right = w - 1 - (kw - 1) * dw + padL;
  let oxHi = right >= 0 ? right / sw + 1 : 0;
  if (oxHi > ow) oxHi = ow;
  if (oxHi < oxLo) oxHi = oxLo;
  // Interior taps: one run of kw * cin floats per kernel row, or kw runs of cin with dilation.
  const fullSegs = dw == 1 ? 1 : kw;
  const fullRun = dw == 1 ? kw * cin : cin;
  const segStep = pixelBytes * <usize>dw;

  let img = r0 / oh;
  let oy = r0 - img * oh;
  for (let r = r0; r < r1; r++) {
    const iy0 = oy * sh - padT;
    const kyLo = firstTap(iy0, dh, kh);
    const kyHi = endTap(iy0, dh, kh, h);
    const rows = kyHi > kyLo ? kyHi - kyLo : 0;
    const rowStep = rowBytes * <usize>dh;
    // Input row of the first kernel row inside the image (not read when rows = 0).
    const aRow = x + <usize>img * imageBytes + <usize>(iy0 + kyLo * dh) * rowBytes;
    const cRow = y + <usize>r * outRowBytes;

    let panel = packed;
    for (let j = 0; j < cout; j += 16) {
      const width = panelWidth(j, cout);
      const nc = cout - j < width ? cout - j : width;
      const tapBytes = <usize>(cin * width) << 2;
      const wTaps = panel + (<usize>width << 2) + <usize>(kyLo * kw) * tapBytes;
      const cCol = cRow + (<usize>j << 2);
      let ox = 0;
      while (ox < ow) {
        const ix0 = ox * sw - padL;
        let mr = 1;
        let a: usize;
        let segs = fullSegs;
        let run = fullRun;
        let wStart = wTaps;
        let wSkip: usize = 0;
        if (ox >= oxLo && ox < oxHi) {
          const maxMr = width == 16 ? 2 : 4;
          mr = oxHi - ox < maxMr ? oxHi - ox : maxMr;
          a = aRow + <usize>ix0 * pixelBytes;
        } else {
          // An edge pixel: taps [kxLo, kxHi) of each kernel row, the weights of the others skipped.
          const kxLo = firstTap(ix0, dw, kw);
          const kxHi = endTap(ix0, dw, kw, w);
          const taps = kxHi > kxLo ? kxHi - kxLo : 0;
          if (dw == 1) run = taps * cin;
          else segs = taps;
          a = aRow + <usize>(ix0 + kxLo * dw) * pixelBytes;
          wStart = wTaps + <usize>kxLo * tapBytes;
          wSkip = <usize>(kw - taps) * tapBytes;
        }
        const c = cCol + <usize>ox * outPixelBytes;
        if (width == 16) {
          f32_conv_hwc_ukernel_2x16__wasmsimd(mr, nc, a, aStride, rows, rowStep, segs, segStep, run,
            panel, wStart, wSkip, c, outPixelBytes, vmin, vmax, valpha, leaky);
        } else {
          f32_conv_hwc_ukernel_4x8__wasmsimd(mr, nc, a, aStride, rows, rowStep, segs, segStep, run,
            panel, wStart, wSkip, c, outPixelBytes, vmin, vmax, valpha, leaky);
        }
        ox += mr;
      }
      panel += <usize>(depth + 1) * (<usize>width << 2);
    }
    if (++oy == oh) {
      oy = 0;
      img++;
    }
  }
}
