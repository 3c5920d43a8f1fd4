// Winograd F(4x4, 3x3) convolution for at most 4 input channels (the 3x3 stride 1 RGB first layers), fused:
// per 4x4 output tile, the input transform V = B^T d B of the 6x6x(cin) patch (SIMD over the channels, one
// vector per point), then per vector of 4 output channels the 36 products m = sum_ci V[ci] U[ci] and the
// output transform Y = A^T m A straight from registers: 36 * cin multiply-adds per 16 outputs instead of
// 144 * cin, and no GEMM over K = cin (too short to pay for its tiles) and no 36 matrices through memory,
// which is what makes the general Winograd path lose below 16 input channels.
// The bias rides in m[1][1]: column 1 of A^T is all ones, so A^T (b e1 e1^T) A adds b to every output.
// Transforms as in ../f32-winograd (points 0, 1, -1, 2, -2, infinity).
import { clampStep, leakyStep, madd } from '../common';
import { bt0, bt1, bt2, bt3, bt4, bt5 } from '../f32-winograd/input-f4x4-3x3-wasmsimd';
import { at0, at1, at2, at3 } from '../f32-winograd/output-f4x4-3x3-wasmsimd';
import { loadLanes, storeLanes } from '../f32-winograd/lanes';

/** Bytes per vector of 4 output channels in the packed filter: 4 bias floats, then (36 points, 4 ci, 4 co). */
const CV_BYTES: usize = (4 + 36 * 16) << 2;

/** m at one point: bias or zero + sum over ci < CIN of V[ci] (a splat) times U[ci] (4 output channels). */
@inline function point(v: usize, u: usize, init: v128, cin4: bool): v128 {
  let m = madd(v128.load32_splat(v), v128.load(u), init);
  m = madd(v128.load32_splat(v, 4), v128.load(u, 16), m);
  m = madd(v128.load32_splat(v, 8), v128.load(u, 32), m);
  if (cin4) m = madd(v128.load32_splat(v, 12), v128.load(u, 48), m);
  return m;
}

/** As `point` for two vectors of output channels at once (U at ua and ub), the V splats loaded once for both. */
@inline function mac(s0: v128, s1: v128, s2: v128, s3: v128, u: usize, init: v128, cin4: bool): v128 {
  let m = madd(s0, v128.load(u), init);
  m = madd(s1, v128.load(u, 16), m);
  m = madd(s2, v128.load(u, 32), m);
  if (cin4) m = madd(s3, v128.load(u, 48), m);
  return m;
}

/**
 * Rows of the output transform for one vector of output channels: Y[i][.] = t[i][.] A for rows [iLo, iHi), then
 * the epilogue, stored at out (row i at out + (i - iLo) * rowBytes), n lanes.
 */
@inline function rowsOut(
  t: usize, out: usize, rowBytes: usize, pixelBytes: usize, iLo: i32, iHi: i32, cols: i32, n: i32,
  vmin: v128, vmax: v128, valpha: v128, leaky: bool,
): void {
  for (let i = iLo; i < iHi; i++) {
    const ti = t + <usize>i * 96;
    const s0 = v128.load(ti);
    const s1 = v128.load(ti, 16);
    const s2 = v128.load(ti, 32);
    const s3 = v128.load(ti, 48);
    const s4 = v128.load(ti, 64);
    const s5 = v128.load(ti, 80);
    let y0 = at0(s0, s1, s2, s3, s4);
    let y1 = at1(s1, s2, s3, s4);
    let y2 = at2(s1, s2, s3, s4);
    let y3 = at3(s1, s2, s3, s4, s5);
    if (leaky) {
      y0 = leakyStep(y0, valpha);
      y1 = leakyStep(y1, valpha);
      y2 = leakyStep(y2, valpha);
      y3 = leakyStep(y3, valpha);
    }
    store4(out, pixelBytes, cols, n, clampStep(y0, vmin, vmax), clampStep(y1, vmin, vmax), clampStep(y2, vmin, vmax), clampStep(y3, vmin, vmax));
    out += rowBytes;
  }
}

@inline function store4(dst: usize, pixelBytes: usize, cols: i32, n: i32, y0: v128, y1: v128, y2: v128, y3: v128): void {
  if (cols == 4 && n == 4) {
    v128.store(dst, y0);
    v128.store(dst + pixelBytes, y1);
    v128.store(dst + 2 * pixelBytes, y2);
    v128.store(dst + 3 * pixelBytes, y3);
    return;
  }
  storeLanes(dst, y0, n);
  if (cols > 1) storeLanes(dst + pixelBytes, y1, n);
  if (cols > 2) storeLanes(dst + 2 * pixelBytes, y2, n);
  if (cols > 3) storeLanes(dst + 3 * pixelBytes, y3, n);
}

