// Average pooling, NHWC: (n, h, w, c) -> (n, oh, ow, c), 8 / 4 channels per step plus a scalar tail.
import { tapEnd, tapFirst } from '../math';

/**
 * Sums the taps inside the input. The divisor is the number of those taps, or with countIncludePad
 * the taps inside the padded extent [-padT, h + padB) x [-padL, w + padR) (PyTorch / ONNX). A window
 * with a zero divisor (wholly outside the input without countIncludePad) gives 0.
 */
export function f32_avgpool(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padB: i32, padL: i32, padR: i32, oh: i32, ow: i32,
  countIncludePad: i32, out: usize,
): void {
  const pixel = <usize>c << 2;
  const row = <usize>w * pixel;
  const tapY = <usize>dh * row;
  const tapX = <usize>dw * pixel;
  const zero = f32x4.splat(0);
  let o = out;
  for (let img = 0; img < n; img++) {
    const xImg = x + <usize>img * <usize>h * row;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const ky0 = tapFirst(iy0, 0, dh);
      const ny = tapEnd(iy0, h, dh, kh) - ky0;
      let cy = ny;
      if (countIncludePad) cy = tapEnd(iy0, h + padB, dh, kh) - tapFirst(iy0, -padT, dh);
      if (cy < 0) cy = 0;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const kx0 = tapFirst(ix0, 0, dw);
        const nx = tapEnd(ix0, w, dw, kw) - kx0;
        let cx = nx;
        if (countIncludePad) cx = tapEnd(ix0, w + padR, dw, kw) - tapFirst(ix0, -padL, dw);
        if (cx < 0) cx = 0;
        const count = cy * cx;
        const inv: f32 = count > 0 ? <f32>1.0 / <f32>count : 0;
        const vinv = f32x4.splat(inv);
        // First valid tap; only dereferenced when ny > 0 and nx > 0.
        const first = xImg + <usize>(iy0 + ky0 * dh) * row + <usize>(ix0 + kx0 * dw) * pixel;
        let ch = 0;
        for (; ch + 8 <= c; ch += 8) {
          let s0 = zero;
          let s1 = zero;
          let pr = first + (<usize>ch << 2);
          for (let ty = 0; ty < ny; ty++) {
            let p = pr;
            for (let tx = 0; tx < nx; tx++) {
              s0 = f32x4.add(s0, v128.load(p));
              s1 = f32x4.add(s1, v128.load(p, 16));
              p += tapX;
            }
            pr += tapY;
          }
          v128.store(o + (<usize>ch << 2), f32x4.mul(s0, vinv));
          v128.store(o + (<usize>ch << 2), f32x4.mul(s1, vinv), 16);
        }
        for (; ch + 4 <= c; ch += 4) {
          let s0 = zero;
          let pr = first + (<usize>ch << 2);
          for (let ty = 0; ty < ny; ty++) {
            let p = pr;
            for (let tx = 0; tx < nx; tx++) {
              s0 = f32x4.add(s0, v128.load(p));
              p += tapX;
            }
            pr += tapY;
          }
          v128.store(o + (<usize>ch << 2), f32x4.mul(s0, vinv));
        }
        for (; ch < c; ch++) {
          let s: f32 = 0;
          let pr = first + (<usize>ch << 2);
          for (let ty = 0; ty < ny; ty++) {
            let p = pr;
            for (let tx = 0; tx < nx; tx++) {
              s += load<f32>(p);
              p += tapX;
            }
            pr += tapY;
          }
          store<f32>(o + (<usize>ch << 2), s * inv);
        }
        o += pixel;
      }
    }
  }
}
