// out[i] = x[i] < 0 ? alpha * x[i] : x[i] (any alpha) over len floats: 16 / 4 per step plus a scalar tail. out may be x.

export function f32_leaky_relu(x: usize, out: usize, len: i32, alpha: f32): void {
  const zero = f32x4.splat(0);
  const valpha = f32x4.splat(alpha);
  let left = len;
  while (left >= 16) {
    const x0 = v128.load(x);
    const x1 = v128.load(x, 16);
    const x2 = v128.load(x, 32);
    const x3 = v128.load(x, 48);
    v128.store(out, v128.bitselect(f32x4.mul(x0, valpha), x0, f32x4.lt(x0, zero)));
    v128.store(out, v128.bitselect(f32x4.mul(x1, valpha), x1, f32x4.lt(x1, zero)), 16);
    v128.store(out, v128.bitselect(f32x4.mul(x2, valpha), x2, f32x4.lt(x2, zero)), 32);
    v128.store(out, v128.bitselect(f32x4.mul(x3, valpha), x3, f32x4.lt(x3, zero)), 48);
    x += 64;
    out += 64;
    left -= 16;
  }
  while (left >= 4) {
    const x0 = v128.load(x);
    v128.store(out, v128.bitselect(f32x4.mul(x0, valpha), x0, f32x4.lt(x0, zero)));
    x += 16;
    out += 16;
    left -= 4;
  }
  while (left > 0) {
    const s = load<f32>(x);
    store<f32>(out, s < 0 ? alpha * s : s);
    x += 4;
    out += 4;
    left--;
  }
}
