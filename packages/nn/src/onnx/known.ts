/**
 * Values known at import time (initializers, Constant nodes, folded shape computations) and the
 * symbolic dimensions that flow through static shapes.
 *
 * A dimension is a number, or a string naming an unknown size: an ONNX dim_param ('batch'), a fresh
 * name ('?3') or a product of those and a number ('batch*288'). Equal strings are equal sizes, which
 * is what lets `Reshape(x, [Shape(x)[0], -1])` import with a symbolic batch dimension.
 */
import { sizeOf, stridesOf } from '@wcnn/tensor';

export type Dim = number | string;

/** 'int' covers every ONNX integer type, 'float' every floating type (held as float32). */
export type DType = 'float' | 'int' | 'bool';

/** float: Float32Array; int and bool (0/1): Dim[] (int elements may be symbolic, from Shape). */
export interface Known {
  dtype: DType;
  shape: number[];
  readonly data: Float32Array | Dim[];
  /** Set when the float values are still in the file (`data` reads them on first use). */
  readonly file?: FileFloats;
}

/**
 * Float values still in a file (a large ONNX initializer): `read` fills `into` with their little-endian
 * bytes from byte `offset` on (default 0).
 */
export interface FileFloats {
  readonly byteLength: number;
  read(into: Uint8Array, offset?: number): void;
}

/** A float value read from its file the first time `data` is asked for, or taken by `file.read` straight into memory of the caller's. */
export function makeFileFloat(shape: number[], file: FileFloats): Known {
  let values: Float32Array | undefined;
  return {
    dtype: 'float',
    shape,
    file,
    get data(): Float32Array {
      if (!values) {
        const bytes = new Uint8Array(file.byteLength);
        file.read(bytes);
        values = new Float32Array(bytes.buffer);
      }
      return values;
    },
  };
}

/** An op, or a form of it, that the importer cannot translate; collected, reported once at the end. */
export class Unsupported extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? 'unsupported');
  }
}

/** A model that breaks the ONNX specification (or a file problem): reported at once. */
export class OnnxError extends Error {}

export { sizeOf, stridesOf };

export const isSym = (d: Dim): d is string => typeof d === 'string';

export const formatDims = (dims: readonly Dim[]): string => `[${dims.map((d) => (typeof d === 'number' ? String(d) : `'${d}'`)).join(', ')}]`;

export function makeFloat(shape: number[], data: Float32Array): Known {
  return { dtype: 'float', shape, data };
}

export function makeInt(shape: number[], data: Dim[], dtype: 'int' | 'bool' = 'int'): Known {
  return { dtype, shape, data };
}

/** The elements as an array (float data copied into a plain array). */
export function elementsOf(k: Known): Dim[] {
  return k.data instanceof Float32Array ? Array.from(k.data) : k.data;
}

/** The first symbolic element, if any. */
export function firstSym(k: Known): string | undefined {
  if (k.data instanceof Float32Array) return undefined;
  return k.data.find(isSym) as string | undefined;
}

/** All elements as numbers; `what` names the value in the reason when one is symbolic. */
export function numbersOf(k: Known, what: string): number[] {
  const sym = firstSym(k);
  if (sym !== undefined) throw new Unsupported(`${what} depends on the unknown dimension '${sym}'`);
  return k.data instanceof Float32Array ? Array.from(k.data) : (k.data as number[]);
}

export function floatsOf(k: Known, what: string): Float32Array {
  if (k.data instanceof Float32Array) return k.data;
  return Float32Array.from(numbersOf(k, what));
}

/** k as a float value: itself when it is one (its values perhaps still in the file), else its numbers as floats. */
export function floatKnown(k: Known, what: string): Known & { readonly data: Float32Array } {
  if (k.dtype === 'float' && (k.file || k.data instanceof Float32Array)) return k as Known & { readonly data: Float32Array };
  return makeFloat(k.shape, floatsOf(k, what)) as Known & { readonly data: Float32Array };
}

