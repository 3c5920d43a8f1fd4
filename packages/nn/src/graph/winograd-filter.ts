// A model's own 3x3 filters in Winograd form (the conv operator's packing, packWinogradFilterInto), in a
// tensor the model keeps: the original never needs a place in wasm memory of its own.
import { keep, Tensor } from '@wcnn/tensor';
import { packWinogradFilterInto } from '../ops/conv2d.js';
import { kernels, WinogradFilter } from '../runtime.js';

/** The filter w (3, 3, cin, cout) (an array, or its address in wasm memory) packed for Winograd; `scale` folds a batch norm. */
export function packWinogradFilter(w: Float32Array | number, cin: number, cout: number, scale?: Float32Array): WinogradFilter {
  const t = keep(Tensor.empty([36 * kernels().f32_gemm_packed_size(cin, cout)], 'predict'));
  try {
    packWinogradFilterInto(w, cin, cout, t.ptr(), scale);
  } catch (e) {
    t.dispose();
    throw e;
  }
  return new WinogradFilter(t, cin, cout);
}
