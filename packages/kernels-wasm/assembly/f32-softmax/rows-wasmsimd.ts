// Softmax over the last axis of a (rows, cols) matrix: exp(x - rowmax) / sum. out may be x.
import { loadPartial, storePartial, vexp } from '../math';

@inline function hmax(v: v128): f32 {
  const m = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2)), 0);
}

@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2)), 0);
}

export function f32_softmax(x: usize, rows: i32, cols: i32, out: usize): void {
  const rowBytes = <usize>cols << 2;
  const cols4 = cols & ~3;
  const rem = cols - cols4;
  const tail = <usize>cols4 << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;

    // Subtracting the row max keeps every exp argument <= 0: no overflow.
    let vm = f32x4.splat(-Infinity);
    for (let i = 0; i < cols4; i += 4) vm = f32x4.max(vm, v128.load(xr + (<usize>i << 2)));
    let m = hmax(vm);
    for (let i = cols4; i < cols; i++) m = max<f32>(m, load<f32>(xr + (<usize>i << 2)));
    const vmax = f32x4.splat(m);

    let vs = f32x4.splat(0);
    for (let i = 0; i < cols4; i += 4) {
      const off = <usize>i << 2;
      const e = vexp(f32x4.sub(v128.load(xr + off), vmax));
      v128.store(or + off, e);
      vs = f32x4.add(vs, e);
    }
    let s = hsum(vs);
    if (rem > 0) {
      const e = vexp(f32x4.sub(loadPartial(xr + tail, rem), vmax));
      storePartial(or + tail, e, rem);
      s += f32x4.extract_lane(e, 0);
      if (rem > 1) s += f32x4.extract_lane(e, 1);
      if (rem > 2) s += f32x4.extract_lane(e, 2);
    }

    const inv: f32 = <f32>1.0 / s;
    const vinv = f32x4.splat(inv);
    for (let i = 0; i < cols4; i += 4) {
      const off = <usize>i << 2;
      v128.store(or + off, f32x4.mul(v128.load(or + off), vinv));
    }
    for (let i = cols4; i < cols; i++) {
      const p = or + (<usize>i << 2);
      store<f32>(p, load<f32>(p) * inv);
    }
  }
}
