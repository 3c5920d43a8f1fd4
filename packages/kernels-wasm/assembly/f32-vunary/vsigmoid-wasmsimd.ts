// out[i] = 1 / (1 + exp(-x[i])) over len floats: 8 / 4 per step, the last 1-3 as a partial vector
// so they get the same math. out may be x.
import { loadPartial, storePartial, vsigmoid } from '../math';

export function f32_sigmoid(x: usize, out: usize, len: i32): void {
  let left = len;
  while (left >= 8) {
    const x0 = v128.load(x);
    const x1 = v128.load(x, 16);
    v128.store(out, vsigmoid(x0));
    v128.store(out, vsigmoid(x1), 16);
    x += 32;
    out += 32;
    left -= 8;
  }
  if (left >= 4) {
    v128.store(out, vsigmoid(v128.load(x)));
    x += 16;
    out += 16;
    left -= 4;
  }
  if (left > 0) storePartial(out, vsigmoid(loadPartial(x, left)), left);
}