/**
 * One tile: V (36 vectors of the cin channels) at `v`; output rows [iLo, iHi) of the tile, columns < cols,
 * at dst (row i at dst + i * rowBytes). t, t2: 24 vectors of scratch each for A^T m.
 * Output channels go two vectors at a time (the splats of V shared, a quarter fewer loads), a last odd one alone.
 */
@inline function tileOutputs(
  v: usize, packed: usize, cout: i32, t: usize, t2: usize, dst: usize, rowBytes: usize, pixelBytes: usize,
  iLo: i32, iHi: i32, cols: i32, cin4: bool,
  vmin: v128, vmax: v128, valpha: v128, leaky: bool,
): void {
  const zero = f32x4.splat(0);
  let uv = packed;
  let co = 0;
  for (; co + 4 < cout; co += 8) {
    const n2 = cout - co - 4 < 4 ? cout - co - 4 : 4;
    const ua = uv + 16;
    const ub = uv + CV_BYTES + 16;
    const biasA = v128.load(uv);
    const biasB = v128.load(uv + CV_BYTES);
    for (let c = 0; c < 6; c++) {
      const vc = v + (<usize>c << 4);
      const uca = ua + (<usize>c << 6);
      const ucb = ub + (<usize>c << 6);
      let s0 = v128.load32_splat(vc);
      let s1 = v128.load32_splat(vc, 4);
      let s2 = v128.load32_splat(vc, 8);
      let s3 = cin4 ? v128.load32_splat(vc, 12) : zero;
      const a0 = mac(s0, s1, s2, s3, uca, zero, cin4);
      const b0 = mac(s0, s1, s2, s3, ucb, zero, cin4);
      s0 = v128.load32_splat(vc, 96);
      s1 = v128.load32_splat(vc, 100);
      s2 = v128.load32_splat(vc, 104);
      if (cin4) s3 = v128.load32_splat(vc, 108);
      const a1 = mac(s0, s1, s2, s3, uca + 384, c == 1 ? biasA : zero, cin4);
      const b1 = mac(s0, s1, s2, s3, ucb + 384, c == 1 ? biasB : zero, cin4);
      s0 = v128.load32_splat(vc, 192);
      s1 = v128.load32_splat(vc, 196);
      s2 = v128.load32_splat(vc, 200);
      if (cin4) s3 = v128.load32_splat(vc, 204);
      const a2 = mac(s0, s1, s2, s3, uca + 768, zero, cin4);
      const b2 = mac(s0, s1, s2, s3, ucb + 768, zero, cin4);
      s0 = v128.load32_splat(vc, 288);
      s1 = v128.load32_splat(vc, 292);
      s2 = v128.load32_splat(vc, 296);
      if (cin4) s3 = v128.load32_splat(vc, 300);
      const a3 = mac(s0, s1, s2, s3, uca + 1152, zero, cin4);
      const b3 = mac(s0, s1, s2, s3, ucb + 1152, zero, cin4);
      s0 = v128.load32_splat(vc, 384);
      s1 = v128.load32_splat(vc, 388);
      s2 = v128.load32_splat(vc, 392);
      if (cin4) s3 = v128.load32_splat(vc, 396);
      const a4 = mac(s0, s1, s2, s3, uca + 1536, zero, cin4);
      const b4 = mac(s0, s1, s2, s3, ucb + 1536, zero, cin4);
      s0 = v128.load32_splat(vc, 480);
      s1 = v128.load32_splat(vc, 484);
      s2 = v128.load32_splat(vc, 488);
      if (cin4) s3 = v128.load32_splat(vc, 492);
      const a5 = mac(s0, s1, s2, s3, uca + 1920, zero, cin4);
      const b5 = mac(s0, s1, s2, s3, ucb + 1920, zero, cin4);
      const tc = t + (<usize>c << 4);
      v128.store(tc, at0(a0, a1, a2, a3, a4));
      v128.store(tc, at1(a1, a2, a3, a4), 96);
      v128.store(tc, at2(a1, a2, a3, a4), 192);
      v128.store(tc, at3(a1, a2, a3, a4, a5), 288);
      const t2c = t2 + (<usize>c << 4);
      v128.store(t2c, at0(b0, b1, b2, b3, b4));
      v128.store(t2c, at1(b1, b2, b3, b4), 96);
      v128.store(t2c, at2(b1, b2, b3, b4), 192);
      v128.store(t2c, at3(b1, b2, b3, b4, b5), 288);
    }
    const out = dst + (<usize>co << 2) + <usize>iLo * rowBytes;
    rowsOut(t, out, rowBytes, pixelBytes, iLo, iHi, cols, 4, vmin, vmax, valpha, leaky);
    rowsOut(t2, out + 16, rowBytes, pixelBytes, iLo, iHi, cols, n2, vmin, vmax, valpha, leaky);
    uv += 2 * CV_BYTES;
  }
  for (; co < cout; co += 4) {
    const n = cout - co < 4 ? cout - co : 4;
    const vbias = v128.load(uv);
    const u = uv + 16;
    // Columns of m: (A^T m)[.][c] into t[i][c].
    for (let c = 0; c < 6; c++) {
      const vc = v + (<usize>c << 4);
      const uc = u + (<usize>c << 6);
      const m0 = point(vc, uc, zero, cin4);
      const m1 = point(vc + 96, uc + 384, c == 1 ? vbias : zero, cin4);
      const m2 = point(vc + 192, uc + 768, zero, cin4);
      const m3 = point(vc + 288, uc + 1152, zero, cin4);
      const m4 = point(vc + 384, uc + 1536, zero, cin4);
      const m5 = point(vc + 480, uc + 1920, zero, cin4);
      const tc = t + (<usize>c << 4);
      v128.store(tc, at0(m0, m1, m2, m3, m4));
      v128.store(tc, at1(m1, m2, m3, m4), 96);
      v128.store(tc, at2(m1, m2, m3, m4), 192);
      v128.store(tc, at3(m1, m2, m3, m4, m5), 288);
    }
    // Rows: Y[i][.] = t[i][.] A, then the epilogue.
    rowsOut(t, dst + (<usize>co << 2) + <usize>iLo * rowBytes, rowBytes, pixelBytes, iLo, iHi, cols, n, vmin, vmax, valpha, leaky);
    uv += CV_BYTES;
  }
}

