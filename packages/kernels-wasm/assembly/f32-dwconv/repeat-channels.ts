// Repeats every channel m times: a depthwise conv with channel multiplier m becomes one with multiplier 1.

/** x: (rows, c). out: (rows, c * m), out[r, ch * m + j] = x[r, ch]. */
export function f32_repeat_channels(x: usize, rows: i32, c: i32, m: i32, out: usize): void {
  const total = rows * c;
  if (m == 1) {
    let i = 0;
    for (; i + 4 <= total; i += 4) {
      v128.store(out, v128.load(x));
      x += 16;
      out += 16;
    }
    for (; i < total; i++) {
      store<f32>(out, load<f32>(x));
      x += 4;
      out += 4;
    }
    return;
  }
  for (let i = 0; i < total; i++) {
    const v = load<f32>(x);
    const vv = f32x4.splat(v);
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      v128.store(out, vv);
      out += 16;
    }
    for (; j < m; j++) {
      store<f32>(out, v);
      out += 4;
    }
    x += 4;
  }
}
