// The results of a run as one document (--json), a table for people, or markdown for the README.
import { cpus, platform, arch } from 'node:os';
import type { Peer, PeerName } from '../peers/common.js';
import type { Peaks } from './probe.js';
import type { CaseResult, PeerResult } from './run.js';
import type { LayerClass } from './suite.js';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  /** ISO 8601, when the run finished */
  date: string;
}

export function machineInfo(now = new Date()): Machine {
  const list = cpus();
  return { cpu: list[0]?.model?.trim() || 'unknown CPU', cores: list.length, node: process.version, os: `${platform()} ${arch()}`, date: now.toISOString() };
}

export interface EngineEntry {
  /** median ms per run */
  ms: number;
  /** mean ms per run */
  mean: number;
  /** relative margin of error of the mean, % */
  rme: number;
  samples: number;
}

export interface WcnnEntry extends EngineEntry {
  gflops: number;
  /** % of this machine's probe peak (FMA for the relaxed build, mul + add for baseline) */
  pctPeak: number;
}

export type PeerEntry = (EngineEntry & { ratio: number; maxDiff: number }) | { error: string; maxDiff?: number };

export interface Entry {
  name: string;
  flops: number;
  wcnn: WcnnEntry;
  peers: Partial<Record<PeerName, PeerEntry>>;
}

export interface LayerEntry extends Entry {
  model: string;
  class: LayerClass;
  input: number[];
  kernel: number[];
  cout: number;
  strides: number[];
  groups: number;
}

export interface ModelEntry extends Entry {
  inputShapes: Record<string, number[]>;
}

type Ratios = Partial<Record<PeerName, number>>;

export interface Summary {
  /** every 3x3 stride-1 conv layer on its own */
  conv3x3s1: Array<{ name: string; model: string } & Ratios>;
  /** the other (non-depthwise) conv layers: sum of peer ms / sum of wcnn ms */
  otherConv: { layers: number } & Ratios;
  /** depthwise layers: sum of peer ms / sum of wcnn ms */
  depthwise: { layers: number } & Ratios;
  /** the smallest single-layer ratio per peer */
  minLayer: Partial<Record<PeerName, { ratio: number; name: string }>>;
  models: Array<{ name: string } & Ratios>;
  /** the GEMM kernel case (with a layer suite): its GFLOP/s and % of the probe's peak */
  gemm?: { name: string; gflops: number; pctPeak: number };
}

