// Packs B (K, N) and a bias (N) into the panels the 4x8 GEMM microkernel reads.

// Columns per panel: the microkernel's nc.
const NR = 8;

/** Floats of the packed B: per panel of 8 columns, 8 bias floats then (k, 8). */
export function f32_gemm_packed_size(k: i32, n: i32): i32 {
  return ((n + NR - 1) / NR) * NR * (k + 1);
}

/** b: (k, n) rows `ldb` floats apart. bias: (n), or 0 for zeros. packed: f32_gemm_packed_size floats. */
export function f32_gemm_pack_b(b: usize, ldb: i32, k: i32, n: i32, bias: usize, packed: usize): void {
  const ldbBytes = <usize>ldb << 2;
  let out = packed;
  for (let j = 0; j < n; j += NR) {
    const col = <usize>j << 2;
    if (n - j >= NR) {
      if (bias != 0) {
        v128.store(out, v128.load(bias + col));
        v128.store(out, v128.load(bias + col, 16), 16);
      } else {
        v128.store(out, i32x4.splat(0));
        v128.store(out, i32x4.splat(0), 16);
      }
      out += 32;
      let src = b + col;
      for (let kk = 0; kk < k; kk++) {
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
        src += ldbBytes;
        out += 32;
      }
    } else {
      // Tail panel: nr < 8 real columns, zeros after them so the microkernel can read all 8.
      const nr = n - j;
      v128.store(out, i32x4.splat(0));
      v128.store(out, i32x4.splat(0), 16);
      if (bias != 0) {
        for (let jj = 0; jj < nr; jj++) store<f32>(out + (<usize>jj << 2), load<f32>(bias + col + (<usize>jj << 2)));
      }
      out += 32;
      let src = b + col;
      for (let kk = 0; kk < k; kk++) {
        v128.store(out, i32x4.splat(0));
        v128.store(out, i32x4.splat(0), 16);
        for (let jj = 0; jj < nr; jj++) store<f32>(out + (<usize>jj << 2), load<f32>(src + (<usize>jj << 2)));
        src += ldbBytes;
        out += 32;
      }
    }
  }
}
