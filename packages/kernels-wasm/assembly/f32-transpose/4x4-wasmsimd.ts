// Per batch, (rows, cols) -> (cols, rows): 4x4 blocks transposed in registers, scalar edges.

// Columns per tile: a strip of 4 input rows writes 16 bytes into each of TILE output rows; the next
// strips complete those cache lines while they are still cached.
const TILE: i32 = 64;

/** The 4x4 block at x (row stride xs bytes) to out (row stride os bytes), transposed. */
@inline function block4x4(x: usize, xs: usize, out: usize, os: usize): void {
  const a0 = v128.load(x);
  const a1 = v128.load(x + xs);
  const a2 = v128.load(x + 2 * xs);
  const a3 = v128.load(x + 3 * xs);
  // (a0[0] a1[0] a0[1] a1[1]), (a0[2] a1[2] a0[3] a1[3]), same for rows 2 and 3
  const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(out + os, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(out + 2 * os, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(out + 3 * os, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

export function f32_transpose(x: usize, batch: i32, rows: i32, cols: i32, out: usize): void {
  const xs = <usize>cols << 2;
  const os = <usize>rows << 2;
  const plane = <usize>rows * xs;
  const rows4 = rows & ~3;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * plane;
    const ob = out + <usize>b * plane;
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = c0 + TILE < cols ? c0 + TILE : cols;
      const c14 = c0 + ((c1 - c0) & ~3);
      for (let r = 0; r < rows4; r += 4) {
        const xr = xb + <usize>r * xs;
        const or = ob + (<usize>r << 2);
        for (let c = c0; c < c14; c += 4) block4x4(xr + (<usize>c << 2), xs, or + <usize>c * os, os);
        for (let c = c14; c < c1; c++) {
          const xp = xr + (<usize>c << 2);
          const op = or + <usize>c * os;
          store<f32>(op, load<f32>(xp));
          store<f32>(op, load<f32>(xp + xs), 4);
          store<f32>(op, load<f32>(xp + 2 * xs), 8);
          store<f32>(op, load<f32>(xp + 3 * xs), 12);
        }
      }
      for (let r = rows4; r < rows; r++) {
        const xr = xb + <usize>r * xs;
        const or = ob + (<usize>r << 2);
        for (let c = c0; c < c1; c++) store<f32>(or + <usize>c * os, load<f32>(xr + (<usize>c << 2)));
      }
    }
  }
}
