/**
 * The kernel ABI: every function the .wasm exports, as JS sees it.
 *
 * Conventions (all kernels):
 * - Pointers are byte offsets into the imported memory; f32 data, any 4-byte alignment
 *   (the tensor allocator hands out 64-byte aligned blocks).
 * - Sizes and strides are element counts, never bytes.
 * - Activations are NHWC, `n` images of `h x w x c`.
 * - Kernels never allocate, never check, never trap on valid arguments: operators validate.
 * - Elementwise kernels allow `out === x` (in place).
 * - `circular` flags are 0 (zero padding) or 1 (indices wrap modulo the input size).
 * - Epilogue params `(min, max, alpha)`: y = clamp(y < 0 ? alpha * y : y, min, max);
 *   alpha = 1 and min/max = -Inf/+Inf is the identity.
 */
export interface KernelExports {
  /** First byte after the module's static data: JS allocations start at or above it. */
  heap_base(): number;
  /** 0 = baseline SIMD build, 1 = relaxed SIMD build. */
  flavor(): number;

  /** Floats needed by `f32_gemm_pack_b` for a K x N matrix. */
  f32_gemm_packed_size(k: number, n: number): number;
  /**
   * Packs B (K x N, row stride `ldb`) and an optional bias (`bias` = 0: zeros) into panels of 16
   * columns, the last one 8 wide when at most 8 columns remain: per panel `width` bias floats, then
   * K rows of `width` floats (tail columns zero).
   */
  f32_gemm_pack_b(b: number, ldb: number, k: number, n: number, bias: number, packed: number): void;
  /**
   * f32_gemm_pack_b of a conv filter's (taps * cin, cout) matrix, row t * cin + ci, read from `w` with element
   * strides per output channel, input channel and tap (ONNX's (cout, cin, kh, kw): cin * taps, taps, 1; HWIO: 1,
   * cout, cin * cout), each column times `scale` (0: ones). Writes only the panels of columns [j0, j1) (j0 a
   * multiple of 16, j1 one too or cout), at their place in the packing. `w` may be unaligned.
   */
  f32_gemm_pack_b_filter(
    w: number, strideCout: number, strideCin: number, strideTap: number, cin: number, taps: number, cout: number,
    bias: number, scale: number, j0: number, j1: number, packed: number,
  ): void;
  /**
   * C (M x N, row stride ldc) = A (M x K, row stride lda) * packed B + bias, then the epilogue.
   */
  f32_gemm(
    m: number, n: number, k: number,
    a: number, lda: number,
    packed: number,
    c: number, ldc: number,
    min: number, max: number, alpha: number,
  ): void;
  /** f32_gemm with a residual (m, n), rows `ldr` floats apart, added before the activation. */
  f32_gemm_residual(
    m: number, n: number, k: number,
    a: number, lda: number,
    packed: number,
    c: number, ldc: number,
    r: number, ldr: number,
    min: number, max: number, alpha: number,
  ): void;

  /**
   * Rows [rowStart, rowStart + rowCount) of the im2col matrix of a NHWC batch, for input channels
   * [cOff, cOff + cg). Row r is output pixel (img, oy, ox) with r = (img * oh + oy) * ow + ox; column
   * (ky * kw + kx) * cg + ci, matching HWIO weights. out is (rowCount, kh * kw * cg).
   */
  f32_im2col(
    x: number, n: number, h: number, w: number, c: number, cOff: number, cg: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
    padT: number, padL: number, oh: number, ow: number, circular: number,
    rowStart: number, rowCount: number, out: number,
  ): void;

  /**
   * Direct conv for few input channels (the RGB first layers): global output rows [r0, r1) (row r = img * oh + oy,
   * image-major over the batch) of y (n, oh, ow, cout) = x (n, h, w, cin) conv HWIO weights + bias, zero padding,
   * then the epilogue; writes only those rows (threads split rows). `packed` is `f32_gemm_pack_b` of the weights as
   * a (kh * kw * cin, cout) matrix with the bias.
   */
  f32_conv_hwc(
    x: number, h: number, w: number, cin: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
    padT: number, padL: number, oh: number, ow: number,
    packed: number, cout: number,
    r0: number, r1: number, y: number,
    min: number, max: number, alpha: number,
  ): void;

