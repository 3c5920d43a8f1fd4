/**
 * WebAssembly feature detection by validating tiny modules (the approach of ONNX Runtime Web):
 * no code runs, and engines without the feature reject the opcode at validation.
 */

/*
 * (module
 *   (func (result v128)
 *     v128.const i32x4 0 0 0 0))
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, // code section: one body of 20 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0x0b, // end
]);

const V128_CONST_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];

/*
 * (module
 *   (func (result v128)
 *     v128.const i32x4 0 0 0 0
 *     v128.const i32x4 0 0 0 0
 *     v128.const i32x4 0 0 0 0
 *     f32x4.relaxed_madd))
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section: one body of 59 bytes, no locals
  ...V128_CONST_ZERO, ...V128_CONST_ZERO, ...V128_CONST_ZERO,
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105, LEB128)
  0x0b,
]);

export interface WasmFeatures {
  /** WebAssembly itself. */
  wasm: boolean;
  /** Fixed-width SIMD 128 (required). */
  simd: boolean;
  /** Relaxed SIMD (optional: Node 20 needs --experimental-wasm-relaxed-simd). */
  relaxedSimd: boolean;
}

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

export function detectFeatures(): WasmFeatures {
  const wasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  return {
    wasm,
    simd: wasm && validates(SIMD_PROBE),
    relaxedSimd: wasm && validates(RELAXED_SIMD_PROBE),
  };
}