/** The single element of a one-element value. */
export function scalarOf(k: Known, what: string): number {
  if (sizeOf(k.shape) !== 1) throw new Unsupported(`${what} must have one element, got shape ${formatDims(k.shape)}`);
  return numbersOf(k, what)[0];
}

/** ONNX integer attributes and int64 tensors arrive as numbers or protobufjs Longs. */
export function toInt(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return Number(v);
  if (v !== null && typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return NaN;
}

/** Copies `data` permuted: out axis i = in axis perm[i]; into `into` when given. */
export function permuteData<T extends Float32Array | Dim[]>(data: T, shape: readonly number[], perm: readonly number[], into?: T): { data: T; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const n = sizeOf(shape);
  if (into !== undefined && into.length !== n) throw new Error(`permuteData: into has ${into.length} values, expected ${n}`);
  const out = into ?? ((data instanceof Float32Array ? new Float32Array(n) : new Array<Dim>(n)) as T);
  const inStrides = stridesOf(shape);
  const strides = perm.map((p) => inStrides[p]);
  const rank = outShape.length;
  if (rank === 0 || n === 0) {
    if (into === undefined) return { data: data.slice() as T, shape: outShape };
    for (let i = 0; i < n; i++) into[i] = data[i];
    return { data: into, shape: outShape };
  }
  // The innermost output axis runs as a tight strided loop; outer indices advance like an odometer,
  // with the source offset updated incrementally (weights of a large model are tens of millions of values).
  const inner = outShape[rank - 1];
  const innerStride = strides[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < n; o += inner) {
    for (let i = 0, s = src; i < inner; i++, s += innerStride) out[o + i] = data[s];
    for (let d = rank - 2; d >= 0; d--) {
      src += strides[d];
      if (++idx[d] < outShape[d]) break;
      src -= strides[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** NumPy broadcasting of two static shapes; undefined when they are incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For each output element, the index of the element of `shape` it reads under broadcasting to `out`. */
export function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const rank = out.length;
  const inStrides = stridesOf(shape);
  // stride per output axis; 0 where the input axis is absent or broadcast (size 1)
  const strides = out.map((_, d) => {
    const j = d - (rank - shape.length);
    return j < 0 || shape[j] === 1 ? 0 : inStrides[j];
  });
  const map = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strides[d];
    map[o] = src;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return map;
}

// ------------------------------------------------------------------ symbolic dimensions

/** A product of a number and named unknown sizes: the form every symbolic dimension string takes. */
interface Monomial {
  coef: number;
  names: string[];
}

function toMonomial(d: Dim): Monomial {
  if (typeof d === 'number') return { coef: d, names: [] };
  let coef = 1;
  const names: string[] = [];
  for (const part of d.split('*')) {
    if (/^\d+$/.test(part)) coef *= Number(part);
    else names.push(part);
  }
  return { coef, names: names.sort() };
}

function fromMonomial(m: Monomial): Dim {
  if (m.names.length === 0 || m.coef === 0) return m.coef;
  return m.coef === 1 ? m.names.join('*') : `${m.names.join('*')}*${m.coef}`;
}

export function mulDims(a: Dim, b: Dim): Dim {
  const x = toMonomial(a);
  const y = toMonomial(b);
  return fromMonomial({ coef: x.coef * y.coef, names: [...x.names, ...y.names].sort() });
}

export function dimProduct(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => mulDims(acc, d), 1);
}

/** a / b when it is exact (every name of b divides a, coefficients divide); undefined otherwise. */
export function divDims(a: Dim, b: Dim): Dim | undefined {
  const x = toMonomial(a);
  const y = toMonomial(b);
  if (y.coef === 0 || x.coef % y.coef !== 0) return undefined;
  const names = [...x.names];
  for (const n of y.names) {
    const i = names.indexOf(n);
    if (i < 0) return undefined;
    names.splice(i, 1);
  }
  return fromMonomial({ coef: x.coef / y.coef, names });
}

/** Creates fresh names for unknown sizes, deterministic within one import. */
export class DimNames {
  private next = 1;
  fresh(): string {
    return `?${this.next++}`;
  }
}
