// GEMM driver: tiles C into 4 x 8 blocks for the microkernel.
import { f32_gemm_ukernel_4x8__wasmsimd_loadsplat } from './4x8-wasmsimd-loadsplat';

const MR = 4;
const NR = 8;

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
  const vmin = f32x4.splat(outMin);
  const vmax = f32x4.splat(outMax);
  const valpha = f32x4.splat(alpha);
  const aStride = <usize>lda << 2;
  const cStride = <usize>ldc << 2;
  const panelBytes = <usize>(k + 1) * (NR << 2);
  const cTileStride = cStride * MR;
  const aTileStride = aStride * MR;

  // Panels outer, row tiles inner: one panel of B (k x 8) stays in L1 while A streams past it.
  let w = packed;
  let cCol = c;
  for (let j = 0; j < n; j += NR) {
    const nc = n - j < NR ? n - j : NR;
    let aRow = a;
    let cTile = cCol;
    for (let i = 0; i < m; i += MR) {
      const mr = m - i < MR ? m - i : MR;
      f32_gemm_ukernel_4x8__wasmsimd_loadsplat(mr, nc, k, aRow, aStride, w, cTile, cStride, vmin, vmax, valpha);
      aRow += aTileStride;
      cTile += cTileStride;
    }
    w += panelBytes;
    cCol += NR << 2;
  }
}