  /** Floats of `f32_conv_hwc_winograd_pack`'s output for cout output channels. */
  f32_conv_hwc_winograd_packed_size(cout: number): number;
  /**
   * Packs the Winograd-transformed filter (`f32_winograd_filter_f4x4_3x3` output u: 36 matrices (cin, cout)) and
   * the bias (0: zeros) for `f32_conv_hwc_winograd_f4x4_3x3`: per vector of 4 output channels, 4 bias floats then
   * (36 points, 4 input channels, 4 output channels), zeros past cin and cout.
   */
  f32_conv_hwc_winograd_pack(u: number, cin: number, cout: number, bias: number, packed: number): void;
  /**
   * Winograd F(4x4, 3x3) conv for cin <= 4 (3x3, stride 1, dilation 1, zero padding), fused per 4x4 output tile:
   * global output rows [r0, r1) (row r = img * oh + oy) of y (n, oh, ow, cout), + bias, then the epilogue; writes
   * only those rows. `scratch`: 1536 bytes, 16-byte aligned, private to the call.
   */
  f32_conv_hwc_winograd_f4x4_3x3(
    x: number, h: number, w: number, cin: number,
    padT: number, padL: number, oh: number, ow: number,
    packed: number, cout: number,
    r0: number, r1: number, y: number, scratch: number,
    min: number, max: number, alpha: number,
  ): void;

  /**
   * Depthwise conv, channel multiplier 1: out[img, oy, ox, ch] = bias[ch] + sum x[img, iy, ix, ch] * w[ky, kx, ch],
   * then the epilogue. Weights (kh, kw, c); bias = 0 means none. out is (n, oh, ow, c).
   * Only the global output rows [r0, r1) are computed, row img * oh + oy (0 <= r0 <= r1 <= n * oh); the
   * rest of `out` is left untouched, so threads can split a batch by rows. The whole output: 0, n * oh.
   */
  f32_dwconv(
    x: number, n: number, h: number, w: number, c: number,
    weights: number, bias: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
    padT: number, padL: number, oh: number, ow: number, circular: number,
    out: number, min: number, max: number, alpha: number,
    r0: number, r1: number,
  ): void;
  /** out[r, ch * m + j] = x[r, ch] for j < m: turns a channel multiplier into multiplier 1. */
  f32_repeat_channels(x: number, rows: number, c: number, m: number, out: number): void;
  /**
   * Matrix-vector product over row-major weights read in place (no packing): for the columns
   * j in [n0, n1), y[j] = epilogue(bias[j] + sum over i < k of x[i] * w[i * ldw + j]); bias = 0 means
   * none. Only y[n0, n1) is written, so disjoint column ranges may run on separate threads.
   */
  f32_gemv(
    k: number, n0: number, n1: number,
    x: number, w: number, ldw: number,
    bias: number, y: number,
    min: number, max: number, alpha: number,
  ): void;

  /** Max pool; taps outside the input are skipped (a window with none gives -Infinity). */
  f32_maxpool(
    x: number, n: number, h: number, w: number, c: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
    padT: number, padL: number, oh: number, ow: number, out: number,
  ): void;
  /**
   * Average pool. The divisor counts the taps inside the input, or with countIncludePad = 1 the
   * taps inside the padded extent [-padT, h + padB) x [-padL, w + padR) (PyTorch / ONNX semantics).
   */
  f32_avgpool(
    x: number, n: number, h: number, w: number, c: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
    padT: number, padB: number, padL: number, padR: number, oh: number, ow: number,
    countIncludePad: number, out: number,
  ): void;
  /** (n, hw, c) -> (n, c) mean. */
  f32_global_avgpool(x: number, n: number, hw: number, c: number, out: number): void;
  /** (n, hw, c) -> (n, c) max. */
  f32_global_maxpool(x: number, n: number, hw: number, c: number, out: number): void;

  f32_add(a: number, b: number, out: number, len: number): void;
  f32_mul(a: number, b: number, out: number, len: number): void;
  f32_relu(x: number, out: number, len: number): void;
  f32_relu6(x: number, out: number, len: number): void;
  f32_leaky_relu(x: number, out: number, len: number, alpha: number): void;
  f32_clip(x: number, out: number, len: number, min: number, max: number): void;
  f32_sigmoid(x: number, out: number, len: number): void;
  f32_tanh(x: number, out: number, len: number): void;
  /** Softmax over the last axis of a (rows, cols) matrix. */
  f32_softmax(x: number, rows: number, cols: number, out: number): void;
  /** out[r, ch] = x[r, ch] * scale[ch] + shift[ch]: batch norm at inference. */
  f32_scale_shift(x: number, rows: number, c: number, scale: number, shift: number, out: number): void;
  /** Per batch, (rows, cols) -> (cols, rows): NCHW <-> NHWC with rows/cols = C/HW or HW/C. */
  f32_transpose(x: number, batch: number, rows: number, cols: number, out: number): void;
  /** out[r, cOff + ch] = x[r, ch] for ch < cx, out has cOut channels: one input of a channel concat. */
  f32_copy_channels(x: number, rows: number, cx: number, out: number, cOut: number, cOff: number): void;
  /**
   * Spatial padding of NHWC. mode 0 = constant `value`, 1 = reflect (no edge repeat),
   * 2 = edge, 3 = circular. out is (n, h + padT + padB, w + padL + padR, c).
   */
  f32_pad(
    x: number, n: number, h: number, w: number, c: number,
    padT: number, padB: number, padL: number, padR: number,
    mode: number, value: number, out: number,
  ): void;

