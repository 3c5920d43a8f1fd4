import type { KernelExports } from './abi.js';

/** Where a build comes from: a compiled module (required on Cloudflare Workers), bytes, or a URL/path. */
export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | URL | string;

export type Flavor = 'baseline' | 'relaxed';

export const WASM_FILES: Record<Flavor, string> = {
  baseline: 'wcnn-simd.wasm',
  relaxed: 'wcnn-relaxed.wasm',
};

/** The same builds on a shared memory (`--sharedMemory`): what worker threads instantiate. */
export const SHARED_WASM_FILES: Record<Flavor, string> = {
  baseline: 'wcnn-simd-shared.wasm',
  relaxed: 'wcnn-relaxed-shared.wasm',
};

/**
 * The build shipped with this package, as a URL next to the compiled JS (bundlers follow it).
 * `shared`: the build that imports a shared memory, for threads.
 */
export function defaultWasmUrl(flavor: Flavor, shared = false): URL {
  if (typeof import.meta.url !== 'string') {
    throw new Error(
      `wcnn: this runtime gives modules no URL (import.meta.url) to find ${(shared ? SHARED_WASM_FILES : WASM_FILES)[flavor]} by; ` +
      'import the builds as modules and pass them: init({ wasm: { baseline, relaxed } }), from ' +
      '@wcnn/kernels-wasm/wcnn-simd.wasm and @wcnn/kernels-wasm/wcnn-relaxed.wasm',
    );
  }
  // One literal `new URL(...)` per file, so bundlers see every asset.
  if (shared) {
    return flavor === 'relaxed'
      ? new URL('../build/wcnn-relaxed-shared.wasm', import.meta.url)
      : new URL('../build/wcnn-simd-shared.wasm', import.meta.url);
  }
  return flavor === 'relaxed'
    ? new URL('../build/wcnn-relaxed.wasm', import.meta.url)
    : new URL('../build/wcnn-simd.wasm', import.meta.url);
}

function isNodeLike(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function readBytes(where: URL | string): Promise<ArrayBuffer | Uint8Array> {
  const asUrl = (() => {
    if (where instanceof URL) return where;
    try {
      return /^[a-z][a-z0-9+.-]*:/i.test(where) && !/^[a-z]:[\\/]/i.test(where) ? new URL(where) : undefined;
    } catch {
      return undefined;
    }
  })();
  if (asUrl === undefined || asUrl.protocol === 'file:') {
    if (!isNodeLike()) throw new Error(`wcnn: cannot read the path ${String(where)} outside Node; pass a URL, bytes or a WebAssembly.Module`);
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(asUrl ?? (where as string));
    } catch (e) {
      throw new Error(`wcnn: cannot read the kernel build ${String(where)}: ${(e as Error).message}`);
    }
  }
  const res = await fetch(asUrl);
  if (!res.ok) throw new Error(`wcnn: fetching the kernel build ${asUrl.href} failed: HTTP ${res.status}`);
  return res.arrayBuffer();
}

/** Compiles (or accepts) the module. Workers forbid compiling bytes at run time: pass a Module there. */
export async function compileKernels(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  let bytes: BufferSource;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) bytes = source as BufferSource;
  else bytes = (await readBytes(source)) as BufferSource;
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    throw new Error(`wcnn: the kernel build is not a valid WebAssembly module for this engine: ${(e as Error).message}`);
  }
}

const REQUIRED_EXPORTS: readonly string[] = ['heap_base', 'flavor', 'f32_gemm', 'f32_im2col'];

/** Instantiates a compiled kernel module on the caller's memory (shared or not, as the build declares). */
export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelExports> {
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = REQUIRED_EXPORTS.filter((n) => !names.has(n));
  if (missing.length > 0) throw new Error(`wcnn: the module given is not a wcnn kernel build (missing exports: ${missing.join(', ')})`);
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory, abort: abortImport } });
  } catch (e) {
    if (!(e instanceof WebAssembly.LinkError)) throw e;
    const given = memory.buffer instanceof ArrayBuffer ? 'a plain' : 'a shared';
    throw new Error(`wcnn: the kernel build does not accept ${given} memory (plain builds run one thread; the *-shared builds run threads): ${e.message}`);
  }
  return instance.exports as unknown as KernelExports;
}

function abortImport(): never {
  throw new Error('wcnn: a kernel aborted (this is a bug in wcnn)');
}
