import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultWasmUrl } from '@wcnn/kernels-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, init, shutdown } from './backend.js';
import { dispose, fill, keep, memory, Tensor, tensor, tidy, zeros } from './tensor.js';

describe('tensors', () => {
  beforeAll(async () => {
    await init({ simd: 'baseline' });
  });
  afterAll(() => shutdown());

  it('stores data in wasm memory and copies it out', () => {
    const t = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
    expect(t.shape).toEqual([1, 2, 3]);
    expect(t.size).toBe(6);
    expect(t.rank).toBe(3);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.arraySync()).toEqual([[[1, 2, 3], [4, 5, 6]]]);
    expect(t.ptr() % 64).toBe(0);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(() => t.dataSync()).toThrow('dataSync: tensor has been disposed');
    t.dispose(); // a second dispose is harmless
  });

  it('rejects bad shapes and data with the expected and received values', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow('tensor: shape [2,2] needs 4 values, but data has 3');
    expect(() => tensor([1, 2], [2, 0])).toThrow('tensor: shape must hold positive integers, got [2,0]');
    expect(() => tensor([1, 2], [1.5, 2])).toThrow('positive integers');
    expect(() => tensor(undefined as unknown as Float32Array, [1])).toThrow('tensor: data must be');
    expect(() => zeros([2 ** 16, 2 ** 16])).toThrow('needs more than 4 GiB');
  });

  it('reshapes without copying and frees shared data once', () => {
    const before = memory();
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = a.reshape([3, 2]);
    expect(b.ptr()).toBe(a.ptr());
    expect(memory().numTensors).toBe(before.numTensors + 2);
    expect(memory().numBytes).toBe(before.numBytes + 24);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    b.dispose();
    expect(memory()).toMatchObject({ numTensors: before.numTensors, numBytes: before.numBytes });
    expect(() => tensor([1, 2], [2]).reshape([3])).toThrow('reshape: cannot reshape [2] (2 values) to [3] (3 values)');
  });

  it('tidy disposes what it created, except what it returns or keeps', () => {
    const before = memory();
    let inner: Tensor | undefined;
    let kept: Tensor | undefined;
    const out = tidy(() => {
      inner = fill([4], 1);
      kept = keep(fill([2], 3));
      const nested = tidy(() => [fill([1], 2), fill([1], 5)]);
      nested[1].dispose();
      return { a: zeros([3]), b: nested[0] };
    });
    expect(inner!.isDisposed).toBe(true);
    expect(kept!.isDisposed).toBe(false);
    expect(out.a.isDisposed).toBe(false);
    expect(Array.from(out.b.dataSync())).toEqual([2]);
    dispose([out.a, out.b, kept!]);
    expect(memory()).toMatchObject({ numTensors: before.numTensors, numBytes: before.numBytes, allocatedBytes: before.allocatedBytes });
  });

  it('tidy cleans up when the function throws, and refuses promises', () => {
    const before = memory();
    expect(() =>
      tidy(() => {
        fill([8], 0);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(() => tidy(() => Promise.resolve(fill([1], 0)) as unknown as Tensor)).toThrow('tidy: the function returned a Promise');
    expect(memory()).toMatchObject({ numTensors: before.numTensors, numBytes: before.numBytes });
  });

  it('reuses freed memory and grows for large tensors', () => {
    const before = memory();
    for (let i = 0; i < 200; i++) tidy(() => void fill([1000 + i], i));
    expect(memory().wasmBytes).toBe(before.wasmBytes);
    const big = fill([16, 1024, 1024], 1); // 64 MiB: the memory must grow
    expect(memory().wasmBytes).toBeGreaterThanOrEqual(64 * 2 ** 20);
    expect(big.dataSync()[16 * 2 ** 20 - 1]).toBe(1);
    big.dispose();
    expect(memory()).toMatchObject({ numTensors: before.numTensors, allocatedBytes: before.allocatedBytes });
  });
});

describe('init', () => {
  afterAll(() => shutdown());

  it('loads the relaxed build in auto mode when the engine has relaxed SIMD', async () => {
    shutdown();
    const r = await init();
    expect(r.flavor).toBe('relaxed');
    expect(r.features.simd).toBe(true);
    expect(await init({ simd: 'baseline' })).toBe(r); // later calls return the first result
  });

  it('accepts a precompiled module, bytes, a path and a URL', async () => {
    const url = defaultWasmUrl('baseline');
    const bytes = readFileSync(fileURLToPath(url));
    const sources = [await WebAssembly.compile(bytes), bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), fileURLToPath(url), url];
    for (const wasm of sources) {
      shutdown();
      const r = await init({ simd: 'baseline', wasm });
      expect(r.flavor).toBe('baseline');
      const t = tensor([1, 2], [2]);
      expect(Array.from(t.dataSync())).toEqual([1, 2]);
    }
    shutdown();
    expect((await init({ wasm: { baseline: url } })).flavor).toBe('baseline');
  });

  it('rejects bad options and modules with clear errors', async () => {
    shutdown();
    await expect(init({ simd: 'fast' as 'auto' })).rejects.toThrow("init: simd must be one of 'auto', 'baseline', 'relaxed', got \"fast\"");
    await expect(init({ wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) })).rejects.toThrow('not a wcnn kernel build');
    await expect(init({ wasm: new Uint8Array([1, 2, 3]) })).rejects.toThrow('not a valid WebAssembly module');
    await expect(init({ wasm: '/nonexistent/wcnn.wasm' })).rejects.toThrow('cannot read the kernel build /nonexistent/wcnn.wasm');
    await expect(init({ wasm: { relaxed: defaultWasmUrl('baseline') }, simd: 'relaxed' })).rejects.toThrow('holds the baseline build');
    await expect(init({ simd: 'baseline', wasm: defaultWasmUrl('relaxed') })).rejects.toThrow('the module given is the relaxed build');
    await expect(init({ maxMemoryBytes: 10 })).rejects.toThrow('init: maxMemoryBytes must be between 1 MiB and 4 GiB, got 10');
    expect(() => tensor([1], [1])).toThrow('wcnn: not initialized: await init()');
  });

  it('turns a memory limit into a clear error, not a crash', async () => {
    shutdown();
    await init({ simd: 'baseline', maxMemoryBytes: 8 * 2 ** 20 });
    const a = zeros([1024, 1024]);
    expect(() => zeros([2, 1024, 1024])).toThrow(/wcnn: out of memory: cannot allocate 8\.0 MB \(in use 4\.0 MB, wasm memory [\d.]+ MB, limit 8\.0 MB\)/);
    a.dispose();
  });

  it('invalidates tensors of a backend that was shut down', async () => {
    shutdown();
    await init({ simd: 'baseline' });
    const t = tensor([1], [1]);
    const g = backend().generation;
    shutdown();
    expect(t.isDisposed).toBe(true);
    await init({ simd: 'baseline' });
    expect(backend().generation).toBe(g + 1);
    expect(memory().numTensors).toBe(0);
  });
});