export interface Report {
  tool: 'wcnn bench';
  version: string;
  machine: Machine;
  config: {
    build: 'baseline' | 'relaxed';
    /** wcnn's threads (and onnxruntime-web's; TensorFlow.js runs one in Node) */
    threads: number;
    runs: number;
    maxTime: number;
    statistic: 'median';
    suite: string | null;
    peers: Array<{ name: PeerName; label: string; version: string }>;
  };
  peak: Peaks;
  /** kernel cases, wcnn alone: the GEMM */
  kernels: Entry[];
  layers: LayerEntry[];
  models: ModelEntry[];
  summary: Summary;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

const sig = (v: number, digits = 5): number => Number(v.toPrecision(digits));

function engine(s: { ms: number; mean: number; rme: number; samples: number }): EngineEntry {
  return { ms: sig(s.ms), mean: sig(s.mean), rme: round(s.rme, 2), samples: s.samples };
}

/** `peak` is one core's; with N threads the reference is N times it. */
function entry(r: CaseResult, peak: Peaks, threads: number): Entry {
  const gflops = r.flops / (r.wcnn.ms / 1e3) / 1e9;
  const peers: Entry['peers'] = {};
  for (const [name, p] of Object.entries(r.peers) as Array<[PeerName, PeerResult]>) {
    if (p.error !== undefined || p.ms === undefined) peers[name] = { error: p.error ?? 'not measured', ...(p.maxDiff !== undefined ? { maxDiff: p.maxDiff } : {}) };
    else peers[name] = { ...engine(p as Required<PeerResult>), ratio: sig(p.ratio!, 4), maxDiff: sig(p.maxDiff!, 3) };
  }
  return {
    name: r.name,
    flops: r.flops,
    wcnn: { ...engine(r.wcnn), gflops: round(gflops, 2), pctPeak: round((gflops / (peak.gflops * threads)) * 100, 1) },
    peers,
  };
}

const ratioOf = (e: Entry, p: PeerName): number | undefined => {
  const pe = e.peers[p];
  return pe && 'ratio' in pe ? pe.ratio : undefined;
};

function summed(entries: readonly Entry[], peers: readonly PeerName[]): { layers: number } & Ratios {
  const out: { layers: number } & Ratios = { layers: entries.length };
  for (const p of peers) {
    const ok = entries.filter((e) => ratioOf(e, p) !== undefined);
    if (ok.length === 0) continue;
    const peerMs = ok.reduce((a, e) => a + (e.peers[p] as EngineEntry).ms, 0);
    const wcnnMs = ok.reduce((a, e) => a + e.wcnn.ms, 0);
    out[p] = sig(peerMs / wcnnMs, 4);
  }
  return out;
}

function ratios(e: Entry, peers: readonly PeerName[]): Ratios {
  const out: Ratios = {};
  for (const p of peers) {
    const r = ratioOf(e, p);
    if (r !== undefined) out[p] = r;
  }
  return out;
}

export function buildReport(parts: {
  version: string;
  machine: Machine;
  build: 'baseline' | 'relaxed';
  runs: number;
  maxTime: number;
  suite: string | null;
  peers: readonly Peer[];
  peak: Peaks;
  results: readonly CaseResult[];
  threads: number;
}): Report {
  const { peak } = parts;
  const names = parts.peers.map((p) => p.name);
  const layers: LayerEntry[] = parts.results
    .filter((r) => r.kind === 'layer')
    .map((r) => {
      const l = r.layer!;
      return { ...entry(r, peak, parts.threads), model: l.model, class: r.class!, input: l.input, kernel: l.kernel, cout: l.cout, strides: l.strides, groups: l.groups };
    });
  const kernels: Entry[] = parts.results.filter((r) => r.kind === 'kernel').map((r) => entry(r, peak, parts.threads));
  const models: ModelEntry[] = parts.results.filter((r) => r.kind === 'model').map((r) => ({ ...entry(r, peak, parts.threads), inputShapes: r.inputShapes ?? {} }));
  const minLayer: Summary['minLayer'] = {};
  for (const p of names) {
    for (const l of layers) {
      const r = ratioOf(l, p);
      if (r !== undefined && (minLayer[p] === undefined || r < minLayer[p]!.ratio)) minLayer[p] = { ratio: r, name: l.name };
    }
  }
  return {
    tool: 'wcnn bench',
    version: parts.version,
    machine: parts.machine,
    config: {
      build: parts.build,
      threads: parts.threads,
      runs: parts.runs,
      maxTime: parts.maxTime,
      statistic: 'median',
      suite: parts.suite,
      peers: parts.peers.map((p) => ({ name: p.name, label: p.label, version: p.version })),
    },
    peak: { ...peak, muladd: round(peak.muladd, 2), fma: peak.fma === null ? null : round(peak.fma, 2), gflops: round(peak.gflops, 2) },
    kernels,
    layers,
    models,
    summary: {
      conv3x3s1: layers.filter((l) => l.class === '3x3s1').map((l) => ({ name: l.name, model: l.model, ...ratios(l, names) })),
      otherConv: summed(layers.filter((l) => l.class === 'conv'), names),
      depthwise: summed(layers.filter((l) => l.class === 'depthwise'), names),
      minLayer,
      models: models.map((m) => ({ name: m.name, ...ratios(m, names) })),
      ...(kernels[0] ? { gemm: { name: kernels[0].name, gflops: kernels[0].wcnn.gflops, pctPeak: kernels[0].wcnn.pctPeak } } : {}),
    },
  };
}

// ------------------------------------------------------------------ text

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const fmtRatio = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}x`);
const peakLine = (r: Report): string => {
  const p = r.peak;
  const fma = p.fma === null ? 'FMA n/a (baseline build)' : `FMA ${p.fma.toFixed(1)} GFLOP/s`;
  const per = r.config.threads > 1 ? ` times ${r.config.threads} threads` : '';
  return `peak (probe, 12 f32x4 chains, one core, same process): mul+add ${p.muladd.toFixed(1)} GFLOP/s, ${fma}; % peak is of the ${p.reference === 'fma' ? 'FMA' : 'mul+add'} peak${per}`;
};
const peerThreads = (r: Report): string =>
  r.config.threads > 1 ? `onnxruntime-web on ${r.config.threads} threads, TensorFlow.js on one (it has no threads in Node)` : 'one thread each';
const FLOPS_NOTE = 'GFLOP/s = direct-convolution flops (2 * multiply-adds; models: conv and dense layers) / time, so a fast algorithm (Winograd) can pass 100 % of peak.';
const headline = (r: Report): string =>
  `${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}, wcnn ${r.version} ${r.config.build} SIMD build, ${r.config.threads} thread${r.config.threads > 1 ? 's' : ''}, ${r.machine.date.slice(0, 16).replace('T', ' ')} UTC`;

function peerCell(e: Entry, p: PeerName): [string, string] {
  const pe = e.peers[p];
  if (!pe) return ['', ''];
  if ('error' in pe) return ['n/a', '—'];
  return [fmtMs(pe.ms), fmtRatio(pe.ratio)];
}

/** Columns shared by the table and markdown: name, model, MFLOP, wcnn ms, ±%, GFLOP/s, % peak, then per peer ms and ratio. */
function rows(r: Report): { head: string[]; body: string[][]; numeric: boolean[] } {
  const peers = r.config.peers.map((p) => p.name);
  const head = ['case', 'model', 'MFLOP', 'wcnn ms', '±%', 'GFLOP/s', '% peak', ...peers.flatMap((p) => [`${p} ms`, `${p}/wcnn`])];
  const numeric = head.map((_, i) => i >= 2);
  const line = (e: Entry, model: string): string[] => [
    e.name,
    model,
    (e.flops / 1e6).toFixed(1),
    fmtMs(e.wcnn.ms),
    e.wcnn.rme.toFixed(1),
    e.wcnn.gflops.toFixed(1),
    e.wcnn.pctPeak.toFixed(1),
    ...peers.flatMap((p) => peerCell(e, p)),
  ];
  return { head, body: [...r.kernels.map((k) => line(k, 'kernel')), ...r.layers.map((l) => line(l, l.model)), ...r.models.map((m) => line(m, 'whole model'))], numeric };
}

function summaryRows(r: Report): string[][] {
  const peers = r.config.peers.map((p) => p.name);
  if (peers.length === 0) return [];
  const s = r.summary;
  const out: string[][] = [];
  for (const l of s.conv3x3s1) out.push([`3x3 stride 1: ${l.name}${l.model ? ` (${l.model})` : ''}`, ...peers.map((p) => fmtRatio(l[p]))]);
  if (s.otherConv.layers > 0) out.push([`other conv layers (${s.otherConv.layers}, summed)`, ...peers.map((p) => fmtRatio(s.otherConv[p]))]);
  if (s.depthwise.layers > 0) out.push([`depthwise layers (${s.depthwise.layers}, summed)`, ...peers.map((p) => fmtRatio(s.depthwise[p]))]);
  if (r.layers.length > 0) out.push(['min single layer', ...peers.map((p) => (s.minLayer[p] ? `${fmtRatio(s.minLayer[p]!.ratio)} (${s.minLayer[p]!.name})` : '—'))]);
  for (const m of s.models) out.push([`model ${m.name}`, ...peers.map((p) => fmtRatio(m[p]))]);
  return out;
}

/** The kernel target's line: GEMM GFLOP/s as a share of the probe's peak. */
const gemmLine = (r: Report): string[] => {
  const g = r.summary.gemm;
  return g ? [`${g.name}: ${g.gflops.toFixed(1)} GFLOP/s, ${g.pctPeak.toFixed(1)} % of the ${r.peak.reference === 'fma' ? 'FMA' : 'mul+add'} peak`] : [];
};

function problems(r: Report): string[] {
  const out: string[] = [];
  for (const e of [...r.layers, ...r.models]) {
    for (const [p, pe] of Object.entries(e.peers)) {
      if (pe && 'error' in pe) out.push(`${p} could not run ${e.name}: ${pe.error}`);
      else if (pe && pe.maxDiff > 1e-3) out.push(`${p} and wcnn outputs differ on ${e.name}: max difference ${pe.maxDiff} of the largest output`);
    }
  }
  return out;
}

function align(table: string[][], numeric: boolean[]): string[] {
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  return table.map((row) => row.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

/** The human table. */
export function formatTable(r: Report): string[] {
  const { head, body, numeric } = rows(r);
  const out = [
    `wcnn bench: ${headline(r)}`,
    peakLine(r),
    `ms = median of Benchmark.js samples (±% = margin of error of the mean)${r.config.peers.length ? '; peer/wcnn = peer ms / wcnn ms (> 1: wcnn is faster)' : ''}`,
    FLOPS_NOTE,
    '',
    ...align([head, ...body], numeric).map((l) => `  ${l}`),
  ];
  out.push(...gemmLine(r).flatMap((l) => ['', l]));
  const summary = summaryRows(r);
  if (summary.length > 0) {
    const peers = r.config.peers.map((p) => p.name);
    out.push('', 'summary (peer/wcnn, > 1: wcnn is faster)');
    out.push(...align([['', ...peers], ...summary], [false, ...peers.map(() => true)]).map((l) => `  ${l}`));
  }
  const notes = problems(r);
  if (notes.length > 0) out.push('', ...notes.map((n) => `note: ${n}`));
  return out;
}

const mdEscape = (s: string): string => s.replace(/\|/g, '\\|');

function mdTable(head: string[], body: string[][], numeric: boolean[]): string[] {
  return [
    `| ${head.map(mdEscape).join(' | ')} |`,
    `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`,
    ...body.map((row) => `| ${row.map(mdEscape).join(' | ')} |`),
  ];
}

/** Markdown for the README: a heading line with the machine and date, then the tables. */
export function formatMarkdown(r: Report): string[] {
  const { head, body, numeric } = rows(r);
  const out = [
    `### wcnn bench: ${headline(r)}`,
    '',
    `${peakLine(r)}. Times are medians of Benchmark.js samples${r.config.peers.length ? ` (peers: ${r.config.peers.map((p) => p.label).join(', ')}, ${peerThreads(r)}); peer/wcnn > 1 means wcnn is faster` : ''}. ${FLOPS_NOTE}`,
    '',
    ...mdTable(head, body, numeric),
  ];
  out.push(...gemmLine(r).flatMap((l) => ['', l]));
  const summary = summaryRows(r);
  if (summary.length > 0) {
    const peers = r.config.peers.map((p) => p.name);
    out.push('', ...mdTable(['summary (peer/wcnn)', ...peers], summary, [false, ...peers.map(() => true)]));
  }
  const notes = problems(r);
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${mdEscape(n)}`));
  return out;
}
