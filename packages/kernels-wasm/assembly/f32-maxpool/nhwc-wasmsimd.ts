// Max pooling, NHWC: (n, h, w, c) -> (n, oh, ow, c), 8 / 4 channels per step plus a scalar tail.
import { tapEnd, tapFirst } from '../math';

/** Taps outside the input are skipped; a window with none gives -Infinity. */
export function f32_maxpool(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, out: usize,
): void {
  const pixel = <usize>c << 2;
  const row = <usize>w * pixel;
  const tapY = <usize>dh * row;
  const tapX = <usize>dw * pixel;
  const ninf = f32x4.splat(-Infinity);
  let o = out;
  for (let img = 0; img < n; img++) {
    const xImg = x + <usize>img * <usize>h * row;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const ky0 = tapFirst(iy0, 0, dh);
      const ny = tapEnd(iy0, h, dh, kh) - ky0;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const kx0 = tapFirst(ix0, 0, dw);
        const nx = tapEnd(ix0, w, dw, kw) - kx0;
        // First valid tap; only dereferenced when ny > 0 and nx > 0.
        const first = xImg + <usize>(iy0 + ky0 * dh) * row + <usize>(ix0 + kx0 * dw) * pixel;
        let ch = 0;
        for (; ch + 8 <= c; ch += 8) {
          let m0 = ninf;
          let m1 = ninf;
          let pr = first + (<usize>ch << 2);
          for (let ty = 0; ty < ny; ty++) {
            let p = pr;
            for (let tx = 0; tx < nx; tx++) {
              m0 = f32x4.max(m0, v128.load(p));
              m1 = f32x4.max(m1, v128.load(p, 16));
              p += tapX;
            }
            pr += tapY;
          }
          v128.store(o + (<usize>ch << 2), m0);
          v128.store(o + (<usize>ch << 2), m1, 16);
        }
        for (; ch + 4 <= c; ch += 4) {
          let m0 = ninf;
          let pr = first + (<usize>ch << 2);
          for (let ty = 0; ty < ny; ty++) {
            let p = pr;
            for (let tx = 0; tx < nx; tx++) {
              m0 = f32x4.max(m0, v128.load(p));
              p += tapX;
            }
            pr += tapY;
          }
          v128.store(o + (<usize>ch << 2), m0);
        }
        for (; ch < c; ch++) {
          let m: f32 = -Infinity;
          let pr = first + (<usize>ch << 2);
          for (let ty = 0; ty < ny; ty++) {
            let p = pr;
            for (let tx = 0; tx < nx; tx++) {
              m = max<f32>(m, load<f32>(p));
              p += tapX;
            }
            pr += tapY;
          }
          store<f32>(o + (<usize>ch << 2), m);
        }
        o += pixel;
      }
    }
  }
}
