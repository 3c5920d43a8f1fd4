// Winograd F(4x4, 3x3) input transform: V = B^T d B for each 6x6 input tile, SIMD over channels.
// Tiles step by 4 and overlap by 2; pixels outside the image (padding, or a tile hanging over the
// bottom/right edge) read as zeros.
//
// Interpolation points 0, 1, -1, 2, -2 and infinity (Lavin & Gray 2016):
//   B^T = [ 4   0  -5   0   1   0 ]
//         [ 0  -4  -4   1   1   0 ]
//         [ 0   4  -4  -1   1   0 ]
//         [ 0  -2  -1   2   1   0 ]
//         [ 0   2  -1  -2   1   0 ]
//         [ 0   4   0  -5   0   1 ]
// Rows 1/2 and 3/4 share their even part (d2, d4 terms) and differ in the sign of the odd part.
import { madd } from '../common';
import { loadLanes, storeLanes } from './lanes';

// Entries of B^T d for one 6-vector d, one function per row: the column pass keeps them in registers.
// Shared subexpressions (d4 - 4 d2, d3 - 4 d1, d4 - d2, d3 - d1) are CSE'd by the optimizer.
@inline export function bt0(d0: v128, d2: v128, d4: v128): v128 {
  return madd(f32x4.sub(d0, d2), f32x4.splat(4), f32x4.sub(d4, d2)); // 4 (d0 - d2) + (d4 - d2)
}
@inline export function bt1(d1: v128, d2: v128, d3: v128, d4: v128): v128 {
  return f32x4.add(madd(d2, f32x4.splat(-4), d4), madd(d1, f32x4.splat(-4), d3)); // (d4 - 4 d2) + (d3 - 4 d1)
}
@inline export function bt2(d1: v128, d2: v128, d3: v128, d4: v128): v128 {
  return f32x4.sub(madd(d2, f32x4.splat(-4), d4), madd(d1, f32x4.splat(-4), d3)); // (d4 - 4 d2) - (d3 - 4 d1)
}
@inline export function bt3(d1: v128, d2: v128, d3: v128, d4: v128): v128 {
  return madd(f32x4.sub(d3, d1), f32x4.splat(2), f32x4.sub(d4, d2)); // (d4 - d2) + 2 (d3 - d1)
}
@inline export function bt4(d1: v128, d2: v128, d3: v128, d4: v128): v128 {
  return madd(f32x4.sub(d3, d1), f32x4.splat(-2), f32x4.sub(d4, d2)); // (d4 - d2) - 2 (d3 - d1)
}
@inline export function bt5(d1: v128, d3: v128, d5: v128): v128 {
  return madd(f32x4.sub(d3, d1), f32x4.splat(-4), f32x4.sub(d5, d3)); // (d5 - d3) - 4 (d3 - d1)
}

/** B^T t of one 6-vector, the 6 entries stored at dst + i * stride. */
@inline function btStore(t0: v128, t1: v128, t2: v128, t3: v128, t4: v128, t5: v128, dst: usize, stride: usize, n: i32): void {
  storeLanes(dst, bt0(t0, t2, t4), n);
  storeLanes(dst + stride, bt1(t1, t2, t3, t4), n);
  storeLanes(dst + 2 * stride, bt2(t1, t2, t3, t4), n);
  storeLanes(dst + 3 * stride, bt3(t1, t2, t3, t4), n);
  storeLanes(dst + 4 * stride, bt4(t1, t2, t3, t4), n);
  storeLanes(dst + 5 * stride, bt5(t1, t3, t5), n);
}

/** Pixel vector at p if `inside`, else zeros: padding is never read. */
@inline function ld(p: usize, inside: bool, n: i32): v128 {
  return inside ? loadLanes(p, n) : f32x4.splat(0);
}

/** Bits r (0..5) set where i0 + r lies in [0, size). */
@inline function insideMask(i0: i32, size: i32): i32 {
  const lo = i0 < 0 ? -i0 : 0;
  const hi = size - i0 < 6 ? size - i0 : 6;
  return hi > lo ? ((1 << hi) - 1) & ~((1 << lo) - 1) : 0;
}

/**
 * One tile, one vector of n channels. d[r][j] at src + r * rowBytes + j * pixelBytes where bit r of
 * `rows` and bit j of `cols` are set, zero elsewhere. V[i][j] goes to dst + (i * 6 + j) * matBytes.
 * Column pass (B^T along y) in registers, then row pass (along x) straight to the 36 matrices.
 */
