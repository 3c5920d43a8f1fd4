// im2col of an NHWC batch: one row per output pixel, one column per (ky, kx, ci) tap, HWIO order.
// With dilation 1 and whole channels (the common case) a kernel row is one contiguous run of the input:
// one wide copy, plus zeros for the taps in the left / right padding.

/** i modulo size, non-negative even when |i| > size (circular pads wider than the input). */
@inline function wrap(i: i32, size: i32): i32 {
  let r = i % size;
  if (r < 0) r += size;
  return r;
}

/** First tap t in [0, taps) with 0 <= i0 + t * d: the taps before it fall in the top/left pad. */
@inline export function firstTap(i0: i32, d: i32, taps: i32): i32 {
  if (i0 >= 0) return 0;
  const t = (d - 1 - i0) / d;
  return t < taps ? t : taps;
}

/** One past the last tap t with i0 + t * d < size: the taps after it fall in the bottom/right pad. */
@inline export function endTap(i0: i32, d: i32, taps: i32, size: i32): i32 {
  if (i0 >= size) return 0;
  const t = (size - 1 - i0) / d + 1;
  return t < taps ? t : taps;
}

/** Copies `count` floats, 16 per step, then 4, then 1 (a vector that overlaps the run's end measured slower). */
@inline function copyFloats(src: usize, dst: usize, count: i32): void {
  let i = 0;
  for (; i + 16 <= count; i += 16) {
    v128.store(dst, v128.load(src));
    v128.store(dst, v128.load(src, 16), 16);
    v128.store(dst, v128.load(src, 32), 32);
    v128.store(dst, v128.load(src, 48), 48);
    src += 64;
    dst += 64;
  }
  for (; i + 4 <= count; i += 4) {
    v128.store(dst, v128.load(src));
    src += 16;
    dst += 16;
  }
  for (; i < count; i++) {
    store<f32>(dst, load<f32>(src));
    src += 4;
    dst += 4;
  }
}

@inline function zeroFloats(dst: usize, count: i32): void {
  const zero = i32x4.splat(0);
  let i = 0;
  for (; i + 16 <= count; i += 16) {
    v128.store(dst, zero);
    v128.store(dst, zero, 16);
    v128.store(dst, zero, 32);
    v128.store(dst, zero, 48);
    dst += 64;
  }
  for (; i + 4 <= count; i += 4) {
    v128.store(dst, zero);
    dst += 16;
  }
  for (; i < count; i++) {
    store<f32>(dst, 0);
    dst += 4;
  }
}

/**
 * Rows [rowStart, rowStart + rowCount) of the im2col matrix for input channels [cOff, cOff + cg).
 * x: (n, h, w, c). out: (rowCount, kh * kw * cg); row r is pixel (img, oy, ox), r = (img * oh + oy) * ow + ox.
 */
export function f32_im2col(
  x: usize, n: i32, h: i32, w: i32, c: i32, cOff: i32, cg: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, circular: i32,
  rowStart: i32, rowCount: i32, out: usize,
): void {
  const pixelBytes = <usize>c << 2;
  const rowBytes = pixelBytes * w;
  const imageBytes = rowBytes * h;
  const tapBytes = <usize>cg << 2;
  const kernelRowBytes = tapBytes * kw;
  const xc = x + (<usize>cOff << 2);
  // Adjacent taps that take every channel make a kernel row one contiguous run of the input.
  const runs = dw == 1 && cg == c;

  let ox = rowStart % ow;
  let t = rowStart / ow;
  let oy = t % oh;
  let img = t / oh;
  let dst = out;
  for (let r = 0; r < rowCount; r++) {
    const image = xc + <usize>img * imageBytes;
    const iy0 = oy * sh - padT;
    const ix0 = ox * sw - padL;
    // Taps [kxLo, kxHi) of every kernel row lie inside the input; zero padding zeroes the others.
    const clipped = ix0 < 0 || ix0 + (kw - 1) * dw >= w;
    let kxLo = 0;
    let kxHi = kw;
    if (clipped) {
      kxLo = firstTap(ix0, dw, kw);
      kxHi = endTap(ix0, dw, kw, w);
    }
    if (runs && !clipped && iy0 >= 0 && iy0 + (kh - 1) * dh < h) {
      // The whole window inside the input (most pixels): kh runs, no per-row checks.
      let src = image + <usize>iy0 * rowBytes + <usize>ix0 * pixelBytes;
      const srcStep = rowBytes * <usize>dh;
      for (let ky = 0; ky < kh; ky++) {
        copyFloats(src, dst, kw * cg);
        src += srcStep;
        dst += kernelRowBytes;
      }
    } else {
      for (let ky = 0; ky < kh; ky++) {
        let iy = iy0 + ky * dh;
        if (iy < 0 || iy >= h) {
          if (!circular) {
            zeroFloats(dst, kw * cg);
            dst += kernelRowBytes;
            continue;
          }
          iy = wrap(iy, h);
        }
        const inRow = image + <usize>iy * rowBytes;
        if (runs && !clipped) {
          copyFloats(inRow + <usize>ix0 * pixelBytes, dst, kw * cg);
          dst += kernelRowBytes;
          continue;
        }
        if (runs && !circular) {
          // (kw * cg): zeros, one contiguous run, zeros.
          const inside = kxHi > kxLo ? kxHi - kxLo : 0;
          const lo = inside > 0 ? kxLo : kw;
          zeroFloats(dst, lo * cg);
          if (inside > 0) copyFloats(inRow + <usize>(ix0 + lo) * pixelBytes, dst + <usize>lo * tapBytes, inside * cg);
          zeroFloats(dst + <usize>(lo + inside) * tapBytes, (kw - lo - inside) * cg);
          dst += kernelRowBytes;
          continue;
        }
        for (let kx = 0; kx < kw; kx++) {
          let ix = ix0 + kx * dw;
          if (ix < 0 || ix >= w) {
            if (!circular) {
              zeroFloats(dst, cg);
              dst += tapBytes;
              continue;
            }
            ix = wrap(ix, w);
          }
          copyFloats(inRow + <usize>ix * pixelBytes, dst, cg);
          dst += tapBytes;
        }
      }
    }
    if (++ox == ow) {
      ox = 0;
      if (++oy == oh) {
        oy = 0;
        img++;
      }
    }
  }
}
