// Measurement kernels for `wcnn bench`: the machine's own f32x4 peak (not used by operators).
export { f32_peak_probe_muladd, f32_peak_probe_fma } from './f32-probe/peak-wasmsimd';
