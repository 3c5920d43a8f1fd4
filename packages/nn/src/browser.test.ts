// @wcnn/nn unbundled in real headless Chromium (dist/ behind an import map, as a page loads it): a conv
// and a pool on two threads of a cross-origin isolated page, and a PyTorch-exported ONNX fixture loaded
// from its bytes, against the same calls in Node and the fixture's reference output. Needs Debian's
// Chromium at /usr/bin/chromium; skipped without it unless WCNN_BROWSER_TESTS=1 (set by .ci/run).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
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

  it('runs a conv, a pool and an ONNX fixture on two threads (baseline build), as Node does', async () => {
    const data = {
      ...convCase(),
      onnx: Array.from(readFileSync(join(FIXTURES, 'onnx/resnet_tiny.onnx'))),
      onnxInput: 'x',
      onnxX: Array.from(readFixture('onnx/resnet_tiny_x.npy').data),
      onnxXShape: readFixture('onnx/resnet_tiny_x.npy').shape,
    };
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(server.url('nn/test/browser/index.html', true));
    await page.waitForFunction('window.wcnnNnPage !== undefined', undefined, { timeout: 10_000 });
    const r = (await page.evaluate(`window.wcnnNnPage.run(${JSON.stringify({ threads: 2, simd: 'baseline' })}, ${JSON.stringify(data)})`)) as PageRun;
    await page.close();
    expect(problems).toEqual([]);
    expect([r.flavor, r.threads, r.running]).toEqual(['baseline', 2, 2]);

    // The same in Node, on the same build and thread count: the same bits.
    await init({ simd: 'baseline', threads: 2 });
    expect(r.conv.shape).toEqual([1, 6, 6, 8]);
    expect(r.conv).toEqual(convCaseHere(data));
    const model = await loadOnnx(new Uint8Array(data.onnx));
    const out = model.predict({ x: tensor(data.onnxX, data.onnxXShape) });
    expect(r.onnx.shape).toEqual(out[r.onnx.name].shape);
    expect(r.onnx.data).toEqual(Array.from(out[r.onnx.name].dataSync()));
    // And PyTorch's float64 reference, within the fixture's tolerance.
    expectAllClose(r.onnx.data, readFixture('onnx/resnet_tiny_y0.npy').data, { rtol: 1e-3, atol: 1e-4 }, 'resnet_tiny in Chromium');
    model.dispose();
  }, 60_000);
});
