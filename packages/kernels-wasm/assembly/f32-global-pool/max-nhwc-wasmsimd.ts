// Global max pooling: (n, hw, c) -> (n, c), 8 / 4 channels per step plus a scalar tail.

/** Max over the hw pixels of each image (hw = 0 gives -Infinity). */
export function f32_global_maxpool(x: usize, n: i32, hw: i32, c: i32, out: usize): void {
  const pixel = <usize>c << 2;
  const ninf = f32x4.splat(-Infinity);
  for (let img = 0; img < n; img++) {
    const xImg = x + <usize>img * <usize>hw * pixel;
    const o = out + <usize>img * pixel;
    let ch = 0;
    for (; ch + 8 <= c; ch += 8) {
      let m0 = ninf;
      let m1 = ninf;
      let p = xImg + (<usize>ch << 2);
      for (let i = 0; i < hw; i++) {
        m0 = f32x4.max(m0, v128.load(p));
        m1 = f32x4.max(m1, v128.load(p, 16));
        p += pixel;
      }
      v128.store(o + (<usize>ch << 2), m0);
      v128.store(o + (<usize>ch << 2), m1, 16);
    }
    for (; ch + 4 <= c; ch += 4) {
      let m0 = ninf;
      let p = xImg + (<usize>ch << 2);
      for (let i = 0; i < hw; i++) {
        m0 = f32x4.max(m0, v128.load(p));
        p += pixel;
      }
      v128.store(o + (<usize>ch << 2), m0);
    }
    for (; ch < c; ch++) {
      let m: f32 = -Infinity;
      let p = xImg + (<usize>ch << 2);
      for (let i = 0; i < hw; i++) {
        m = max<f32>(m, load<f32>(p));
        p += pixel;
      }
      store<f32>(o + (<usize>ch << 2), m);
    }
  }
}
