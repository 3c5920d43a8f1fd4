// out[i] = min(max(x[i], 0), 6) (NaN stays NaN) over len floats: 16 / 4 per step plus a scalar tail. out may be x.

export function f32_relu6(x: usize, out: usize, len: i32): void {
  const zero = f32x4.splat(0);
  const six = f32x4.splat(6);
  let left = len;
  while (left >= 16) {
    const x0 = v128.load(x);
    const x1 = v128.load(x, 16);
    const x2 = v128.load(x, 32);
    const x3 = v128.load(x, 48);
    v128.store(out, f32x4.min(f32x4.max(x0, zero), six));
    v128.store(out, f32x4.min(f32x4.max(x1, zero), six), 16);
    v128.store(out, f32x4.min(f32x4.max(x2, zero), six), 32);
    v128.store(out, f32x4.min(f32x4.max(x3, zero), six), 48);
    x += 64;
    out += 64;
    left -= 16;
  }
  while (left >= 4) {
    const x0 = v128.load(x);
    v128.store(out, f32x4.min(f32x4.max(x0, zero), six));
    x += 16;
    out += 16;
    left -= 4;
  }
  while (left > 0) {
    const s = load<f32>(x);
    store<f32>(out, min<f32>(max<f32>(s, 0), 6));
    x += 4;
    out += 4;
    left--;
  }
}
