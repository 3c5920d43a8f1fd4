// Plain TypeScript references (float64 math) for the pooling, elementwise and layout kernels.
// Same arguments as the kernels (src/abi.ts) with arrays in place of pointers; they return the output.

export interface Pool2d {
  n: number; h: number; w: number; c: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  padT: number; padB: number; padL: number; padR: number;
  /** PyTorch ceil_mode: the last window may run past the padded extent. */
  ceil?: boolean;
}

function outSize(size: number, padA: number, padB: number, k: number, s: number, d: number, ceil: boolean): number {
  const span = size + padA + padB - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // PyTorch: the last window has to start inside the input or the leading pad.
  if (ceil && (o - 1) * s >= size + padA) o--;
  return o;
}

/** Output size of a pooling window sweep. */
export function poolOut(p: Pool2d): { oh: number; ow: number } {
  return {
    oh: outSize(p.h, p.padT, p.padB, p.kh, p.sh, p.dh, p.ceil ?? false),
    ow: outSize(p.w, p.padL, p.padR, p.kw, p.sw, p.dw, p.ceil ?? false),
  };
}

/** (n, oh, ow, c): max over the taps inside the input, -Infinity when there are none. */
export function maxpool(x: Float32Array, p: Pool2d): Float64Array {
  const { oh, ow } = poolOut(p);
  const out = new Float64Array(p.n * oh * ow * p.c);
  for (let img = 0; img < p.n; img++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < p.c; ch++) {
          let m = -Infinity;
          for (let ky = 0; ky < p.kh; ky++) {
            const iy = oy * p.sh - p.padT + ky * p.dh;
            if (iy < 0 || iy >= p.h) continue;
            for (let kx = 0; kx < p.kw; kx++) {
              const ix = ox * p.sw - p.padL + kx * p.dw;
              if (ix < 0 || ix >= p.w) continue;
              m = Math.max(m, x[((img * p.h + iy) * p.w + ix) * p.c + ch]);
            }
          }
          out[((img * oh + oy) * ow + ox) * p.c + ch] = m;
        }
  return out;
}

/**
 * (n, oh, ow, c): sum of the taps inside the input over the number of those taps, or with
 * countIncludePad over the taps inside [-padT, h + padB) x [-padL, w + padR). A zero count gives 0.
 */
export function avgpool(x: Float32Array, p: Pool2d, countIncludePad: boolean): Float64Array {
  const { oh, ow } = poolOut(p);
  const out = new Float64Array(p.n * oh * ow * p.c);
  for (let img = 0; img < p.n; img++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < p.c; ch++) {
          let sum = 0;
          let count = 0;
          for (let ky = 0; ky < p.kh; ky++) {
            const iy = oy * p.sh - p.padT + ky * p.dh;
            for (let kx = 0; kx < p.kw; kx++) {
              const ix = ox * p.sw - p.padL + kx * p.dw;
              const inside = iy >= 0 && iy < p.h && ix >= 0 && ix < p.w;
              const inPadded = iy >= -p.padT && iy < p.h + p.padB && ix >= -p.padL && ix < p.w + p.padR;
              if (inside) sum += x[((img * p.h + iy) * p.w + ix) * p.c + ch];
              if (countIncludePad ? inPadded : inside) count++;
            }
          }
          out[((img * oh + oy) * ow + ox) * p.c + ch] = count > 0 ? sum / count : 0;
        }
  return out;
}

/** (n, hw, c) -> (n, c). */
export function globalPool(x: Float32Array, n: number, hw: number, c: number, kind: 'avg' | 'max'): Float64Array {
  const out = new Float64Array(n * c);
  for (let img = 0; img < n; img++)
    for (let ch = 0; ch < c; ch++) {
      let acc = kind === 'avg' ? 0 : -Infinity;
      for (let i = 0; i < hw; i++) {
        const v = x[(img * hw + i) * c + ch];
        acc = kind === 'avg' ? acc + v : Math.max(acc, v);
      }
      out[img * c + ch] = kind === 'avg' ? acc / hw : acc;
    }
  return out;
}

