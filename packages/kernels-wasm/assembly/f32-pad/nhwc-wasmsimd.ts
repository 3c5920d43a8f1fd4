// Spatial padding of NHWC: (n, h, w, c) -> (n, h + padT + padB, w + padL + padR, c).
// Rows and pixels are copied or filled c floats at a time; the interior of a row is one copy.
import { copyFloats, fillFloats } from '../math';

const CONSTANT: i32 = 0;
const REFLECT: i32 = 1;
const EDGE: i32 = 2;

/** Input index for coordinate i of the unpadded frame (any i, however far outside), or -1 for `value`. */
@inline function source(i: i32, size: i32, mode: i32): i32 {
  if (i >= 0 && i < size) return i;
  if (mode == CONSTANT) return -1;
  if (mode == EDGE) return i < 0 ? 0 : size - 1;
  if (mode == REFLECT) {
    if (size == 1) return 0;
    // Reflection without edge repeat is periodic with period 2 (size - 1), like numpy 'reflect'.
    const period = 2 * (size - 1);
    let m = i % period;
    if (m < 0) m += period;
    return m < size ? m : period - m;
  }
  // circular; % truncates toward zero, so negative remainders move up by one period
  const m = i % size;
  return m < 0 ? m + size : m;
}

/** mode: 0 constant `value`, 1 reflect, 2 edge, 3 circular. Negative pads crop. */
export function f32_pad(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  padT: i32, padB: i32, padL: i32, padR: i32,
  mode: i32, value: f32, out: usize,
): void {
  const oh = h + padT + padB;
  const ow = w + padL + padR;
  const pixel = <usize>c << 2;
  const inRow = <usize>w * pixel;
  // Output columns [left, mid) come from input columns [left - padL, mid - padL) in one copy.
  const left = padL < 0 ? 0 : padL > ow ? ow : padL;
  const midEnd = padL + w < left ? left : padL + w > ow ? ow : padL + w;
  const midSrc = <usize>(left - padL) * pixel;
  let o = out;
  for (let img = 0; img < n; img++) {
    const xImg = x + <usize>img * <usize>h * inRow;
    for (let oy = 0; oy < oh; oy++) {
      const iy = source(oy - padT, h, mode);
      if (iy < 0) {
        fillFloats(o, value, ow * c);
        o += <usize>ow * pixel;
        continue;
      }
      const xr = xImg + <usize>iy * inRow;
      for (let ox = 0; ox < left; ox++) {
        const ix = source(ox - padL, w, mode);
        if (ix < 0) fillFloats(o, value, c);
        else copyFloats(o, xr + <usize>ix * pixel, c);
        o += pixel;
      }
      copyFloats(o, xr + midSrc, (midEnd - left) * c);
      o += <usize>(midEnd - left) * pixel;
      for (let ox = midEnd; ox < ow; ox++) {
        const ix = source(ox - padL, w, mode);
        if (ix < 0) fillFloats(o, value, c);
        else copyFloats(o, xr + <usize>ix * pixel, c);
        o += pixel;
      }
    }
  }
}
