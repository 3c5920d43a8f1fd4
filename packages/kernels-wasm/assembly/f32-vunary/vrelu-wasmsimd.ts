// out[i] = max(x[i], 0) (NaN stays NaN) over len floats: 16 / 4 per step plus a scalar tail. out may be x.

export function f32_relu(x: usize, out: usize, len: i32): void {
  const zero = f32x4.splat(0);
  let left = len;
  while (left >= 16) {
    const x0 = v128.load(x);
    const x1 = v128.load(x, 16);
    const x2 = v128.load(x, 32);
    const x3 = v128.load(x, 48);
    v128.store(out, f32x4.max(x0, zero));
    v128.store(out, f32x4.max(x1, zero), 16);
    v128.store(out, f32x4.max(x2, zero), 32);
    v128.store(out, f32x4.max(x3, zero), 48);
    x += 64;
    out += 64;
    left -= 16;
  }
  while (left >= 4) {
    const x0 = v128.load(x);
    v128.store(out, f32x4.max(x0, zero));
    x += 16;
    out += 16;
    left -= 4;
  }
  while (left > 0) {
    const s = load<f32>(x);
    store<f32>(out, max<f32>(s, 0));
    x += 4;
    out += 4;
    left--;
  }
}