/** Floats of the packed filter for `cout` output channels (see f32_conv_hwc_winograd_f4x4_3x3). */
export function f32_conv_hwc_winograd_packed_size(cout: i32): i32 {
  return ((cout + 3) >> 2) * <i32>(CV_BYTES >> 2);
}

/**
 * Packs the transformed filter u (f32_winograd_filter_f4x4_3x3: 36 matrices (cin, cout), point p = i * 6 + j
 * at u + p * cin * cout floats) and the bias (cout floats, or 0 for zeros) for f32_conv_hwc_winograd_f4x4_3x3:
 * f32_conv_hwc_winograd_packed_size(cout) floats. Runs once, at create time.
 */
export function f32_conv_hwc_winograd_pack(u: usize, cin: i32, cout: i32, bias: usize, packed: usize): void {
  let out = packed;
  for (let co0 = 0; co0 < cout; co0 += 4) {
    for (let l = 0; l < 4; l++) {
      const co = co0 + l;
      store<f32>(out + (<usize>l << 2), bias != 0 && co < cout ? load<f32>(bias + (<usize>co << 2)) : 0);
    }
    out += 16;
    for (let p = 0; p < 36; p++) {
      for (let ci = 0; ci < 4; ci++) {
        for (let l = 0; l < 4; l++) {
          const co = co0 + l;
          const inside = ci < cin && co < cout;
          store<f32>(out, inside ? load<f32>(u + (<usize>((p * cin + ci) * cout + co) << 2)) : 0);
          out += 4;
        }
      }
    }
  }
}

/**
 * Global output rows [r0, r1) (row r = img * oh + oy) of y (n, oh, ow, cout) = 3x3 stride 1 conv of x
 * (n, h, w, cin <= 4), zero padding, + bias, then clamp(y < 0 ? alpha * y : y, outMin, outMax). Writes only
 * those rows. packed: per vector of 4 output channels, 4 bias floats then U[p][ci][4 co] for the 36 points
 * p = i * 6 + j of U = G g G^T (f32_winograd_filter_f4x4_3x3's U[i][j]) and ci < 4 (zeros past cin and cout).
 * scratch: 96 vectors (1536 bytes), 16-byte aligned.
 */
