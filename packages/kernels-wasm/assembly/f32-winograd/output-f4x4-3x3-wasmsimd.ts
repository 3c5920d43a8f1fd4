// Winograd F(4x4, 3x3) output transform: Y = A^T m A for each tile, + bias, then the epilogue;
// SIMD over output channels. Writes only the outputs inside (oh, ow): edge tiles are cut.
//
// Interpolation points 0, 1, -1, 2, -2 and infinity (Lavin & Gray 2016):
//   A^T = [ 1   1   1   1   1   0 ]
//         [ 0   1  -1   2  -2   0 ]
//         [ 0   1   1   4   4   0 ]
//         [ 0   1  -1   8  -8   1 ]
// With s = m1 + m2, d = m1 - m2, S = m3 + m4, D = m3 - m4:
//   y0 = m0 + s + S, y1 = d + 2 D, y2 = s + 4 S, y3 = d + 8 D + m5.
import { epilogue, madd } from '../common';
import { loadLanes, storeLanes } from './lanes';

// Entries of A^T m for one 6-vector m, one function per row: the column pass keeps them in registers.
@inline export function at0(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128): v128 {
  return f32x4.add(f32x4.add(m0, f32x4.add(m1, m2)), f32x4.add(m3, m4));
}
@inline export function at1(m1: v128, m2: v128, m3: v128, m4: v128): v128 {
  return madd(f32x4.sub(m3, m4), f32x4.splat(2), f32x4.sub(m1, m2));
}
@inline export function at2(m1: v128, m2: v128, m3: v128, m4: v128): v128 {
  return madd(f32x4.add(m3, m4), f32x4.splat(4), f32x4.add(m1, m2));
}
@inline export function at3(m1: v128, m2: v128, m3: v128, m4: v128, m5: v128): v128 {
  return f32x4.add(madd(f32x4.sub(m3, m4), f32x4.splat(8), f32x4.sub(m1, m2)), m5);
}

/** y + bias (+ the residual at res, unless res is 0), then the epilogue. */
@inline function finish(y: v128, res: usize, n: i32, vbias: v128, vmin: v128, vmax: v128, valpha: v128): v128 {
  let v = f32x4.add(y, vbias);
  if (res != 0) v = f32x4.add(v, loadLanes(res, n));
  return epilogue(v, vmin, vmax, valpha);
}

/**
 * Output row i of a tile from s[i][0..5] = (A^T m)[i][.]: y[i][j] = (s A)[j] + bias (+ residual at
 * res + j * pixelBytes when res is not 0), epilogue, stored at dst + j * pixelBytes for j < cols.
 */
@inline function atStore(
  s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, s5: v128,
  dst: usize, res: usize, pixelBytes: usize, cols: i32, n: i32,
  vbias: v128, vmin: v128, vmax: v128, valpha: v128,
): void {
  const step = res != 0 ? pixelBytes : 0;
  storeLanes(dst, finish(at0(s0, s1, s2, s3, s4), res, n, vbias, vmin, vmax, valpha), n);
  if (cols > 1) storeLanes(dst + pixelBytes, finish(at1(s1, s2, s3, s4), res + step, n, vbias, vmin, vmax, valpha), n);
  if (cols > 2) storeLanes(dst + 2 * pixelBytes, finish(at2(s1, s2, s3, s4), res + 2 * step, n, vbias, vmin, vmax, valpha), n);
  if (cols > 3) storeLanes(dst + 3 * pixelBytes, finish(at3(s1, s2, s3, s4, s5), res + 3 * step, n, vbias, vmin, vmax, valpha), n);
}

/**
 * One tile, one vector of n channels: m[r][j] at src + (r * 6 + j) * matBytes; output row i at
 * dst + i * rowBytes for i < rows (1..4), columns j < cols (1..4); the residual likewise from res (0: none).
 */
