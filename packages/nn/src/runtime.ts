// What ops share at run time: the kernels, scratch memory and output tensors.
import type { KernelExports } from '@wcnn/kernels-wasm';
import { backend, Tensor } from '@wcnn/tensor';

export function kernels(): KernelExports {
  return backend().kernels;
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

/** An output tensor that the kernel will fill; disposed again if the kernel call throws. */
export function output(shape: readonly number[], op: string, run: (ptr: number) => void): Tensor {
  const out = Tensor.empty(shape, op);
  try {
    run(out.ptr(op));
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** Copies a small JS array into scratch memory (bias-like per-channel vectors). */
export function writeF32(ptr: number, data: ArrayLike<number>): void {
  new Float32Array(backend().memory.buffer, ptr, data.length).set(data);
}
