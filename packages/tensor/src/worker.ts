// A kernel thread: instantiates the kernel module on the shared memory it is given, then runs the
// calls the main thread writes into its slice of the call area, forever (see threads.ts).
import { CALL_FLOATS, CONTROL_SLOTS, QUIT, SLOT, SPIN, type StartMessage } from './threads.js';

type Port = { post(m: string): void; once(f: (m: StartMessage) => void): void };

async function port(): Promise<Port> {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof p?.versions?.node === 'string') {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) throw new Error('wcnn: worker.js must run as a worker thread');
    return { post: (m) => parentPort.postMessage(m), once: (f) => parentPort.once('message', f) };
  }
  const self = globalThis as unknown as { postMessage(m: string): void; onmessage: ((e: MessageEvent) => void) | null };
  return {
    post: (m) => self.postMessage(m),
    once: (f) => {
      self.onmessage = (e) => {
        self.onmessage = null;
        f(e.data as StartMessage);
      };
    },
  };
}

function serve(start: StartMessage, fns: Array<(...a: number[]) => unknown>): void {
  const control = new Int32Array(start.control);
  const calls = new Float64Array(start.calls);
  const base = start.index * CONTROL_SLOTS;
  const area = start.index * CALL_FLOATS;
  let seen = 0;
  for (;;) {
    let seq = Atomics.load(control, base + SLOT.seq);
    for (let i = 0; seq === seen && i < SPIN; i++) seq = Atomics.load(control, base + SLOT.seq);
    while (seq === seen) {
      Atomics.wait(control, base + SLOT.seq, seen);
      seq = Atomics.load(control, base + SLOT.seq);
    }
    if (seq === QUIT) return;
    seen = seq;
    try {
      const end = area + control[base + SLOT.floats];
      for (let at = area; at < end; ) {
        const fn = fns[calls[at]];
        const n = calls[at + 1];
        const args = new Array<number>(n);
        for (let j = 0; j < n; j++) args[j] = calls[at + 2 + j];
        fn(...args);
        at += n + 2;
      }
    } catch {
      Atomics.store(control, base + SLOT.failed, 1);
    }
    Atomics.store(control, base + SLOT.done, seq);
    Atomics.notify(control, base + SLOT.done);
  }
}

// No top-level await: bundlers build workers as classic scripts by default (Vite: iife).
void port().then((p) => p.once((start) => {
  void (async () => {
    let fns: Array<(...a: number[]) => unknown>;
    try {
      const abort = (): never => {
        throw new Error('wcnn: a kernel aborted (this is a bug in wcnn)');
      };
      const instance = await WebAssembly.instantiate(start.module, { env: { memory: start.memory, abort } });
      const exports = instance.exports as Record<string, unknown>;
      fns = start.names.map((n) => exports[n] as (...a: number[]) => unknown);
    } catch (e) {
      p.post(`cannot instantiate the kernels: ${(e as Error).message}`);
      return;
    }
    Atomics.store(new Int32Array(start.control), start.index * CONTROL_SLOTS + SLOT.ready, 1);
    p.post('ready');
    serve(start, fns);
  })();
}));
