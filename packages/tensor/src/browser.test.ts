// The built library (dist/ and the .wasm builds, unbundled ES modules behind an import map) in real
// headless Chromium: threads on module Web Workers in a cross-origin isolated page, the one-thread
// fallback without COOP/COEP, and shutdown(). Needs Debian's Chromium at /usr/bin/chromium (never a
// downloaded browser): without it these tests are skipped with a printed reason, unless
// WCNN_BROWSER_TESTS=1 (set by .ci/run), which makes them required.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Served, type TestServer } from '../test/browser/server.js';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.WCNN_BROWSER_TESTS === '1';
const PRESENT = existsSync(CHROMIUM);
const SKIP = !PRESENT && !REQUIRED;
if (SKIP) {
  console.warn(
    `wcnn: SKIPPING the browser tests: no Chromium at ${CHROMIUM} ` +
      '(apt-get install chromium to run them; WCNN_BROWSER_TESTS=1 makes them required)',
  );
}

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

interface Run {
  result: { flavor: string; threads: number; features: { wasm: boolean; simd: boolean; relaxedSimd: boolean } };
  notices: string[];
  threads: number;
  /** threads running once backend().ready resolved */
  running: number;
  flavor: string;
  sharedMemory: boolean;
  plainMemory: boolean;
  add: { n: number; ranges: [number, number][]; y: number[] };
  conv: { shape: number[]; x: number[]; w: number[]; bias: number[]; ranges: [number, number][]; y: number[] };
}

interface Environment {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: string;
  cores: number;
}

/** The reference: NHWC conv, stride 1, pad 1 (same size), bias, ReLU; weights HWIO. */
function convReference({ shape: [h, w, cin, cout, kh, kw], x, w: wt, bias }: Run['conv']): number[] {
  const y: number[] = [];
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      for (let co = 0; co < cout; co++) {
        let s = bias[co];
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const iy = oy + ky - 1;
            const ix = ox + kx - 1;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            for (let ci = 0; ci < cin; ci++) s += x[(iy * w + ix) * cin + ci] * wt[((ky * kw + kx) * cin + ci) * cout + co];
          }
        }
        y.push(Math.max(0, s));
      }
    }
  }
  return y;
}

/** The numbers every run must produce, whatever the thread count. */
function expectRightNumbers(run: Run, threads: number): void {
  const { add, conv } = run;
  expect(add.ranges).toHaveLength(threads);
  expect(add.y).toEqual(Array.from({ length: add.n }, (_, i) => 1.5 * i));
  expect(conv.ranges).toHaveLength(threads);
  const want = convReference(conv);
  expect(want.some((v) => v > 0) && want.some((v) => v === 0)).toBe(true); // ReLU cuts something
  expect(conv.y).toEqual(want);
}

