import { beforeAll, describe, expect, it } from 'vitest';
import { FLAVORS, loadBuild, random, type Harness } from '../test/harness.js';
import { checkOutput, EPILOGUES, gemmPanelWidths, putOutput, refGemm, refPackB, SENTINEL } from '../test/reference-gemm-conv.js';

const TOL = { rtol: 1e-5, atol: 1e-5 };
// Rows of finite data after A and of sentinel after C: a tile that strays past row m reads numbers
// (not the harness's NaN guard, which would hide the write) and its stores show up as changed values.
const SPARE_ROWS = 4;

interface GemmCase {
  name: string;
  m: number;
  n: number;
  k: number;
  /** Row strides in floats; default: the row length. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** First column of C written, inside rows of ldc floats (a group's slice of a wider output). */
  cOff?: number;
  bias: boolean;
  epilogue: keyof typeof EPILOGUES;
  /** A values in [-aRange, aRange). */
  aRange?: number;
  /** Values on a 1/16 grid: every product and sum is exact in f32, so large k stays within tolerance. */
  dyadic?: boolean;
  /** Through f32_gemm_residual with a residual whose rows are `ldr` floats apart (default n + 3). */
  residual?: boolean;
  ldr?: number;
}

function data(n: number, seed: number, range: number, dyadic: boolean): Float32Array {
  const v = random(n, seed, -range, range);
  if (dyadic) for (let i = 0; i < n; i++) v[i] = Math.round(v[i] * 16) / 16;
  return v;
}

function runGemm(h: Harness, cs: GemmCase, seed: number): void {
  const { m, n, k } = cs;
  const lda = cs.lda ?? k;
  const ldb = cs.ldb ?? n;
  const cOff = cs.cOff ?? 0;
  const ldc = cs.ldc ?? cOff + n;
  const dyadic = cs.dyadic ?? false;
  const e = EPILOGUES[cs.epilogue];
  const label = `${h.flavor} ${cs.name} (m ${m}, n ${n}, k ${k})`;
  h.reset();

  // Padding columns of A and B hold data too: reading them would change the result.
  const a = data((m + SPARE_ROWS) * lda, seed, cs.aRange ?? 1, dyadic);
  const b = data(k * ldb, seed + 1, 1, dyadic);
  const bias = cs.bias ? data(n, seed + 2, 1, dyadic) : null;
  const pa = h.put(a);
  const pb = h.put(b);
  const pbias = bias ? h.put(bias) : 0;

  const size = h.k.f32_gemm_packed_size(k, n);
  expect(size, `${label}: packed size`).toBe(gemmPanelWidths(n).reduce((s, nr) => s + nr, 0) * (k + 1));
  const packed = putOutput(h, size);
  h.k.f32_gemm_pack_b(pb, ldb, k, n, pbias, packed);
  checkOutput(h, packed, refPackB(b, ldb, k, n, bias), { rtol: 0, atol: 0 }, `${label}: packed`);

  // C plus SPARE_ROWS rows of sentinel, which the reference leaves as they are.
  const cLen = (m + SPARE_ROWS) * ldc;
  const c0 = new Float32Array(cLen).fill(SENTINEL);
  const pc = putOutput(h, cLen);
  if (cs.residual) {
    const ldr = cs.ldr ?? n + 3;
    const r = data(m * ldr, seed + 3, 2, dyadic);
    h.k.f32_gemm_residual(m, n, k, pa, lda, packed, pc + cOff * 4, ldc, h.put(r), ldr, e.min, e.max, e.alpha);
    checkOutput(h, pc, refGemm(m, n, k, a, lda, b, ldb, bias, c0, cOff, ldc, e, r, ldr), TOL, `${label} + residual`);
    return;
  }
  h.k.f32_gemm(m, n, k, pa, lda, packed, pc + cOff * 4, ldc, e.min, e.max, e.alpha);
  checkOutput(h, pc, refGemm(m, n, k, a, lda, b, ldb, bias, c0, cOff, ldc, e), TOL, label);
}

