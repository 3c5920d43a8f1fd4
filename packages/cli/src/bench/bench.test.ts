// wcnn bench: argument errors, the suite, the report's shape (JSON, markdown, table) from a tiny
// run of the built bin, and the pieces that do not time anything. No test reads a timing value.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { summarize } from './measure.js';
import { progressBar } from './progress.js';
import { buildReport, formatMarkdown, formatTable, machineInfo, type Report } from './report.js';
import type { CaseResult } from './run.js';
import { defaultSuitePath, layerClass, layerFlops, loadSuite, type SuiteLayer } from './suite.js';

const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wcnn-bench-'));
const write = (name: string, content: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

/** Two tiny layers: a 3x3 conv and a depthwise one (the shapes of the real suite, made small). */
const TINY_LAYERS = [
  { model: 'tiny', name: 'conv 3x3', input: [1, 8, 8, 8], kernel: [3, 3], cout: 8, strides: [1, 1], padding: 'same', groups: 1, flops: 2 * 8 * 8 * 8 * 9 * 8 },
  { model: 'tiny', name: 'dw 3x3/2', input: [1, 8, 8, 16], kernel: [3, 3], cout: 16, strides: [2, 2], padding: 'same', groups: 16, flops: 2 * 4 * 4 * 16 * 9 },
];
const tinySuite = write('tiny-suite.json', { layers: TINY_LAYERS });

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('wcnn bench arguments', () => {
  const badLayer = write('bad-layer.json', { layers: [TINY_LAYERS[0], { ...TINY_LAYERS[1], name: 'x', kernel: [3] }] });
  const notJson = write('not-json.json', '{ layers: ');
  const empty = write('empty.json', { layers: [] });
  it.each([
    [['bench', '--threads', '0'], "wcnn: --threads must be an integer from 1 to 256, got '0'"],
    [['bench', '--threads', 'two'], "wcnn: --threads must be an integer from 1 to 256, got 'two'"],
    [['run', 'zoo:lenet5', '--threads', '1.5'], "wcnn: --threads must be an integer from 1 to 256, got '1.5'"],
    [['bench', '--runs', '0'], "wcnn: --runs must be a positive integer, got '0'"],
    [['bench', '--runs', '2.5'], "wcnn: --runs must be a positive integer, got '2.5'"],
    [['bench', '--max-time', '0'], "wcnn: --max-time must be a positive number of seconds, got '0'"],
    [['bench', '--vs', 'tfjs,torch'], "wcnn: --vs: unknown peer 'torch' (expected: tfjs, ort)"],
    [['bench', '--json', '--markdown'], 'wcnn: --json and --markdown exclude each other; pick one'],
    [['bench', '--simd', 'fast'], "wcnn: --simd must be auto, baseline or relaxed, got 'fast'"],
    [['bench', '--suite', join(dir, 'missing.json')], `wcnn: ${join(dir, 'missing.json')}: no such suite file`],
    [['bench', '--suite', empty], `wcnn: ${empty}: expected {"layers": [...]} with at least one layer`],
    [['bench', 'model.pt'], "wcnn: bench: 'model.pt' is not a model (expected MODEL.onnx or zoo:NAME)"],
    [['bench', '--out', dir], 'wcnn: --out is not an option of bench'],
    [['summary', 'zoo:lenet5', '--runs', '3'], 'wcnn: --runs is an option of run and bench only'],
    [['run', 'zoo:lenet5', '--input', 'x.npy', '--out', 'o', '--runs', '0'], "wcnn: --runs must be a positive integer, got '0'"],
    [['bench', '--max-time'], "wcnn: Option '--max-time <value>' argument missing"],
    [['bench', '--cold'], 'wcnn: --cold needs models to start: MODEL.onnx or zoo:NAME'],
    [['bench', '--cold', 'zoo:lenet5', '--suite', tinySuite], 'wcnn: --cold times whole models, not a layer suite: drop --suite'],
    [['bench', '--cold', 'zoo:lenet5', '--vs', 'tfjs,ort'], 'wcnn: --cold compares with onnxruntime-web only (TensorFlow.js does not load .onnx files): use --vs ort'],
    [['bench', '--cold', 'zoo:lenet5', '--max-time', '1'], 'wcnn: --cold takes --runs (samples per engine), not --max-time'],
    [['run', 'zoo:lenet5', '--cold'], 'wcnn: --cold is an option of bench only'],
  ])('%j exits 2 with one line', async (argv, message) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err).toEqual([message]);
    expect(c.out).toEqual([]);
  });

  it.each([
    [badLayer, /bad-layer\.json: layer 1 \('x'\): kernel must be \[kh, kw\] of positive integers, got \[3\]$/],
    [notJson, /not-json\.json: not a JSON suite file \(/],
  ])('a bad suite %s exits 2 with one line', async (file, message) => {
    const c = capture();
    expect(await main(['bench', '--suite', file], c.io)).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(message);
  });

  it('is in the help', async () => {
    const c = capture();
    await main(['--help'], c.io);
    expect(c.out.join('\n')).toMatch(/wcnn bench \[--suite FILE\] \[MODEL\.onnx\|zoo:NAME \.\.\.\]/);
  });
});

