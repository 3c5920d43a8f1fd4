// A TensorFlow.js interpreter of wcnn's graph IR: each node becomes tfjs ops, NHWC like wcnn, with
// tfjs's fused conv/matMul (bias and activation in one kernel) wherever tfjs has them. Weights
// become tfjs tensors once; run() is one tf.tidy over the nodes in order.
import type * as TF from '@tensorflow/tfjs-core';
import { inferShapes, resolveInputShapes, resolveWindow, type Graph, type Node, type OpSpecs, type OpType } from '@wcnn/nn';
import { activationParts, PeerUnsupported, sliceIndices, type ActivationParts } from './common.js';

export type Tfjs = typeof TF;

export interface TfjsGraph {
  /** Runs the graph; the caller disposes the outputs. */
  run(inputs: Record<string, TF.Tensor>): Record<string, TF.Tensor>;
  dispose(): void;
}

type Fused = { activation?: TF.fused.Activation; leakyreluAlpha?: number };

/** tfjs's fused activation for an activation, and what must run after it. */
function fusedActivation(tf: Tfjs, a: ActivationParts): { fused: Fused; post: (t: TF.Tensor) => TF.Tensor } {
  switch (a.kind) {
    case 'none':
      return { fused: {}, post: (t) => t };
    case 'relu':
    case 'relu6':
    case 'sigmoid':
      return { fused: { activation: a.kind }, post: (t) => t };
    case 'leakyRelu':
      return { fused: { activation: 'leakyrelu', leakyreluAlpha: a.alpha }, post: (t) => t };
    case 'tanh':
      return { fused: {}, post: (t) => tf.tanh(t) };
    case 'clip':
      return { fused: {}, post: (t) => tf.clipByValue(t, a.min, a.max) };
  }
}

type Paddings = Array<[number, number]>;

