// How operators split kernel calls across threads (backend().parallel runs list t on thread t).
// Splits never change what a kernel computes for one output element, so any thread count gives
// bit-for-bit the single-thread result.
import { backend, type KernelCall } from '@wcnn/tensor';
import { packedColumnOffset } from './runtime.js';

export type { KernelCall };

/** Threads of the running backend, counting the calling one. */
export function threadCount(): number {
  return backend().threads;
}

/** Runs list t on thread t; an empty list leaves its thread idle. */
export function parallel(perThread: readonly (readonly KernelCall[])[]): void {
  backend().parallel(perThread);
}

/**
 * [start, end) ranges cutting `total` into at most `parts` pieces, each boundary a multiple of `align`
 * (except the end) and each piece at least `minSize` long (fewer pieces when there is too little work).
 */
export function splitRange(total: number, parts: number, align = 1, minSize = 1): Array<[number, number]> {
  const units = Math.ceil(total / align);
  const count = Math.max(1, Math.min(parts, Math.floor(total / Math.max(1, minSize)), units));
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = i === count - 1 ? total : Math.min(total, Math.round((total * (i + 1)) / count / align) * align);
    if (end > start) out.push([start, end]);
    start = end;
  }
  return out;
}

const FLOAT = 4;
/** Panel width of the packed GEMM B (f32_gemm_pack_b): splitting n at multiples of it keeps panels whole. */
const PANEL = 16;

/**
 * f32_gemm split across threads: by rows when there are plenty (each thread streams all of B past its
 * own rows), else by whole column panels (each thread reads only its panels of B: late layers with few
 * pixels and large weights).
 */
export function gemmCalls(
  m: number, n: number, k: number, a: number, lda: number, packed: number, c: number, ldc: number,
  outMin: number, outMax: number, alpha: number,
  /** 0, or a residual laid out like C (rows ldc floats apart) added before the activation */
  residual = 0,
): KernelCall[][] {
  const threads = threadCount();
  const call = (rows: number, cols: number, aAt: number, bAt: number, at: number): KernelCall => residual
    ? ['f32_gemm_residual', rows, cols, k, aAt, lda, bAt, c + at, ldc, residual + at, ldc, outMin, outMax, alpha]
    : ['f32_gemm', rows, cols, k, aAt, lda, bAt, c + at, ldc, outMin, outMax, alpha];
  const byRows = m >= threads * 32 || n <= PANEL;
  if (byRows) {
    return splitRange(m, threads, 4, 8).map(([r0, r1]) => [call(r1 - r0, n, a + r0 * lda * FLOAT, packed, r0 * ldc * FLOAT)]);
  }
  return splitRange(n, threads, PANEL, PANEL).map(([j0, j1]) => [
    call(m, j1 - j0, a, packed + packedColumnOffset(k, j0), j0 * FLOAT),
  ]);
}
