// @wcnn/nn in real headless Chromium, unbundled (dist/ behind an import map, as a page loads it) and
// bundled by Vite: a conv and a pool on two threads of a cross-origin isolated page, and a PyTorch-exported
// ONNX fixture loaded from its bytes, against the same calls in Node and the fixture's reference output. Needs Debian's
// Chromium at /usr/bin/chromium; skipped without it unless WCNN_BROWSER_TESTS=1 (set by .ci/run).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, shutdown, tensor } from '@wcnn/tensor';
import { startServer, type TestServer } from '../../tensor/test/browser/server.js';
import { loadOnnx } from './index.js';
import { convCase, convCaseHere } from '../test/conv-case.js';
import { expectAllClose, FIXTURES, readFixture } from '../test/setup.js';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.WCNN_BROWSER_TESTS === '1';
const PRESENT = existsSync(CHROMIUM);
const SKIP = !PRESENT && !REQUIRED;
if (SKIP) console.warn(`wcnn: SKIPPING nn's browser test: no Chromium at ${CHROMIUM} (WCNN_BROWSER_TESTS=1 makes it required)`);

const PAGE_DIR = fileURLToPath(new URL('../test/browser/', import.meta.url));
const SERVED = ['kernels-wasm/dist/', 'kernels-wasm/build/', 'tensor/dist/', 'nn/dist/', 'nn/test/browser/'];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'];

interface PageRun {
  flavor: string;
  threads: number;
  running: number;
  conv: { shape: number[]; data: number[] };
  onnx: { name: string; shape: number[]; data: number[] };
}

describe.skipIf(SKIP)('@wcnn/nn in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!PRESENT) throw new Error(`WCNN_BROWSER_TESTS=1 but there is no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium)`);
    server = await startServer(SERVED);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await shutdown();
  });

  const data = {
    ...convCase(),
    onnx: Array.from(readFileSync(join(FIXTURES, 'onnx/resnet_tiny.onnx'))),
    onnxInput: 'x',
    onnxX: Array.from(readFixture('onnx/resnet_tiny_x.npy').data),
    onnxXShape: readFixture('onnx/resnet_tiny_x.npy').shape,
  };

  /** page.js's run at `url` (threads 2, baseline build); a page error or console error fails the test. */
  async function runPage(url: string): Promise<PageRun> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(url);
    await page.waitForFunction('window.wcnnNnPage !== undefined', undefined, { timeout: 10_000 });
    const r = (await page.evaluate(`window.wcnnNnPage.run(${JSON.stringify({ threads: 2, simd: 'baseline' })}, ${JSON.stringify(data)})`)) as PageRun;
    await page.close();
    expect(problems).toEqual([]);
    return r;
  }

  /** The same in Node, on the same build and two threads: the same bits; and PyTorch's float64 reference. */
  async function expectAsNode(r: PageRun, label: string): Promise<void> {
    await init({ simd: 'baseline', threads: 2 });
    expect(r.conv.shape).toEqual([1, 6, 6, 8]);
    expect(r.conv).toEqual(convCaseHere(data));
    const model = await loadOnnx(new Uint8Array(data.onnx));
    const out = model.predict({ x: tensor(data.onnxX, data.onnxXShape) });
    expect(r.onnx.shape).toEqual(out[r.onnx.name].shape);
    expect(r.onnx.data).toEqual(Array.from(out[r.onnx.name].dataSync()));
    expectAllClose(r.onnx.data, readFixture('onnx/resnet_tiny_y0.npy').data, { rtol: 1e-3, atol: 1e-4 }, label);
    model.dispose();
  }

  it('runs a conv, a pool and an ONNX fixture on two threads (baseline build), as Node does', async () => {
    const r = await runPage(server.url('nn/test/browser/index.html', true));
    expect([r.flavor, r.threads, r.running]).toEqual(['baseline', 2, 2]);
    await expectAsNode(r, 'resnet_tiny in Chromium');
  }, 60_000);

  // Bundled by Vite as an app would be: the builds and the worker are the bundler's output, found through the
  // `new URL(..., import.meta.url)` spellings in @wcnn/kernels-wasm and @wcnn/tensor. A relative base, since
  // the server puts pages under /isolated/ or /plain/.
  it('runs the same when the page is bundled by Vite: the builds and one worker bundle emitted, two threads', async () => {
    const out = mkdtempSync(join(tmpdir(), 'wcnn-vite-'));
    try {
      await build({
        root: PAGE_DIR, base: './', logLevel: 'silent', configFile: false,
        build: { outDir: out, emptyOutDir: true, rolldownOptions: { input: join(PAGE_DIR, 'bundled.html') } },
      });
      const assets = readdirSync(join(out, 'assets'));
      // Vite's names: the file's, a dash and 8 characters of hash.
      const emitted = (name: string, ext: string) => assets.filter((f) => new RegExp(`^${name}-[\\w-]{8}\\.${ext}$`).test(f));
      for (const name of ['wcnn-simd', 'wcnn-relaxed', 'wcnn-simd-shared', 'wcnn-relaxed-shared']) expect(emitted(name, 'wasm'), name).toHaveLength(1);
      expect(assets.filter((f) => f.endsWith('.wasm'))).toHaveLength(4);
      expect(emitted('worker', 'js')).toHaveLength(1);
      const bundled = await startServer([''], out);
      try {
        const r = await runPage(bundled.url('bundled.html', true));
        expect([r.flavor, r.threads, r.running]).toEqual(['baseline', 2, 2]);
        await expectAsNode(r, 'resnet_tiny in Chromium, bundled');
        // Not cross-origin isolated: one thread, the same bits.
        const plain = await runPage(bundled.url('bundled.html', false));
        expect([plain.threads, plain.running]).toEqual([1, 1]);
        expect(plain.conv).toEqual(r.conv);
      } finally {
        await bundled.close();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
