// Global average pooling: (n, hw, c) -> (n, c), 8 / 4 channels per step plus a scalar tail.

/** Mean over the hw pixels of each image (hw = 0 gives 0). */
export function f32_global_avgpool(x: usize, n: i32, hw: i32, c: i32, out: usize): void {
  const pixel = <usize>c << 2;
  const inv: f32 = hw > 0 ? <f32>1.0 / <f32>hw : 0;
  const vinv = f32x4.splat(inv);
  const zero = f32x4.splat(0);
  for (let img = 0; img < n; img++) {
    const xImg = x + <usize>img * <usize>hw * pixel;
    const o = out + <usize>img * pixel;
    let ch = 0;
    for (; ch + 8 <= c; ch += 8) {
      let s0 = zero;
      let s1 = zero;
      let p = xImg + (<usize>ch << 2);
      for (let i = 0; i < hw; i++) {
        s0 = f32x4.add(s0, v128.load(p));
        s1 = f32x4.add(s1, v128.load(p, 16));
        p += pixel;
      }
      v128.store(o + (<usize>ch << 2), f32x4.mul(s0, vinv));
      v128.store(o + (<usize>ch << 2), f32x4.mul(s1, vinv), 16);
    }
    for (; ch + 4 <= c; ch += 4) {
      let s0 = zero;
      let p = xImg + (<usize>ch << 2);
      for (let i = 0; i < hw; i++) {
        s0 = f32x4.add(s0, v128.load(p));
        p += pixel;
      }
      v128.store(o + (<usize>ch << 2), f32x4.mul(s0, vinv));
    }
    for (; ch < c; ch++) {
      let s: f32 = 0;
      let p = xImg + (<usize>ch << 2);
      for (let i = 0; i < hw; i++) {
        s += load<f32>(p);
        p += pixel;
      }
      store<f32>(o + (<usize>ch << 2), s * inv);
    }
  }
}
