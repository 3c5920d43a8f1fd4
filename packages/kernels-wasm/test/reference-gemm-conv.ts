// Plain TypeScript references for the GEMM, im2col and depthwise kernels: float64 accumulation,
// loops that follow the ABI text (src/abi.ts) rather than the kernels' structure.
import { expect } from 'vitest';
import { expectClose, guardIntact, type Harness } from './harness.js';

/** Value an output buffer holds before the call, so untouched floats are told from written ones. */
export const SENTINEL = -777.25;
/** Floats of sentinel after each output: a stray store there shows even when it writes NaN read from a guard. */
export const SPARE = 24;

/** An output buffer of `len` floats plus SPARE, all SENTINEL, then the harness's NaN guard. */
export function putOutput(h: Harness, len: number): number {
  return h.put(new Float32Array(len + SPARE).fill(SENTINEL));
}

/** The output equals `expected` and the SPARE floats and guard after it are untouched. */
export function checkOutput(h: Harness, ptr: number, expected: Float32Array, tol: { rtol: number; atol: number }, label: string): void {
  const len = expected.length;
  expectClose(h.get(ptr, len), expected, tol, label);
  const tail = h.get(ptr + len * 4, SPARE);
  expect(tail.every((v) => v === SENTINEL), `${label}: wrote past the end`).toBe(true);
  expect(guardIntact(h, ptr, len + SPARE), `${label}: guard`).toBe(true);
}

export interface Epilogue {
  min: number;
  max: number;
  alpha: number;
}

export const EPILOGUES = {
  identity: { min: -Infinity, max: Infinity, alpha: 1 },
  relu: { min: 0, max: Infinity, alpha: 1 },
  relu6: { min: 0, max: 6, alpha: 1 },
  leaky: { min: -Infinity, max: Infinity, alpha: 0.1 },
} as const satisfies Record<string, Epilogue>;

export function applyEpilogue(y: number, e: Epilogue): number {
  const leaky = y < 0 ? e.alpha * y : y;
  return Math.min(Math.max(leaky, e.min), e.max);
}

/** Output extent of a convolution or pool along one axis. */
export function convOut(size: number, kernel: number, stride: number, dilation: number, padBefore: number, padAfter: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Widths of f32_gemm_pack_b's panels, left to right: 16 columns each, and 8 for a last panel of at most 8. */
export function gemmPanelWidths(n: number): number[] {
  const widths: number[] = [];
  for (let j = 0; j < n; j += 16) widths.push(n - j > 8 ? 16 : 8);
  return widths;
}

/** The packed layout f32_gemm_pack_b writes: per panel of `width` columns, `width` bias floats then (k, width), zero tails. */
export function refPackB(b: Float32Array, ldb: number, k: number, n: number, bias: Float32Array | null): Float32Array {
  const widths = gemmPanelWidths(n);
  const out = new Float32Array(widths.reduce((s, nr) => s + nr, 0) * (k + 1));
  let base = 0;
  widths.forEach((nr, p) => {
    for (let j = 0; j < nr; j++) {
      const col = p * 16 + j;
      if (col >= n) continue;
      out[base + j] = bias ? bias[col] : 0;
      for (let kk = 0; kk < k; kk++) out[base + nr + kk * nr + j] = b[kk * ldb + col];
    }
    base += nr * (k + 1);
  });
  return out;
}

/**
 * C = A * B + bias, then the epilogue, written into `c` (a copy of the output buffer, rows `ldc` apart
 * starting at `cOff`): only the (m, n) block changes, everything else keeps its value.
 */
export function refGemm(
  m: number, n: number, k: number,
  a: Float32Array, lda: number,
  b: Float32Array, ldb: number, bias: Float32Array | null,
  c: Float32Array, cOff: number, ldc: number, e: Epilogue,
  /** Added before the epilogue: element (i, j) at residual[i * ldr + j]. */
  residual: Float32Array | null = null, ldr = n,
): Float32Array {
  const out = c.slice();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0;
      for (let kk = 0; kk < k; kk++) s += a[i * lda + kk] * b[kk * ldb + j];
      if (residual) s += residual[i * ldr + j];
      out[cOff + i * ldc + j] = applyEpilogue(s, e);
    }
  }
  return out;
}

