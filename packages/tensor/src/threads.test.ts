import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultWasmUrl } from '@wcnn/kernels-wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, init, shutdown } from './backend.js';
import { tensor } from './tensor.js';
import { CALL_FLOATS, threadsUnavailable, type KernelCall } from './threads.js';

afterEach(() => shutdown());

/** f32_add over [start, end) of a and b into y, as one call. */
const addCall = (a: number, b: number, y: number, start: number, end: number): KernelCall =>
  ['f32_add', a + start * 4, b + start * 4, y + start * 4, end - start];

describe('threads', () => {
  it('start as many as asked, each running its own list of calls on the shared memory', async () => {
    const r = await init({ simd: 'baseline', threads: 3 });
    expect(r.threads).toBe(3);
    const b = backend();
    expect(await b.ready).toBe(3);
    expect(b.threads).toBe(3);
    expect(b.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const n = 3001;
    const x = tensor(Float32Array.from({ length: n }, (_, i) => i), [n]);
    const z = tensor(Float32Array.from({ length: n }, (_, i) => 0.5 * i), [n]);
    const y = tensor(new Float32Array(n).fill(-1), [n]);
    b.parallel([
      [addCall(x.ptr(), z.ptr(), y.ptr(), 0, 1000)],
      [addCall(x.ptr(), z.ptr(), y.ptr(), 1000, 2000)],
      [addCall(x.ptr(), z.ptr(), y.ptr(), 2000, 2500), addCall(x.ptr(), z.ptr(), y.ptr(), 2500, 3001)],
    ]);
    expect(Array.from(y.dataSync())).toEqual(Array.from({ length: n }, (_, i) => 1.5 * i));
    // Fewer lists than threads, and empty lists, leave threads idle.
    y.dataSync();
    b.parallel([[], [addCall(y.ptr(), y.ptr(), y.ptr(), 0, n)]]);
    expect(Array.from(y.dataSync())).toEqual(Array.from({ length: n }, (_, i) => 3 * i));
  });

  it('run lists longer than a round in several rounds, in order', async () => {
    await init({ simd: 'baseline', threads: 2 });
    const b = backend();
    await b.ready;
    const n = 64;
    const one = tensor(new Float32Array(n).fill(1), [n]);
    const acc = tensor(new Float32Array(n), [n]);
    // Each call adds 1 to the first half (thread 0) or the second (thread 1): 6 floats a call, so
    // more calls than fit the call area force rounds.
    const calls = Math.ceil(CALL_FLOATS / 6) * 2 + 7;
    const list = (start: number): KernelCall[] => Array.from({ length: calls }, () => addCall(acc.ptr(), one.ptr(), acc.ptr(), start, start + n / 2));
    b.parallel([list(0), list(n / 2)]);
    expect(Array.from(acc.dataSync())).toEqual(new Array(n).fill(calls));
  });

  it('report a kernel that traps on a worker, and keep working', async () => {
    await init({ simd: 'baseline', threads: 2 });
    const b = backend();
    await b.ready;
    const beyond = b.memory.buffer.byteLength + 65536;
    expect(() => b.parallel([[], [['f32_add', beyond, beyond, beyond, 64]]])).toThrow('wcnn: a kernel failed on worker thread 1');
    const y = tensor(new Float32Array(8), [8]);
    const ones = tensor(new Float32Array(8).fill(1), [8]);
    b.parallel([[addCall(ones.ptr(), ones.ptr(), y.ptr(), 0, 4)], [addCall(ones.ptr(), ones.ptr(), y.ptr(), 4, 8)]]);
    expect(Array.from(y.dataSync())).toEqual(new Array(8).fill(2));
    expect(() => b.parallel([[], [], []])).toThrow('3 call lists for 2 threads');
    expect(() => b.parallel([[['f32_nope', 1]]])).toThrow("no kernel 'f32_nope'");
  });

  it('see memory the main thread grew after they started', async () => {
    await init({ simd: 'baseline', threads: 2 });
    const b = backend();
    await b.ready;
    const before = b.memory.buffer.byteLength;
    const n = 1 << 22; // 16 MiB each: the memory grows past what the workers saw at start
    const x = tensor(new Float32Array(n).fill(2), [n]);
    const y = tensor(new Float32Array(n), [n]);
    expect(b.memory.buffer.byteLength).toBeGreaterThan(before);
    b.parallel([[], [addCall(x.ptr(), x.ptr(), y.ptr(), 0, n)]]);
    const out = y.dataSync();
    expect(out[0]).toBe(4);
    expect(out[n - 1]).toBe(4);
  });

  it('run the share of a worker still starting on the calling thread', async () => {
    await init({ simd: 'baseline', threads: 2 });
    const b = backend();
    // Straight after init() the worker is usually still instantiating: the results are the same either way.
    const n = 1000;
    const x = tensor(Float32Array.from({ length: n }, (_, i) => i), [n]);
    const y = tensor(new Float32Array(n), [n]);
    b.parallel([[addCall(x.ptr(), x.ptr(), y.ptr(), 0, 500)], [addCall(x.ptr(), x.ptr(), y.ptr(), 500, n)]]);
    expect(Array.from(y.dataSync())).toEqual(Array.from({ length: n }, (_, i) => 2 * i));
    expect(await b.ready).toBe(2);
  });

  it('default to the number of cores, and one thread runs everything here', async () => {
    const { availableParallelism } = await import('node:os');
    expect((await init({ simd: 'baseline' })).threads).toBe(availableParallelism());
    shutdown();
    await init({ simd: 'baseline', threads: 1 });
    const b = backend();
    expect(b.threads).toBe(1);
    expect(b.memory.buffer).toBeInstanceOf(ArrayBuffer);
    const y = tensor(new Float32Array(4), [4]);
    b.parallel([[addCall(y.ptr(), y.ptr(), y.ptr(), 0, 4)]]);
    expect(() => b.parallel([[], []])).toThrow('2 call lists for one thread');
  });

  it('reject a bad thread count', async () => {
    for (const threads of [0, -1, 1.5, 257, Number.NaN]) {
      await expect(init({ threads })).rejects.toThrow(`init: threads must be an integer from 1 to 256, got ${threads}`);
    }
  });

  it('fall back to one thread with one notice where SharedArrayBuffer is not allowed', async () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false; // a page without COOP/COEP
    try {
      expect(threadsUnavailable()).toMatch('not cross-origin isolated');
      const notices: string[] = [];
      const r = await init({ simd: 'baseline', threads: 4, onNotice: (m) => notices.push(m) });
      expect(r.threads).toBe(1);
      expect(backend().memory.buffer).toBeInstanceOf(ArrayBuffer);
      shutdown();
      await init({ simd: 'baseline', threads: 4, onNotice: (m) => notices.push(m) });
      expect(notices).toEqual([
        'wcnn: running on one thread instead of 4: the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)',
      ]);
    } finally {
      delete g.crossOriginIsolated;
    }
  });

  it('run one thread on a plain build given alone, and threads on a shared build given alone', async () => {
    const notices: string[] = [];
    const plain = await init({ simd: 'baseline', threads: 2, wasm: defaultWasmUrl('baseline'), onNotice: (m) => notices.push(m) });
    expect(plain.threads).toBe(1);
    shutdown();
    const shared = await init({ simd: 'baseline', threads: 2, wasm: defaultWasmUrl('baseline', true) });
    expect(shared.threads).toBe(2);
    shutdown();
    const sources = { baseline: defaultWasmUrl('baseline'), baselineShared: defaultWasmUrl('baseline', true) };
    expect((await init({ simd: 'baseline', threads: 2, wasm: sources })).threads).toBe(2);
  });

  it('never keep a Node process alive once its work is done (no shutdown() called)', () => {
    const backendUrl = new URL('./backend.js', import.meta.url).href.replace('/src/', '/dist/');
    const script = `
      const { init, backend } = await import(${JSON.stringify(backendUrl)});
      const r = await init({ simd: 'baseline', threads: 2 });
      backend().parallel([[], [['f32_add', 1024, 1024, 1024, 4]]]);
      console.log('threads', r.threads);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.signal).toBeNull(); // not killed by the timeout
    expect(child.stdout.trim()).toBe('threads 2');
    expect(child.status).toBe(0);
    expect(fileURLToPath(backendUrl)).toMatch(/dist[\\/]backend\.js$/);
  });
});
