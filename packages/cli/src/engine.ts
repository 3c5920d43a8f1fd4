// Starts the kernels for the CLI. Node 20 ships relaxed SIMD behind a V8 flag: the CLI turns the
// flag on itself (the library never does), so `wcnn` gets the fast build without extra options.
import v8 from 'node:v8';
import { detectFeatures, init, type InitResult, type SimdOption } from '@wcnn/tensor';
import { UsageError } from './errors.js';

export const SIMD_CHOICES: readonly SimdOption[] = ['auto', 'baseline', 'relaxed'];

export function parseSimd(value: string | undefined): SimdOption {
  const simd = (value ?? 'auto') as SimdOption;
  if (!SIMD_CHOICES.includes(simd)) throw new UsageError(`--simd must be auto, baseline or relaxed, got '${value}'`);
  return simd;
}

export async function startEngine(simd: SimdOption): Promise<InitResult> {
  if (simd !== 'baseline' && !detectFeatures().relaxedSimd) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // An engine without the flag keeps baseline SIMD; init() says so once.
    }
  }
  return init({ simd, onNotice: (m) => process.stderr.write(`${m}\n`) });
}