const CASES: GemmCase[] = [
  { name: 'single element', m: 1, n: 1, k: 1, bias: false, epilogue: 'identity' },
  { name: 'k = 1 with bias', m: 5, n: 9, k: 1, bias: true, epilogue: 'identity' },
  { name: 'k = 2', m: 4, n: 8, k: 2, bias: true, epilogue: 'identity' },
  { name: 'k = 3', m: 7, n: 13, k: 3, bias: false, epilogue: 'identity' },
  { name: 'k = 4', m: 4, n: 16, k: 4, bias: true, epilogue: 'relu' },
  { name: 'k = 27 (3x3x3 conv)', m: 9, n: 17, k: 27, bias: true, epilogue: 'relu' },
  { name: 'k = 64 relu6 clamps both ends', m: 12, n: 24, k: 64, bias: true, epilogue: 'relu6', aRange: 3 },
  { name: 'leaky alpha 0.1', m: 11, n: 19, k: 37, bias: true, epilogue: 'leaky' },
  { name: 'relu without bias', m: 6, n: 10, k: 9, bias: false, epilogue: 'relu' },
  { name: 'large k = 513', m: 9, n: 20, k: 513, bias: true, epilogue: 'identity', dyadic: true },
  { name: 'large k = 2048', m: 5, n: 9, k: 2048, bias: true, epilogue: 'relu', dyadic: true },
  { name: 'n > 8, many panels', m: 33, n: 70, k: 77, bias: true, epilogue: 'leaky' },
  { name: 'square 64', m: 64, n: 64, k: 64, bias: false, epilogue: 'identity' },
  { name: 'strided A (lda = k + 5)', m: 9, n: 12, k: 10, lda: 15, bias: true, epilogue: 'identity' },
  { name: 'strided B (ldb = n + 7)', m: 6, n: 11, k: 13, ldb: 18, bias: true, epilogue: 'identity' },
  { name: 'group slice: columns [8, 20) of 32', m: 9, n: 12, k: 18, lda: 40, ldc: 32, cOff: 8, bias: true, epilogue: 'relu' },
  { name: 'group slice: columns [3, 10) of 16', m: 7, n: 7, k: 5, ldc: 16, cOff: 3, bias: false, epilogue: 'identity' },
  { name: 'group slice: last columns [29, 32) of 32', m: 5, n: 3, k: 6, ldc: 32, cOff: 29, bias: true, epilogue: 'relu6', aRange: 4 },
  { name: 'unaligned C (ldc odd)', m: 10, n: 9, k: 7, ldc: 13, cOff: 1, bias: true, epilogue: 'leaky' },
  { name: 'panel of 16, odd m, odd k', m: 3, n: 16, k: 5, bias: true, epilogue: 'identity' },
  { name: 'two panels and a tail of 8, even k', m: 5, n: 40, k: 16, bias: true, epilogue: 'relu' },
  { name: 'tail of 15 after a panel', m: 7, n: 31, k: 33, bias: false, epilogue: 'leaky' },
  { name: 'pointwise-like, tail of 8 (n = 24)', m: 37, n: 24, k: 144, bias: true, epilogue: 'relu6', aRange: 3 },
  { name: 'unaligned A and C (lda, ldc odd), odd k', m: 11, n: 35, k: 9, lda: 13, ldc: 37, cOff: 1, bias: true, epilogue: 'leaky' },
  // A over 512 KB is blocked by rows (128 KB blocks): block boundaries inside m, both panel widths.
  { name: 'A blocked by rows: m = 150 in blocks of 128, k = 1000', m: 150, n: 21, k: 1000, bias: true, epilogue: 'relu', dyadic: true },
  { name: 'A blocked by rows: m = 9003 in blocks of 8192, k = 16', m: 9003, n: 5, k: 16, bias: true, epilogue: 'leaky' },
  { name: 'A blocked by rows, strided A and C', m: 301, n: 40, k: 500, lda: 503, ldc: 45, cOff: 3, bias: true, epilogue: 'relu6', aRange: 3, dyadic: true },
];

describe.each(FLAVORS)('f32_gemm (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each(CASES)('$name', (cs) => {
    runGemm(h, cs, 1000 + cs.m * 31 + cs.n * 7 + cs.k);
  });

  // The residual is read like C: every row and column tail of both microkernels, and row blocks.
  it('with a residual: every m in 1..9 and n in 1..33, strided, blocked by rows', () => {
    for (let m = 1; m <= 9; m++) {
      for (let n = 1; n <= 33; n++) {
        const epilogue = (['identity', 'relu', 'relu6', 'leaky'] as const)[(m + n) % 4];
        runGemm(h, { name: 'residual sweep', m, n, k: 3 + (n % 3), bias: (m + n) % 2 === 0, epilogue, residual: true, ldr: n + (m % 3) }, m * 100 + n);
      }
    }
    runGemm(h, { name: 'residual, A blocked by rows', m: 301, n: 40, k: 500, lda: 503, ldc: 45, cOff: 3, bias: true, epilogue: 'relu', dyadic: true, residual: true, ldr: 40 }, 7);
  });

  // k = 1, 2, 3 straddle the 2x16 kernel's unroll by 2; n up to 33 covers one and two panels of 16 plus
  // tails of 1..8 (the 4x8 kernel's last panel) and 9..15 (a last 2x16 panel); m covers both kernels' row tails.
  it.each([1, 2, 3, 4, 5, 12])('every m in 1..9 and n in 1..33 for k = %i', (k) => {
    for (let m = 1; m <= 9; m++) {
      for (let n = 1; n <= 33; n++) {
        runGemm(h, { name: 'tail sweep', m, n, k, bias: (m + n) % 2 === 0, epilogue: 'identity' }, m * 100 + n);
      }
    }
  });

  it('every m in 1..9 and n in 1..33 with strided A and C', () => {
    for (let m = 1; m <= 9; m++) {
      for (let n = 1; n <= 33; n++) {
        const cs: GemmCase = { name: 'strided sweep', m, n, k: 6, lda: 9, ldc: n + 6, cOff: 2, bias: true, epilogue: 'leaky' };
        runGemm(h, cs, m * 100 + n + 5);
      }
    }
  });
});
