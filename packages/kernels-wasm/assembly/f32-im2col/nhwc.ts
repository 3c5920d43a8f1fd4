// im2col of an NHWC batch: one row per output pixel, one column per (ky, kx, ci) tap, HWIO order.

/** i modulo size, non-negative even when |i| > size (circular pads wider than the input). */
@inline function wrap(i: i32, size: i32): i32 {
  let r = i % size;
  if (r < 0) r += size;
  return r;
}

@inline function copyFloats(src: usize, dst: usize, count: i32): void {
  let i = 0;
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
  let i = 0;
  const zero = i32x4.splat(0);
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
  const xc = x + (<usize>cOff << 2);
  // A kernel row is one contiguous run of the input when taps are adjacent and take every channel.
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
    const rowInside = ix0 >= 0 && ix0 + (kw - 1) * dw < w;
    for (let ky = 0; ky < kh; ky++) {
      let iy = iy0 + ky * dh;
      if (iy < 0 || iy >= h) {
        if (!circular) {
          zeroFloats(dst, kw * cg);
          dst += tapBytes * kw;
          continue;
        }
        iy = wrap(iy, h);
      }
      const inRow = image + <usize>iy * rowBytes;
      if (runs && rowInside) {
        copyFloats(inRow + <usize>ix0 * pixelBytes, dst, kw * cg);
        dst += tapBytes * kw;
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
    if (++ox == ow) {
      ox = 0;
      if (++oy == oh) {
        oy = 0;
        img++;
      }
    }
  }
}
