// permuteData (ONNX weights: OIHW -> HWIO, [N, K] -> [K, N], and any Transpose folded at import)
// against the definition, on shapes with odd sizes, size-1 axes and sizes past the 16-wide tiles.
import { describe, expect, it } from 'vitest';
import { permuteData } from './known.js';

/** out[j] for out index (j_0..j_r-1) = data[index with axis perm[i] = j_i]. */
function reference(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const r = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let s = 0;
    for (let i = 0; i < r; i++) s += idx[i] * inStrides[perm[i]];
    out[o] = data[s];
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function permutations(r: number): number[][] {
  if (r === 1) return [[0]];
  return permutations(r - 1).flatMap((p) => [...Array(r).keys()].map((at) => [...p.slice(0, at), r - 1, ...p.slice(at)]));
}

const SHAPES = [[7], [17, 33], [1, 20], [40, 3, 1], [5, 18, 3, 3], [64, 17, 3, 3], [2, 1, 19, 4, 3], [33, 2, 5, 17]];

describe('permuteData', () => {
  it.each(SHAPES.map((s) => [s.join('x'), s] as const))('every permutation of %s matches the definition (floats, into, and a plain array)', (_n, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => i + 0.5);
    for (const perm of permutations(shape.length)) {
      const expected = reference(data, shape, perm);
      const { data: got, shape: outShape } = permuteData(data, shape, perm);
      expect(outShape).toEqual(perm.map((p) => shape[p]));
      expect(Array.from(got), `perm ${perm}`).toEqual(Array.from(expected));
      const into = new Float32Array(n).fill(NaN);
      expect(permuteData(data, shape, perm, into).data).toBe(into);
      expect(Array.from(into), `perm ${perm} into`).toEqual(Array.from(expected));
      expect(permuteData(Array.from(data), shape, perm).data, `perm ${perm} array`).toEqual(Array.from(expected));
    }
  });

  it('OIHW -> HWIO of a ResNet-sized filter', () => {
    const shape = [128, 64, 3, 3];
    const data = Float32Array.from({ length: 128 * 64 * 9 }, (_, i) => Math.sin(i));
    expect(Array.from(permuteData(data, shape, [2, 3, 1, 0]).data)).toEqual(Array.from(reference(data, shape, [2, 3, 1, 0])));
  });
});