/** Builds the interpreter for concrete input shapes (batch included). */
export function tfjsGraph(tf: Tfjs, graph: Graph, inputShapes: Record<string, readonly number[]>): TfjsGraph {
  const shapes = inferShapes(graph, resolveInputShapes(graph, inputShapes));
  const weights = new Map<string, TF.Tensor>();
  const constant = (name: string, shape?: number[]): TF.Tensor => {
    const key = shape ? `${name}@${shape.join(',')}` : name;
    let t = weights.get(key);
    if (!t) {
      const c = graph.constants.get(name);
      if (!c) throw new Error(`tfjs: constant '${name}' is missing`);
      t = tf.tensor(c.data, shape ?? c.shape, 'float32');
      weights.set(key, t);
    }
    return t;
  };
  const shapeOf = (v: string): number[] => {
    const s = shapes.get(v);
    if (!s) throw new Error(`tfjs: no shape for '${v}'`);
    return s;
  };
  const unsupported = (n: Node, what: string): never => {
    throw new PeerUnsupported(`tfjs: ${n.op} '${n.name}': ${what}`);
  };

  // Compile every node into a closure once: attribute checks and weight uploads happen here.
  type Step = (get: (v: string) => TF.Tensor) => TF.Tensor;
  const compileNode = (n: Node): Step => {
    const a = n.attrs;
    const x0 = n.inputs[0];
    switch (n.op as OpType) {
      case 'conv2d': {
        const at = a as OpSpecs['conv2d'];
        const [, h, w, cin] = shapeOf(x0);
        const [kh, kw, cpg, cout] = graph.constants.get(n.inputs[1])?.shape ?? unsupported(n, 'the filter must be a constant');
        if (at.padMode === 'circular') unsupported(n, 'circular padding');
        const { pads } = resolveWindow(h, w, [kh, kw], at.strides, at.dilations, at.padding);
        const [t, b, l, r] = pads;
        const explicit: Paddings = [[0, 0], [t, b], [l, r], [0, 0]];
        const pad = at.padding === 'same' ? 'same' : pads.every((p) => p === 0) ? 'valid' : undefined;
        const bias = n.inputs[2] ? constant(n.inputs[2]) : undefined;
        const { fused, post } = fusedActivation(tf, activationParts(at.activation));
        if (at.groups === 1) {
          const filter = constant(n.inputs[1]) as TF.Tensor4D;
          return (get) =>
            post(tf.fused.conv2d({ x: get(x0) as TF.Tensor4D, filter, strides: at.strides, pad: pad ?? (explicit as TF.backend_util.ExplicitPadding), dilations: at.dilations, bias, ...fused }));
        }
        if (at.groups === cin && cpg === 1) {
          // Depthwise: (kh, kw, 1, cin * m) is tfjs's (kh, kw, cin, m) in memory.
          const filter = constant(n.inputs[1], [kh, kw, cin, cout / cin]) as TF.Tensor4D;
          // tfjs's fused depthwise conv takes 'same' / 'valid' only: other padding is a tf.pad first.
          return (get) => {
            const x = pad ? (get(x0) as TF.Tensor4D) : tf.pad(get(x0) as TF.Tensor4D, explicit);
            return post(tf.fused.depthwiseConv2d({ x, filter, strides: at.strides, pad: pad ?? 'valid', dilations: at.dilations, bias, ...fused }));
          };
        }
        // Grouped: tfjs has no groups; one conv per group, then concat.
        const g = at.groups;
        const kpg = cout / g;
        const filters = Array.from({ length: g }, (_, i) => {
          const c = graph.constants.get(n.inputs[1])!;
          const data = new Float32Array(kh * kw * cpg * kpg);
          for (let p = 0; p < kh * kw * cpg; p++) data.set(c.data.subarray(p * cout + i * kpg, p * cout + (i + 1) * kpg), p * kpg);
          const ft = tf.tensor4d(data, [kh, kw, cpg, kpg]);
          weights.set(`${n.name}::group${i}`, ft);
          return ft;
        });
        return (get) => {
          const parts = tf.split(get(x0), g, 3) as TF.Tensor4D[];
          const ys = parts.map((p, i) => tf.conv2d(p, filters[i], at.strides, pad ?? (explicit as TF.backend_util.ExplicitPadding), 'NHWC', at.dilations));
          const y = tf.concat(ys, 3);
          return post(applyAct(tf, bias ? tf.add(y, bias) : y, fused));
        };
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const at = a as OpSpecs['maxPool2d'];
        if (at.dilations[0] !== 1 || at.dilations[1] !== 1) unsupported(n, 'dilated pooling');
        const [, h, w] = shapeOf(x0);
        const [, oh, ow] = shapeOf(n.outputs[0]);
        const { pads } = resolveWindow(h, w, at.kernel, at.strides, at.dilations, at.padding);
        const [t, b, l, r] = pads;
        // ceil mode: the last windows may hang over the end; pad that overhang too (never counted).
        const extraB = Math.max(0, (oh - 1) * at.strides[0] + at.kernel[0] - (h + t + b));
        const extraR = Math.max(0, (ow - 1) * at.strides[1] + at.kernel[1] - (w + l + r));
        const sameAsTf = at.padding === 'same' && extraB === 0 && extraR === 0;
        if (n.op === 'avgPool2d' && at.countIncludePad && (t || b || l || r)) {
          // PyTorch's count_include_pad: zeros padded in count; only the ceil overhang does not.
          const zeros: Paddings = [[0, 0], [t, b], [l, r], [0, 0]];
          const over: Paddings = [[0, 0], [0, extraB], [0, extraR], [0, 0]];
          const padOver = extraB || extraR ? (over as TF.backend_util.ExplicitPadding) : 'valid';
          return (get) => tf.avgPool(tf.pad(get(x0) as TF.Tensor4D, zeros), at.kernel, at.strides, padOver);
        }
        const explicit: Paddings = [[0, 0], [t, b + extraB], [l, r + extraR], [0, 0]];
        const pad = sameAsTf ? 'same' : explicit.every(([p, q]) => p === 0 && q === 0) ? 'valid' : (explicit as TF.backend_util.ExplicitPadding);
        const pool = n.op === 'maxPool2d' ? tf.maxPool : tf.avgPool;
        return (get) => pool(get(x0) as TF.Tensor4D, at.kernel, at.strides, pad);
      }
      case 'globalAvgPool2d':
        return (get) => tf.mean(get(x0), [1, 2], (a as OpSpecs['globalAvgPool2d']).keepDims);
      case 'globalMaxPool2d':
        return (get) => tf.max(get(x0), [1, 2], (a as OpSpecs['globalMaxPool2d']).keepDims);
      case 'dense': {
        const at = a as OpSpecs['dense'];
        const wt = constant(n.inputs[1]) as TF.Tensor2D;
        const bias = n.inputs[2] ? constant(n.inputs[2]) : undefined;
        const { fused, post } = fusedActivation(tf, activationParts(at.activation));
        const xs = shapeOf(x0);
        const out = shapeOf(n.outputs[0]);
        return (get) => {
          const x2 = xs.length === 2 ? (get(x0) as TF.Tensor2D) : tf.reshape(get(x0), [-1, xs[xs.length - 1]]) as TF.Tensor2D;
          const y = post(tf.fused.matMul({ a: x2, b: wt, bias, ...fused }));
          return xs.length === 2 ? y : tf.reshape(y, out);
        };
      }
      case 'batchNorm': {
        const eps = (a as OpSpecs['batchNorm']).epsilon;
        const [gamma, beta, mean, variance] = n.inputs.slice(1).map((i) => constant(i) as TF.Tensor1D);
        return (get) => tf.batchNorm(get(x0), mean, variance, beta, gamma, eps);
      }
      case 'add':
        return (get) => tf.add(get(n.inputs[0]), get(n.inputs[1]));
      case 'sub':
        return (get) => tf.sub(get(n.inputs[0]), get(n.inputs[1]));
      case 'mul':
        return (get) => tf.mul(get(n.inputs[0]), get(n.inputs[1]));
      case 'div':
        return (get) => tf.div(get(n.inputs[0]), get(n.inputs[1]));
      case 'relu':
        return (get) => tf.relu(get(x0));
      case 'relu6':
        return (get) => tf.relu6(get(x0));
      case 'leakyRelu':
        return (get) => tf.leakyRelu(get(x0), (a as OpSpecs['leakyRelu']).alpha);
      case 'clip': {
        const { min, max } = a as OpSpecs['clip'];
        return (get) => tf.clipByValue(get(x0), min, max);
      }
      case 'sigmoid':
        return (get) => tf.sigmoid(get(x0));
      case 'tanh':
        return (get) => tf.tanh(get(x0));
      case 'identity':
        return (get) => tf.clone(get(x0));
      case 'softmax': {
        const rank = shapeOf(x0).length;
        const axis = (a as OpSpecs['softmax']).axis < 0 ? (a as OpSpecs['softmax']).axis + rank : (a as OpSpecs['softmax']).axis;
        if (axis === rank - 1) return (get) => tf.softmax(get(x0));
        // tfjs's softmax is over the last axis: move the axis there and back.
        const perm = [...Array(rank).keys()].filter((d) => d !== axis).concat(axis);
        const inverse = perm.map((_, i) => perm.indexOf(i));
        return (get) => tf.transpose(tf.softmax(tf.transpose(get(x0), perm)), inverse);
      }
      case 'concat':
        return (get) => tf.concat(n.inputs.map(get), (a as OpSpecs['concat']).axis);
      case 'flatten':
      case 'reshape': {
        const out = shapeOf(n.outputs[0]);
        return (get) => tf.reshape(get(x0), out);
      }
      case 'transpose':
        return (get) => tf.transpose(get(x0), (a as OpSpecs['transpose']).perm);
      case 'pad': {
        const at = a as OpSpecs['pad'];
        const rank = shapeOf(x0).length;
        const paddings: Paddings = Array.from({ length: rank }, (_, i) => [at.pads[i], at.pads[rank + i]]);
        if (at.mode === 'constant') return (get) => tf.pad(get(x0), paddings, at.value);
        if (at.mode === 'reflect') return (get) => tf.mirrorPad(get(x0), paddings, 'reflect');
        return unsupported(n, `pad mode '${at.mode}'`);
      }
      case 'slice': {
        const at = a as OpSpecs['slice'];
        const idx = sliceIndices(shapeOf(x0), at);
        if (idx.every((d) => d.step === 1)) {
          return (get) => tf.slice(get(x0), idx.map((d) => d.begin), idx.map((d) => d.count));
        }
        // Other steps: one gather per axis with a step other than 1.
        const gathers = idx
          .map((d, axis) => ({ axis, d }))
          .filter(({ d }) => d.step !== 1)
          .map(({ axis, d }) => ({ axis, indices: tf.tensor1d(Array.from({ length: d.count }, (_, i) => d.begin + i * d.step), 'int32') }));
        gathers.forEach((gd, i) => weights.set(`${n.name}::indices${i}`, gd.indices));
        const begin = idx.map((d) => (d.step === 1 ? d.begin : 0));
        const size = idx.map((d, axis) => (d.step === 1 ? d.count : shapeOf(x0)[axis]));
        return (get) => gathers.reduce((t, gd) => tf.gather(t, gd.indices, gd.axis), tf.slice(get(x0), begin, size));
      }
      default:
        return unsupported(n, 'not an op the tfjs interpreter knows');
    }
  };

  const WEIGHT_OPS: ReadonlySet<string> = new Set(['conv2d', 'dense', 'batchNorm']);
  let steps: Array<{ node: Node; step: Step }>;
  try {
    steps = graph.nodes.map((node) => ({ node, step: compileNode(node) }));
    // Constants read at run time (a bias added by 'add', say) become tensors now, outside any tidy.
    for (const node of graph.nodes) if (!WEIGHT_OPS.has(node.op)) node.inputs.filter((i) => graph.constants.has(i)).forEach((i) => constant(i));
    for (const o of graph.outputs) if (graph.constants.has(o)) constant(o);
  } catch (e) {
    weights.forEach((t) => t.dispose());
    throw e;
  }

  return {
    run(inputs) {
      return tf.tidy(() => {
        const values = new Map<string, TF.Tensor>();
        const get = (v: string): TF.Tensor => {
          const t = values.get(v) ?? inputs[v] ?? (graph.constants.has(v) ? constant(v) : undefined);
          if (!t) throw new Error(`tfjs: value '${v}' is not defined`);
          return t;
        };
        for (const { node, step } of steps) values.set(node.outputs[0], step(get));
        return Object.fromEntries(graph.outputs.map((o) => [o, values.has(o) ? get(o) : tf.clone(get(o))]));
      });
    },
    dispose() {
      weights.forEach((t) => t.dispose());
      weights.clear();
    },
  };
}

function applyAct(tf: Tfjs, y: TF.Tensor, fused: Fused): TF.Tensor {
  switch (fused.activation) {
    case 'relu':
      return tf.relu(y);
    case 'relu6':
      return tf.relu6(y);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'leakyrelu':
      return tf.leakyRelu(y, fused.leakyreluAlpha);
    default:
      return y;
  }
}
