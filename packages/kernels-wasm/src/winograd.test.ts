// Winograd F(4x4, 3x3): the filter, input and output transforms against float64 references, and the
// whole pipeline (filter -> pack -> input -> 36 GEMMs -> output) against a direct 3x3 convolution.
import { beforeAll, describe, expect, it } from 'vitest';
import { FLAVORS, loadBuild, random, type Harness } from '../test/harness.js';
import { checkOutput, EPILOGUES, putOutput, SENTINEL } from '../test/reference-gemm-conv.js';
import {
  refConv3x3, refWinogradFilter, refWinogradInput, refWinogradOutput, tilesOf, type WinogradGeometry,
} from '../test/reference-winograd.js';

// Dyadic data (a 1/16 grid) keeps every sum and product of the input and output transforms exact in
// f32 (their coefficients are small integers), so those kernels must match the reference exactly.
const EXACT = { rtol: 0, atol: 0 };
// The filter transform multiplies by 1/4, 1/6, 1/12, 1/24: a few f32 roundings.
const FILTER_TOL = { rtol: 1e-5, atol: 1e-6 };
// Leaky alpha = 0.1 is one f32 rounding off the reference's.
const OUTPUT_TOL = { rtol: 1e-6, atol: 1e-7 };
// Whole pipeline: Winograd's own rounding (values amplified up to ~100x by the transforms) on small cin.
const PIPELINE_TOL = { rtol: 1e-4, atol: 1e-4 };

function dyadic(n: number, seed: number, range = 1): Float32Array {
  const v = random(n, seed, -range, range);
  for (let i = 0; i < n; i++) v[i] = Math.round(v[i] * 16) / 16;
  return v;
}

interface Shape {
  name: string;
  n: number;
  h: number;
  w: number;
  /** 'valid', 'same' (1 all round) or [top, bottom, left, right]. */
  pad: 'valid' | 'same' | [number, number, number, number];
}

function geometry(s: Shape): WinogradGeometry {
  const [t, b, l, r] = s.pad === 'valid' ? [0, 0, 0, 0] : s.pad === 'same' ? [1, 1, 1, 1] : s.pad;
  return { n: s.n, h: s.h, w: s.w, padT: t, padL: l, oh: s.h + t + b - 2, ow: s.w + l + r - 2 };
}

// Output sizes 1x1, 5x7, 13x9 and others not multiples of 4 (edge tiles cut), 'same' and 'valid'.
const SHAPES: Shape[] = [
  { name: '1x1 output (valid 3x3 input)', n: 1, h: 3, w: 3, pad: 'valid' },
  { name: '1x1 output (same, 1x1 input)', n: 1, h: 1, w: 1, pad: 'same' },
  { name: '5x7 output, same', n: 1, h: 5, w: 7, pad: 'same' },
  { name: '5x7 output, valid', n: 1, h: 7, w: 9, pad: 'valid' },
  { name: '13x9 output, same, batch 2', n: 2, h: 13, w: 9, pad: 'same' },
  { name: '13x9 output, valid', n: 1, h: 15, w: 11, pad: 'valid' },
  { name: '8x8 output (whole tiles), same, batch 2', n: 2, h: 8, w: 8, pad: 'same' },
  { name: 'full padding (2 all round), 6x7 output', n: 1, h: 4, w: 5, pad: [2, 2, 2, 2] },
  { name: 'asymmetric pads [0, 2, 1, 0]', n: 1, h: 6, w: 9, pad: [0, 2, 1, 0] },
  { name: 'tiles wholly in the bottom/right padding', n: 1, h: 1, w: 2, pad: [0, 6, 1, 6] },
  { name: '12x16 output, same (interior tiles)', n: 1, h: 12, w: 16, pad: 'same' },
];

const CHANNELS = [1, 3, 4, 5, 13];

/** Tile ranges: all at once, and in chunks of 3 (the last one short) when there are more than 3. */
function chunks(tiles: number): [number, number][] {
  const out: [number, number][] = [[0, tiles]];
  if (tiles > 3) for (let t0 = 0; t0 < tiles; t0 += 3) out.push([t0, Math.min(3, tiles - t0)]);
  return out;
}

