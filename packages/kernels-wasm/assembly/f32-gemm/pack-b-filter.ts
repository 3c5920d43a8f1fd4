// Packs a conv filter straight from its stored layout into f32_gemm_pack_b's panels, scaling each output
// channel (a folded batch norm): B (taps * cin, cout), row t * cin + ci, is read from w with element strides
// per output channel, input channel and tap, so an ONNX filter (cout, cin, kh, kw) packs without first
// being permuted to HWIO. Loads may be unaligned (the filter can be an ONNX file's raw bytes).
import { panelWidth } from './pack-b';

/**
 * Panels of the columns [j0, j1) of the packing (j0 a multiple of 16; j1 a multiple of 16 or cout), at
 * their offset j0 * (k + 1) in `packed` (k = taps * cin), so threads can pack disjoint column ranges.
 * bias, scale: (cout), or 0 for zeros / ones.
 */
export function f32_gemm_pack_b_filter(
  w: usize, strideCout: i32, strideCin: i32, strideTap: i32, cin: i32, taps: i32, cout: i32,
  bias: usize, scale: usize, j0: i32, j1: i32, packed: usize,
): void {
  const k = taps * cin;
  let out = packed + ((<usize>j0 * <usize>(k + 1)) << 2);
  for (let j = j0; j < j1; j += 16) {
    const width = panelWidth(j, cout);
    const nr = cout - j < width ? cout - j : width;
    const rowBytes = <usize>width << 2;
    // Bias row, zero past the real columns.
    for (let c = 0; c < width; c++) {
      store<f32>(out + (<usize>c << 2), c < nr && bias != 0 ? load<f32>(bias + (<usize>(j + c) << 2)) : 0);
    }
    for (let c = 0; c < width; c++) {
      const col = out + rowBytes + (<usize>c << 2);
      if (c >= nr) {
        for (let kk = 0; kk < k; kk++) store<f32>(col + <usize>kk * rowBytes, 0);
        continue;
      }
      const s = scale != 0 ? load<f32>(scale + (<usize>(j + c) << 2)) : 1;
      const src = w + (<usize>(j + c) * <usize>strideCout << 2);
      for (let ci = 0; ci < cin; ci++) {
        const from = src + (<usize>ci * <usize>strideCin << 2);
        const to = col + <usize>ci * rowBytes;
        for (let t = 0; t < taps; t++) {
          store<f32>(to + <usize>(t * cin) * rowBytes, load<f32>(from + (<usize>t * <usize>strideTap << 2), 0, 1) * s);
        }
      }
    }
    out += rowBytes * <usize>(k + 1);
  }
}
