// Worker threads on one shared wasm memory. Every worker instantiates the same kernel module on the
// memory the main thread owns; the main thread splits an op into per-thread lists of kernel calls
// (pointers and sizes only: workers never see tensors), runs list 0 itself and waits for the rest.
// Handing work over goes through a small SharedArrayBuffer of flags and call arguments, with Atomics
// (no postMessage per op: a message costs far more than a conv tile). Workers spin briefly after a job,
// since the next op's calls usually follow within microseconds, then sleep in Atomics.wait.
import type { KernelExports } from '@wcnn/kernels-wasm';

/** One kernel call: the export's name, then its arguments (pointers, sizes, floats). */
export type KernelCall = readonly [name: string, ...args: number[]];

/** i32 slots per worker in the control block: 64 bytes, so two workers' flags never share a cache line. */
export const CONTROL_SLOTS = 16;
export const SLOT = { seq: 0, done: 1, failed: 2, floats: 3, ready: 4 } as const;
/** Float64 slots of encoded calls per worker and round: [function index, argument count, ...arguments]. */
export const CALL_FLOATS = 1 << 14;
/** Sequence value that tells a worker to leave its loop. */
export const QUIT = -1;
/** Loads of a flag before sleeping in Atomics.wait (a few tens of microseconds). */
export const SPIN = 20_000;

export interface StartMessage {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  calls: SharedArrayBuffer;
  index: number;
  names: string[];
}

interface WorkerHandle {
  post(message: StartMessage): void;
  /** Resolves with the worker's first message ('ready' or an error text). */
  firstMessage: Promise<string>;
  terminate(): void;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Why threads cannot run here, or undefined when they can. */
export function threadsUnavailable(): string | undefined {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    return 'SharedArrayBuffer is not available (a browser page needs cross-origin isolation: COOP/COEP headers)';
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)';
  }
  if (!isNode() && typeof (globalThis as { Worker?: unknown }).Worker !== 'function') {
    return 'this runtime has no Web Workers';
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return 'this engine cannot create a shared WebAssembly.Memory';
  }
  return undefined;
}

/** The number of cores: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
export async function coreCount(): Promise<number> {
  if (isNode()) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/**
 * The compiled worker next to this module, for Node. Tests run this file from its TypeScript source,
 * whose worker.ts a worker thread cannot load: they take the build in dist/ (tests run after the build).
 * Asked only when threads start: some runtimes (Cloudflare Workers) give modules no import.meta.url,
 * and this module must load there all the same.
 */
function workerUrl(): URL {
  if (typeof import.meta.url !== 'string') throw new Error('this runtime gives modules no URL (import.meta.url) to find worker.js by');
  // Not a literal: a bundler would copy the unbundled file as an asset for it (the browser's spelling in
  // spawn() is the one bundlers should follow).
  const file = import.meta.url.endsWith('.ts') ? '../dist/worker.js' : './worker.js';
  return new URL(file, import.meta.url);
}

async function spawn(): Promise<WorkerHandle> {
  if (isNode()) {
    const { Worker } = await import('node:worker_threads');
    // No inherited Node options (--input-type, --eval ... are the main thread's); V8's flags, such as
    // relaxed SIMD, are per process and apply anyway.
    const w = new Worker(workerUrl(), { execArgv: [] });
    // A sleeping worker must not keep the process alive once the program's own work is done.
    w.unref();
    const firstMessage = new Promise<string>((resolve) => {
      w.once('message', (m: unknown) => resolve(String(m)));
      w.once('error', (e: Error) => resolve(e.message));
      w.once('exit', (code: number) => resolve(`the worker exited with code ${code}`));
    });
    return { post: (m) => w.postMessage(m), firstMessage, terminate: () => void w.terminate() };
  }
  const Worker = (globalThis as unknown as { Worker: new (url: URL, options: { type: 'module' }) => Worker }).Worker;
  // Spelled as bundlers (Vite, webpack, Parcel) recognise it: they bundle worker.js and point the URL
  // at their output.
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const firstMessage = new Promise<string>((resolve) => {
    w.onmessage = (e: MessageEvent) => resolve(String(e.data));
    w.onerror = (e: ErrorEvent) =>
      resolve(e.message || "wcnn's worker.js failed to load (it needs the page's COOP/COEP headers too, and the same origin)");
  });
  return { post: (m) => w.postMessage(m), firstMessage, terminate: () => w.terminate() };
}

function mainThreadCanWait(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1);
    return true;
  } catch {
    return false; // a browser's main thread may not block
  }
}

/** Runs per-thread lists of kernel calls: list 0 on the calling thread, list t on worker t. */
export class ThreadPool {
  private readonly control: Int32Array;
  private readonly calls: Float64Array;
  private readonly index: Map<string, number>;
  private readonly canWait = mainThreadCanWait();
  private seq = 0;
  private ended = false;

