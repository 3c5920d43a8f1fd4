// Math shared by the pooling and elementwise kernels: vector exp and the activations built on it,
// partial-vector tails, pooling window ranges, float copy and fill. Everything is @inline.
import { madd } from './common';

// exp(x) = 2^n * exp(r), n = round(x / ln2), r = x - n * ln2 in [-ln2/2, ln2/2].
const LOG2E: f32 = 1.44269502;
// Cody-Waite split: LN2_HI has 15 significant bits, so n * LN2_HI is exact for |n| < 2^9.
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.428606765e-6;
// exp(r) ~ 1 + r * (E1 + E2 r + ... + E6 r^5): minimax on [-ln2/2, ln2/2], relative error 2e-9
// before rounding (fitted for wcnn).
const E1: f32 = 1.0;
const E2: f32 = 4.999999404e-1;
const E3: f32 = 1.666643173e-1;
const E4: f32 = 4.166800156e-2;
const E5: f32 = 8.374155499e-3;
const E6: f32 = 1.384365372e-3;
// Below -105 exp rounds to +0 in f32 and above 89 to +Inf; clamping there keeps n in [-152, 129].
const EXP_LO: f32 = -105.0;
const EXP_HI: f32 = 89.0;

// tanh(x) ~ x + x^3 * (T1 + T2 x^2 + ... + T5 x^8) for |x| < TANH_SMALL: minimax, relative error 5e-9
// before rounding. Above it, (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29 has no cancellation.
const TANH_SMALL: f32 = 0.625;
const T1: f32 = -3.333328068e-1;
const T2: f32 = 1.333144158e-1;
const T3: f32 = -5.373971537e-2;
const T4: f32 = 2.063908428e-2;
const T5: f32 = -5.704984069e-3;

const SIGN: i32 = 0x80000000;

/**
 * exp per lane, relative error ~1 ulp. Saturates to +0 / +Inf, keeps subnormal results, NaN stays NaN
 * (f32x4.min/max propagate it and trunc_sat maps it to n = 0).
 */
@inline export function vexp(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  // Both products are exact, so madd rounds the same in both builds here.
  let r = madd(n, f32x4.splat(-LN2_HI), xc);
  r = madd(n, f32x4.splat(-LN2_LO), r);
  let p = madd(f32x4.splat(E6), r, f32x4.splat(E5));
  p = madd(p, r, f32x4.splat(E4));
  p = madd(p, r, f32x4.splat(E3));
  p = madd(p, r, f32x4.splat(E2));
  p = madd(p, r, f32x4.splat(E1));
  p = madd(p, r, f32x4.splat(1.0));
  // 2^n as two factors 2^n1 * 2^n2: n reaches -152 (subnormal results) and 129 (overflow to +Inf),
  // outside the exponent range of one normal float.
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/**
 * 1 / (1 + exp(-x)) per lane. Only exp(-|x|) is evaluated, so nothing overflows; e / (1 + e) keeps
 * the full relative accuracy of tiny results for x < 0, and 1 - that for x >= 0. -Inf -> 0, +Inf -> 1.
 */
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const e = vexp(v128.or(x, i32x4.splat(SIGN)));
  const f = f32x4.div(e, f32x4.add(e, one));
  return v128.bitselect(f, f32x4.sub(one, f), f32x4.lt(x, f32x4.splat(0.0)));
}

/** tanh per lane; +-Inf -> +-1, NaN stays NaN (the exp branch is selected for it). */
@inline export function vtanh(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const a = f32x4.abs(x);
  const e = vexp(f32x4.mul(a, f32x4.splat(-2.0)));
  const big = v128.or(f32x4.div(f32x4.sub(one, e), f32x4.add(one, e)), v128.and(x, i32x4.splat(SIGN)));
  const u = f32x4.mul(x, x);
  let p = madd(f32x4.splat(T5), u, f32x4.splat(T4));
  p = madd(p, u, f32x4.splat(T3));
  p = madd(p, u, f32x4.splat(T2));
  p = madd(p, u, f32x4.splat(T1));
  const small = madd(f32x4.mul(p, u), x, x);
  return v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(TANH_SMALL)));
}

/** Lanes 0 .. rem-1 (rem in 1..3) from p, zeros above: a tail as one vector, never reading past it. */
@inline export function loadPartial(p: usize, rem: i32): v128 {
  let v = v128.load32_zero(p);
  if (rem > 1) v = v128.load32_lane(p, v, 1, 4);
  if (rem > 2) v = v128.load32_lane(p, v, 2, 8);
  return v;
}

/** Stores lanes 0 .. rem-1 (rem in 1..3) of v to p. */
@inline export function storePartial(p: usize, v: v128, rem: i32): void {
  v128.store32_lane(p, v, 0);
  if (rem > 1) v128.store32_lane(p, v, 1, 4);
  if (rem > 2) v128.store32_lane(p, v, 2, 8);
}

/** First tap t of a pooling window (first input index `start`, dilation d) with start + t * d >= lo. */
@inline export function tapFirst(start: i32, lo: i32, d: i32): i32 {
  return start >= lo ? 0 : (lo - start + d - 1) / d;
}

/** One past the last of the k taps with start + t * d < hi. */
@inline export function tapEnd(start: i32, hi: i32, d: i32, k: i32): i32 {
  if (start >= hi) return 0;
  const t = (hi - start + d - 1) / d;
  return t < k ? t : k;
}

/** dst[i] = src[i] for i < count; dst and src do not overlap. */
@inline export function copyFloats(dst: usize, src: usize, count: i32): void {
  let left = count;
  while (left >= 16) {
    const a = v128.load(src);
    const b = v128.load(src, 16);
    const c = v128.load(src, 32);
    const d = v128.load(src, 48);
    v128.store(dst, a);
    v128.store(dst, b, 16);
    v128.store(dst, c, 32);
    v128.store(dst, d, 48);
    src += 64;
    dst += 64;
    left -= 16;
  }
  while (left >= 4) {
    v128.store(dst, v128.load(src));
    src += 16;
    dst += 16;
    left -= 4;
  }
  while (left > 0) {
    store<f32>(dst, load<f32>(src));
    src += 4;
    dst += 4;
    left--;
  }
}

/** dst[i] = value for i < count. */
@inline export function fillFloats(dst: usize, value: f32, count: i32): void {
  const v = f32x4.splat(value);
  let left = count;
  while (left >= 4) {
    v128.store(dst, v);
    dst += 16;
    left -= 4;
  }
  while (left > 0) {
    store<f32>(dst, value);
    dst += 4;
    left--;
  }
}
