import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, shutdown } from '@wcnn/tensor';
import { runBench } from './bench.js';
import { benchmarkCases, lectureExample, shortComparison } from './demo.js';
import { main } from './main.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('wcnn CLI', () => {
  it('prints help and version', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('Usage:');
    const v = capture();
    expect(await main(['--version'], v.io)).toBe(0);
    expect(v.out).toEqual(['0.1.0']);
  });

  it.each([
    [['frobnicate'], "wcnn: unknown command 'frobnicate' (expected: demo, run, summary, bench; see wcnn --help)"],
    [['--simd', 'fast'], "wcnn: --simd must be auto, baseline or relaxed, got 'fast'"],
    [['--bogus'], "wcnn: Unknown option '--bogus'"],
    [['demo', 'extra'], "wcnn: unexpected argument 'extra'"],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err).toEqual([message]);
  });

  it('the installed bin exits 2 without a stack trace, and shows one with --verbose', () => {
    const r = spawnSync(process.execPath, [BIN, '--simd', 'fast'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(["wcnn: --simd must be auto, baseline or relaxed, got 'fast'"]);
    const v = spawnSync(process.execPath, [BIN, 'nope', '--verbose'], { encoding: 'utf8' });
    expect(v.status).toBe(2);
    expect(v.stderr).toContain('at main');
  });

  it('turns relaxed SIMD on by itself on Node 20 and reports the build', () => {
    const out = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(out).toContain('wcnn');
    // The flag is set at run time, before the kernels load:
    const probe = `import('${new URL('../dist/engine.js', import.meta.url).href}').then(async (m) => { const r = await m.startEngine('auto'); console.log(r.flavor); })`;
    const flavor = execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(flavor.trim()).toBe('relaxed');
  });
});

describe('demo job', () => {
  beforeAll(async () => {
    await init({ simd: 'baseline' });
  });
  afterAll(() => shutdown());

  it("reproduces the lecture's example", () => {
    const lines: string[] = [];
    expect(lectureExample((l) => lines.push(l))).toBe(true);
    expect(lines.join('\n')).toContain('12 12 17');
    expect(lines.join('\n')).toContain('matches the lecture');
  });

  it('compares three layers with TensorFlow.js and onnxruntime-web', async () => {
    const lines: string[] = [];
    await shortComparison((l) => lines.push(l));
    const rows = lines.filter((l) => /^\s+(layer1 3x3|pw 1x1|dw 3x3)/.test(l));
    expect(rows).toHaveLength(3);
    // Only those three: no kernel case (the bench's GEMM) without peers in between.
    const table = lines.slice(lines.findIndex((l) => /^\s+layer\s+wcnn ms/.test(l)) + 1).filter((l) => /^\s+\S/.test(l) && !/^\s+Ratios/.test(l));
    expect(table).toEqual(rows);
    for (const row of rows) expect(row).toMatch(/\d+\.\d+x\s+\d+\.\d+x$/);
  });

  it('benchmarks a case with Benchmark.js statistics', async () => {
    const r = await runBench(benchmarkCases()[1](), 0.05);
    expect(r.samples).toBeGreaterThanOrEqual(5);
    expect(r.ms).toBeGreaterThan(0);
    expect(r.gops).toBeGreaterThan(0);
  });
});
