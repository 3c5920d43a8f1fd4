// Plain TypeScript references for the Winograd F(4x4, 3x3) kernels: float64, the transforms as
// explicit matrix products with the textbook matrices (Lavin & Gray 2016, points 0, +-1, +-2, inf),
// loops that follow the ABI text (src/abi.ts) rather than the kernels' structure.
import { applyEpilogue, type Epilogue } from './reference-gemm-conv.js';

/** B^T (6 x 6): V = B^T d B. */
export const BT: readonly (readonly number[])[] = [
  [4, 0, -5, 0, 1, 0],
  [0, -4, -4, 1, 1, 0],
  [0, 4, -4, -1, 1, 0],
  [0, -2, -1, 2, 1, 0],
  [0, 2, -1, -2, 1, 0],
  [0, 4, 0, -5, 0, 1],
];

/** G (6 x 3): U = G g G^T. */
export const G: readonly (readonly number[])[] = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];

/** A^T (4 x 6): Y = A^T m A. */
export const AT: readonly (readonly number[])[] = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 0],
  [0, 1, 1, 4, 4, 0],
  [0, 1, -1, 8, -8, 1],
];

/** L X L^T for a (p x q) L and a (q x q) X given as a function of (row, col). */
function sandwich(l: readonly (readonly number[])[], x: (r: number, c: number) => number): number[][] {
  const p = l.length;
  const q = l[0].length;
  const lx = Array.from({ length: p }, (_, i) => Array.from({ length: q }, (_, c) => {
    let s = 0;
    for (let r = 0; r < q; r++) s += l[i][r] * x(r, c);
    return s;
  }));
  return Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => {
    let s = 0;
    for (let c = 0; c < q; c++) s += lx[i][c] * l[j][c];
    return s;
  }));
}

/** w: HWIO (3, 3, cin, cout) -> 36 matrices (cin, cout), matrix i * 6 + j = (G g G^T)[i][j]. */
export function refWinogradFilter(w: Float32Array, cin: number, cout: number): Float32Array {
  const out = new Float32Array(36 * cin * cout);
  for (let ci = 0; ci < cin; ci++) {
    for (let co = 0; co < cout; co++) {
      const u = sandwich(G, (ky, kx) => w[((ky * 3 + kx) * cin + ci) * cout + co]);
      for (let k = 0; k < 36; k++) out[(k * cin + ci) * cout + co] = u[Math.floor(k / 6)][k % 6];
    }
  }
  return out;
}

/** Where the tiles of a F(4x4, 3x3) convolution lie. */
export interface WinogradGeometry {
  n: number; h: number; w: number;
  padT: number; padL: number;
  oh: number; ow: number;
}

export function tilesOf(g: WinogradGeometry): { tilesH: number; tilesW: number; tiles: number } {
  const tilesH = Math.ceil(g.oh / 4);
  const tilesW = Math.ceil(g.ow / 4);
  return { tilesH, tilesW, tiles: g.n * tilesH * tilesW };
}

/** Tile t -> (img, ty, tx). */
function tileAt(t: number, tilesH: number, tilesW: number): [number, number, number] {
  const img = Math.floor(t / (tilesH * tilesW));
  const r = t % (tilesH * tilesW);
  return [img, Math.floor(r / tilesW), r % tilesW];
}

/**
 * Input transform of tiles [tileStart, tileStart + tileCount) of x (n, h, w, c), written into a copy of
 * `init` (36 matrices (tileCount, c) at k * matStride): floats between the matrices keep their value.
 */
export function refWinogradInput(
  x: Float32Array, g: WinogradGeometry, c: number, tileStart: number, tileCount: number,
  init: Float32Array, matStride: number,
): Float32Array {
  const out = init.slice();
  const { tilesH, tilesW } = tilesOf(g);
  for (let tl = 0; tl < tileCount; tl++) {
    const [img, ty, tx] = tileAt(tileStart + tl, tilesH, tilesW);
    for (let ch = 0; ch < c; ch++) {
      const v = sandwich(BT, (r, col) => {
        const iy = ty * 4 - g.padT + r;
        const ix = tx * 4 - g.padL + col;
        return iy < 0 || iy >= g.h || ix < 0 || ix >= g.w ? 0 : x[((img * g.h + iy) * g.w + ix) * c + ch];
      });
      for (let k = 0; k < 36; k++) out[k * matStride + tl * c + ch] = v[Math.floor(k / 6)][k % 6];
    }
  }
  return out;
}

/**
 * Output transform of the 36 matrices m (tileCount, cout) at k * matStride, + bias, epilogue, written into
 * a copy of `init` (n, oh, ow, cout): outputs of other tiles, and outside (oh, ow), keep their value.
 */
export function refWinogradOutput(
  m: Float32Array, matStride: number, bias: Float32Array | null, cout: number, g: WinogradGeometry,
  tileStart: number, tileCount: number, init: Float32Array, e: Epilogue,
  /** NHWC like the output, added before the epilogue. */
  residual: Float32Array | null = null,
): Float32Array {
  const out = init.slice();
  const { tilesH, tilesW } = tilesOf(g);
  for (let tl = 0; tl < tileCount; tl++) {
    const [img, ty, tx] = tileAt(tileStart + tl, tilesH, tilesW);
    for (let co = 0; co < cout; co++) {
      const y = sandwich(AT, (r, col) => m[(r * 6 + col) * matStride + tl * cout + co]);
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          const oy = ty * 4 + i;
          const ox = tx * 4 + j;
          if (oy >= g.oh || ox >= g.ow) continue;
          const at = ((img * g.oh + oy) * g.ow + ox) * cout + co;
          out[at] = applyEpilogue(y[i][j] + (bias ? bias[co] : 0) + (residual ? residual[at] : 0), e);
        }
      }
    }
  }
  return out;
}

/** Direct 3x3 stride-1 convolution with zero padding, float64: what the three kernels and 36 GEMMs compute. */
export function refConv3x3(
  x: Float32Array, g: WinogradGeometry, cin: number, w: Float32Array, cout: number, bias: Float32Array | null, e: Epilogue,
): Float32Array {
  const out = new Float32Array(g.n * g.oh * g.ow * cout);
  for (let img = 0; img < g.n; img++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let co = 0; co < cout; co++) {
          let s = bias ? bias[co] : 0;
          for (let ky = 0; ky < 3; ky++) {
            const iy = oy + ky - g.padT;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < 3; kx++) {
              const ix = ox + kx - g.padL;
              if (ix < 0 || ix >= g.w) continue;
              for (let ci = 0; ci < cin; ci++) s += x[((img * g.h + iy) * g.w + ix) * cin + ci] * w[((ky * 3 + kx) * cin + ci) * cout + co];
            }
          }
          out[((img * g.oh + oy) * g.ow + ox) * cout + co] = applyEpilogue(s, e);
        }
      }
    }
  }
  return out;
}
