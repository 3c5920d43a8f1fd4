// The residual input of a fused conv (ResNet's y = act(conv(x) + bias + shortcut)): added to the
// accumulators before the activation, in the microkernels' epilogue.
import { loadLanes } from '../f32-winograd/lanes';

/** acc + the n (<= 0: none, >= 4: all four) floats at p, never reading past p + 4 * n. */
@inline export function addResidual(acc: v128, p: usize, n: i32): v128 {
  if (n >= 4) return f32x4.add(acc, v128.load(p));
  if (n <= 0) return acc;
  return f32x4.add(acc, loadLanes(p, n));
}
