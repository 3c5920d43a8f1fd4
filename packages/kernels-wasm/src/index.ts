export type { KernelExports, KernelName } from './abi.js';
export { PAD_MODE, BINARY_OP } from './abi.js';
export { detectFeatures, type WasmFeatures } from './features.js';
export {
  compileKernels,
  instantiateKernels,
  defaultWasmUrl,
  WASM_FILES,
  SHARED_WASM_FILES,
  type WasmSource,
  type Flavor,
} from './load.js';
