/**
 * The graph IR: what the ONNX importer and the Keras-style layers both produce, and what
 * `compile()` turns into a plan. All values are float32. 4-D activations are NHWC; weights use the
 * Keras layouts (conv [kh, kw, cin/groups, cout], dense [in, out]). Importers translate layouts at
 * the edges (ONNX: OIHW weights are permuted at import, 4-D outputs get a final `transpose` back to
 * NCHW, and loadOnnx adds a first `transpose` from NCHW inputs).
 *
 * Nodes are listed in topological order. Each node names its input values (graph inputs, constants
 * or outputs of earlier nodes) and its outputs. Optional inputs are omitted (not empty strings).
 */
import type { Tensor } from '@wcnn/tensor';
import type { GemmFilter, WinogradFilter } from '../runtime.js';
import type { Activation as ActivationSpec } from '../activation.js';
import type { ConvAttrs } from '../ops/conv2d.js';
import type { PoolAttrs } from '../ops/pool.js';

// The attributes of the window ops are the operators' own (one definition).
export type { WindowPadding } from '../ops/conv2d.js';
export type Conv2dAttrs = ConvAttrs;
export type Pool2dAttrs = PoolAttrs;

/** Every op, its inputs (in order) and attributes. */
export interface OpSpecs {
  /**
   * [x (N,H,W,Cin), w const (kh,kw,Cin/groups,Cout), b? const (Cout)] -> (N,OH,OW,Cout); with
   * attrs.residual, [x, w, b, r (N,OH,OW,Cout)] -> act(conv + b + r) (compile() fuses Add this way);
   * with attrs.maxPool2x2, -> (N,floor(OH/2),floor(OW/2),Cout), a 2x2 max pool of act(conv + b).
   */
  conv2d: Conv2dAttrs;
  /** [x (N,H,W,C)] -> (N,OH,OW,C) */
  maxPool2d: Pool2dAttrs;
  avgPool2d: Pool2dAttrs;
  /** [x (N,H,W,C)] -> (N,C), or (N,1,1,C) with keepDims */
  globalAvgPool2d: { keepDims: boolean };
  globalMaxPool2d: { keepDims: boolean };
  /** [x (..., in), w const (in,out), b? const (out)] -> (..., out) */
  dense: { activation?: ActivationSpec };
  /** [x (..., C), gamma, beta, mean, variance] all const (C) */
  batchNorm: { epsilon: number };
  /** [a, b] with NumPy broadcasting */
  add: Record<string, never>;
  sub: Record<string, never>;
  mul: Record<string, never>;
  div: Record<string, never>;
  relu: Record<string, never>;
  relu6: Record<string, never>;
  leakyRelu: { alpha: number };
  clip: { min: number; max: number };
  sigmoid: Record<string, never>;
  tanh: Record<string, never>;
  identity: Record<string, never>;
  /** over one axis (negative counts from the end) */
  softmax: { axis: number };
  /** [...inputs] along one axis */
  concat: { axis: number };
  /** (N, ...) -> (N, product of the rest), memory order */
  flatten: Record<string, never>;
  /** memory order; one entry may be -1 (inferred); 0 copies the input's dimension (ONNX) */
  reshape: { shape: number[] };
  /** out axis i = in axis perm[i] */
  transpose: { perm: number[] };
  /** all begins, then all ends, in IR axis order (2 * rank numbers, as ONNX orders them) */
  pad: { pads: number[]; mode: 'constant' | 'reflect' | 'edge' | 'circular'; value: number };
  /** ONNX Slice semantics with resolved constant starts/ends/axes/steps */
  slice: { starts: number[]; ends: number[]; axes: number[]; steps: number[] };
}

export type OpType = keyof OpSpecs;

export interface Node<T extends OpType = OpType> {
  name: string;
  op: T;
  inputs: string[];
  outputs: string[];
  attrs: OpSpecs[T];
}

export interface Constant {
  /**
   * The values. For a weight a GraphModel owns (`tensor` set) this is a getter that copies them out
   * of wasm memory; for a layer's weights a getter that creates them on first use.
   */
  readonly data: Float32Array;
  shape: number[];
  /**
   * The weight in wasm memory, owned by the GraphModel that moved it there: operators that can use
   * the weight's own layout read it in place (dense with one row, depthwise convs) instead of copying.
   */
  readonly tensor?: Tensor;
  /**
   * A 3x3 filter the model keeps only in Winograd form (its first plan ran the conv that way): the
   * conv reads it in place; `data` then throws (the original values are not kept).
   */
  readonly winograd?: WinogradFilter;
  /**
   * A filter the model keeps only packed for im2col + GEMM, its conv's bias included: the conv reads it
   * in place; `data` then throws.
   */
  readonly gemm?: GemmFilter;
  /**
   * The values are `data` (of shape `shape`) permuted (out axis i = axis perm[i]), not computed yet (an
   * ONNX filter stored as (cout, cin, kh, kw)): a model that owns its weights packs them from there. With
   * `file`, `data` is still in a file: `file.read` puts its little-endian bytes where the model wants them.
   */
  readonly stored?: {
    readonly data: Float32Array;
    shape: readonly number[];
    perm: readonly number[];
    file?: { readonly byteLength: number; read(into: Uint8Array, offset?: number): void };
  };
  /**
   * A filter with a batch norm folded in, not computed yet: `source`'s values times `scale` per
   * output channel (the last axis). A model that owns its weights scales them in wasm memory.
   */
  readonly scaled?: { source: Constant; scale: Float32Array };
  /**
   * The values without keeping them (a layer's seeded weights not created yet), written into `into`
   * when given (then returned): a GraphModel that owns its weights creates them straight in wasm
   * memory, so no JS copy exists at all.
   */
  readonly take?: (into?: Float32Array) => Float32Array;
}

export interface GraphInput {
  name: string;
  /** null: any size (a batch dimension, say); fixed when compiled for concrete shapes. */
  shape: Array<number | null>;
}

export interface Graph {
  name: string;
  inputs: GraphInput[];
  outputs: string[];
  nodes: Node[];
  constants: Map<string, Constant>;
}

export const OP_TYPES: readonly OpType[] = [
  'conv2d', 'maxPool2d', 'avgPool2d', 'globalAvgPool2d', 'globalMaxPool2d', 'dense', 'batchNorm',
  'add', 'sub', 'mul', 'div', 'relu', 'relu6', 'leakyRelu', 'clip', 'sigmoid', 'tanh', 'identity',
  'softmax', 'concat', 'flatten', 'reshape', 'transpose', 'pad', 'slice',
];
