// A model's own GEMM conv filters, packed once straight from the layout they are stored in (an ONNX
// file's (cout, cin, kh, kw), or HWIO) into the panels im2col + GEMM reads, in a tensor the model keeps.
import { backend, keep, Tensor } from '@wcnn/tensor';
import { parallel, splitRange, threadCount } from '../parallel.js';
import { GemmFilter, kernels, withScratch } from '../runtime.js';

/** Where a filter's values are in wasm memory: element strides per output channel, input channel and tap (ky * kw + kx). */
export interface FilterSource {
  ptr: number;
  strides: readonly [cout: number, cin: number, tap: number];
}

/** The strides of a filter stored as HWIO (kh, kw, cin, cout). */
export function hwioStrides(cin: number, cout: number): [number, number, number] {
  return [1, cout, cin * cout];
}

/**
 * The filter (shape HWIO (kh, kw, cin, cout)) packed for im2col + GEMM with `bias` (its address, or 0)
 * in the panels' bias rows and every output channel times `scale` (a folded batch norm). The panels
 * are spread over the threads: most of the time is the first touch of the packing's pages.
 */
export function packGemmFilter(src: FilterSource, shape: readonly [number, number, number, number], bias: number, scale?: Float32Array): GemmFilter {
  const [kh, kw, cin, cout] = shape;
  const t = keep(Tensor.empty([kernels().f32_gemm_packed_size(kh * kw * cin, cout)], 'predict'));
  try {
    packGemmFilterInto(src, shape, bias, scale, t.ptr());
  } catch (e) {
    t.dispose();
    throw e;
  }
  return new GemmFilter(t, shape, bias !== 0);
}

/** As packGemmFilter, into dst (f32_gemm_packed_size(kh * kw * cin, cout) floats). */
export function packGemmFilterInto(src: FilterSource, shape: readonly [number, number, number, number], bias: number, scale: Float32Array | undefined, dst: number): void {
  const [kh, kw, cin, cout] = shape;
  withScratch([cout * 4], ([s]) => {
    if (scale) new Float32Array(backend().memory.buffer, s, cout).set(scale);
    const panels = Math.ceil(cout / 16);
    parallel(splitRange(panels, threadCount()).map(([p0, p1]) => [
      ['f32_gemm_pack_b_filter', src.ptr, ...src.strides, cin, kh * kw, cout, bias, scale ? s : 0, p0 * 16, Math.min(cout, p1 * 16), dst],
    ]));
  });
}
