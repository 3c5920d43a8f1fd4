import { backend, onShutdown, type Backend } from './backend.js';
import { sizeOf } from './shapes.js';

/** Float32 storage in wasm memory, shared by tensors that are reshapes of each other. */
interface Storage {
  ptr: number;
  bytes: number;
  refs: number;
  generation: number;
}

let liveTensors = 0;
let liveBytes = 0;
const allTensors = new Set<Tensor>();
/** tidy() scopes, innermost last: each tracks the tensors created inside it. */
const scopes: Array<Set<Tensor>> = [];

/** [1,224,224,3]; unknown dimensions print as null. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : d)).join(',')}]`;
}

function checkShape(op: string, shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of integers, got ${String(shape)}`);
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) {
      throw new Error(`${op}: shape must hold positive integers, got ${formatShape(shape)}`);
    }
    size *= d;
  }
  if (size * 4 > 2 ** 32) throw new Error(`${op}: shape ${formatShape(shape)} needs more than 4 GiB`);
  return size;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype = 'float32' as const;
  private storage: Storage | undefined;

  /** @internal Use `tensor()`, `Tensor.empty()` or an op. */
  constructor(shape: readonly number[], storage: Storage) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.storage = storage;
    storage.refs += 1;
    liveTensors += 1;
    allTensors.add(this);
    scopes[scopes.length - 1]?.add(this);
  }

  /** @internal An uninitialised tensor, for operators that write every element. */
  static empty(shape: readonly number[], op = 'tensor'): Tensor {
    const size = checkShape(op, shape);
    const b = backend();
    const bytes = size * 4;
    const ptr = b.allocator.alloc(bytes);
    liveBytes += bytes;
    return new Tensor(shape, { ptr, bytes, refs: 0, generation: b.generation });
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storage === undefined;
  }

  /**
   * @internal Byte offset of the data in wasm memory, for kernels. Throws if disposed or if the
   * tensor belongs to a backend that was shut down. `op` names the caller in the error.
   */
  ptr(op = 'tensor', arg = 'tensor'): number {
    const s = this.storage;
    if (!s) throw new Error(`${op}: ${arg} has been disposed`);
    if (s.generation !== backend().generation) {
      throw new Error(`${op}: ${arg} belongs to a backend that was shut down`);
    }
    return s.ptr;
  }

  /** A copy of the data. */
  dataSync(): Float32Array {
    const ptr = this.ptr('dataSync');
    return new Float32Array(backend().memory.buffer, ptr, this.size).slice();
  }

  /** Same as dataSync(), for API symmetry with async backends. */
  async data(): Promise<Float32Array> {
    return this.dataSync();
  }

  /** Nested arrays in shape order (small tensors: printing and tests). */
  arraySync(): unknown {
    const data = this.dataSync();
    const build = (dim: number, offset: number): unknown => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return Array.from(data.subarray(offset, offset + n));
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return this.shape.length === 0 ? data[0] : build(0, 0);
  }

  /** A tensor of another shape over the same data (no copy). */
  reshape(shape: readonly number[]): Tensor {
    const size = checkShape('reshape', shape);
    if (size !== this.size) {
      throw new Error(`reshape: cannot reshape ${formatShape(this.shape)} (${this.size} values) to ${formatShape(shape)} (${size} values)`);
    }
    this.ptr('reshape', 'x');
    return new Tensor(shape, this.storage!);
  }

  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = undefined;
    liveTensors -= 1;
    allTensors.delete(this);
    s.refs -= 1;
    if (s.refs === 0) {
      liveBytes -= s.bytes;
      const b = tryBackend();
      if (b && b.generation === s.generation) b.allocator.release(s.ptr);
    }
  }

  toString(): string {
    return this.isDisposed ? `Tensor(disposed)` : `Tensor(${formatShape(this.shape)}, float32)`;
  }
}

function tryBackend(): Backend | undefined {
  try {
    return backend();
  } catch {
    return undefined;
  }
}

onShutdown.push(() => {
  for (const t of [...allTensors]) t.dispose();
  scopes.length = 0;
});

/** A float32 tensor over a copy of `data` in wasm memory. Image tensors are NHWC. */
export function tensor(data: Float32Array | ArrayLike<number>, shape: readonly number[]): Tensor {
  const size = checkShape('tensor', shape);
  if (!data || typeof (data as ArrayLike<number>).length !== 'number') {
    throw new Error('tensor: data must be a Float32Array or an array of numbers');
  }
  if (data.length !== size) {
    throw new Error(`tensor: shape ${formatShape(shape)} needs ${size} values, but data has ${data.length}`);
  }
  const t = Tensor.empty(shape, 'tensor');
  new Float32Array(backend().memory.buffer, t.ptr(), size).set(data);
  return t;
}

/** A tensor filled with one value. */
export function fill(shape: readonly number[], value: number): Tensor {
  const t = Tensor.empty(shape, 'fill');
  new Float32Array(backend().memory.buffer, t.ptr(), t.size).fill(value);
  return t;
}

export function zeros(shape: readonly number[]): Tensor {
  return fill(shape, 0);
}

type Kept = Tensor | Tensor[] | Record<string, Tensor> | void | number | string | boolean | null | undefined;

function collect(result: unknown, into: Set<Tensor>): void {
  if (result instanceof Tensor) into.add(result);
  else if (Array.isArray(result)) result.forEach((r) => collect(r, into));
  else if (result && typeof result === 'object') Object.values(result).forEach((r) => collect(r, into));
}

/**
 * Runs `fn` and disposes every tensor it created, except those it returns (a tensor, or arrays or
 * objects of tensors) and those passed to `keep()`. Synchronous only.
 */
export function tidy<T extends Kept | Kept[] | Record<string, Kept>>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error('tidy: expected a function');
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.splice(scopes.indexOf(scope), 1);
    scope.forEach((t) => t.dispose());
    throw e;
  }
  scopes.splice(scopes.indexOf(scope), 1);
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    scope.forEach((t) => t.dispose());
    throw new Error('tidy: the function returned a Promise; tidy() is synchronous');
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (survivors.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Exempts a tensor from the enclosing tidy() scopes. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Disposes tensors, arrays or objects of tensors. */
export function dispose(x: Tensor | Tensor[] | Record<string, Tensor>): void {
  const all = new Set<Tensor>();
  collect(x, all);
  all.forEach((t) => t.dispose());
}

export interface MemoryInfo {
  /** Tensors not yet disposed. */
  numTensors: number;
  /** Bytes held by their data. */
  numBytes: number;
  /** Bytes the allocator has handed out (tensors plus operator scratch in flight). */
  allocatedBytes: number;
  /** Size of the wasm memory (it only grows). */
  wasmBytes: number;
}

export function memory(): MemoryInfo {
  const b = tryBackend();
  return {
    numTensors: liveTensors,
    numBytes: liveBytes,
    allocatedBytes: b?.allocator.bytesInUse ?? 0,
    wasmBytes: b?.memory.buffer.byteLength ?? 0,
  };
}
