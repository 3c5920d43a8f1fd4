export { init, shutdown, backend, isInitialized, type InitOptions, type InitResult, type SimdOption, type Backend, type KernelCall, type WasmSources } from './backend.js';
export { Tensor, tensor, fill, zeros, tidy, keep, dispose, memory, formatShape, type MemoryInfo } from './tensor.js';
export {
  padAmounts,
  sizeOf,
  stridesOf,
  convOutputSize,
  window2d,
  effectiveKernel,
  conv2dParams,
  denseParams,
  depthwiseConv2dParams,
  batchNormParams,
  type PaddingSpec,
  type Padding1d,
  type Window2d,
} from './shapes.js';
export { parseNpy, serializeNpy, readNpyFile, writeNpyFile, type NpyArray } from './npy.js';
export { detectFeatures, type WasmFeatures, type WasmSource, type Flavor } from '@wcnn/kernels-wasm';