@inline function outputTile(
  src: usize, matBytes: usize, dst: usize, res: usize, rowBytes: usize, pixelBytes: usize, rows: i32, cols: i32, n: i32,
  vbias: v128, vmin: v128, vmax: v128, valpha: v128,
): void {
  const mRow = 6 * matBytes;
  // Column j: s[.][j] = A^T m[.][j].
  let p = src;
  let m0 = loadLanes(p, n);
  let m1 = loadLanes(p + mRow, n);
  let m2 = loadLanes(p + 2 * mRow, n);
  let m3 = loadLanes(p + 3 * mRow, n);
  let m4 = loadLanes(p + 4 * mRow, n);
  let m5 = loadLanes(p + 5 * mRow, n);
  const s00 = at0(m0, m1, m2, m3, m4);
  const s10 = at1(m1, m2, m3, m4);
  const s20 = at2(m1, m2, m3, m4);
  const s30 = at3(m1, m2, m3, m4, m5);

  p += matBytes;
  m0 = loadLanes(p, n);
  m1 = loadLanes(p + mRow, n);
  m2 = loadLanes(p + 2 * mRow, n);
  m3 = loadLanes(p + 3 * mRow, n);
  m4 = loadLanes(p + 4 * mRow, n);
  m5 = loadLanes(p + 5 * mRow, n);
  const s01 = at0(m0, m1, m2, m3, m4);
  const s11 = at1(m1, m2, m3, m4);
  const s21 = at2(m1, m2, m3, m4);
  const s31 = at3(m1, m2, m3, m4, m5);

  p += matBytes;
  m0 = loadLanes(p, n);
  m1 = loadLanes(p + mRow, n);
  m2 = loadLanes(p + 2 * mRow, n);
  m3 = loadLanes(p + 3 * mRow, n);
  m4 = loadLanes(p + 4 * mRow, n);
  m5 = loadLanes(p + 5 * mRow, n);
  const s02 = at0(m0, m1, m2, m3, m4);
  const s12 = at1(m1, m2, m3, m4);
  const s22 = at2(m1, m2, m3, m4);
  const s32 = at3(m1, m2, m3, m4, m5);

  p += matBytes;
  m0 = loadLanes(p, n);
  m1 = loadLanes(p + mRow, n);
  m2 = loadLanes(p + 2 * mRow, n);
  m3 = loadLanes(p + 3 * mRow, n);
  m4 = loadLanes(p + 4 * mRow, n);
  m5 = loadLanes(p + 5 * mRow, n);
  const s03 = at0(m0, m1, m2, m3, m4);
  const s13 = at1(m1, m2, m3, m4);
  const s23 = at2(m1, m2, m3, m4);
  const s33 = at3(m1, m2, m3, m4, m5);

  p += matBytes;
  m0 = loadLanes(p, n);
  m1 = loadLanes(p + mRow, n);
  m2 = loadLanes(p + 2 * mRow, n);
  m3 = loadLanes(p + 3 * mRow, n);
  m4 = loadLanes(p + 4 * mRow, n);
  m5 = loadLanes(p + 5 * mRow, n);
  const s04 = at0(m0, m1, m2, m3, m4);
  const s14 = at1(m1, m2, m3, m4);
  const s24 = at2(m1, m2, m3, m4);
  const s34 = at3(m1, m2, m3, m4, m5);

  p += matBytes;
  m0 = loadLanes(p, n);
  m1 = loadLanes(p + mRow, n);
  m2 = loadLanes(p + 2 * mRow, n);
  m3 = loadLanes(p + 3 * mRow, n);
  m4 = loadLanes(p + 4 * mRow, n);
  m5 = loadLanes(p + 5 * mRow, n);
  const s05 = at0(m0, m1, m2, m3, m4);
  const s15 = at1(m1, m2, m3, m4);
  const s25 = at2(m1, m2, m3, m4);
  const s35 = at3(m1, m2, m3, m4, m5);

  // Row i: y[i][.] = s[i][.] A; rows past the output's bottom edge are not computed.
  const resRow = res != 0 ? rowBytes : 0;
  atStore(s00, s01, s02, s03, s04, s05, dst, res, pixelBytes, cols, n, vbias, vmin, vmax, valpha);
  if (rows > 1) atStore(s10, s11, s12, s13, s14, s15, dst + rowBytes, res + resRow, pixelBytes, cols, n, vbias, vmin, vmax, valpha);
  if (rows > 2) atStore(s20, s21, s22, s23, s24, s25, dst + 2 * rowBytes, res + 2 * resRow, pixelBytes, cols, n, vbias, vmin, vmax, valpha);
  if (rows > 3) atStore(s30, s31, s32, s33, s34, s35, dst + 3 * rowBytes, res + 3 * resRow, pixelBytes, cols, n, vbias, vmin, vmax, valpha);
}

