// A model's own 3x3 filters in Winograd form, built straight from the original weights in slices of
// output channels: the transient memory is one slice (a few MB), not the 36 (cin, cout) matrices of
// the whole filter, and the original never needs a place in wasm memory.
import { backend, keep, Tensor } from '@wcnn/tensor';
import { kernels, WinogradFilter, withScratch } from '../runtime.js';

/** Output channels per transform pass: a multiple of 16, so every slice is whole panels of the packing. */
const SLICE = 64;

/**
 * The filter w (3, 3, cin, cout) (HWIO; an array, or its address in wasm memory) transformed by f32_winograd_filter_f4x4_3x3 and packed as the
 * 36 GEMM B operands, exactly as the conv operator packs it: f32_gemm_pack_b of columns [c0, c0 + n)
 * gives the panels of those columns (16 wide except a last one of at most 8, which only the last slice
 * holds), at their place in the whole matrix's packing. `scale` (cout values) multiplies the output
 * channels first (a batch norm folded in).
 */
export function packWinogradFilter(w: Float32Array | number, cin: number, cout: number, scale?: Float32Array): WinogradFilter {
  const k = kernels();
  const packedFloats = k.f32_gemm_packed_size(cin, cout);
  const t = keep(Tensor.empty([36 * packedFloats], 'predict'));
  const slice = Math.min(cout, SLICE);
  try {
    withScratch([9 * cin * slice * 4, 36 * cin * slice * 4, cout * 4, slice * 4], ([ws, u, sc, zeros]) => {
      if (scale) {
        new Float32Array(backend().memory.buffer, sc, cout).set(scale);
        new Float32Array(backend().memory.buffer, zeros, slice).fill(0);
      }
      for (let c0 = 0; c0 < cout; c0 += slice) {
        const n = Math.min(slice, cout - c0);
        // Columns [c0, c0 + n) of every (ky, kx, ci) row: a (3, 3, cin, n) filter.
        const mem = new Float32Array(backend().memory.buffer);
        const dst = ws >> 2;
        if (typeof w === 'number') {
          const src = (w >> 2) + c0;
          for (let r = 0; r < 9 * cin; r++) mem.copyWithin(dst + r * n, src + r * cout, src + r * cout + n);
        } else {
          for (let r = 0; r < 9 * cin; r++) mem.set(w.subarray(r * cout + c0, r * cout + c0 + n), dst + r * n);
        }
        // A folded batch norm: each output channel times its scale.
        if (scale) k.f32_scale_shift(ws, 9 * cin, n, sc + c0 * 4, zeros, ws);
        k.f32_winograd_filter_f4x4_3x3(ws, cin, n, u);
        const at = t.ptr() + (c0 / 16) * 16 * (cin + 1) * 4;
        for (let m = 0; m < 36; m++) k.f32_gemm_pack_b(u + m * cin * n * 4, n, cin, n, 0, at + m * packedFloats * 4);
      }
    });
  } catch (e) {
    t.dispose();
    throw e;
  }
  return new WinogradFilter(t, cin, cout);
}