export function map1(x: ArrayLike<number>, f: (v: number) => number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

export function map2(a: ArrayLike<number>, b: ArrayLike<number>, f: (u: number, v: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], b[i]);
  return out;
}

export const add = (a: number, b: number): number => a + b;
export const mul = (a: number, b: number): number => a * b;
export const relu = (v: number): number => Math.max(v, 0);
export const relu6 = (v: number): number => Math.min(Math.max(v, 0), 6);
export const leakyRelu = (alpha: number) => (v: number): number => (v < 0 ? alpha * v : v);
export const clip = (lo: number, hi: number) => (v: number): number => Math.min(Math.max(v, lo), hi);
export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
export const tanh = (v: number): number => Math.tanh(v);

/** Row-wise softmax of a (rows, cols) matrix. */
export function softmax(x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < cols; i++) m = Math.max(m, x[r * cols + i]);
    let s = 0;
    for (let i = 0; i < cols; i++) s += out[r * cols + i] = Math.exp(x[r * cols + i] - m);
    for (let i = 0; i < cols; i++) out[r * cols + i] /= s;
  }
  return out;
}

export function scaleShift(x: Float32Array, rows: number, c: number, scale: Float32Array, shift: Float32Array): Float64Array {
  const out = new Float64Array(rows * c);
  for (let r = 0; r < rows; r++) for (let ch = 0; ch < c; ch++) out[r * c + ch] = x[r * c + ch] * scale[ch] + shift[ch];
  return out;
}

/** Per batch (rows, cols) -> (cols, rows). */
export function transpose(x: Float32Array, batch: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(batch * rows * cols);
  const plane = rows * cols;
  for (let b = 0; b < batch; b++)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) out[b * plane + c * rows + r] = x[b * plane + r * cols + c];
  return out;
}

/** Writes x (rows, cx) into channels [cOff, cOff + cx) of `into` (rows, cOut), a copy of which is returned. */
export function copyChannels(x: Float32Array, rows: number, cx: number, into: Float32Array, cOut: number, cOff: number): Float32Array {
  const out = into.slice();
  for (let r = 0; r < rows; r++) for (let ch = 0; ch < cx; ch++) out[r * cOut + cOff + ch] = x[r * cx + ch];
  return out;
}

export type PadMode = 'constant' | 'reflect' | 'edge' | 'circular';

/** Source index of padded index i (input size `size`), or -1 for the constant, like numpy.pad. */
export function padSource(i: number, size: number, mode: PadMode): number {
  if (i >= 0 && i < size) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : size - 1;
    case 'circular':
      return ((i % size) + size) % size;
    case 'reflect': {
      // numpy reflects repeatedly for pads wider than the input; unfolded, that is this walk.
      if (size === 1) return 0;
      let j = i;
      while (j < 0 || j >= size) j = j < 0 ? -j : 2 * (size - 1) - j;
      return j;
    }
  }
}

/** (n, h, w, c) -> (n, h + padT + padB, w + padL + padR, c); negative pads crop. */
export function pad(
  x: Float32Array, n: number, h: number, w: number, c: number,
  padT: number, padB: number, padL: number, padR: number, mode: PadMode, value: number,
): Float32Array {
  const oh = h + padT + padB;
  const ow = w + padL + padR;
  const out = new Float32Array(n * oh * ow * c);
  for (let img = 0; img < n; img++)
    for (let oy = 0; oy < oh; oy++) {
      const iy = padSource(oy - padT, h, mode);
      for (let ox = 0; ox < ow; ox++) {
        const ix = padSource(ox - padL, w, mode);
        for (let ch = 0; ch < c; ch++)
          out[((img * oh + oy) * ow + ox) * c + ch] = iy < 0 || ix < 0 ? value : x[((img * h + iy) * w + ix) * c + ch];
      }
    }
  return out;
}
