import {
  compileKernels,
  defaultWasmUrl,
  detectFeatures,
  instantiateKernels,
  type Flavor,
  type KernelExports,
  type WasmFeatures,
  type WasmSource,
} from '@wcnn/kernels-wasm';
import { WasmAllocator } from './allocator.js';
import { coreCount, ThreadPool, threadsUnavailable, type KernelCall } from './threads.js';

export type SimdOption = 'auto' | 'baseline' | 'relaxed';

export interface InitOptions {
  /**
   * Which build to run. 'auto' (default) takes relaxed SIMD where the engine has it and falls back
   * to baseline SIMD with one notice; 'relaxed' fails if the engine lacks it; 'baseline' never
   * uses relaxed instructions (bit-for-bit the same results on every engine).
   */
  simd?: SimdOption;
  /**
   * Where the kernels come from: a precompiled WebAssembly.Module (required on Cloudflare Workers,
   * which forbid compiling bytes at run time), bytes, or a URL/path. One source, or one per build.
   * Default: the .wasm files shipped in @wcnn/kernels-wasm, located next to its JS.
   */
  wasm?: WasmSource | WasmSources;
  /**
   * Threads that run kernels, counting the calling one (default: the number of cores). More than one
   * needs SharedArrayBuffer and workers (Node, or a cross-origin isolated page); elsewhere wcnn runs on
   * one thread and says so once. Workers start here and end with `shutdown()`; they never keep a Node
   * process alive.
   */
  threads?: number;
  /** Upper bound of the wasm memory in bytes (default and maximum: 4 GiB). */
  maxMemoryBytes?: number;
  /** Receives notices such as the relaxed-SIMD fallback (default: console.warn). */
  onNotice?: (message: string) => void;
}

/** One source per build; the `*Shared` ones (the -shared.wasm files) are what threads need. */
export interface WasmSources {
  baseline?: WasmSource;
  relaxed?: WasmSource;
  baselineShared?: WasmSource;
  relaxedShared?: WasmSource;
}

export interface InitResult {
  flavor: Flavor;
  features: WasmFeatures;
  /** Threads running kernels, counting the calling one. */
  threads: number;
}

/** What operators use: the kernels and the allocator of the running backend. */
export interface Backend {
  readonly kernels: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly allocator: WasmAllocator;
  readonly flavor: Flavor;
  /** Bumped by every init(): tensors of an earlier backend are rejected. */
  readonly generation: number;
  /** Threads running kernels, counting the calling one. */
  readonly threads: number;
  /**
   * Runs `perThread[t]` on thread t (0: the calling thread) and returns when every list is done.
   * At most `threads` lists; calls in one list run in order.
   */
  parallel(perThread: readonly (readonly KernelCall[])[]): void;
  /**
   * Workers start in the background (init() does not wait; until one is up, the calling thread runs its
   * share). Resolves with the threads running once every worker has started or failed.
   */
  readonly ready: Promise<number>;
}

export type { KernelCall };

const PAGE = 65536;
const MAX_MEMORY_BYTES = 65536 * PAGE;
const SIMD_OPTIONS: readonly SimdOption[] = ['auto', 'baseline', 'relaxed'];

let current: Backend | undefined;
let pool: ThreadPool | undefined;
let pending: Promise<InitResult> | undefined;
let generation = 0;
let noticeGiven = false;
let threadNoticeGiven = false;

