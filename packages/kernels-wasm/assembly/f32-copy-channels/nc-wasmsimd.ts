// One input of a channel concat: (rows, cx) into channels [cOff, cOff + cx) of a (rows, cOut) matrix.
import { copyFloats } from '../math';

export function f32_copy_channels(x: usize, rows: i32, cx: i32, out: usize, cOut: i32, cOff: i32): void {
  // cx == cOut (then cOff = 0): the rows are contiguous on both sides.
  if (cx == cOut) {
    copyFloats(out, x, rows * cx);
    return;
  }
  const inRow = <usize>cx << 2;
  const outRow = <usize>cOut << 2;
  let xr = x;
  let or = out + (<usize>cOff << 2);
  for (let r = 0; r < rows; r++) {
    copyFloats(or, xr, cx);
    xr += inRow;
    or += outRow;
  }
}