function runFilter(h: Harness, cin: number, cout: number, seed: number): void {
  h.reset();
  const label = `${h.flavor} filter cin ${cin} cout ${cout}`;
  const w = random(9 * cin * cout, seed);
  const pw = h.put(w);
  const out = putOutput(h, 36 * cin * cout);
  h.k.f32_winograd_filter_f4x4_3x3(pw, cin, cout, cout, 0, out, cin * cout, cout);
  checkOutput(h, out, refWinogradFilter(w, cin, cout), FILTER_TOL, label);
}

/**
 * Columns [c0, c0 + cout) of a wider (3, 3, cin, ldw) filter, scaled per column, written ci-major
 * (matStride cout, ciStride 36 * cout) into a buffer whose other floats must stay untouched.
 */
function runFilterSlice(h: Harness, cin: number, ldw: number, c0: number, cout: number, seed: number): void {
  h.reset();
  const label = `${h.flavor} filter slice cin ${cin} columns [${c0}, ${c0 + cout}) of ${ldw}, scaled, ci-major`;
  const w = random(9 * cin * ldw, seed);
  const scale = random(cout, seed + 1, 0.5, 2);
  const pw = h.put(w);
  const ps = h.put(scale);
  // The slice, scaled, as its own HWIO filter: the plain transform of that is the reference.
  const slice = new Float32Array(9 * cin * cout);
  for (let r = 0; r < 9 * cin; r++) for (let j = 0; j < cout; j++) slice[r * cout + j] = w[r * ldw + c0 + j] * scale[j];
  const ref = refWinogradFilter(slice, cin, cout); // 36 matrices (cin, cout)
  const expected = new Float32Array(36 * cin * cout);
  for (let m = 0; m < 36; m++) for (let ci = 0; ci < cin; ci++) for (let j = 0; j < cout; j++) {
    expected[(ci * 36 + m) * cout + j] = ref[(m * cin + ci) * cout + j];
  }
  const out = putOutput(h, 36 * cin * cout);
  h.k.f32_winograd_filter_f4x4_3x3(pw + c0 * 4, cin, cout, ldw, ps, out, cout, 36 * cout);
  checkOutput(h, out, expected, FILTER_TOL, label);
}

function runInput(h: Harness, s: Shape, c: number, seed: number): void {
  const g = geometry(s);
  const { tilesH, tilesW, tiles } = tilesOf(g);
  const x = dyadic(g.n * g.h * g.w * c, seed);
  for (const [t0, count] of chunks(tiles)) {
    for (const gap of [0, 5]) {
      h.reset();
      const label = `${h.flavor} input ${s.name}, c ${c}, tiles [${t0}, ${t0 + count}) of ${tiles}, gap ${gap}`;
      const px = h.put(x);
      // Matrices `gap` floats apart beyond their (count, c) extent: the gaps must keep the sentinel.
      const matStride = count * c + gap;
      const len = 35 * matStride + count * c;
      const out = putOutput(h, len);
      h.k.f32_winograd_input_f4x4_3x3(px, g.h, g.w, c, g.padT, g.padL, tilesH, tilesW, t0, count, out, matStride);
      const expected = refWinogradInput(x, g, c, t0, count, new Float32Array(len).fill(SENTINEL), matStride);
      checkOutput(h, out, expected, EXACT, label);
    }
  }
}

type EpilogueName = keyof typeof EPILOGUES;

function runOutput(h: Harness, s: Shape, cout: number, bias: boolean, epi: EpilogueName, seed: number, residual = false): void {
  const g = geometry(s);
  const { tilesH, tilesW, tiles } = tilesOf(g);
  const e = EPILOGUES[epi];
  const b = bias ? dyadic(cout, seed + 1, 2) : null;
  for (const [t0, count] of chunks(tiles)) {
    h.reset();
    const label = `${h.flavor} output ${s.name}, cout ${cout}, bias ${bias}, ${epi}, tiles [${t0}, ${t0 + count}) of ${tiles}`;
    const matStride = count * cout + 3;
    // Range 1/8: outputs of a few units, so relu6 both clamps and passes values.
    const m = dyadic(36 * matStride, seed + t0, 0.125);
    const pm = h.put(m);
    const pb = b ? h.put(b) : 0;
    const yLen = g.n * g.oh * g.ow * cout;
    const y = putOutput(h, yLen);
    const r = residual ? dyadic(yLen, seed + 7, 2) : null;
    h.k.f32_winograd_output_f4x4_3x3(pm, matStride, pb, cout, g.oh, g.ow, tilesH, tilesW, t0, count, y, e.min, e.max, e.alpha, r ? h.put(r) : 0);
    const expected = refWinogradOutput(m, matStride, b, cout, g, t0, count, new Float32Array(yLen).fill(SENTINEL), e, r);
    checkOutput(h, y, expected, OUTPUT_TOL, r ? `${label} + residual` : label);
  }
}

