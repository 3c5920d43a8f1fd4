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

/** A positive integer option (`--runs N`), or `fallback` when it is not given. */
export function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${v}'`);
  return n;
}

/** `--threads N`: a positive integer; undefined leaves the library's default (all cores). */
export function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--threads must be an integer from 1 to 256, got '${value}'`);
  return n;
}

export async function startEngine(simd: SimdOption, threads?: number): Promise<InitResult> {
  if (simd !== 'baseline' && !detectFeatures().relaxedSimd) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // An engine without the flag keeps baseline SIMD; init() says so once.
    }
  }
  return init({ simd, threads, onNotice: (m) => process.stderr.write(`${m}\n`) });
}