// Node 22 and later have relaxed SIMD without a flag, so only older Node can show the fallback.
describe.runIf(Number(process.versions.node.split('.')[0]) < 22)('init without relaxed SIMD (Node 20 without the flag)', () => {
  const entry = new URL('../dist/index.js', import.meta.url).href;
  const runNode = (code: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });

  it('falls back to the baseline build with exactly one notice', () => {
    const r = runNode(`
      import { init, shutdown, detectFeatures } from '${entry}';
      console.log(JSON.stringify(detectFeatures()));
      const a = await init();
      shutdown();
      const b = await init();
      console.log(a.flavor, b.flavor);
    `);
    expect(r.status).toBe(0);
    const [features, flavors] = r.stdout.trim().split('\n');
    expect(JSON.parse(features)).toEqual({ wasm: true, simd: true, relaxedSimd: false });
    expect(flavors).toBe('baseline baseline');
    const notices = r.stderr.trim().split('\n');
    expect(notices).toEqual([
      'wcnn: relaxed SIMD is not available in this engine (Node 20 needs --experimental-wasm-relaxed-simd); using the baseline SIMD build',
    ]);
  });

  it("fails clearly when 'relaxed' is demanded", () => {
    const r = runNode(`
      import { init } from '${entry}';
      try { await init({ simd: 'relaxed' }); } catch (e) { console.log(e.message); }
    `);
    expect(r.stdout.trim()).toBe(
      "init: simd 'relaxed' was requested but this engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use simd 'auto' or 'baseline'",
    );
  });
});
