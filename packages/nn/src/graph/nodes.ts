// Per-op knowledge of the graph IR: output shapes (no memory touched) and operators (weights
// packed). Both go through the same geometry functions as the functional ops.
import { formatShape } from '@wcnn/tensor';
import { convGeometry, convOutShape, createConv2d } from '../ops/conv2d.js';
import { createDense } from '../ops/dense.js';
import { broadcastShapes, createBinary, createUnary } from '../ops/elementwise.js';
import { createConcat, createPad2d, createSlice, createTranspose, reshapeShape, sliceGeometry } from '../ops/layout.js';
import { createBatchNorm, createSoftmax } from '../ops/normalize.js';
import { createGlobalPool, createPool2d, poolGeometry } from '../ops/pool.js';
import { sizeOf, type Operator, type Shape, type WeightData, type WinogradFilter, type GemmFilter } from '../runtime.js';
import { fail } from '../validate.js';
import type { Constant, Node, OpSpecs, OpType } from './ir.js';

/** Inputs that are weights, read at create time: they never live in the activation arena. */
export const WEIGHT_INPUTS: Partial<Record<OpType, readonly number[]>> = {
  conv2d: [1, 2],
  dense: [1, 2],
  batchNorm: [1, 2, 3, 4],
};

/** Ops whose output is the input's memory under another shape. */
export const ALIAS_OPS: ReadonlySet<OpType> = new Set<OpType>(['reshape', 'flatten', 'identity']);

/** Ops that may write over their first input when it is not needed afterwards. */
export const IN_PLACE_OPS: ReadonlySet<OpType> = new Set<OpType>(['relu', 'relu6', 'leakyRelu', 'clip', 'sigmoid', 'tanh', 'batchNorm', 'add', 'sub', 'mul', 'div']);

const label = (n: Node): string => `${n.op} '${n.name}'`;

function attrs<T extends OpType>(n: Node, _op: T): OpSpecs[T] {
  return n.attrs as OpSpecs[T];
}

function need(n: Node, count: number, optional = 0): void {
  if (n.inputs.length < count || n.inputs.length > count + optional) {
    const expected = optional ? `${count} to ${count + optional}` : `${count}`;
    fail(label(n), `expects ${expected} inputs, got ${n.inputs.length}`);
  }
}

/** ONNX pads (begins then ends, per axis) of a 4-D NHWC tensor as [top, bottom, left, right]. */
function spatialPads(n: Node, rank: number, pads: readonly number[]): [number, number, number, number] {
  if (rank !== 4 || pads.length !== 8) fail(label(n), `only spatial padding of 4-D NHWC tensors is supported, got pads ${formatShape(pads)} for rank ${rank}`);
  if (pads[0] !== 0 || pads[3] !== 0 || pads[4] !== 0 || pads[7] !== 0) {
    fail(label(n), `only the H and W axes may be padded, got pads ${formatShape(pads)}`);
  }
  return [pads[1], pads[5], pads[2], pads[6]];
}

/** Output shapes of a node from its input shapes (weights included). */
export function inferNode(n: Node, inShapes: readonly Shape[]): number[][] {
  const op = label(n);
  const x = inShapes[0];
  switch (n.op) {
    case 'conv2d': {
      const residual = attrs(n, 'conv2d').residual === true;
      if (residual) need(n, 4);
      else need(n, 2, 1);
      const g = convGeometry(op, x, inShapes[1], attrs(n, 'conv2d'), inShapes[2]);
      if (residual && attrs(n, 'conv2d').maxPool2x2) fail(op, 'a conv cannot both take a residual and pool');
      const out = convOutShape(g, attrs(n, 'conv2d'));
      if (residual && (inShapes[3].length !== 4 || inShapes[3].some((d, i) => d !== out[i]))) {
        fail(op, `the residual input must have the output's shape ${formatShape(out)}, got ${formatShape(inShapes[3])}`);
      }
      return [out];
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      need(n, 1);
      const g = poolGeometry(op, x, attrs(n, 'maxPool2d'));
      return [[g.n, g.oh, g.ow, g.c]];
    }
    case 'globalAvgPool2d':
    case 'globalMaxPool2d': {
      need(n, 1);
      if (x.length !== 4) fail(op, `x must be rank 4 (NHWC), but got rank ${x.length} (shape ${formatShape(x)})`);
      return [attrs(n, 'globalAvgPool2d').keepDims ? [x[0], 1, 1, x[3]] : [x[0], x[3]]];
    }
    case 'dense': {
      need(n, 2, 1);
      const w = inShapes[1];
      if (w.length !== 2) fail(op, `w must be rank 2 ([in, out]), got shape ${formatShape(w)}`);
      if (x.length < 2 || x[x.length - 1] !== w[0]) fail(op, `x ${formatShape(x)} has ${x[x.length - 1]} features but w expects ${w[0]} (w shape ${formatShape(w)})`);
      if (inShapes[2] && sizeOf(inShapes[2]) !== w[1]) fail(op, `bias must have shape [${w[1]}], got ${formatShape(inShapes[2])}`);
      return [[...x.slice(0, -1), w[1]]];
    }
    case 'batchNorm': {
      need(n, 5);
      const c = x[x.length - 1];
      inShapes.slice(1).forEach((s, i) => {
        if (sizeOf(s) !== c) fail(op, `${['gamma', 'beta', 'mean', 'variance'][i]} must have ${c} values (one per channel), got shape ${formatShape(s)}`);
      });
      return [[...x]];
    }
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
      need(n, 2);
      return [broadcastShapes(op, x, inShapes[1])];
    case 'relu':
    case 'relu6':
    case 'leakyRelu':
    case 'clip':
    case 'sigmoid':
    case 'tanh':
    case 'identity':
    case 'softmax':
      need(n, 1);
      return [[...x]];
    case 'concat': {
      const { axis } = attrs(n, 'concat');
      const rank = x.length;
      const ax = axis < 0 ? axis + rank : axis;
      if (ax < 0 || ax >= rank) fail(op, `axis ${axis} is out of range for rank ${rank}`);
      inShapes.forEach((s, i) => {
        if (s.length !== rank || s.some((d, j) => j !== ax && d !== x[j])) fail(op, `input ${i} has shape ${formatShape(s)} but all axes except ${ax} must match ${formatShape(x)}`);
      });
      const out = [...x];
      out[ax] = inShapes.reduce((sum, s) => sum + s[ax], 0);
      return [out];
    }
    case 'flatten':
      need(n, 1);
      return [[x[0], sizeOf(x) / x[0]]];
    case 'reshape':
      need(n, 1);
      return [reshapeShape(op, x, attrs(n, 'reshape').shape)];
    case 'transpose': {
      need(n, 1);
      const { perm } = attrs(n, 'transpose');
      if (perm.length !== x.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) fail(op, `perm must be a permutation of 0..${x.length - 1}, got ${formatShape(perm)}`);
      return [perm.map((p) => x[p])];
    }
    case 'pad': {
      need(n, 1);
      const [t, b, l, r] = spatialPads(n, x.length, attrs(n, 'pad').pads);
      return [[x[0], x[1] + t + b, x[2] + l + r, x[3]]];
    }
    case 'slice':
      need(n, 1);
      return [sliceGeometry(op, x, attrs(n, 'slice')).out];
    default:
      fail(label(n), 'is not an op of the graph IR');
  }
}