interface PipelineCase {
  shape: Shape;
  cin: number;
  cout: number;
  bias: boolean;
  epilogue: EpilogueName;
  /** Tiles per chunk (the operator's scratch bound). */
  chunk: number;
}

/** What the conv2d operator does: filter transform + 36 packs once, then per chunk input -> 36 GEMMs -> output. */
function runPipeline(h: Harness, cs: PipelineCase, seed: number): void {
  h.reset();
  const { cin, cout } = cs;
  const g = geometry(cs.shape);
  const { tilesH, tilesW, tiles } = tilesOf(g);
  const e = EPILOGUES[cs.epilogue];
  const label = `${h.flavor} pipeline ${cs.shape.name}, ${cin} -> ${cout}, chunk ${cs.chunk}, bias ${cs.bias}, ${cs.epilogue}`;
  const x = random(g.n * g.h * g.w * cin, seed);
  const w = random(9 * cin * cout, seed + 1, -0.5, 0.5);
  const b = cs.bias ? random(cout, seed + 2) : null;
  const px = h.put(x);
  const pw = h.put(w);
  const pb = b ? h.put(b) : 0;

  const u = h.alloc(36 * cin * cout);
  h.k.f32_winograd_filter_f4x4_3x3(pw, cin, cout, cout, 0, u, cin * cout, cout);
  const packedFloats = h.k.f32_gemm_packed_size(cin, cout);
  const packed = h.alloc(36 * packedFloats);
  for (let k = 0; k < 36; k++) h.k.f32_gemm_pack_b(u + k * cin * cout * 4, cout, cin, cout, 0, packed + k * packedFloats * 4);

  const v = h.alloc(36 * cs.chunk * cin);
  const m = h.alloc(36 * cs.chunk * cout);
  const yLen = g.n * g.oh * g.ow * cout;
  const y = putOutput(h, yLen);
  for (let t0 = 0; t0 < tiles; t0 += cs.chunk) {
    const count = Math.min(cs.chunk, tiles - t0);
    h.k.f32_winograd_input_f4x4_3x3(px, g.h, g.w, cin, g.padT, g.padL, tilesH, tilesW, t0, count, v, count * cin);
    for (let k = 0; k < 36; k++) {
      h.k.f32_gemm(count, cout, cin, v + k * count * cin * 4, cin, packed + k * packedFloats * 4,
        m + k * count * cout * 4, cout, -Infinity, Infinity, 1);
    }
    h.k.f32_winograd_output_f4x4_3x3(m, count * cout, pb, cout, g.oh, g.ow, tilesH, tilesW, t0, count, y, e.min, e.max, e.alpha, 0);
  }
  checkOutput(h, y, refConv3x3(x, g, cin, w, cout, b, e), PIPELINE_TOL, label);
}

const byName = (name: string): Shape => SHAPES.find((s) => s.name === name)!;

const PIPELINES: PipelineCase[] = [
  { shape: byName('1x1 output (valid 3x3 input)'), cin: 1, cout: 1, bias: false, epilogue: 'identity', chunk: 1 },
  { shape: byName('1x1 output (same, 1x1 input)'), cin: 3, cout: 5, bias: true, epilogue: 'relu', chunk: 4 },
  { shape: byName('5x7 output, same'), cin: 5, cout: 13, bias: true, epilogue: 'identity', chunk: 4 },
  { shape: byName('5x7 output, valid'), cin: 13, cout: 3, bias: false, epilogue: 'leaky', chunk: 3 },
  { shape: byName('13x9 output, same, batch 2'), cin: 5, cout: 7, bias: true, epilogue: 'relu6', chunk: 7 },
  { shape: byName('13x9 output, valid'), cin: 8, cout: 16, bias: true, epilogue: 'relu', chunk: 100 },
  { shape: byName('8x8 output (whole tiles), same, batch 2'), cin: 16, cout: 9, bias: true, epilogue: 'identity', chunk: 5 },
  { shape: byName('full padding (2 all round), 6x7 output'), cin: 4, cout: 8, bias: false, epilogue: 'identity', chunk: 2 },
  { shape: byName('asymmetric pads [0, 2, 1, 0]'), cin: 13, cout: 13, bias: true, epilogue: 'leaky', chunk: 1 },
  { shape: { name: '9x11 same, batch 2 (ResNet-like 2x9x11x5 -> 7)', n: 2, h: 9, w: 11, pad: 'same' }, cin: 5, cout: 7, bias: true, epilogue: 'relu', chunk: 8 },
  { shape: { name: '20x20 same, deeper', n: 1, h: 20, w: 20, pad: 'same' }, cin: 32, cout: 24, bias: true, epilogue: 'identity', chunk: 12 },
];