function wrap(i: number, size: number): number {
  return ((i % size) + size) % size;
}

export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padT: number;
  padL: number;
  oh: number;
  ow: number;
  circular: boolean;
}

/** Input index of a tap, or -1 when it falls in zero padding. */
function tapIndex(i: number, size: number, circular: boolean): number {
  if (i >= 0 && i < size) return i;
  return circular ? wrap(i, size) : -1;
}

/** Rows [rowStart, rowStart + rowCount) of the im2col matrix for channels [cOff, cOff + cg): (rowCount, kh * kw * cg). */
export function refIm2col(x: Float32Array, g: ConvGeometry, cOff: number, cg: number, rowStart: number, rowCount: number): Float32Array {
  const cols = g.kh * g.kw * cg;
  const out = new Float32Array(rowCount * cols);
  for (let r = 0; r < rowCount; r++) {
    const row = rowStart + r;
    const ox = row % g.ow;
    const oy = Math.floor(row / g.ow) % g.oh;
    const img = Math.floor(row / (g.ow * g.oh));
    for (let ky = 0; ky < g.kh; ky++) {
      for (let kx = 0; kx < g.kw; kx++) {
        const iy = tapIndex(oy * g.sh - g.padT + ky * g.dh, g.h, g.circular);
        const ix = tapIndex(ox * g.sw - g.padL + kx * g.dw, g.w, g.circular);
        for (let ci = 0; ci < cg; ci++) {
          const v = iy < 0 || ix < 0 ? 0 : x[((img * g.h + iy) * g.w + ix) * g.c + cOff + ci];
          out[r * cols + (ky * g.kw + kx) * cg + ci] = v;
        }
      }
    }
  }
  return out;
}

/** Depthwise conv, multiplier 1: weights (kh, kw, c), bias (c) or null; out (n, oh, ow, c). */
export function refDwconv(x: Float32Array, g: ConvGeometry, weights: Float32Array, bias: Float32Array | null, e: Epilogue): Float32Array {
  const out = new Float32Array(g.n * g.oh * g.ow * g.c);
  for (let img = 0; img < g.n; img++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let ch = 0; ch < g.c; ch++) {
          let s = bias ? bias[ch] : 0;
          for (let ky = 0; ky < g.kh; ky++) {
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = tapIndex(oy * g.sh - g.padT + ky * g.dh, g.h, g.circular);
              const ix = tapIndex(ox * g.sw - g.padL + kx * g.dw, g.w, g.circular);
              if (iy < 0 || ix < 0) continue;
              s += x[((img * g.h + iy) * g.w + ix) * g.c + ch] * weights[(ky * g.kw + kx) * g.c + ch];
            }
          }
          out[((img * g.oh + oy) * g.ow + ox) * g.c + ch] = applyEpilogue(s, e);
        }
      }
    }
  }
  return out;
}

/** out[r, ch * m + j] = x[r, ch]. */
export function refRepeatChannels(x: Float32Array, rows: number, c: number, m: number): Float32Array {
  const out = new Float32Array(rows * c * m);
  for (let r = 0; r < rows; r++) {
    for (let ch = 0; ch < c; ch++) {
      for (let j = 0; j < m; j++) out[(r * c + ch) * m + j] = x[r * c + ch];
    }
  }
  return out;
}

/** Convolution, zero padding (g.circular ignored), one group: weights HWIO (kh, kw, c, cout), bias (cout) or null; out (n, oh, ow, cout). */
export function refConv(x: Float32Array, g: ConvGeometry, weights: Float32Array, cout: number, bias: Float32Array | null, e: Epilogue): Float32Array {
  const out = new Float32Array(g.n * g.oh * g.ow * cout);
  for (let img = 0; img < g.n; img++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let co = 0; co < cout; co++) {
          let s = bias ? bias[co] : 0;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.padT + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.padL + kx * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              for (let ci = 0; ci < g.c; ci++) {
                s += x[((img * g.h + iy) * g.w + ix) * g.c + ci] * weights[((ky * g.kw + kx) * g.c + ci) * cout + co];
              }
            }
          }
          out[((img * g.oh + oy) * g.ow + ox) * cout + co] = applyEpilogue(s, e);
        }
      }
    }
  }
  return out;
}
