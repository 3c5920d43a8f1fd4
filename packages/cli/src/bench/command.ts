// wcnn bench: the conv layer suite and/or whole models, wcnn against tfjs and onnxruntime-web in
// the same process, with this machine's SIMD peak measured alongside.
import { UsageError } from '../errors.js';
import { backend } from '@wcnn/tensor';
import { parseSimd, parseThreads, positiveInt, startEngine } from '../engine.js';
import type { Io } from '../main.js';
import { loadPeers, parsePeerList } from '../peers/index.js';
import { loadModelCase, type ModelCase } from './cases.js';
import { PeakProbe } from './probe.js';
import { progressBar, type ProgressStream } from './progress.js';
import { buildReport, formatMarkdown, formatTable, machineInfo } from './report.js';
import { runCases, subjects } from './run.js';
import { defaultSuitePath, loadSuite, type SuiteLayer } from './suite.js';

export interface BenchArgs {
  /** MODEL.onnx or zoo:NAME */
  models: string[];
  simd?: string;
  suite?: string;
  runs?: string;
  vs?: string;
  json?: boolean;
  markdown?: boolean;
  threads?: string;
  maxTime?: string;
  /** time cold starts (fresh processes) instead: init + load + first inference */
  cold?: boolean;
}

export interface BenchEnv {
  version: string;
  /** Where the progress bar goes (process.stderr); it shows only on a TTY. */
  progressStream?: ProgressStream;
}

export const DEFAULT_RUNS = 5;
const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
export const DEFAULT_MAX_TIME = 0.5;


/** Checks every argument before anything slow starts; returns what the run needs. */
export function parseBenchArgs(a: BenchArgs): {
  simd: ReturnType<typeof parseSimd>;
  runs: number;
  maxTime: number;
  peers: ReturnType<typeof parsePeerList>;
  format: 'table' | 'json' | 'markdown';
  suiteFile: string | undefined;
  threads: number;
} {
  // One thread unless asked: the layer targets compare one thread with one thread.
  const threads = parseThreads(a.threads) ?? 1;
  const simd = parseSimd(a.simd);
  const runs = positiveInt('--runs', a.runs, DEFAULT_RUNS);
  let maxTime = DEFAULT_MAX_TIME;
  if (a.maxTime !== undefined) {
    maxTime = Number(a.maxTime);
    if (a.maxTime.trim() === '' || !Number.isFinite(maxTime) || maxTime <= 0) throw new UsageError(`--max-time must be a positive number of seconds, got '${a.maxTime}'`);
  }
  const peers = parsePeerList(a.vs);
  if (a.json && a.markdown) throw new UsageError('--json and --markdown exclude each other; pick one');
  for (const m of a.models) {
    if (!m.startsWith('zoo:') && !/\.onnx$/i.test(m)) throw new UsageError(`bench: '${m}' is not a model (expected MODEL.onnx or zoo:NAME)`);
  }
  if (a.cold) {
    if (a.models.length === 0) throw new UsageError('--cold needs models to start: MODEL.onnx or zoo:NAME');
    if (a.suite !== undefined) throw new UsageError('--cold times whole models, not a layer suite: drop --suite');
    if (a.maxTime !== undefined) throw new UsageError('--cold takes --runs (samples per engine), not --max-time');
    if (peers.includes('tfjs')) throw new UsageError('--cold compares with onnxruntime-web only (TensorFlow.js does not load .onnx files): use --vs ort');
  }
  const suiteFile = a.cold ? undefined : a.suite ?? (a.models.length === 0 ? defaultSuitePath() : undefined);
  return { simd, runs, maxTime, peers, format: a.json ? 'json' : a.markdown ? 'markdown' : 'table', suiteFile, threads };
}

/** `wcnn bench --cold`: cold starts in fresh processes (3 samples each unless --runs). */
async function coldCommand(a: BenchArgs, o: ReturnType<typeof parseBenchArgs>, io: Io, env: BenchEnv): Promise<number> {
  const { coldStarts, formatCold, formatColdMarkdown } = await import('./cold.js');
  const runs = a.runs === undefined ? 3 : o.runs;
  const ort = o.peers.includes('ort');
  if (ort) await loadPeers(['ort'], {}, o.threads); // a missing package is reported before anything runs
  const bar = o.format === 'json' ? undefined : progressBar(env.progressStream ?? process.stderr);
  try {
    const results = await coldStarts(a.models, { runs, threads: o.threads, simd: o.simd, ort, progress: bar?.update });
    bar?.clear();
    const machine = machineInfo();
    if (o.format === 'json') {
      io.out(JSON.stringify({ version: env.version, machine, config: { simd: o.simd, threads: o.threads, runs, statistic: 'median' }, cold: results }, null, 2));
    } else if (o.format === 'markdown') {
      formatColdMarkdown(results, machine, o.threads, runs).forEach((l) => io.out(l));
    } else {
      formatCold(results, o.threads).forEach((l) => io.out(l));
    }
    return 0;
  } finally {
    bar?.clear();
  }
}

/** Runs `wcnn bench`; returns the exit code (errors are thrown for main to print). */
export async function benchCommand(a: BenchArgs, io: Io, env: BenchEnv): Promise<number> {
  const o = parseBenchArgs(a);
  if (a.cold) return coldCommand(a, o, io, env);
  const layers: SuiteLayer[] = o.suiteFile ? loadSuite(o.suiteFile) : [];
  const init = await startEngine(o.simd, o.threads);
  // Workers start in the background: measure only once all of them run.
  const running = await backend().ready;
  if (init.threads !== o.threads || running !== o.threads) throw new Error(`bench: ${o.threads} threads were asked for but ${Math.min(init.threads, running)} run`);
  const models: ModelCase[] = [];
  for (const m of a.models) models.push(await loadModelCase(m));
  const peers = await loadPeers(o.peers, {}, o.threads);

  // Peers (and anything else) must not write to stdout: it carries the table, JSON or markdown only.
  const log = console.log;
  const info = console.info;
  console.log = console.info = (...args: unknown[]) => console.error(...args);
  const bar = o.format === 'json' ? undefined : progressBar(env.progressStream ?? process.stderr);
  try {
    // A quick run (small --max-time) gets a quick probe too.
    bar?.update(0, 1, 'probing the SIMD peak');
    const probe = new PeakProbe({ warmupMs: clamp(o.maxTime * 300, 20, 150), callMs: clamp(o.maxTime * 40, 2, 20), calls: 7 });
    const results = await runCases(subjects(layers, models, layers.length > 0), {
      peers,
      minSamples: o.runs,
      maxTime: o.maxTime,
      warmupMs: Math.min(150, o.maxTime * 1000),
      progress: bar?.update,
      // Load from other processes only lowers the probe: probing again between cases catches quiet moments.
      betweenCases: () => probe.sample(1),
    });
    bar?.update(1, 1, 'probing the SIMD peak again');
    probe.sample(7);
    const peak = probe.peaks;
    bar?.clear();
    const report = buildReport({
      version: env.version,
      machine: machineInfo(),
      build: init.flavor,
      threads: o.threads,
      runs: o.runs,
      maxTime: o.maxTime,
      suite: o.suiteFile ?? null,
      peers,
      peak,
      results,
    });
    if (o.format === 'json') io.out(JSON.stringify(report, null, 2));
    else (o.format === 'markdown' ? formatMarkdown(report) : formatTable(report)).forEach((l) => io.out(l));
    return 0;
  } finally {
    bar?.clear();
    console.log = log;
    console.info = info;
  }
}