function isSourceMap(w: InitOptions['wasm']): w is WasmSources {
  return (
    typeof w === 'object' &&
    w !== null &&
    !(w instanceof WebAssembly.Module) &&
    !(w instanceof URL) &&
    !(w instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(w)
  );
}

function chooseFlavor(simd: SimdOption, features: WasmFeatures, notice: (m: string) => void): Flavor {
  if (!features.wasm) throw new Error('init: this JavaScript engine has no WebAssembly');
  if (!features.simd) {
    throw new Error(
      'init: this engine has no WebAssembly SIMD, which wcnn requires (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+)',
    );
  }
  if (simd === 'baseline') return 'baseline';
  if (features.relaxedSimd) return 'relaxed';
  if (simd === 'relaxed') {
    throw new Error(
      "init: simd 'relaxed' was requested but this engine has no relaxed SIMD " +
        "(Node 20 needs --experimental-wasm-relaxed-simd); use simd 'auto' or 'baseline'",
    );
  }
  if (!noticeGiven) {
    noticeGiven = true;
    notice(
      'wcnn: relaxed SIMD is not available in this engine (Node 20 needs --experimental-wasm-relaxed-simd); ' +
        'using the baseline SIMD build',
    );
  }
  return 'baseline';
}

async function start(options: InitOptions): Promise<InitResult> {
  const simd = options.simd ?? 'auto';
  if (!SIMD_OPTIONS.includes(simd)) {
    throw new Error(`init: simd must be one of ${SIMD_OPTIONS.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(simd)}`);
  }
  const maxBytes = options.maxMemoryBytes ?? MAX_MEMORY_BYTES;
  if (!Number.isFinite(maxBytes) || maxBytes < 16 * PAGE || maxBytes > MAX_MEMORY_BYTES) {
    throw new Error(`init: maxMemoryBytes must be between 1 MiB and 4 GiB, got ${maxBytes}`);
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 256)) {
    throw new Error(`init: threads must be an integer from 1 to 256, got ${String(options.threads)}`);
  }
  const features = detectFeatures();
  const notice = options.onNotice ?? ((m: string) => console.warn(m));
  let flavor = chooseFlavor(simd, features, notice);
  let threads = options.threads ?? (await coreCount());
  const oneThread = (why: string) => {
    // The default (all cores) falls back quietly only if it was one core anyway.
    if (!threadNoticeGiven) {
      threadNoticeGiven = true;
      notice(`wcnn: running on one thread instead of ${threads}: ${why}`);
    }
    threads = 1;
  };
  if (threads > 1) {
    const why = threadsUnavailable();
    if (why) oneThread(why);
  }

  const w = options.wasm;
  let source: WasmSource;
  if (w === undefined) source = defaultWasmUrl(flavor, threads > 1);
  else if (isSourceMap(w)) {
    if (threads > 1 && !(w[`${flavor}Shared`] ?? (flavor === 'relaxed' && simd === 'auto' ? w.baselineShared : undefined))) {
      oneThread(`options.wasm has no '${flavor}Shared' build (the -shared.wasm file threads need)`);
    }
    const key = threads > 1 ? (`${flavor}Shared` as const) : flavor;
    const fallback = threads > 1 ? w.baselineShared : w.baseline;
    const given = w[key] ?? (flavor === 'relaxed' && simd === 'auto' ? fallback : undefined);
    if (given === undefined) throw new Error(`init: options.wasm has no '${key}' build`);
    if (given === fallback) flavor = 'baseline';
    source = given;
  } else {
    // One build given: it decides; it runs threads only if it is a shared-memory build.
    source = w;
  }

  const module = await compileKernels(source);
  const maximum = Math.floor(maxBytes / PAGE);
  let memory = new WebAssembly.Memory({ initial: 16, maximum, shared: threads > 1 });
  let kernels: KernelExports;
  try {
    kernels = await instantiateKernels(module, memory);
  } catch (e) {
    const wrongMemory = e instanceof Error && e.message.includes('does not accept');
    if (!wrongMemory || w === undefined || isSourceMap(w)) throw e;
    // The one build given wants the other kind of memory: a plain build runs on one thread, and a
    // shared build runs on one thread when one was asked for.
    if (threads > 1) oneThread('the kernel build given is a plain build, not a -shared.wasm one');
    memory = new WebAssembly.Memory({ initial: 16, maximum, shared: !(memory.buffer instanceof SharedArrayBuffer) });
    kernels = await instantiateKernels(module, memory);
  }
  const built: Flavor = kernels.flavor() === 1 ? 'relaxed' : 'baseline';
  if (built !== flavor && !(w !== undefined && !isSourceMap(w))) {
    throw new Error(`init: the ${flavor} kernel source holds the ${built} build`);
  }
  if (simd === 'baseline' && built === 'relaxed') {
    throw new Error("init: simd 'baseline' was requested but the module given is the relaxed build");
  }
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  let started: ThreadPool | undefined;
  if (threads > 1 && shared) {
    try {
      started = await ThreadPool.start(module, memory, kernels, threads, (m) => notice(`wcnn: ${m}; its share runs on the calling thread`));
    } catch (e) {
      oneThread((e as Error).message);
    }
  } else if (threads > 1) threads = 1;
  pool?.terminate();
  pool = started;
  const runHere = (calls: readonly KernelCall[]) => {
    const table = kernels as unknown as Record<string, (...a: number[]) => unknown>;
    for (const [name, ...args] of calls) table[name](...args);
  };
  generation += 1;
  current = {
    kernels,
    memory,
    allocator: new WasmAllocator(memory, kernels.heap_base(), maxBytes),
    flavor: built,
    generation,
    threads: started ? started.size : 1,
    ready: started ? started.ready : Promise.resolve(1),
    parallel: started
      ? (perThread) => started.run(perThread)
      : (perThread) => {
          if (perThread.length > 1) throw new Error(`wcnn: internal error: ${perThread.length} call lists for one thread`);
          if (perThread[0]) runHere(perThread[0]);
        },
  };
  return { flavor: built, features, threads: current.threads };
}

/**
 * Loads the kernels once. Later calls return the first call's result; call `shutdown()` first to
 * start again with other options.
 */
export function init(options: InitOptions = {}): Promise<InitResult> {
  if (!pending) {
    pending = start(options).catch((e: unknown) => {
      pending = undefined;
      throw e;
    });
  }
  return pending;
}

/** Frees every tensor, ends the worker threads and drops the kernels; `init()` may be called again afterwards. */
export function shutdown(): void {
  onShutdown.forEach((f) => f());
  pool?.terminate();
  pool = undefined;
  current = undefined;
  pending = undefined;
}

/** Hooks run by `shutdown()` (the tensor registry clears itself). */
export const onShutdown: Array<() => void> = [];

/** The running backend; throws a clear error before `init()` has finished. */
export function backend(): Backend {
  if (!current) throw new Error('wcnn: not initialized: await init() before creating tensors or running ops');
  return current;
}

export function isInitialized(): boolean {
  return current !== undefined;
}