describe.each(FLAVORS)('Winograd F(4x4, 3x3) (%s build)', (flavor) => {
  let h: Harness;
  beforeAll(async () => {
    h = await loadBuild(flavor);
  });

  it.each([
    [1, 1], [1, 3], [3, 5], [5, 13], [13, 1], [4, 4], [8, 8], [13, 20], [16, 33],
  ])('filter transform, cin %i, cout %i', (cin, cout) => {
    runFilter(h, cin, cout, 100 + cin * 7 + cout);
  });

  it.each([
    [1, 8, 0, 8], [3, 20, 4, 13], [5, 64, 16, 16], [2, 7, 5, 2], [4, 9, 0, 1],
  ])('filter transform of a scaled column slice, ci-major: cin %i, ldw %i, columns from %i, %i of them', (cin, ldw, c0, cout) => {
    runFilterSlice(h, cin, ldw, c0, cout, 150 + cin * 5 + ldw);
  });

  it.each(SHAPES.map((s) => [s.name, s] as const))('input transform: %s, c in 1, 3, 4, 5, 13; chunked; matrix gaps', (_n, s) => {
    for (const c of CHANNELS) runInput(h, s, c, 200 + c);
  });

  it('input transform: many channels (9 vectors + a tail of 1)', () => {
    runInput(h, byName('13x9 output, same, batch 2'), 37, 300);
  });

  it.each(SHAPES.map((s) => [s.name, s] as const))('output transform: %s, cout in 1, 3, 4, 5, 13; bias on/off; epilogues', (_n, s) => {
    const epis: EpilogueName[] = ['identity', 'relu', 'relu6', 'leaky'];
    CHANNELS.forEach((cout, i) => runOutput(h, s, cout, i % 2 === 0, epis[i % epis.length], 400 + cout));
    runOutput(h, s, 6, false, 'relu6', 450);
    runOutput(h, s, 6, true, 'leaky', 451);
  });

  it.each(SHAPES.map((s) => [s.name, s] as const))('output transform with a residual: %s, cout in 1, 3, 4, 5, 13', (_n, s) => {
    const epis: EpilogueName[] = ['relu', 'identity', 'leaky', 'relu6'];
    CHANNELS.forEach((cout, i) => runOutput(h, s, cout, i % 2 === 1, epis[i % epis.length], 500 + cout, true));
  });

  it.each(PIPELINES.map((c) => [`${c.shape.name}, ${c.cin} -> ${c.cout}, chunk ${c.chunk}`, c] as const))('pipeline matches a direct 3x3 conv: %s', (_n, cs) => {
    runPipeline(h, cs, 500 + cs.cin * 13 + cs.cout);
  });

  it('the output transform leaves every output of other tiles untouched (chunks compose)', () => {
    // Covered per chunk by runOutput (sentinel outside the chunk); here the union of chunks covers all.
    const s = byName('13x9 output, same, batch 2');
    const g = geometry(s);
    const { tilesH, tilesW, tiles } = tilesOf(g);
    h.reset();
    const cout = 5;
    const yLen = g.n * g.oh * g.ow * cout;
    const y = putOutput(h, yLen);
    for (let t0 = 0; t0 < tiles; t0 += 4) {
      const count = Math.min(4, tiles - t0);
      const pm = h.put(new Float32Array(36 * count * cout).fill(0.5));
      h.k.f32_winograd_output_f4x4_3x3(pm, count * cout, 0, cout, g.oh, g.ow, tilesH, tilesW, t0, count, y, -Infinity, Infinity, 1, 0);
    }
    const got = h.get(y, yLen);
    expect(got.every((v) => v !== SENTINEL), 'every output written').toBe(true);
  });
});
