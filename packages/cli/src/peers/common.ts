// What both peers (TensorFlow.js, onnxruntime-web) share: the cases they run, and small helpers
// over the graph IR.
import type { ActivationSpec, Graph } from '@wcnn/nn';
import type { RunFn } from '../bench/measure.js';

export type PeerName = 'tfjs' | 'ort';
export const PEER_NAMES: readonly PeerName[] = ['tfjs', 'ort'];

/** One conv layer of the suite, with the data every engine uses (NHWC, HWIO like wcnn). */
export interface ConvLayerSpec {
  x: Float32Array;
  /** [n, h, w, cin] */
  xShape: [number, number, number, number];
  w: Float32Array;
  /** [kh, kw, cin / groups, cout] */
  wShape: [number, number, number, number];
  bias: Float32Array;
  strides: [number, number];
  /** 'same' is Keras/TF 'same' (the odd pixel after), which tfjs has built in. */
  padding: 'same' | 'valid';
  /** The same padding resolved: [top, bottom, left, right]. */
  pads: [number, number, number, number];
  groups: number;
}

export interface TensorData {
  data: Float32Array;
  shape: number[];
}

/** A whole model: wcnn's graph IR (its inputs in the graph's own layout) and, for an .onnx file, its bytes. */
export interface ModelSpec {
  label: string;
  graph: Graph;
  /** Inputs by name, in the layout of the graph's inputs (NHWC for zoo models, NCHW for .onnx). */
  inputs: Record<string, TensorData>;
  /** The .onnx file the graph was imported from: onnxruntime runs it as it is. */
  onnx?: Uint8Array;
}

/** A case a peer has set up: `run` is timed; `outputs` (by output name, in wcnn's layout) is not. */
export interface PeerCase {
  run: RunFn;
  async: boolean;
  outputs(): Promise<Record<string, Float32Array>>;
  dispose(): void | Promise<void>;
}

export interface Peer {
  name: PeerName;
  /** e.g. 'tfjs-backend-wasm 4.22.0' */
  label: string;
  version: string;
  layer(spec: ConvLayerSpec): Promise<PeerCase>;
  model(spec: ModelSpec): Promise<PeerCase>;
}

/** A case a peer cannot run (an op or attribute it lacks): reported, not fatal. */
export class PeerUnsupported extends Error {}

/** A conv/dense activation split into its kind and parameters. */
export type ActivationParts =
  | { kind: 'none' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' }
  | { kind: 'leakyRelu'; alpha: number }
  | { kind: 'clip'; min: number; max: number };

/** nn's default leakyRelu slope (tf.nn.leaky_relu's). */
const DEFAULT_LEAKY_ALPHA = 0.2;

export function activationParts(a: ActivationSpec | undefined): ActivationParts {
  if (a === undefined || a === 'linear') return { kind: 'none' };
  if (a === 'leakyRelu') return { kind: 'leakyRelu', alpha: DEFAULT_LEAKY_ALPHA };
  if (typeof a === 'string') return { kind: a };
  if (a.type === 'leakyRelu') return { kind: 'leakyRelu', alpha: a.alpha ?? DEFAULT_LEAKY_ALPHA };
  return { kind: 'clip', min: a.min, max: a.max };
}

/** NHWC data -> NCHW data. */
export function nhwcToNchw(data: Float32Array, [n, h, w, c]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch];
  return out;
}

/** NCHW data ([n, c, h, w]) -> NHWC data. */
export function nchwToNhwc(data: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x];
  return out;
}

/** ONNX Slice semantics per axis: the first index, the step and the count (as nn's slice computes them). */
export function sliceIndices(shape: readonly number[], spec: { starts: readonly number[]; ends: readonly number[]; axes: readonly number[]; steps: readonly number[] }): Array<{ begin: number; step: number; count: number }> {
  const out = shape.map((d) => ({ begin: 0, step: 1, count: d }));
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  spec.axes.forEach((a, i) => {
    const ax = a < 0 ? a + shape.length : a;
    const n = shape[ax];
    const s = spec.steps[i] ?? 1;
    let st = spec.starts[i] < 0 ? spec.starts[i] + n : spec.starts[i];
    let en = spec.ends[i] < 0 ? spec.ends[i] + n : spec.ends[i];
    if (s > 0) {
      st = clamp(st, 0, n);
      en = clamp(en, 0, n);
      out[ax] = { begin: st, step: s, count: Math.max(0, Math.ceil((en - st) / s)) };
    } else {
      st = clamp(st, -1, n - 1);
      en = clamp(en, -1, n - 1);
      out[ax] = { begin: st, step: s, count: Math.max(0, Math.ceil((st - en) / -s)) };
    }
  });
  return out;
}