/**
 * m: 36 matrices (tileCount, cout), rows cout floats apart, matrix k = i * 6 + j at m + k * matStride
 * floats (the 36 GEMM results of f32_winograd_input_f4x4_3x3's tiles [tileStart, tileStart + tileCount)).
 * y: NHWC (n, oh, ow, cout); tile t = (img * tilesH + ty) * tilesW + tx writes output rows 4 ty ..
 * 4 ty + 3 and columns 4 tx .. 4 tx + 3 that lie inside (oh, ow). bias: (cout) or 0 for none.
 * residual: 0, or an NHWC (n, oh, ow, cout) tensor added before the activation (ResNet's shortcut).
 * Then y = clamp(y < 0 ? alpha * y : y, outMin, outMax).
 */
export function f32_winograd_output_f4x4_3x3(
  m: usize, matStride: i32, bias: usize, cout: i32,
  oh: i32, ow: i32, tilesH: i32, tilesW: i32,
  tileStart: i32, tileCount: i32,
  y: usize, outMin: f32, outMax: f32, alpha: f32, residual: usize,
): void {
  const vmin = f32x4.splat(outMin);
  const vmax = f32x4.splat(outMax);
  const valpha = f32x4.splat(alpha);
  const pixelBytes = <usize>cout << 2;
  const rowBytes = pixelBytes * <usize>ow;
  const matBytes = <usize>matStride << 2;
  const tilesPerImage = tilesH * tilesW;
  const cVec = cout & ~3;
  const tail = cout - cVec;

  let src = m;
  const tileEnd = tileStart + tileCount;
  for (let t = tileStart; t < tileEnd; t++) {
    const img = t / tilesPerImage;
    const inImage = t - img * tilesPerImage;
    const ty = inImage / tilesW;
    const tx = inImage - ty * tilesW;
    const oy0 = ty * 4;
    const ox0 = tx * 4;
    const rows = oh - oy0 < 4 ? oh - oy0 : 4;
    const cols = ow - ox0 < 4 ? ow - ox0 : 4;
    const offset = <usize>((img * oh + oy0) * ow + ox0) * pixelBytes;
    const dst = y + offset;
    const res = residual != 0 ? residual + offset : 0;

    if ((rows & cols) == 4) {
      // Whole tile inside the output: no edge checks in the channel loop.
      for (let ch = 0; ch < cVec; ch += 4) {
        const off = <usize>ch << 2;
        const vbias = bias != 0 ? v128.load(bias + off) : f32x4.splat(0);
        outputTile(src + off, matBytes, dst + off, res != 0 ? res + off : 0, rowBytes, pixelBytes, 4, 4, 4, vbias, vmin, vmax, valpha);
      }
      if (tail != 0) {
        const off = <usize>cVec << 2;
        const vbias = bias != 0 ? loadLanes(bias + off, tail) : f32x4.splat(0);
        outputTile(src + off, matBytes, dst + off, res != 0 ? res + off : 0, rowBytes, pixelBytes, 4, 4, tail, vbias, vmin, vmax, valpha);
      }
    } else {
      for (let ch = 0; ch < cVec; ch += 4) {
        const off = <usize>ch << 2;
        const vbias = bias != 0 ? v128.load(bias + off) : f32x4.splat(0);
        outputTile(src + off, matBytes, dst + off, res != 0 ? res + off : 0, rowBytes, pixelBytes, rows, cols, 4, vbias, vmin, vmax, valpha);
      }
      if (tail != 0) {
        const off = <usize>cVec << 2;
        const vbias = bias != 0 ? loadLanes(bias + off, tail) : f32x4.splat(0);
        outputTile(src + off, matBytes, dst + off, res != 0 ? res + off : 0, rowBytes, pixelBytes, rows, cols, tail, vbias, vmin, vmax, valpha);
      }
    }
    src += pixelBytes;
  }
}
