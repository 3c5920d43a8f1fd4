// Runs the cases: for each one, wcnn and every peer are set up, checked against each other once,
// warmed up, then timed interleaved — peer, wcnn, peer, wcnn — so that load from other processes
// hits both sides of each ratio alike. wcnn's samples from its rounds are pooled.
import type { Peer, PeerCase, PeerName } from '../peers/common.js';
import { gemmWcnnCase, graphCase, layerGraph, layerSpec, type ModelCase, type WcnnCase } from './cases.js';
import { sampleOnce, summarize, warmUp, type MeasureOptions, type RunFn, type Stats } from './measure.js';
import { layerClass, type LayerClass, type SuiteLayer } from './suite.js';

export interface PeerResult extends Partial<Stats> {
  /** peer ms / wcnn ms (medians): > 1 means wcnn is faster. */
  ratio?: number;
  /** max |peer - wcnn| over the outputs, relative to the largest |wcnn| output. */
  maxDiff?: number;
  /** Why the peer could not run the case. */
  error?: string;
}

export interface CaseResult {
  kind: 'layer' | 'model' | 'kernel';
  name: string;
  /** layers: the network the layer comes from */
  model?: string;
  class?: LayerClass;
  /** layers: the suite entry */
  layer?: SuiteLayer;
  /** models: input shapes used, in the model's layout */
  inputShapes?: Record<string, number[]>;
  flops: number;
  wcnn: Stats;
  peers: Partial<Record<PeerName, PeerResult>>;
}

export interface RunOptions extends MeasureOptions {
  peers: readonly Peer[];
  /** Milliseconds of warm-up calls per engine and case. */
  warmupMs: number;
  /** Called before each timed measurement: done so far, total, and what is next. */
  progress?: (done: number, total: number, label: string) => void;
  /** Called after each case (the peak probe samples again there). */
  betweenCases?: () => void;
}

/** max |a - b| / max |a| over outputs present in both (keys by output name). */
export function maxRelativeDiff(ref: Record<string, Float32Array>, other: Record<string, Float32Array>): number {
  let scale = 1e-12;
  let diff = 0;
  for (const [name, a] of Object.entries(ref)) {
    const b = other[name];
    if (!b) throw new Error(`output '${name}' is missing`);
    if (b.length !== a.length) throw new Error(`output '${name}' has ${b.length} values instead of ${a.length}`);
    for (let i = 0; i < a.length; i++) {
      scale = Math.max(scale, Math.abs(a[i]));
      const d = Math.abs(a[i] - b[i]);
      diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    }
  }
  return diff / scale;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface Subject {
  name: string;
  flops: number;
  makeWcnn(): WcnnCase;
  makePeer(p: Peer): Promise<PeerCase>;
  /** Drops the case's data once it is measured. */
  release?(): void;
  /** wcnn alone (a kernel case: the peers have no such call) */
  alone?: boolean;
  result: Omit<CaseResult, 'wcnn' | 'peers' | 'flops' | 'name'>;
}

/** The GEMM the kernel target reads: n x n x n through f32_gemm, wcnn alone. */
export const GEMM_SIZE = 512;

/** Everything the run will measure, in order: with `gemm`, the GEMM kernel case first. */
export function subjects(layers: readonly SuiteLayer[], models: readonly ModelCase[], gemm = false): Subject[] {
  const n = GEMM_SIZE;
  const kernels: Subject[] = !gemm ? [] : [{
    name: `gemm ${n}x${n}x${n}`,
    flops: 2 * n * n * n,
    makeWcnn: () => gemmWcnnCase(n),
    makePeer: () => Promise.reject(new Error('not a peer case')),
    alone: true,
    result: { kind: 'kernel' },
  }];
  return [
    ...kernels,
    ...layers.map((l): Subject => {
      // The layer's data is made when its case starts and dropped when it ends.
      let data: ReturnType<typeof layerSpec> | undefined;
      const spec = () => (data ??= layerSpec(l));
      return {
        name: l.name,
        flops: l.flops,
        makeWcnn: () => graphCase(layerGraph(spec()), { x: { data: spec().x, shape: spec().xShape } }),
        makePeer: (p) => p.layer(spec()),
        release: () => {
          data = undefined;
        },
        result: { kind: 'layer', model: l.model, class: layerClass(l), layer: l },
      };
    }),
    ...models.map((m): Subject => ({
      name: m.name,
      flops: m.flops,
      makeWcnn: () => graphCase(m.spec.graph, m.spec.inputs),
      makePeer: (p) => p.model(m.spec),
      result: { kind: 'model', inputShapes: m.inputShapes },
    })),
  ];
}

export async function runCases(list: readonly Subject[], o: RunOptions): Promise<CaseResult[]> {
  const total = list.reduce((n, s) => n + (s.alone || o.peers.length === 0 ? 1 : o.peers.length * 2), 0);
  let done = 0;
  const results: CaseResult[] = [];
  for (const s of list) {
    const peersHere = s.alone ? [] : o.peers;
    const wcnn = s.makeWcnn();
    const peerCases = new Map<PeerName, PeerCase>();
    const peers: CaseResult['peers'] = {};
    try {
      const ref = wcnn.outputs();
      for (const p of peersHere) {
        try {
          const pc = await s.makePeer(p);
          peerCases.set(p.name, pc);
          peers[p.name] = { maxDiff: maxRelativeDiff(ref, await pc.outputs()) };
        } catch (e) {
          // A peer that cannot run a case (an op it lacks, PeerUnsupported) or fails is reported, not fatal.
          peers[p.name] = { error: message(e) };
          const pc = peerCases.get(p.name);
          peerCases.delete(p.name);
          await pc?.dispose();
        }
      }
      await warmUp(wcnn.run, 3, o.warmupMs);
      for (const pc of peerCases.values()) await warmUp(pc.run, 3, o.warmupMs);
      const timeOf = async (label: string, fn: RunFn, async: boolean): Promise<number[]> => {
        o.progress?.(done, total, `${s.name} · ${label}`);
        const samples = await sampleOnce(`${s.name} ${label}`, fn, async, o);
        done++;
        return samples;
      };
      const wcnnSamples: number[] = [];
      const peerStats = new Map<PeerName, Stats>();
      for (const p of peersHere) {
        const pc = peerCases.get(p.name);
        if (pc) peerStats.set(p.name, summarize(await timeOf(p.name, pc.run, pc.async)));
        else done++;
        wcnnSamples.push(...(await timeOf('wcnn', wcnn.run, false)));
      }
      if (peersHere.length === 0) wcnnSamples.push(...(await timeOf('wcnn', wcnn.run, false)));
      const w = summarize(wcnnSamples);
      for (const [name, st] of peerStats) peers[name] = { ...st, ratio: st.ms / w.ms, ...peers[name] };
      results.push({ ...s.result, name: s.name, flops: s.flops, wcnn: w, peers });
    } finally {
      wcnn.dispose();
      for (const pc of peerCases.values()) await pc.dispose();
      s.release?.();
    }
    o.betweenCases?.();
  }
  o.progress?.(done, total, 'done');
  return results;
}
