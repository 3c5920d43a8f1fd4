// wcnn bench --cold: the cold-start target. Each sample is a fresh Node process (cold-child.js) that
// imports an engine, starts it, loads the model file and runs it once; wcnn and onnxruntime-web
// alternate, on the same .onnx file (a zoo model is exported to one first, with its seeded weights).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import type { ColdSample } from './cold-child.js';
import type { Progress } from './progress.js';
import type { Machine } from './report.js';

export type { ColdSample };

export interface ColdEntry {
  /** medians over the samples, ms */
  import: number;
  init: number;
  load: number;
  first: number;
  total: number;
  samples: number[];
}

export interface ColdResult {
  name: string;
  file: string;
  wcnn: ColdEntry;
  ort?: ColdEntry;
  /** onnxruntime-web's median total / wcnn's: the target asks for at least 3 */
  ratio?: number;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function entry(samples: ColdSample[]): ColdEntry {
  const m = (k: 'import' | 'init' | 'load' | 'first' | 'total') => +median(samples.map((s) => s[k])).toFixed(1);
  return { import: m('import'), init: m('init'), load: m('load'), first: m('first'), total: m('total'), samples: samples.map((s) => +s.total.toFixed(1)) };
}

const CHILD = fileURLToPath(new URL('./cold-child.js', import.meta.url));

function child(args: string[]): Promise<ColdSample> {
  // The parent's Node flags (--experimental-wasm-relaxed-simd) go to the child.
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, CHILD, ...args], { maxBuffer: 1 << 20, timeout: 10 * 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`cold start of ${args[0]} on ${args[1]} failed: ${stderr.trim().split('\n').pop() || err.message}`));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ColdSample);
    });
  });
}

/** A model argument as an .onnx file: the file itself, or the zoo model exported (its seeded weights). */
async function onnxFileOf(model: string, dir: string): Promise<string> {
  if (!model.startsWith('zoo:')) return model;
  const { zoo, zooNames } = await import('@wcnn/models');
  const { exportOnnx } = await import('../peers/export-onnx.js');
  const name = model.slice(4);
  const build = zoo[name];
  if (!build) throw new InputError(`unknown zoo model '${name}' (available: ${zooNames.join(', ')})`);
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, exportOnnx(build({}).graph).bytes);
  return file;
}

export interface ColdOptions {
  runs: number;
  threads: number;
  simd: string;
  ort: boolean;
  progress?: Progress;
}

/** `runs` samples of each engine per model, alternating wcnn and onnxruntime-web. */
export async function coldStarts(models: readonly string[], o: ColdOptions): Promise<ColdResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wcnn-cold-'));
  try {
    const results: ColdResult[] = [];
    const steps = models.length * o.runs * (o.ort ? 2 : 1);
    let done = 0;
    for (const model of models) {
      const file = await onnxFileOf(model, dir);
      const ours: ColdSample[] = [];
      const theirs: ColdSample[] = [];
      for (let r = 0; r < o.runs; r++) {
        o.progress?.(done++, steps, `cold start ${model}: wcnn`);
        const s = await child(['wcnn', file, String(o.threads), o.simd]);
        ours.push(s);
        if (o.ort) {
          o.progress?.(done++, steps, `cold start ${model}: onnxruntime-web`);
          theirs.push(await child(['ort', file, String(o.threads), o.simd, JSON.stringify(s.inputs)]));
        }
      }
      const wcnn = entry(ours);
      const ort = o.ort ? entry(theirs) : undefined;
      results.push({ name: model, file: model.startsWith('zoo:') ? `${model} exported to ONNX` : file, wcnn, ort, ratio: ort ? +(ort.total / wcnn.total).toFixed(2) : undefined });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text table's lines. */
export function formatCold(results: readonly ColdResult[], threads: number): string[] {
  const lines = [`Cold start (fresh process each; ${threads} thread${threads > 1 ? 's' : ''}; medians, ms): init + load + first inference`];
  for (const r of results) {
    const w = r.wcnn;
    lines.push(`  ${r.name}: wcnn ${w.total} (init ${w.init}, load ${w.load}, first run ${w.first}; import ${w.import} more)`);
    if (r.ort) lines.push(`  ${' '.repeat(r.name.length)}  onnxruntime-web ${r.ort.total} (session ${r.ort.load}, first run ${r.ort.first}; import ${r.ort.import} more)  ratio ${r.ratio}x`);
  }
  return lines;
}

/** The README's table: a heading line with the machine and date, then a row a model. */
export function formatColdMarkdown(results: readonly ColdResult[], machine: Machine, threads: number, runs: number): string[] {
  return [
    `Cold start: init + load + first inference, fresh Node process each (${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date.slice(0, 10)}; ${threads} thread${threads > 1 ? 's' : ''}, median of ${runs})`,
    '',
    '| model | wcnn ms | init | load | first run | onnxruntime-web ms | ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.name} | ${r.wcnn.total} | ${r.wcnn.init} | ${r.wcnn.load} | ${r.wcnn.first} | ${r.ort?.total ?? '—'} | ${r.ratio === undefined ? '—' : `${r.ratio}x`} |`),
  ];
}