  /**
   * out (contiguous, 6 dims) = x[sum_d i_d * strides[d]]: permutes, slices (x offset by the start) and
   * broadcasts (stride 0). `shape` and `strides` point to 6 i32 (element strides, any sign).
   */
  f32_strided_copy(x: number, shape: number, strides: number, out: number): void;
  /**
   * out (contiguous, 6 dims) = a op b, NumPy broadcasting as 0 strides. `aStrides`, `bStrides`,
   * `shape` point to 6 i32. op: BINARY_OP.
   */
  f32_binary_broadcast(op: number, a: number, aStrides: number, b: number, bStrides: number, shape: number, out: number): void;
  /** Peak probe (wcnn bench): 12 f32x4 mul + add chains, iters * 96 flops; returns their lane sum. */
  f32_peak_probe_muladd(iters: number): number;
  /** Peak probe: 12 f32x4.relaxed_madd chains, iters * 96 flops; -1 at once in the baseline build. */
  f32_peak_probe_fma(iters: number): number;

  /**
   * Winograd F(4x4, 3x3) filter transform U = G g G^T (points 0, +-1, +-2, inf). w: HWIO (3, 3, cin, *), rows of
   * `ldw` floats; columns [0, cout) are transformed, each first multiplied by scale[co] (`scale` = 0: by 1).
   * U[i][j] of (ci, co), matrix m = i * 6 + j, goes to out + m * matStride + ci * ciStride + co floats:
   * (matStride, ciStride) = (cin * cout, cout) writes 36 matrices (cin, cout) back to back, the B operands of the
   * 36 GEMMs (each then packed by `f32_gemm_pack_b`, bias 0); (cout, 36 * cout) keeps an input channel's 36 rows
   * together (then matrix m is at out + m * cout with rows 36 * cout apart).
   */
  f32_winograd_filter_f4x4_3x3(w: number, cin: number, cout: number, ldw: number, scale: number, out: number, matStride: number, ciStride: number): void;
  /**
   * Winograd F(4x4, 3x3) input transform V = B^T d B of 6x6 tiles (stride 4, overlapping by 2) of NHWC x
   * (n, h, w, c); pixels outside the image are zeros. Tile t = (img * tilesH + ty) * tilesW + tx
   * (tilesH = ceil(oh / 4), tilesW = ceil(ow / 4)) starts at input row 4 ty - padT, column 4 tx - padL.
   * Tiles [tileStart, tileStart + tileCount) go to 36 matrices (tileCount, c), rows c floats apart,
   * matrix k = i * 6 + j at out + k * matStride floats (matStride >= tileCount * c).
   */
  f32_winograd_input_f4x4_3x3(
    x: number, h: number, w: number, c: number,
    padT: number, padL: number, tilesH: number, tilesW: number,
    tileStart: number, tileCount: number,
    out: number, matStride: number,
  ): void;
  /**
   * Winograd F(4x4, 3x3) output transform Y = A^T m A + bias, then the epilogue. m: the 36 GEMM results
   * (tileCount, cout), rows cout floats apart, matrix k at m + k * matStride floats, for tiles
   * [tileStart, tileStart + tileCount) numbered as in the input transform. y: NHWC (n, oh, ow, cout);
   * only outputs inside (oh, ow) are written. bias = 0 means none.
   */
  f32_winograd_output_f4x4_3x3(
    m: number, matStride: number, bias: number, cout: number,
    oh: number, ow: number, tilesH: number, tilesW: number,
    tileStart: number, tileCount: number,
    y: number, min: number, max: number, alpha: number,
    /** 0, or an NHWC residual like y, added before the activation */
    residual: number,
  ): void;
}

export type KernelName = Exclude<keyof KernelExports, 'heap_base' | 'flavor'>;

export const BINARY_OP = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 } as const;

export const PAD_MODE = { constant: 0, reflect: 1, edge: 2, circular: 3 } as const;
