// Winograd F(4x4, 3x3) transforms for 3x3 stride-1 convolutions: filter (once, at create time),
// input tiles -> 36 GEMM operands, 36 GEMM results -> output tiles. The GEMMs are f32_gemm's.
export { f32_winograd_filter_f4x4_3x3 } from './f32-winograd/filter-f4x4-3x3-wasmsimd';
export { f32_winograd_input_f4x4_3x3 } from './f32-winograd/input-f4x4-3x3-wasmsimd';
export { f32_winograd_output_f4x4_3x3 } from './f32-winograd/output-f4x4-3x3-wasmsimd';