  private constructor(
    private readonly kernels: KernelExports,
    private readonly workers: WorkerHandle[],
    control: SharedArrayBuffer,
    calls: SharedArrayBuffer,
    names: string[],
  ) {
    this.control = new Int32Array(control);
    this.calls = new Float64Array(calls);
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  /**
   * Starts `threads - 1` workers on the module and memory without waiting for them: until a worker has
   * instantiated the kernels (its `ready` flag), the calling thread runs that worker's share, so the first
   * ops need not wait for thread start-up. `ready` resolves with the threads running once all have
   * answered; a worker that fails to start is reported through `onFailure` and its share stays here.
   */
  static async start(
    module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: KernelExports, threads: number,
    onFailure: (message: string) => void,
  ): Promise<ThreadPool> {
    const count = threads - 1;
    const control = new SharedArrayBuffer(Math.max(1, count) * CONTROL_SLOTS * 4);
    const calls = new SharedArrayBuffer(Math.max(1, count) * CALL_FLOATS * 8);
    const names = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    const workers: WorkerHandle[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(await spawn());
    } catch (e) {
      workers.forEach((w) => w.terminate());
      throw e;
    }
    workers.forEach((w, i) => w.post({ module, memory, control, calls, index: i, names }));
    const pool = new ThreadPool(kernels, workers, control, calls, names);
    pool.ready = Promise.all(workers.map((w) => w.firstMessage)).then((replies) => {
      const bad = replies.find((r) => r !== 'ready');
      // Workers ended by shutdown() before they were up did not fail.
      if (bad !== undefined && !pool.ended) onFailure(`a worker thread failed to start: ${bad}`);
      return 1 + replies.filter((r) => r === 'ready').length;
    });
    return pool;
  }

  /** Resolves with the threads running (counting the calling one) once every worker has started or failed. */
  ready: Promise<number> = Promise.resolve(1);

  /** Threads, counting the calling one. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `perThread[t]` on thread t (0: this one) and returns when all are done. A list longer than a
   * worker's call area is run in rounds, each a barrier.
   */
  run(perThread: readonly (readonly KernelCall[])[]): void {
    if (this.ended) throw new Error('wcnn: the thread pool has been shut down');
    if (perThread.length > this.size) throw new Error(`wcnn: internal error: ${perThread.length} call lists for ${this.size} threads`);
    const next = perThread.map(() => 0);
    for (;;) {
      const active: number[] = [];
      const seq = ++this.seq;
      let roundCalls = 0;
      let workersFinish = true;
      for (let t = 1; t < perThread.length; t++) {
        // A worker still starting (or failed) gets nothing: its list runs here after this thread's own.
        if (Atomics.load(this.control, (t - 1) * CONTROL_SLOTS + SLOT.ready) !== 1) continue;
        const from = next[t];
        next[t] = this.encode(t - 1, perThread[t], from);
        roundCalls = Math.max(roundCalls, next[t] - from);
        if (next[t] < perThread[t].length) workersFinish = false;
        if (next[t] > from) active.push(t - 1);
      }
      for (const w of active) {
        Atomics.store(this.control, w * CONTROL_SLOTS + SLOT.seq, seq);
        Atomics.notify(this.control, w * CONTROL_SLOTS + SLOT.seq, 1);
      }
      // This thread's share: all of its list in the last round, else as many calls as a worker got.
      const own = perThread[0] ?? [];
      const ownEnd = workersFinish ? own.length : Math.min(own.length, next[0] + roundCalls);
      try {
        for (; next[0] < ownEnd; next[0]++) this.call(own[next[0]]);
        if (workersFinish) {
          for (let t = 1; t < perThread.length; t++) {
            if (Atomics.load(this.control, (t - 1) * CONTROL_SLOTS + SLOT.ready) === 1) continue;
            for (; next[t] < perThread[t].length; next[t]++) this.call(perThread[t][next[t]]);
          }
        }
      } finally {
        for (const w of active) this.waitFor(w, seq);
      }
      const failed = active.filter((w) => Atomics.exchange(this.control, w * CONTROL_SLOTS + SLOT.failed, 0) !== 0);
      if (failed.length > 0) throw new Error(`wcnn: a kernel failed on worker thread ${failed[0] + 1} (this is a bug in wcnn)`);
      if (perThread.every((list, t) => next[t] >= list.length)) return;
    }
  }

  /** Ends the workers (they leave their loops and are terminated). */
  terminate(): void {
    if (this.ended) return;
    this.ended = true;
    this.workers.forEach((w, i) => {
      Atomics.store(this.control, i * CONTROL_SLOTS + SLOT.seq, QUIT);
      Atomics.notify(this.control, i * CONTROL_SLOTS + SLOT.seq, 1);
      w.terminate();
    });
  }

  private call(c: KernelCall): void {
    const fn = (this.kernels as unknown as Record<string, (...a: number[]) => unknown>)[c[0]];
    if (typeof fn !== 'function') throw new Error(`wcnn: internal error: no kernel '${c[0]}'`);
    fn(...(c.slice(1) as number[]));
  }

  /** Writes calls from `from` on into worker w's area; returns the index of the first call left over. */
  private encode(w: number, list: readonly KernelCall[] | undefined, from: number): number {
    const base = w * CALL_FLOATS;
    let at = 0;
    let i = from;
    for (; list && i < list.length; i++) {
      const c = list[i];
      if (at + c.length + 1 > CALL_FLOATS) {
        if (at === 0) throw new Error(`wcnn: internal error: a kernel call of ${c.length} values does not fit`);
        break;
      }
      const fn = this.index.get(c[0]);
      if (fn === undefined) throw new Error(`wcnn: internal error: no kernel '${c[0]}'`);
      this.calls[base + at] = fn;
      this.calls[base + at + 1] = c.length - 1;
      for (let j = 1; j < c.length; j++) this.calls[base + at + 1 + j] = c[j] as number;
      at += c.length + 1;
    }
    this.control[w * CONTROL_SLOTS + SLOT.floats] = at;
    return i;
  }

  private waitFor(w: number, seq: number): void {
    const slot = w * CONTROL_SLOTS + SLOT.done;
    for (let i = 0; i < SPIN; i++) if (Atomics.load(this.control, slot) === seq) return;
    for (;;) {
      const done = Atomics.load(this.control, slot);
      if (done === seq) return;
      if (this.canWait) Atomics.wait(this.control, slot, done, 100);
    }
  }
}
