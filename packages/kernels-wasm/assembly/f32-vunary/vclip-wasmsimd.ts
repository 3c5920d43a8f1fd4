// out[i] = min(max(x[i], lo), hi) (NaN stays NaN) over len floats: 16 / 4 per step plus a scalar tail. out may be x.

export function f32_clip(x: usize, out: usize, len: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let left = len;
  while (left >= 16) {
    const x0 = v128.load(x);
    const x1 = v128.load(x, 16);
    const x2 = v128.load(x, 32);
    const x3 = v128.load(x, 48);
    v128.store(out, f32x4.min(f32x4.max(x0, vlo), vhi));
    v128.store(out, f32x4.min(f32x4.max(x1, vlo), vhi), 16);
    v128.store(out, f32x4.min(f32x4.max(x2, vlo), vhi), 32);
    v128.store(out, f32x4.min(f32x4.max(x3, vlo), vhi), 48);
    x += 64;
    out += 64;
    left -= 16;
  }
  while (left >= 4) {
    const x0 = v128.load(x);
    v128.store(out, f32x4.min(f32x4.max(x0, vlo), vhi));
    x += 16;
    out += 16;
    left -= 4;
  }
  while (left > 0) {
    const s = load<f32>(x);
    store<f32>(out, min<f32>(max<f32>(s, lo), hi));
    x += 4;
    out += 4;
    left--;
  }
}