describe.skipIf(SKIP)('in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];
  let logFrom = 0;
  const started = performance.now();

  beforeAll(async () => {
    if (!PRESENT) {
      throw new Error(`WCNN_BROWSER_TESTS=1 but there is no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium)`);
    }
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
    // One page for all the tests, each on a new document (a new page costs seconds, a navigation not).
    context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  }, 40_000);

  afterAll(async () => {
    if (browser) console.log(`browser tests: Chromium ${browser.version()}, ${Math.round(performance.now() - started)} ms in all`);
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  /** A new document, served with or without COOP/COEP, with the library loaded. */
  async function open(isolated: boolean): Promise<Environment> {
    problems = [];
    logFrom = server.log.length;
    await page.goto(server.url('tensor/test/browser/index.html', isolated));
    await page.waitForFunction('window.wcnnPage !== undefined', undefined, { timeout: 10_000 });
    return page.evaluate('window.wcnnPage.environment()');
  }

  /** Requests since the page was opened. */
  const served = (): Served[] => server.log.slice(logFrom);

  const run = (options: object): Promise<Run> => page.evaluate(`window.wcnnPage.run(${JSON.stringify(options)})`);

  afterEach(async () => {
    // Unload the document (ending its workers) before looking at what it logged.
    await page.goto('about:blank');
    // Nothing on the page may have logged an error or a warning, nor thrown.
    expect(problems).toEqual([]);
    expect(served().filter((s) => s.status !== 200 && s.status !== 204)).toEqual([]);
  });

  it.each(['baseline', 'relaxed'] as const)('a cross-origin isolated page runs %s kernels on 2 threads', async (simd) => {
    const env = await open(true);
    expect(env).toMatchObject({ crossOriginIsolated: true, sharedArrayBuffer: 'function' });
    const r = await run({ threads: 2, simd });
    expect(r.result).toEqual({ flavor: simd, threads: 2, features: { wasm: true, simd: true, relaxedSimd: true } });
    expect(r.threads).toBe(2);
    expect(r.running).toBe(2);
    expect(r.flavor).toBe(simd);
    expect(r.sharedMemory).toBe(true);
    expect(r.notices).toEqual([]);
    expectRightNumbers(r, 2);
    expect(page.workers()).toHaveLength(1);
    const file = simd === 'relaxed' ? 'wcnn-relaxed-shared.wasm' : 'wcnn-simd-shared.wasm';
    const paths = served().map((s) => s.path);
    expect(paths).toContain(`/isolated/kernels-wasm/build/${file}`);
    expect(paths).toContain('/isolated/tensor/dist/worker.js');
    expect(paths.filter((p) => p.endsWith('.wasm'))).toEqual([`/isolated/kernels-wasm/build/${file}`]);
  });

  it('init() with no options takes relaxed SIMD and one thread per core', async () => {
    const env = await open(true);
    const r = await run({});
    expect(r.result.flavor).toBe('relaxed');
    expect(r.result.threads).toBe(env.cores);
    expect(r.notices).toEqual([]);
    expectRightNumbers(r, env.cores);
    expect(page.workers()).toHaveLength(env.cores - 1);
  });

  it('a page without COOP/COEP runs on one thread, with one notice saying why', async () => {
    const env = await open(false);
    expect(env).toMatchObject({ crossOriginIsolated: false, sharedArrayBuffer: 'undefined' });
    const r = await run({ threads: 2 });
    expect(r.result).toMatchObject({ flavor: 'relaxed', threads: 1 });
    expect(r.threads).toBe(1);
    expect(r.plainMemory).toBe(true);
    expect(r.sharedMemory).toBe(false);
    expect(r.notices).toHaveLength(1);
    expect(r.notices[0]).toMatch(/^wcnn: running on one thread instead of 2: .*cross-origin isolation/);
    expectRightNumbers(r, 1);
    // Again after shutdown(), with the baseline build: still that one notice only.
    expect(await page.evaluate('window.wcnnPage.shutdown()')).toBe(false);
    const again = await run({ threads: 2, simd: 'baseline' });
    expect(again.result).toMatchObject({ flavor: 'baseline', threads: 1 });
    expect(again.notices).toEqual([]);
    expectRightNumbers(again, 1);
    expect(page.workers()).toHaveLength(0);
    const paths = served().map((s) => s.path);
    expect(paths.filter((p) => p.endsWith('.wasm'))).toEqual(['/plain/kernels-wasm/build/wcnn-relaxed.wasm', '/plain/kernels-wasm/build/wcnn-simd.wasm']);
    expect(paths).not.toContain('/plain/tensor/dist/worker.js');
  });

  it('shutdown() ends the workers, and init() afterwards starts new ones', async () => {
    await open(true);
    const first = await run({ threads: 2, simd: 'baseline' });
    expect(first.threads).toBe(2);
    const [worker] = page.workers();
    expect(worker).toBeDefined();
    const closed = worker.waitForEvent('close', { timeout: 10_000 });
    expect(await page.evaluate('window.wcnnPage.shutdown()')).toBe(false);
    await closed;
    expect(page.workers()).toHaveLength(0);
    const second = await run({ threads: 2, simd: 'relaxed' });
    expect(second.result).toMatchObject({ flavor: 'relaxed', threads: 2 });
    expect(second.sharedMemory).toBe(true);
    expectRightNumbers(second, 2);
    expect(page.workers()).toHaveLength(1);
    expect(page.workers()[0]).not.toBe(worker);
  });
});
