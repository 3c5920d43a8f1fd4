// GEMM, im2col and depthwise convolution kernels.
export { f32_gemm_packed_size, f32_gemm_pack_b } from './f32-gemm/pack-b';
export { f32_gemm } from './f32-gemm/gemm';
export { f32_im2col } from './f32-im2col/nhwc';
export { f32_dwconv } from './f32-dwconv/nhwc-wasmsimd';
export { f32_repeat_channels } from './f32-dwconv/repeat-channels';
export { f32_gemv } from './f32-gemv/rows-wasmsimd';
