// Packs B (K, N) and a bias (N) into the panels the GEMM microkernels read: panels of 16 columns for
// the 2x16 kernel, and a last panel of 8 when at most 8 columns remain (the 4x8 kernel's).

/** Width of the panel that starts at column j of n: 16, or 8 for a last panel of at most 8 columns. */
@inline export function panelWidth(j: i32, n: i32): i32 {
  return n - j > 8 ? 16 : 8;
}

/** Floats of the packed B: per panel, `width` bias floats then (k, width). */
export function f32_gemm_packed_size(k: i32, n: i32): i32 {
  const rest = n & 15;
  const columns = (n - rest) + (rest == 0 ? 0 : rest <= 8 ? 8 : 16);
  return columns * (k + 1);
}

@inline function zeroRow(out: usize, width: i32): void {
  const zero = i32x4.splat(0);
  v128.store(out, zero);
  v128.store(out, zero, 16);
  if (width == 16) {
    v128.store(out, zero, 32);
    v128.store(out, zero, 48);
  }
}

@inline function copyRow(src: usize, out: usize, width: i32): void {
  v128.store(out, v128.load(src));
  v128.store(out, v128.load(src, 16), 16);
  if (width == 16) {
    v128.store(out, v128.load(src, 32), 32);
    v128.store(out, v128.load(src, 48), 48);
  }
}

@inline function copyFloats(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** b: (k, n) rows `ldb` floats apart. bias: (n), or 0 for zeros. packed: f32_gemm_packed_size floats. */
export function f32_gemm_pack_b(b: usize, ldb: i32, k: i32, n: i32, bias: usize, packed: usize): void {
  const ldbBytes = <usize>ldb << 2;
  let out = packed;
  for (let j = 0; j < n; j += 16) {
    const col = <usize>j << 2;
    const width = panelWidth(j, n);
    const rowBytes = <usize>width << 2;
    const nr = n - j < width ? n - j : width;
    let src = b + col;
    if (nr == width) {
      if (bias != 0) copyRow(bias + col, out, width);
      else zeroRow(out, width);
      out += rowBytes;
      for (let kk = 0; kk < k; kk++) {
        copyRow(src, out, width);
        src += ldbBytes;
        out += rowBytes;
      }
    } else {
      // nr < width real columns, zeros after them so the microkernel can read the whole panel.
      zeroRow(out, width);
      if (bias != 0) copyFloats(bias + col, out, nr);
      out += rowBytes;
      for (let kk = 0; kk < k; kk++) {
        zeroRow(out, width);
        copyFloats(src, out, nr);
        src += ldbBytes;
        out += rowBytes;
      }
    }
  }
}
