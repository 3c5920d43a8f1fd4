// @wcnn/nn in workerd, Cloudflare Workers' runtime (the `workerd` devDependency ships its binary): the
// Worker in test/workerd/ is bundled as a user would bundle it (rolldown; the .wasm builds imported as
// modules), served on a local port, and asked to run a conv, a pool and a PyTorch-exported ONNX fixture.
// A Worker has no Web Workers: asking for threads falls back to one with a single notice.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, shutdown, tensor } from '@wcnn/tensor';
import { loadOnnx } from './index.js';
import { convCase, convCaseHere } from '../test/conv-case.js';
import { expectAllClose, FIXTURES, readFixture } from '../test/setup.js';

const PACKAGE = fileURLToPath(new URL('../', import.meta.url));
const BUILDS = fileURLToPath(new URL('../../kernels-wasm/build/', import.meta.url));

interface Answer {
  error?: string;
  flavor?: string;
  threads?: number;
  notices?: string[];
  conv?: { shape: number[]; data: number[] };
  onnx?: { name: string; shape: number[]; data: number[] };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The bundle's modules and the two builds, named as the Worker imports them, in a workerd config. */
function config(port: number, chunks: string[]): string {
  const modules = [
    ...chunks.map((f) => `(name = "${f}", esModule = embed "${f}")`),
    ...['wcnn-simd.wasm', 'wcnn-relaxed.wasm'].map((f) => `(name = "@wcnn/kernels-wasm/${f}", wasm = embed "${f}")`),
  ];
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ ${modules.join(', ')} ],
  compatibilityDate = "2025-01-01",
);
`;
}

describe('@wcnn/nn in workerd (Cloudflare Workers)', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let url: string;
  let log = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wcnn-workerd-'));
    const bundle = await rolldown({ input: join(PACKAGE, 'test/workerd/worker.js'), platform: 'neutral', external: [/^node:/, /\.wasm$/], cwd: PACKAGE });
    const { output } = await bundle.write({ dir, format: 'es', entryFileNames: 'worker.js' });
    await bundle.close();
    for (const f of ['wcnn-simd.wasm', 'wcnn-relaxed.wasm']) copyFileSync(join(BUILDS, f), join(dir, f));
    const port = await freePort();
    // The entry first: workerd's main module.
    writeFileSync(join(dir, 'config.capnp'), config(port, output.map((o) => o.fileName).sort((a, b) => Number(b === 'worker.js') - Number(a === 'worker.js'))));
    const binary = (createRequire(import.meta.url)('workerd') as { default: string }).default;
    server = spawn(binary, ['serve', 'config.capnp'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    url = `http://127.0.0.1:${port}/`;
    for (const start = Date.now(); ; ) {
      if (server.exitCode !== null) throw new Error(`workerd exited (${server.exitCode}): ${log}`);
      try {
        await fetch(url, { method: 'POST', body: '{"simd":"baseline"}' });
        break;
      } catch {
        if (Date.now() - start > 30_000) throw new Error(`workerd did not answer on ${url} in 30 s: ${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 60_000);

  afterAll(async () => {
    server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await shutdown();
  });

  const onnxBytes = readFileSync(join(FIXTURES, 'onnx/resnet_tiny.onnx'));
  const x = readFixture('onnx/resnet_tiny_x.npy');
  /** resnet_tiny's bytes for the Worker, with an input (the fixture's by default). */
  const onnxJob = (data: number[] = Array.from(x.data), shape: number[] = x.shape) => ({ bytes: onnxBytes.toString('base64'), input: 'x', x: data, shape });

  const ask = async (job: object): Promise<Answer> => (await (await fetch(url, { method: 'POST', body: JSON.stringify(job) })).json()) as Answer;

  it('runs a conv, a pool and an ONNX fixture as Node does, on one thread after one notice', async () => {
    const conv = convCase();
    const r = await ask({ simd: 'baseline', threads: 4, conv, onnx: onnxJob() });
    expect(r.error).toBeUndefined();
    expect([r.flavor, r.threads]).toEqual(['baseline', 1]);
    expect(r.notices).toEqual(['wcnn: running on one thread instead of 4: this runtime has no Web Workers']);

    // The same in Node on the same build: the same bits.
    await init({ simd: 'baseline', threads: 1 });
    expect(r.conv?.shape).toEqual([1, 6, 6, 8]);
    expect(r.conv).toEqual(convCaseHere(conv));
    const model = await loadOnnx(new Uint8Array(onnxBytes));
    const out = model.predict({ x: tensor(x.data, x.shape) });
    expect(r.onnx?.shape).toEqual(out[r.onnx!.name].shape);
    expect(r.onnx?.data).toEqual(Array.from(out[r.onnx!.name].dataSync()));
    model.dispose();
    expectAllClose(r.onnx!.data, readFixture('onnx/resnet_tiny_y0.npy').data, { rtol: 1e-3, atol: 1e-4 }, 'resnet_tiny in workerd');
  });

  it('takes the relaxed build where the engine validates it, within the fixture tolerance', async () => {
    const r = await ask({ simd: 'auto', onnx: onnxJob() });
    expect(r.error).toBeUndefined();
    // workerd's V8 has relaxed SIMD on; one core and no threads asked: no notice at all.
    expect([r.flavor, r.threads, r.notices]).toEqual(['relaxed', 1, []]);
    expectAllClose(r.onnx!.data, readFixture('onnx/resnet_tiny_y0.npy').data, { rtol: 1e-3, atol: 1e-4 }, 'resnet_tiny in workerd, relaxed');
  });

  it('says how to pass the builds when none is given (a Worker has no module URL to find them by)', async () => {
    for (const simd of ['baseline', 'auto']) {
      const r = await ask({ kind: 'no-wasm', simd });
      expect(r.error).toMatch(/^wcnn: this runtime gives modules no URL \(import\.meta\.url\) to find wcnn-(simd|relaxed)\.wasm by; import the builds as modules and pass them: init\(\{ wasm: \{ baseline, relaxed \} \}\)/);
    }
  });

  it('answers a wrong input shape with the same clear error as in Node', async () => {
    const r = await ask({ simd: 'baseline', onnx: onnxJob(new Array(3 * 16 * 16).fill(0.5), [1, 3, 16, 16]) });
    expect(r.error).toBe("predict: input 'x' has shape [1,3,16,16] but the model expects [1,3,64,64]");
  });
});
