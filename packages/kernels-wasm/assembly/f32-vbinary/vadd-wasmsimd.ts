// out[i] = a[i] + b[i] over len floats: 16 / 4 per step plus a scalar tail. out may be a or b.

export function f32_add(a: usize, b: usize, out: usize, len: i32): void {
  let left = len;
  while (left >= 16) {
    const a0 = v128.load(a);
    const a1 = v128.load(a, 16);
    const a2 = v128.load(a, 32);
    const a3 = v128.load(a, 48);
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const b2 = v128.load(b, 32);
    const b3 = v128.load(b, 48);
    v128.store(out, f32x4.add(a0, b0));
    v128.store(out, f32x4.add(a1, b1), 16);
    v128.store(out, f32x4.add(a2, b2), 32);
    v128.store(out, f32x4.add(a3, b3), 48);
    a += 64;
    b += 64;
    out += 64;
    left -= 16;
  }
  while (left >= 4) {
    v128.store(out, f32x4.add(v128.load(a), v128.load(b)));
    a += 16;
    b += 16;
    out += 16;
    left -= 4;
  }
  while (left > 0) {
    store<f32>(out, load<f32>(a) + load<f32>(b));
    a += 4;
    b += 4;
    out += 4;
    left--;
  }
}
