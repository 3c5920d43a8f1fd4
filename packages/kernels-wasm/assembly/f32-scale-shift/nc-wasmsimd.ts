// Per-channel affine map of a (rows, c) matrix (batch norm at inference): 4 channels per step plus
// a scalar tail. out may be x.
import { madd, maddScalar } from '../common';

export function f32_scale_shift(x: usize, rows: i32, c: i32, scale: usize, shift: usize, out: usize): void {
  const rowBytes = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    let ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      const off = <usize>ch << 2;
      v128.store(or + off, madd(v128.load(xr + off), v128.load(scale + off), v128.load(shift + off)));
    }
    for (; ch < c; ch++) {
      const off = <usize>ch << 2;
      store<f32>(or + off, maddScalar(load<f32>(xr + off), load<f32>(scale + off), load<f32>(shift + off)));
    }
  }
}
