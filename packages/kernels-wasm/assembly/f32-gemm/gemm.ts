// GEMM driver: tiles C into 2 x 16 blocks for the main microkernel, and a last panel of at most
// 8 columns into 4 x 8 blocks.
import { f32_gemm_ukernel_2x16__wasmsimd_loadsplat } from './2x16-wasmsimd-loadsplat';
import { f32_gemm_ukernel_4x8__wasmsimd_loadsplat } from './4x8-wasmsimd-loadsplat';
import { panelWidth } from './pack-b';

// Per-core L2 of the x86 parts measured (512 KB), and the share of it an A block takes.
const L2_BYTES: usize = 512 << 10;
const A_BLOCK_BYTES: i32 = 128 << 10;

/**
 * C (m, n), rows `ldc` floats apart = A (m, k), rows `lda` floats apart, times the packed B
 * (f32_gemm_pack_b, bias included), then y = clamp(y < 0 ? alpha * y : y, outMin, outMax).
 */
export function f32_gemm(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32,
  packed: usize,
  c: usize, ldc: i32,
  outMin: f32, outMax: f32, alpha: f32,
): void {
  gemm(m, n, k, a, lda, packed, c, ldc, 0, 0, outMin, outMax, alpha);
}

/**
 * f32_gemm with a residual R (m, n), rows `ldr` floats apart, added before the activation:
 * C = act(A B + bias + R). R may be C itself (each element is read before it is written).
 */
export function f32_gemm_residual(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32,
  packed: usize,
  c: usize, ldc: i32,
  r: usize, ldr: i32,
  outMin: f32, outMax: f32, alpha: f32,
): void {
  gemm(m, n, k, a, lda, packed, c, ldc, r, ldr, outMin, outMax, alpha);
}

function gemm(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32,
  packed: usize,
  c: usize, ldc: i32,
  r: usize, ldr: i32,
  outMin: f32, outMax: f32, alpha: f32,
): void {
  const vmin = f32x4.splat(outMin);
  const vmax = f32x4.splat(outMax);
  const valpha = f32x4.splat(alpha);
  const aStride = <usize>lda << 2;
  const cStride = <usize>ldc << 2;
  const rStride = <usize>ldr << 2;

  // Panels outer, row tiles inner: a panel of B (k x 16) is reused by every row of A, which streams
  // past it. When A outgrows L2 it is cut into blocks of MC rows (about 128 KB) that stay in L2 while
  // all panels pass over them. Blocking k (KC) measured slower: reloading C costs more than it saves.
  const aBytes = <usize>m * <usize>k << 2;
  let mc = m;
  if (aBytes > L2_BYTES) {
    mc = (A_BLOCK_BYTES / k) & ~3;
    if (mc < 16) mc = 16;
  }
  for (let i0 = 0; i0 < m; i0 += mc) {
    const mEnd = m - i0 < mc ? m : i0 + mc;
    let w = packed;
    let cCol = c + <usize>i0 * cStride;
    let rCol = r != 0 ? r + <usize>i0 * rStride : 0;
    const aBlock = a + <usize>i0 * aStride;
    for (let j = 0; j < n; j += 16) {
      const width = panelWidth(j, n);
      const nc = n - j < width ? n - j : width;
      let aRow = aBlock;
      let cTile = cCol;
      let rTile = rCol;
      if (width == 16) {
        for (let i = i0; i < mEnd; i += 2) {
          const mr = mEnd - i < 2 ? mEnd - i : 2;
          f32_gemm_ukernel_2x16__wasmsimd_loadsplat(mr, nc, k, aRow, aStride, w, cTile, cStride, rTile, rStride, vmin, vmax, valpha);
          aRow += aStride << 1;
          cTile += cStride << 1;
          if (rTile != 0) rTile += rStride << 1;
        }
      } else {
        for (let i = i0; i < mEnd; i += 4) {
          const mr = mEnd - i < 4 ? mEnd - i : 4;
          f32_gemm_ukernel_4x8__wasmsimd_loadsplat(mr, nc, k, aRow, aStride, w, cTile, cStride, rTile, rStride, vmin, vmax, valpha);
          aRow += aStride << 2;
          cTile += cStride << 2;
          if (rTile != 0) rTile += rStride << 2;
        }
      }
      w += <usize>(k + 1) * (<usize>width << 2);
      cCol += 64;
      if (rCol != 0) rCol += 64;
    }
  }
}
