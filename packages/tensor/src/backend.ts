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
  wasm?: WasmSource | { baseline?: WasmSource; relaxed?: WasmSource };
  /** Upper bound of the wasm memory in bytes (default and maximum: 4 GiB). */
  maxMemoryBytes?: number;
  /** Receives notices such as the relaxed-SIMD fallback (default: console.warn). */
  onNotice?: (message: string) => void;
}

export interface InitResult {
  flavor: Flavor;
  features: WasmFeatures;
}

/** What operators use: the kernels and the allocator of the running backend. */
export interface Backend {
  readonly kernels: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly allocator: WasmAllocator;
  readonly flavor: Flavor;
  /** Bumped by every init(): tensors of an earlier backend are rejected. */
  readonly generation: number;
}

const PAGE = 65536;
const MAX_MEMORY_BYTES = 65536 * PAGE;
const SIMD_OPTIONS: readonly SimdOption[] = ['auto', 'baseline', 'relaxed'];

let current: Backend | undefined;
let pending: Promise<InitResult> | undefined;
let generation = 0;
let noticeGiven = false;

function isSourceMap(w: InitOptions['wasm']): w is { baseline?: WasmSource; relaxed?: WasmSource } {
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
  const features = detectFeatures();
  const notice = options.onNotice ?? ((m: string) => console.warn(m));
  let flavor = chooseFlavor(simd, features, notice);

  const w = options.wasm;
  let source: WasmSource;
  if (w === undefined) source = defaultWasmUrl(flavor);
  else if (isSourceMap(w)) {
    const given = w[flavor] ?? (flavor === 'relaxed' && simd === 'auto' ? w.baseline : undefined);
    if (given === undefined) throw new Error(`init: options.wasm has no '${flavor}' build`);
    if (given === w.baseline) flavor = 'baseline';
    source = given;
  } else source = w;

  const module = await compileKernels(source);
  const memory = new WebAssembly.Memory({ initial: 16, maximum: Math.floor(maxBytes / PAGE) });
  const kernels = await instantiateKernels(module, memory);
  const built: Flavor = kernels.flavor() === 1 ? 'relaxed' : 'baseline';
  if (built !== flavor && !(w !== undefined && !isSourceMap(w))) {
    throw new Error(`init: the ${flavor} kernel source holds the ${built} build`);
  }
  if (simd === 'baseline' && built === 'relaxed') {
    throw new Error("init: simd 'baseline' was requested but the module given is the relaxed build");
  }
  generation += 1;
  current = {
    kernels,
    memory,
    allocator: new WasmAllocator(memory, kernels.heap_base(), maxBytes),
    flavor: built,
    generation,
  };
  return { flavor: built, features };
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

/** Frees every tensor and drops the kernels; `init()` may be called again afterwards. */
export function shutdown(): void {
  onShutdown.forEach((f) => f());
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