export function f32_conv_hwc_winograd_f4x4_3x3(
  x: usize, h: i32, w: i32, cin: i32,
  padT: i32, padL: i32, oh: i32, ow: i32,
  packed: usize, cout: i32,
  r0: i32, r1: i32, y: usize, scratch: usize,
  outMin: f32, outMax: f32, alpha: f32,
): void {
  const vmin = f32x4.splat(outMin);
  const vmax = f32x4.splat(outMax);
  const valpha = f32x4.splat(alpha);
  const leaky = alpha != 1;
  const pixelBytes = <usize>cin << 2;
  const inRowBytes = pixelBytes * <usize>w;
  const imageBytes = inRowBytes * <usize>h;
  const outPixelBytes = <usize>cout << 2;
  const outRowBytes = outPixelBytes * <usize>ow;
  const tilesW = (ow + 3) >> 2;
  // Scratch: d = B^T patch (36 vectors, [r][c]), V (36, [i][j]), t = A^T m (24, [i][c]); once V is made, d
  // holds a second vector of output channels' A^T m.
  const d = scratch;
  const v = scratch + 36 * 16;
  const t = scratch + 72 * 16;
  const zero = f32x4.splat(0);

  let r = r0;
  while (r < r1) {
    const img = r / oh;
    const oy = r - img * oh;
    const oy0 = oy & ~3;
    let oyEnd = oy0 + 4 < oh ? oy0 + 4 : oh;
    if (oyEnd - oy > r1 - r) oyEnd = oy + (r1 - r);
    const iLo = oy - oy0;
    const iHi = oyEnd - oy0;
    const image = x + <usize>img * imageBytes;
    const iy0 = oy0 - padT;
    for (let tx = 0; tx < tilesW; tx++) {
      const ox0 = tx << 2;
      const ix0 = ox0 - padL;
      // Input transform, columns first: d[.][c] = B^T patch[.][c] (pixels outside the image are zeros).
      for (let c = 0; c < 6; c++) {
        const ix = ix0 + c;
        const colOk = ix >= 0 && ix < w;
        const p = image + <usize>ix * pixelBytes;
        let iy = iy0;
        const q0 = colOk && iy >= 0 && iy < h ? loadLanes(p + <usize>iy * inRowBytes, cin) : zero;
        iy++;
        const q1 = colOk && iy >= 0 && iy < h ? loadLanes(p + <usize>iy * inRowBytes, cin) : zero;
        iy++;
        const q2 = colOk && iy >= 0 && iy < h ? loadLanes(p + <usize>iy * inRowBytes, cin) : zero;
        iy++;
        const q3 = colOk && iy >= 0 && iy < h ? loadLanes(p + <usize>iy * inRowBytes, cin) : zero;
        iy++;
        const q4 = colOk && iy >= 0 && iy < h ? loadLanes(p + <usize>iy * inRowBytes, cin) : zero;
        iy++;
        const q5 = colOk && iy >= 0 && iy < h ? loadLanes(p + <usize>iy * inRowBytes, cin) : zero;
        const dc = d + (<usize>c << 4);
        v128.store(dc, bt0(q0, q2, q4));
        v128.store(dc, bt1(q1, q2, q3, q4), 96);
        v128.store(dc, bt2(q1, q2, q3, q4), 192);
        v128.store(dc, bt3(q1, q2, q3, q4), 288);
        v128.store(dc, bt4(q1, q2, q3, q4), 384);
        v128.store(dc, bt5(q1, q3, q5), 480);
      }
      // Rows: V[i][.] = d[i][.] B.
      for (let i = 0; i < 6; i++) {
        const di = d + <usize>i * 96;
        const q0 = v128.load(di);
        const q1 = v128.load(di, 16);
        const q2 = v128.load(di, 32);
        const q3 = v128.load(di, 48);
        const q4 = v128.load(di, 64);
        const q5 = v128.load(di, 80);
        const vi = v + <usize>i * 96;
        v128.store(vi, bt0(q0, q2, q4));
        v128.store(vi, bt1(q1, q2, q3, q4), 16);
        v128.store(vi, bt2(q1, q2, q3, q4), 32);
        v128.store(vi, bt3(q1, q2, q3, q4), 48);
        v128.store(vi, bt4(q1, q2, q3, q4), 64);
        v128.store(vi, bt5(q1, q3, q5), 80);
      }
      const cols = ow - ox0 < 4 ? ow - ox0 : 4;
      const dst = y + <usize>(r - iLo) * outRowBytes + <usize>ox0 * outPixelBytes;
      if (cin == 4) {
        tileOutputs(v, packed, cout, t, d, dst, outRowBytes, outPixelBytes, iLo, iHi, cols, true, vmin, vmax, valpha, leaky);
      } else {
        tileOutputs(v, packed, cout, t, d, dst, outRowBytes, outPixelBytes, iLo, iHi, cols, false, vmin, vmax, valpha, leaky);
      }
    }
    r += oyEnd - oy;
  }
}