export function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** Fails unless every value of weight `name` is finite. */
export function checkFinite(op: string, name: string, data: Float32Array): void {
  const bad = firstNonFinite(data);
  if (bad >= 0) fail(op, `weight '${name}' holds ${data[bad]} at index ${bad}; weights must be finite`);
}

/** `${op} '${name}'`: how errors name a node. */
export const nodeLabel = label;

/**
 * Creates the operator of a node; weight inputs are read from `constants`: in place when a model
 * owns them in wasm memory (checked once when it moved them there), else from their data.
 */
export function createNodeOperator(n: Node, inShapes: readonly Shape[], constants: ReadonlyMap<string, Constant>): Operator {
  const op = label(n);
  const weight = (i: number): WeightData | undefined => {
    const name = n.inputs[i];
    if (name === undefined) return undefined;
    const c = constants.get(name);
    if (!c) fail(op, `input ${i} ('${name}') must be a constant (a weight), but it is computed at run time`);
    if (c.tensor) return c.tensor;
    const data = c.data;
    checkFinite(op, name, data);
    return data;
  };
  const filter = (): WeightData | WinogradFilter | GemmFilter => constants.get(n.inputs[1])?.winograd ?? constants.get(n.inputs[1])?.gemm ?? weight(1)!;
  const x = inShapes[0];
  switch (n.op) {
    case 'conv2d':
      return createConv2d(op, x, inShapes[1], filter(), weight(2), attrs(n, 'conv2d'));
    case 'maxPool2d':
      return createPool2d(op, 'max', x, attrs(n, 'maxPool2d'));
    case 'avgPool2d':
      return createPool2d(op, 'avg', x, attrs(n, 'avgPool2d'));
    case 'globalAvgPool2d':
      return createGlobalPool(op, 'avg', x, attrs(n, 'globalAvgPool2d').keepDims);
    case 'globalMaxPool2d':
      return createGlobalPool(op, 'max', x, attrs(n, 'globalMaxPool2d').keepDims);
    case 'dense':
      return createDense(op, x, inShapes[1], weight(1)!, weight(2), attrs(n, 'dense').activation);
    case 'batchNorm':
      return createBatchNorm(op, x, { gamma: weight(1), beta: weight(2), mean: weight(3)!, variance: weight(4)!, epsilon: attrs(n, 'batchNorm').epsilon });
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
      return createBinary(op, n.op, x, inShapes[1]);
    case 'relu':
    case 'relu6':
    case 'sigmoid':
    case 'tanh':
    case 'identity':
      return createUnary(n.op, x);
    case 'leakyRelu':
      return createUnary('leakyRelu', x, { alpha: attrs(n, 'leakyRelu').alpha });
    case 'clip':
      return createUnary('clip', x, attrs(n, 'clip'));
    case 'softmax':
      return createSoftmax(op, x, attrs(n, 'softmax').axis);
    case 'concat':
      return createConcat(op, inShapes, attrs(n, 'concat').axis);
    case 'transpose':
      return createTranspose(op, x, attrs(n, 'transpose').perm);
    case 'pad': {
      const a = attrs(n, 'pad');
      return createPad2d(op, x, spatialPads(n, x.length, a.pads), a.mode, a.value);
    }
    case 'slice':
      return createSlice(op, x, attrs(n, 'slice'));
    case 'flatten':
    case 'reshape':
      return createUnary('identity', inferNode(n, inShapes)[0]);
    default:
      fail(op, 'is not an op of the graph IR');
  }
}
