// Test harness: loads a build on a fresh memory and moves Float32Arrays in and out at known addresses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { KernelExports } from '../src/abi.js';
import { defaultWasmUrl, WASM_FILES, type Flavor } from '../src/load.js';

export const FLAVORS: readonly Flavor[] = ['baseline', 'relaxed'];

export interface Harness {
  flavor: Flavor;
  k: KernelExports;
  memory: WebAssembly.Memory;
  /** Copies `data` into fresh memory (64-byte aligned) and returns its address. */
  put(data: Float32Array | number[]): number;
  /** Reserves `floats` floats filled with `fill` (UNWRITTEN by default, so unwritten outputs show), then a GUARD band. */
  alloc(floats: number, fill?: number): number;
  get(ptr: number, floats: number): Float32Array;
  /** Frees everything allocated so far. */
  reset(): void;
}

export async function loadBuild(flavor: Flavor): Promise<Harness> {
  // WCNN_WASM_DIR: builds from another folder (parallel development); default: the package's build/.
  const dir = process.env.WCNN_WASM_DIR;
  const file = dir ? join(dir, WASM_FILES[flavor]) : fileURLToPath(defaultWasmUrl(flavor));
  const module = await WebAssembly.compile(readFileSync(file));
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 16384 });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const k = instance.exports as unknown as KernelExports;
  const base = (k.heap_base() + 63) & ~63;
  let top = base;
  const alloc = (floats: number, fill = UNWRITTEN): number => {
    const ptr = top;
    top = (top + floats * 4 + 64 + 63) & ~63; // a 64-byte gap catches overruns of one vector
    const need = top + 4096;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    new Float32Array(memory.buffer, ptr, floats).fill(fill);
    new Float32Array(memory.buffer, ptr + floats * 4, 16).fill(GUARD);
    return ptr;
  };
  return {
    flavor,
    k,
    memory,
    alloc,
    put(data) {
      const ptr = alloc(data.length);
      new Float32Array(memory.buffer, ptr, data.length).set(data);
      return ptr;
    },
    get(ptr, floats) {
      return new Float32Array(memory.buffer, ptr, floats).slice();
    },
    reset() {
      top = base;
    },
  };
}

/**
 * Finite markers rather than NaN: a kernel that overruns an input reads GUARD and a stray store
 * then writes a finite value, which a NaN check would not tell from NaN propagated out of a guard.
 */
export const UNWRITTEN = -1234.5;
export const GUARD = -4321.25;

/** True when the 16 floats after a block are untouched (the GUARD band `alloc` writes). */
export function guardIntact(h: Harness, ptr: number, floats: number): boolean {
  return h.get(ptr + floats * 4, 16).every((v) => v === GUARD);
}

/** Deterministic uniform values in [lo, hi) (mulberry32). */
export function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

/** Elementwise |a - e| <= atol + rtol * |e|, with the first offending index in the message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { rtol: number; atol: number }, label = ''): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue; // covers matching infinities
    if (!(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e))) {
      expect.fail(`${label}: index ${i}: got ${a}, expected ${e} (rtol ${tol.rtol}, atol ${tol.atol})`);
    }
  }
}