@inline function inputTile(
  src: usize, rowBytes: usize, pixelBytes: usize, rows: i32, cols: i32,
  dst: usize, matBytes: usize, n: i32,
): void {
  const r0 = src;
  const r1 = r0 + rowBytes;
  const r2 = r1 + rowBytes;
  const r3 = r2 + rowBytes;
  const r4 = r3 + rowBytes;
  const r5 = r4 + rowBytes;
  const in0 = (rows & 1) != 0;
  const in1 = (rows & 2) != 0;
  const in2 = (rows & 4) != 0;
  const in3 = (rows & 8) != 0;
  const in4 = (rows & 16) != 0;
  const in5 = (rows & 32) != 0;

  // Column j: t[.][j] = B^T d[.][j].
  let c: bool = (cols & 1) != 0;
  let o: usize = 0;
  let d0 = ld(r0 + o, c && in0, n);
  let d1 = ld(r1 + o, c && in1, n);
  let d2 = ld(r2 + o, c && in2, n);
  let d3 = ld(r3 + o, c && in3, n);
  let d4 = ld(r4 + o, c && in4, n);
  let d5 = ld(r5 + o, c && in5, n);
  const t00 = bt0(d0, d2, d4);
  const t10 = bt1(d1, d2, d3, d4);
  const t20 = bt2(d1, d2, d3, d4);
  const t30 = bt3(d1, d2, d3, d4);
  const t40 = bt4(d1, d2, d3, d4);
  const t50 = bt5(d1, d3, d5);

  c = (cols & 2) != 0;
  o += pixelBytes;
  d0 = ld(r0 + o, c && in0, n);
  d1 = ld(r1 + o, c && in1, n);
  d2 = ld(r2 + o, c && in2, n);
  d3 = ld(r3 + o, c && in3, n);
  d4 = ld(r4 + o, c && in4, n);
  d5 = ld(r5 + o, c && in5, n);
  const t01 = bt0(d0, d2, d4);
  const t11 = bt1(d1, d2, d3, d4);
  const t21 = bt2(d1, d2, d3, d4);
  const t31 = bt3(d1, d2, d3, d4);
  const t41 = bt4(d1, d2, d3, d4);
  const t51 = bt5(d1, d3, d5);

  c = (cols & 4) != 0;
  o += pixelBytes;
  d0 = ld(r0 + o, c && in0, n);
  d1 = ld(r1 + o, c && in1, n);
  d2 = ld(r2 + o, c && in2, n);
  d3 = ld(r3 + o, c && in3, n);
  d4 = ld(r4 + o, c && in4, n);
  d5 = ld(r5 + o, c && in5, n);
  const t02 = bt0(d0, d2, d4);
  const t12 = bt1(d1, d2, d3, d4);
  const t22 = bt2(d1, d2, d3, d4);
  const t32 = bt3(d1, d2, d3, d4);
  const t42 = bt4(d1, d2, d3, d4);
  const t52 = bt5(d1, d3, d5);

  c = (cols & 8) != 0;
  o += pixelBytes;
  d0 = ld(r0 + o, c && in0, n);
  d1 = ld(r1 + o, c && in1, n);
  d2 = ld(r2 + o, c && in2, n);
  d3 = ld(r3 + o, c && in3, n);
  d4 = ld(r4 + o, c && in4, n);
  d5 = ld(r5 + o, c && in5, n);
  const t03 = bt0(d0, d2, d4);
  const t13 = bt1(d1, d2, d3, d4);
  const t23 = bt2(d1, d2, d3, d4);
  const t33 = bt3(d1, d2, d3, d4);
  const t43 = bt4(d1, d2, d3, d4);
  const t53 = bt5(d1, d3, d5);

  c = (cols & 16) != 0;
  o += pixelBytes;
  d0 = ld(r0 + o, c && in0, n);
  d1 = ld(r1 + o, c && in1, n);
  d2 = ld(r2 + o, c && in2, n);
  d3 = ld(r3 + o, c && in3, n);
  d4 = ld(r4 + o, c && in4, n);
  d5 = ld(r5 + o, c && in5, n);
  const t04 = bt0(d0, d2, d4);
  const t14 = bt1(d1, d2, d3, d4);
  const t24 = bt2(d1, d2, d3, d4);
  const t34 = bt3(d1, d2, d3, d4);
  const t44 = bt4(d1, d2, d3, d4);
  const t54 = bt5(d1, d3, d5);

  c = (cols & 32) != 0;
  o += pixelBytes;
  d0 = ld(r0 + o, c && in0, n);
  d1 = ld(r1 + o, c && in1, n);
  d2 = ld(r2 + o, c && in2, n);
  d3 = ld(r3 + o, c && in3, n);
  d4 = ld(r4 + o, c && in4, n);
  d5 = ld(r5 + o, c && in5, n);
  const t05 = bt0(d0, d2, d4);
  const t15 = bt1(d1, d2, d3, d4);
  const t25 = bt2(d1, d2, d3, d4);
  const t35 = bt3(d1, d2, d3, d4);
  const t45 = bt4(d1, d2, d3, d4);
  const t55 = bt5(d1, d3, d5);

  // Row i: V[i][.] = t[i][.] B, matrices i * 6 .. i * 6 + 5.
  const vRow = 6 * matBytes;
  btStore(t00, t01, t02, t03, t04, t05, dst, matBytes, n);
  btStore(t10, t11, t12, t13, t14, t15, dst + vRow, matBytes, n);
  btStore(t20, t21, t22, t23, t24, t25, dst + 2 * vRow, matBytes, n);
  btStore(t30, t31, t32, t33, t34, t35, dst + 3 * vRow, matBytes, n);
  btStore(t40, t41, t42, t43, t44, t45, dst + 4 * vRow, matBytes, n);
  btStore(t50, t51, t52, t53, t54, t55, dst + 5 * vRow, matBytes, n);
}

