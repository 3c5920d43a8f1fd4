// What ops share at run time. Every op is an Operator (XNNPACK's create / run split): creating it
// validates shapes, chooses kernels and prepacks weights once; run() only calls kernels on
// pointers. A functional op creates, runs once and disposes; a compiled plan keeps its operators.
import type { KernelExports } from '@wcnn/kernels-wasm';
import { backend, sizeOf, Tensor } from '@wcnn/tensor';

export type Shape = readonly number[];

export interface Operator {
  readonly outShapes: Shape[];
  /** Bytes of scratch memory run() needs. */
  readonly scratchBytes: number;
  /** Bytes of memory the operator owns (packed weights, parameters). */
  readonly ownedBytes: number;
  run(inputs: readonly number[], outputs: readonly number[], scratch: number): void;
  dispose(): void;
}

export function kernels(): KernelExports {
  return backend().kernels;
}

export { sizeOf };

/** Memory an operator owns: allocated at create time, freed by dispose(). */
export class Owned {
  private ptrs: number[] = [];
  bytes = 0;

  alloc(bytes: number): number {
    const ptr = backend().allocator.alloc(bytes);
    this.ptrs.push(ptr);
    this.bytes += bytes;
    return ptr;
  }

  f32(data: ArrayLike<number>): number {
    const ptr = this.alloc(data.length * 4);
    new Float32Array(backend().memory.buffer, ptr, data.length).set(data);
    return ptr;
  }

  /** A copy of a weight (tensor or data) that the operator keeps. */
  copy(w: WeightData): number {
    if (!(w instanceof Tensor)) return this.f32(w);
    const ptr = this.alloc(w.size * 4);
    new Float32Array(backend().memory.buffer).copyWithin(ptr >> 2, w.ptr() >> 2, (w.ptr() >> 2) + w.size);
    return ptr;
  }

  i32(data: ArrayLike<number>): number {
    const ptr = this.alloc(data.length * 4);
    new Int32Array(backend().memory.buffer, ptr, data.length).set(data);
    return ptr;
  }

  free(): void {
    const { allocator } = backend();
    this.ptrs.forEach((p) => allocator.release(p));
    this.ptrs = [];
    this.bytes = 0;
  }
}

/** Runs `fn` with scratch blocks of the given byte sizes, freed afterwards even if it throws. */
export function withScratch<T>(bytes: readonly number[], fn: (ptrs: number[]) => T): T {
  const { allocator } = backend();
  const ptrs: number[] = [];
  try {
    for (const b of bytes) ptrs.push(allocator.alloc(b));
    return fn(ptrs);
  } finally {
    ptrs.forEach((p) => allocator.release(p));
  }
}

/** Runs an operator once on tensors: allocates its outputs and scratch, then disposes it. */
export function execute(op: string, operator: Operator, inputs: readonly Tensor[], names: readonly string[] = ['x']): Tensor[] {
  try {
    const inPtrs = inputs.map((t, i) => t.ptr(op, names[i] ?? `inputs[${i}]`));
    const outs = operator.outShapes.map((s) => Tensor.empty(s, op));
    try {
      withScratch([operator.scratchBytes], ([scratch]) =>
        operator.run(inPtrs, outs.map((t) => t.ptr(op)), scratch),
      );
    } catch (e) {
      outs.forEach((t) => t.dispose());
      throw e;
    }
    return outs;
  } finally {
    operator.dispose();
  }
}

/** A weight given as a tensor or as data: a pointer to it while `fn` runs. */
export type WeightData = Tensor | Float32Array;

/**
 * A 3x3 conv filter (cin -> cout) already in the form Winograd F(4x4, 3x3) runs on: the 36 transformed
 * (cin, cout) matrices, each packed by f32_gemm_pack_b (bias 0), back to back. A GraphModel that owns
 * its weights keeps such a filter instead of the original (a conv given it always runs Winograd).
 */
export class WinogradFilter {
  /** `offset`: bytes into the tensor (a model keeps several filters in one block). */
  constructor(readonly tensor: Tensor, readonly cin: number, readonly cout: number, readonly offset = 0) {}

  get ptr(): number {
    return this.tensor.ptr() + this.offset;
  }
}

/**
 * A conv filter (kh, kw, cin, cout) of one group already packed the way im2col + GEMM reads it
 * (f32_gemm_pack_b's panels of the (kh * kw * cin, cout) matrix), with the conv's bias in the panels' bias
 * rows (zeros when it has none). A GraphModel that owns its weights keeps a GEMM conv's filter only in this
 * form, packed straight from the stored layout: a conv given it runs im2col + GEMM on it in place.
 */
export class GemmFilter {
  /** `offset`: bytes into the tensor (a model keeps several filters in one block). */
  constructor(readonly tensor: Tensor, readonly shape: readonly [number, number, number, number], readonly hasBias: boolean, readonly offset = 0) {}

  get ptr(): number {
    return this.tensor.ptr() + this.offset;
  }
}

/**
 * Byte offset of column j (a multiple of 16) in f32_gemm_pack_b's packing of a (k, n) matrix: the
 * whole 16-column panels before it, each a bias row and k rows.
 */
export function packedColumnOffset(k: number, j: number): number {
  return j * (k + 1) * 4;
}

/** Multiplies the columns of a (rows, scale.length) matrix in wasm memory by `scale`, in place (a batch norm folded into a filter). */
export function scaleColumns(ptr: number, rows: number, scale: Float32Array): void {
  const c = scale.length;
  withScratch([c * 4, c * 4], ([s, zeros]) => {
    new Float32Array(backend().memory.buffer, s, c).set(scale);
    new Float32Array(backend().memory.buffer, zeros, c).fill(0);
    kernels().f32_scale_shift(ptr, rows, c, s, zeros, ptr);
  });
}

export function withWeight<T>(w: WeightData, fn: (ptr: number) => T): T {
  if (w instanceof Tensor) return fn(w.ptr());
  return withScratch([w.length * 4], ([ptr]) => {
    new Float32Array(backend().memory.buffer, ptr, w.length).set(w);
    return fn(ptr);
  });
}

export function weightValues(w: WeightData): Float32Array {
  return w instanceof Tensor ? w.dataSync() : w;
}

/** An operator with no weights and no scratch. */
export function simpleOperator(outShapes: Shape[], run: (inputs: readonly number[], outputs: readonly number[]) => void): Operator {
  return { outShapes, scratchBytes: 0, ownedBytes: 0, run: (i, o) => run(i, o), dispose: () => {} };
}
