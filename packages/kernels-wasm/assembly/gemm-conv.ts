// GEMM, im2col, direct (few input channels) and depthwise convolution kernels.
export { f32_gemm_packed_size, f32_gemm_pack_b } from './f32-gemm/pack-b';
export { f32_gemm_pack_b_filter } from './f32-gemm/pack-b-filter';
export { f32_gemm, f32_gemm_residual } from './f32-gemm/gemm';
export { f32_im2col } from './f32-im2col/nhwc';
export { f32_dwconv } from './f32-dwconv/nhwc-wasmsimd';
export { f32_repeat_channels } from './f32-dwconv/repeat-channels';
export { f32_conv_hwc } from './f32-conv-hwc/nhwc-wasmsimd';
export { f32_conv_hwc_winograd_f4x4_3x3, f32_conv_hwc_winograd_pack, f32_conv_hwc_winograd_packed_size } from './f32-conv-hwc/winograd-f4x4-3x3-cin4-wasmsimd';
export { f32_gemv } from './f32-gemv/rows-wasmsimd';