/**
 * x: NHWC (n, h, w, c). Tile t = (img * tilesH + ty) * tilesW + tx reads input rows 4 ty - padT ..
 * 4 ty - padT + 5 and columns 4 tx - padL .. + 5 of image img (tilesH = ceil(oh / 4), tilesW =
 * ceil(ow / 4)). Tiles [tileStart, tileStart + tileCount) are transformed; out holds 36 matrices
 * (tileCount, c), rows c floats apart, matrix k = i * 6 + j (V[i][j]) at out + k * matStride floats
 * (matStride >= tileCount * c): the A operands of the 36 GEMMs.
 */
export function f32_winograd_input_f4x4_3x3(
  x: usize, h: i32, w: i32, c: i32,
  padT: i32, padL: i32, tilesH: i32, tilesW: i32,
  tileStart: i32, tileCount: i32,
  out: usize, matStride: i32,
): void {
  const pixelBytes = <usize>c << 2;
  const rowBytes = pixelBytes * <usize>w;
  const matBytes = <usize>matStride << 2;
  const tilesPerImage = tilesH * tilesW;
  const cVec = c & ~3;
  const tail = c - cVec;

  let dst = out;
  const tileEnd = tileStart + tileCount;
  for (let t = tileStart; t < tileEnd; t++) {
    const img = t / tilesPerImage;
    const inImage = t - img * tilesPerImage;
    const ty = inImage / tilesW;
    const tx = inImage - ty * tilesW;
    const iy0 = ty * 4 - padT;
    const ix0 = tx * 4 - padL;
    const rows = insideMask(iy0, h);
    const cols = insideMask(ix0, w);
    // Pixel (iy0, ix0) of image img: may lie in the padding, then only offsets into the image are read.
    // usize arithmetic wraps modulo 2^32, so a negative iy0 or ix0 is fine.
    const src = x + <usize>((img * h + iy0) * w + ix0) * pixelBytes;

    if ((rows & cols) == 0x3f) {
      // Interior tile: every pixel inside, no checks in the channel loop.
      for (let ch = 0; ch < cVec; ch += 4) {
        const off = <usize>ch << 2;
        inputTile(src + off, rowBytes, pixelBytes, 0x3f, 0x3f, dst + off, matBytes, 4);
      }
      if (tail != 0) {
        const off = <usize>cVec << 2;
        inputTile(src + off, rowBytes, pixelBytes, 0x3f, 0x3f, dst + off, matBytes, tail);
      }
    } else {
      for (let ch = 0; ch < cVec; ch += 4) {
        const off = <usize>ch << 2;
        inputTile(src + off, rowBytes, pixelBytes, rows, cols, dst + off, matBytes, 4);
      }
      if (tail != 0) {
        const off = <usize>cVec << 2;
        inputTile(src + off, rowBytes, pixelBytes, rows, cols, dst + off, matBytes, tail);
      }
    }
    dst += pixelBytes;
  }
}