describe('the suite', () => {
  it('is found beside the repository by default: 39 layers of ResNet-34, VGG16 and MobileNetV2', () => {
    const file = defaultSuitePath();
    expect(file).toMatch(/shared[/\\]bench[/\\]conv-suite\.json$/);
    const layers = loadSuite(file);
    expect(layers).toHaveLength(39);
    const count = (c: string) => layers.filter((l) => layerClass(l) === c).length;
    expect([count('3x3s1'), count('conv'), count('depthwise')]).toEqual([13, 17, 9]);
    for (const l of layers) expect(l.flops, l.name).toBe(layerFlops(l));
  });
});

describe('pieces that time nothing', () => {
  it('summarizes samples: median, mean and margin of error', () => {
    const s = summarize([0.004, 0.001, 0.002, 0.003]);
    expect(s.ms).toBeCloseTo(2.5, 10);
    expect(s.mean).toBeCloseTo(2.5, 10);
    expect(s.samples).toBe(4);
    // sem = sqrt(var / n) with var = 1.6667e-6 s^2; t(3) = 3.182
    expect(s.rme).toBeCloseTo(((Math.sqrt(1.6666666666666667e-6 / 4) * 3.182) / 0.0025) * 100, 6);
  });

  it('draws a progress bar on a TTY only', () => {
    expect(progressBar({ isTTY: false, write: () => true })).toBeUndefined();
    const written: string[] = [];
    const bar = progressBar({ isTTY: true, columns: 60, write: (s) => written.push(s) })!;
    bar.update(3, 12, 'layer1 3x3 · tfjs');
    bar.clear();
    expect(written[0]).toMatch(/^\r\x1b\[2K\[######-{18}\] 3\/12 layer1 3x3 · tfjs$/);
    expect(written[1]).toBe('\r\x1b[2K');
  });

  const layer = (name: string, over: Partial<SuiteLayer>): SuiteLayer => ({ name, model: 'm', input: [1, 8, 8, 8], kernel: [3, 3], cout: 8, strides: [1, 1], padding: 'same', groups: 1, flops: 1e9, ...over });
  const stats = (ms: number) => ({ ms, mean: ms, rme: 1, samples: 5 });
  const result = (l: SuiteLayer, wcnn: number, tfjs: number, ort: number | string): CaseResult => ({
    kind: 'layer', name: l.name, model: l.model, class: layerClass(l), layer: l, flops: l.flops, wcnn: stats(wcnn),
    peers: { tfjs: { ...stats(tfjs), ratio: tfjs / wcnn, maxDiff: 1e-7 }, ort: typeof ort === 'string' ? { error: ort } : { ...stats(ort), ratio: ort / wcnn, maxDiff: 2e-7 } },
  });
  const results = [
    result(layer('a 3x3', {}), 10, 20, 15),
    result(layer('b 3x3', {}), 10, 5, 30),
    result(layer('c 1x1', { kernel: [1, 1] }), 2, 4, 2),
    result(layer('d 7x7/2', { kernel: [7, 7], strides: [2, 2] }), 8, 8, 'Conv: no'),
    result(layer('e dw', { groups: 8 }), 1, 3, 4),
    { kind: 'model', name: 'zoo:x', inputShapes: { x: [1, 8, 8, 3] }, flops: 5e9, wcnn: stats(50), peers: { tfjs: { ...stats(100), ratio: 2, maxDiff: 0 } } } as CaseResult,
  ];
  const peers = [
    { name: 'tfjs' as const, label: 'tfjs-backend-wasm 4.22.0', version: '4.22.0', layer: async () => { throw new Error(); }, model: async () => { throw new Error(); } },
    { name: 'ort' as const, label: 'onnxruntime-web 1.30.0', version: '1.30.0', layer: async () => { throw new Error(); }, model: async () => { throw new Error(); } },
  ];
  const report: Report = buildReport({
    version: '0.1.0', machine: machineInfo(new Date('2026-01-02T03:04:05Z')), build: 'relaxed', threads: 1, runs: 5, maxTime: 0.5, suite: '/x/conv-suite.json',
    peers, peak: { muladd: 40, fma: 50, reference: 'fma', gflops: 50 }, results,
  });

  it('summarizes ratios: 3x3 stride-1 layers each, other convs and depthwise summed, the minimum, models', () => {
    expect(report.summary.conv3x3s1).toEqual([
      { name: 'a 3x3', model: 'm', tfjs: 2, ort: 1.5 },
      { name: 'b 3x3', model: 'm', tfjs: 0.5, ort: 3 },
    ]);
    // tfjs: (4 + 8) / (2 + 8); ort ran only the 1x1: 2 / 2
    expect(report.summary.otherConv).toEqual({ layers: 2, tfjs: 1.2, ort: 1 });
    expect(report.summary.depthwise).toEqual({ layers: 1, tfjs: 3, ort: 4 });
    expect(report.summary.minLayer).toEqual({ tfjs: { ratio: 0.5, name: 'b 3x3' }, ort: { ratio: 1, name: 'c 1x1' } });
    expect(report.summary.models).toEqual([{ name: 'zoo:x', tfjs: 2 }]);
    expect(report.layers[0].wcnn).toEqual({ ms: 10, mean: 10, rme: 1, samples: 5, gflops: 100, pctPeak: 200 });
    expect(report.layers[3].peers.ort).toEqual({ error: 'Conv: no' });
  });

  it('with threads, takes % peak of one core times the threads and says how the peers ran', () => {
    const two = buildReport({
      version: '0.1.0', machine: machineInfo(new Date('2026-01-02T03:04:05Z')), build: 'relaxed', threads: 2, runs: 5, maxTime: 0.5, suite: null,
      peers, peak: { muladd: 40, fma: 50, reference: 'fma', gflops: 50 }, results,
    });
    expect(two.config.threads).toBe(2);
    expect(two.layers[0].wcnn.pctPeak).toBe(100);
    const md = formatMarkdown(two);
    expect(md[0]).toMatch(/relaxed SIMD build, 2 threads, 2026-01-02 03:04 UTC$/);
    expect(md[2]).toContain('% peak is of the FMA peak times 2 threads');
    expect(md[2]).toContain('onnxruntime-web on 2 threads, TensorFlow.js on one');
  });

  it('formats markdown: a heading with the machine and date, then tables', () => {
    const md = formatMarkdown(report);
    expect(md[0]).toMatch(/^### wcnn bench: .+, \d+ cores, Node v\d+.*relaxed SIMD build, 1 thread, 2026-01-02 03:04 UTC$/);
    const table = md.filter((l) => l.startsWith('|'));
    expect(table[0]).toBe('| case | model | MFLOP | wcnn ms | ±% | GFLOP/s | % peak | tfjs ms | tfjs/wcnn | ort ms | ort/wcnn |');
    expect(table[1]).toBe('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    expect(table[2]).toBe('| a 3x3 | m | 1000.0 | 10.00 | 1.0 | 100.0 | 200.0 | 20.00 | 2.00x | 15.00 | 1.50x |');
    expect(md.some((l) => l.startsWith('| summary (peer/wcnn) | tfjs | ort |'))).toBe(true);
    expect(md.at(-1)).toBe('- ort could not run d 7x7/2: Conv: no');
  });

  it('formats the text table with the peaks and the statistic', () => {
    const text = formatTable(report).join('\n');
    expect(text).toContain('mul+add 40.0 GFLOP/s, FMA 50.0 GFLOP/s; % peak is of the FMA peak');
    expect(text).toContain('ms = median of Benchmark.js samples');
    expect(text).toMatch(/min single layer\s+0\.50x \(b 3x3\)\s+1\.00x \(c 1x1\)/);
  });
});

describe('a tiny run of the built bin', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'bench', '--suite', tinySuite, '--runs', '2', '--max-time', '0.02', ...args], { encoding: 'utf8' });

  it('--json: one document with machine, peaks, layers, models, summary', () => {
    const r = run('zoo:lenet5', '--vs', 'tfjs,ort', '--json');
    expect(r.stderr).toBe(''); // no progress bar off a TTY, and nothing from the peers
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['tool', 'version', 'machine', 'config', 'peak', 'kernels', 'layers', 'models', 'summary']);
    // With a layer suite, the GEMM kernel case: wcnn alone, its % of the probe's peak in the summary.
    expect(doc.kernels).toHaveLength(1);
    expect(doc.kernels[0]).toMatchObject({ name: 'gemm 512x512x512', flops: 2 * 512 ** 3, peers: {} });
    expect(doc.summary.gemm).toEqual({ name: 'gemm 512x512x512', gflops: doc.kernels[0].wcnn.gflops, pctPeak: doc.kernels[0].wcnn.pctPeak });
    expect(doc.kernels[0].wcnn.pctPeak).toBeCloseTo((doc.kernels[0].wcnn.gflops / doc.peak.gflops) * 100, 0);
    expect(doc.machine).toMatchObject({ cpu: expect.any(String), cores: expect.any(Number), node: process.version, date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(doc.config).toMatchObject({ build: 'relaxed', threads: 1, runs: 2, statistic: 'median', suite: tinySuite });
    expect(doc.config.peers.map((p: { name: string }) => p.name)).toEqual(['tfjs', 'ort']);
    expect(doc.peak).toMatchObject({ reference: 'fma', muladd: expect.any(Number), fma: expect.any(Number), gflops: expect.any(Number) });
    expect(doc.peak.gflops).toBeGreaterThan(0);
    expect(doc.layers.map((l: { name: string; class: string }) => [l.name, l.class])).toEqual([['conv 3x3', '3x3s1'], ['dw 3x3/2', 'depthwise']]);
    for (const e of [...doc.layers, ...doc.models]) {
      expect(e).toMatchObject({ name: expect.any(String), flops: expect.any(Number) });
      expect(e.wcnn).toEqual({ ms: expect.any(Number), mean: expect.any(Number), rme: expect.any(Number), samples: expect.any(Number), gflops: expect.any(Number), pctPeak: expect.any(Number) });
      expect(e.wcnn.samples).toBeGreaterThanOrEqual(4); // two rounds of at least 2 samples, pooled
      for (const p of ['tfjs', 'ort']) {
        expect(e.peers[p]).toEqual({ ms: expect.any(Number), mean: expect.any(Number), rme: expect.any(Number), samples: expect.any(Number), ratio: expect.any(Number), maxDiff: expect.any(Number) });
        expect(e.peers[p].maxDiff).toBeLessThan(1e-3);
        expect(Math.abs(e.peers[p].ratio / (e.peers[p].ms / e.wcnn.ms) - 1)).toBeLessThan(1e-3);
      }
    }
    expect(doc.models[0]).toMatchObject({ name: 'zoo:lenet5', flops: 2 * (28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 120 * 400 + 120 * 84 + 84 * 10), inputShapes: { input_layer: [1, 32, 32, 1] } });
    expect(doc.summary).toMatchObject({
      conv3x3s1: [{ name: 'conv 3x3', model: 'tiny', tfjs: expect.any(Number), ort: expect.any(Number) }],
      otherConv: { layers: 0 },
      depthwise: { layers: 1, tfjs: expect.any(Number), ort: expect.any(Number) },
      minLayer: { tfjs: { ratio: expect.any(Number), name: expect.any(String) }, ort: { ratio: expect.any(Number), name: expect.any(String) } },
      models: [{ name: 'zoo:lenet5', tfjs: expect.any(Number), ort: expect.any(Number) }],
    });
  });

  it('--markdown on the baseline build: a heading line, then one table row per layer', () => {
    const r = run('--markdown', '--simd', 'baseline');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^### wcnn bench: .*baseline SIMD build, 1 thread, \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(lines[2]).toMatch(/FMA n\/a \(baseline build\); % peak is of the mul\+add peak/);
    const table = lines.filter((l) => l.startsWith('|'));
    expect(table[0]).toBe('| case | model | MFLOP | wcnn ms | ±% | GFLOP/s | % peak |');
    expect(table.slice(2).map((l) => l.split(' | ')[0])).toEqual(['| gemm 512x512x512', '| conv 3x3', '| dw 3x3/2']);
    expect(lines).toContainEqual(expect.stringMatching(/^gemm 512x512x512: \d+\.\d GFLOP\/s, \d+\.\d % of the mul\+add peak$/));
  });

  it('prints the text table by default', () => {
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wcnn bench: /);
    expect(r.stdout).toMatch(/\n {2}case\s+model\s+MFLOP\s+wcnn ms\s+±%\s+GFLOP\/s\s+% peak\n {2}gemm 512x512x512\s+kernel\s+268\.4\s.*\n {2}conv 3x3\s+tiny\s+0\.1\s/);
    expect(r.stdout).toMatch(/\ngemm 512x512x512: \d+\.\d GFLOP\/s, \d+\.\d % of the FMA peak\n/);
  });
});

describe('wcnn bench --cold', () => {
  it('times fresh processes of wcnn and onnxruntime-web on the same exported model (JSON)', () => {
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', BIN, 'bench', '--cold', 'zoo:lenet5', '--vs', 'ort', '--runs', '2', '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { config: { threads: number; runs: number }; cold: Array<Record<string, any>> };
    expect(report.config).toMatchObject({ threads: 1, runs: 2 });
    expect(report.cold).toHaveLength(1);
    const c = report.cold[0];
    expect(c.name).toBe('zoo:lenet5');
    for (const e of [c.wcnn, c.ort]) {
      expect(e.samples).toHaveLength(2);
      // total is the median of the samples' totals (two: their mean); each sample's total is its init + load + first
      expect(e.total).toBeCloseTo((e.samples[0] + e.samples[1]) / 2, 0);
      expect(Math.min(e.init, e.load, e.first)).toBeGreaterThanOrEqual(0);
      expect(e.load + e.first).toBeGreaterThan(0);
    }
    expect(c.ratio).toBeCloseTo(c.ort.total / c.wcnn.total, 1);
  }, 120_000);

  it('an .onnx file that is not a model fails naming the file, with exit code 1', () => {
    const bad = write('bad.onnx', 'not a model');
    const r = spawnSync(process.execPath, [BIN, 'bench', '--cold', bad, '--runs', '1'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`wcnn: cold start of wcnn on ${bad} failed: onnx: cannot parse ${bad}`);
  }, 60_000);
});
