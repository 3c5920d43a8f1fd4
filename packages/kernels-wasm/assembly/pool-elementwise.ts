// Pooling, elementwise, softmax, scale-shift, transpose, concat and pad kernels.
export { f32_maxpool } from './f32-maxpool/nhwc-wasmsimd';
export { f32_avgpool } from './f32-avgpool/nhwc-wasmsimd';
export { f32_global_avgpool } from './f32-global-pool/avg-nhwc-wasmsimd';
export { f32_global_maxpool } from './f32-global-pool/max-nhwc-wasmsimd';
export { f32_add } from './f32-vbinary/vadd-wasmsimd';
export { f32_mul } from './f32-vbinary/vmul-wasmsimd';
export { f32_relu } from './f32-vunary/vrelu-wasmsimd';
export { f32_relu6 } from './f32-vunary/vrelu6-wasmsimd';
export { f32_leaky_relu } from './f32-vunary/vleakyrelu-wasmsimd';
export { f32_clip } from './f32-vunary/vclip-wasmsimd';
export { f32_sigmoid } from './f32-vunary/vsigmoid-wasmsimd';
export { f32_tanh } from './f32-vunary/vtanh-wasmsimd';
export { f32_softmax } from './f32-softmax/rows-wasmsimd';
export { f32_scale_shift } from './f32-scale-shift/nc-wasmsimd';
export { f32_transpose } from './f32-transpose/4x4-wasmsimd';
export { f32_copy_channels } from './f32-copy-channels/nc-wasmsimd';
export { f32_pad } from './f32-pad/nhwc-wasmsimd';
