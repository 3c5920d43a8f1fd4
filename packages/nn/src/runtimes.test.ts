// @wcnn/nn in Deno and Bun (binaries from the `deno` and `bun` devDependencies): test/runtimes/job.mjs,
// importing the packages from node_modules as an app does, runs a conv, a pool and a PyTorch-exported
// ONNX fixture (loaded from its path) on two threads, then exits on its own. Bun runs JavaScriptCore,
// not V8: the baseline build must still give Node's bits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, shutdown, tensor } from '@wcnn/tensor';
import { loadOnnx } from './index.js';
import { convCase, convCaseHere } from '../test/conv-case.js';
import { expectAllClose, FIXTURES, readFixture } from '../test/setup.js';

const MODULES = fileURLToPath(new URL('../../../node_modules/', import.meta.url));
const JOB = fileURLToPath(new URL('../test/runtimes/job.mjs', import.meta.url));
/** The devDependencies' binaries are installed for linux-x64 (the CI machine) only by the lockfile's rules. */
const REQUIRED = process.platform === 'linux' && process.arch === 'x64';

/**
 * A runtime's binary: the platform package's, or the one its wrapper package's install script put in
 * place of its placeholder (which of the two npm leaves depends on whether it ran install scripts).
 */
function binary(candidates: string[]): string | undefined {
  return candidates.map((c) => join(MODULES, c)).find((p) => existsSync(p) && statSync(p).size > 1 << 20);
}

const RUNTIMES = [
  { name: 'Deno', bin: binary(['@deno/linux-x64-glibc/deno', 'deno/deno']), args: ['run', '-A'] },
  { name: 'Bun', bin: binary(['@oven/bun-linux-x64/bin/bun', 'bun/bin/bun.exe']), args: [] },
];

interface Answer {
  flavor: string;
  threads: number;
  running: number;
  notices: string[];
  conv: { shape: number[]; data: number[] };
  onnx: { name: string; shape: number[]; data: number[] };
}

describe.each(RUNTIMES)('@wcnn/nn in $name', ({ name, bin, args }) => {
  const skip = bin === undefined && !REQUIRED;
  if (skip) console.warn(`wcnn: SKIPPING the ${name} test: no ${name} binary in node_modules for ${process.platform}-${process.arch}`);
  let dir: string;
  const conv = convCase();
  const x = readFixture('onnx/resnet_tiny_x.npy');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wcnn-runtime-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await shutdown();
  });

  const run = (simd: string): Answer => {
    if (bin === undefined) throw new Error(`no ${name} binary in ${MODULES}: run npm ci (the '${name.toLowerCase()}' devDependency)`);
    const job = join(dir, `${simd}.json`);
    const onnx = { path: join(FIXTURES, 'onnx/resnet_tiny.onnx'), input: 'x', x: Array.from(x.data), shape: x.shape };
    writeFileSync(job, JSON.stringify({ simd, threads: 2, conv, onnx }));
    // A process its idle worker kept alive would hit the timeout.
    const r = spawnSync(bin, [...args, JOB, job], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' } });
    expect(r.error, `${name}: ${r.stderr}`).toBeUndefined();
    expect(r.status, `${name} exited with ${r.status}: ${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as Answer;
  };

  it.skipIf(skip)('runs a conv, a pool and an ONNX fixture on two threads (baseline build) as Node does, and exits', async () => {
    const r = run('baseline');
    expect([r.flavor, r.threads, r.running, r.notices]).toEqual(['baseline', 2, 2, []]);
    await init({ simd: 'baseline', threads: 2 });
    expect(r.conv).toEqual(convCaseHere(conv));
    const model = await loadOnnx(join(FIXTURES, 'onnx/resnet_tiny.onnx'));
    const out = model.predict({ x: tensor(x.data, x.shape) });
    expect(r.onnx.shape).toEqual(out[r.onnx.name].shape);
    expect(r.onnx.data).toEqual(Array.from(out[r.onnx.name].dataSync()));
    model.dispose();
    expectAllClose(r.onnx.data, readFixture('onnx/resnet_tiny_y0.npy').data, { rtol: 1e-3, atol: 1e-4 }, `resnet_tiny in ${name}`);
  });

  it.skipIf(skip)('takes the relaxed build, within the fixture tolerance', () => {
    // Relaxed SIMD may round differently from engine to engine (fused or not): a tolerance, not bits.
    const r = run('auto');
    expect([r.flavor, r.threads, r.running]).toEqual(['relaxed', 2, 2]);
    expectAllClose(r.onnx.data, readFixture('onnx/resnet_tiny_y0.npy').data, { rtol: 1e-3, atol: 1e-4 }, `resnet_tiny in ${name}, relaxed`);
  });
});
