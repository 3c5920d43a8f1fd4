/**
 * ONNX ops -> IR nodes. Each translator reads its inputs from the Builder, converts layouts where the
 * op needs it (asNhwc / asPlain), emits nodes and declares its outputs with their static ONNX shapes.
 * A form it cannot translate throws Unsupported(reason); the importer collects those.
 */
import type { OpSpecs, Pool2dAttrs, WindowPadding } from '../graph/ir.js';
import { irAxis, irShape, memoryTrivialReshape, NCHW_POS, NHWC_ORDER, reshapeTarget, type Builder, type Runtime } from './builder.js';
import { clampBound, flattenShape, normAxis, reshapeShape, sliceParams, sliceShape, squeezeAxes, squeezeShape, unsqueezeShape } from './fold.js';
import {
  elementsOf,
  floatKnown,
  floatsOf,
  formatDims,
  isSym,
  numbersOf,
  permuteData,
  scalarOf,
  sizeOf,
  Unsupported,
  type Dim,
  type DimNames,
  type Known,
} from './known.js';
import { dataTypeName, isFloatType, type Attrs } from './proto.js';

export interface NodeCtx {
  b: Builder;
  /** the ONNX node's name (IR node names derive from it) */
  node: string;
  op: string;
  opset: number;
  attrs: Attrs;
  /** ONNX input names, '' for an absent optional input */
  inputs: string[];
  outputs: string[];
}

type Translator = (c: NodeCtx) => void;

/** Float32 extremes: Clip's attribute defaults before opset 11 (numeric_limits<float>::lowest/max). */
const FLT_MAX = 3.4028234663852886e38;

// ------------------------------------------------------------------ helpers

const present = (c: NodeCtx, i: number): boolean => (c.inputs[i] ?? '') !== '';

function rt(c: NodeCtx, i: number): Runtime {
  if (!present(c, i)) throw new Unsupported(`input ${i} is missing`);
  return c.b.runtime(c.inputs[i], c.node);
}

function known(c: NodeCtx, i: number): Known | undefined {
  return present(c, i) ? c.b.known(c.inputs[i], c.node) : undefined;
}

/** An input that must be known at import time; `what` names it in the reason. */
function constInput(c: NodeCtx, i: number, what: string): Known {
  if (!present(c, i)) throw new Unsupported(`${what} is missing`);
  const k = c.b.known(c.inputs[i], c.node);
  if (k === undefined) throw new Unsupported(`${what} is not constant`);
  return k;
}

/** Only the first output is supported; `what` names the others in the reason. */
function firstOutputOnly(c: NodeCtx, what: string): void {
  if (c.outputs.slice(1).some((o) => o !== '')) throw new Unsupported(`${what} is not supported`);
}

function rank4(c: NodeCtx, x: Runtime, what: string): void {
  if (x.shape.length !== 4) throw new Unsupported(`only 2-D ${what} (4-D input) is supported; input '${c.inputs[0]}' has shape ${formatDims(x.shape)}`);
}

/** The node's single output as a run-time value; returns its IR name. */
function output(c: NodeCtx, shape: Dim[], nhwc: boolean): string {
  return c.b.defineRuntime(c.outputs[0], shape, nhwc).ir;
}

function addDims(a: Dim, b: Dim, dims: DimNames): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (b === 0) return a;
  if (a === 0) return b;
  return dims.fresh();
}

/** NumPy broadcasting of static shapes; an unknown size meeting a number > 1 is that number. */
function broadcastDims(a: readonly Dim[], b: readonly Dim[], dims: DimNames): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === 'number' && typeof y === 'number') throw new Unsupported(`input shapes ${formatDims(a)} and ${formatDims(b)} do not broadcast`);
    else out.push(typeof x === 'number' ? x : typeof y === 'number' ? y : dims.fresh());
  }
  return out;
}

/**
 * A constant operand of an element-wise op whose other operand is an NHWC activation: its shape,
 * right-aligned to NCHW rank 4, is permuted like the activation ([C,1,1] -> [1,1,C], [1,C,1,1] ->
 * [1,1,1,C]); the leading 1s are dropped again so the constant keeps its rank when it can.
 */
function nhwcBroadcastConstant(k: Known, what: string): { shape: number[]; data: Float32Array } {
  const r = k.shape.length;
  const s4 = [...new Array<number>(4 - r).fill(1), ...k.shape];
  const p = permuteData(floatsOf(k, what), s4, NHWC_ORDER);
  const lead = p.shape.slice(0, 4 - r);
  const shape = lead.every((d) => d === 1) ? p.shape.slice(4 - r) : p.shape;
  return { shape: shape.length === 0 ? [1] : shape, data: p.data };
}

/** A constant operand as it is (a scalar as [1], which broadcasts the same against rank >= 1). */
function plainConstant(k: Known, what: string): { shape: number[]; data: Float32Array } {
  return { shape: k.shape.length === 0 ? [1] : k.shape, data: floatsOf(k, what) };
}

/**
 * A run-time operand of rank < 4 made to broadcast against an NHWC activation, when that needs no
 * data movement (e.g. [C,1,1] is [1,1,C] in memory): the IR name of the reshaped value, or undefined.
 */
function nhwcBroadcastRuntime(c: NodeCtx, v: Runtime): string | undefined {
  const r = v.shape.length;
  const s4: Dim[] = [...new Array<Dim>(4 - r).fill(1), ...v.shape];
  const n4 = NHWC_ORDER.map((a) => s4[a]);
  const lead = n4.slice(0, 4 - r);
  const target = lead.every((d) => d === 1) ? n4.slice(4 - r) : n4;
  if (!memoryTrivialReshape(s4, n4, NHWC_ORDER)) return undefined;
  const shape = reshapeTarget(v.shape, target);
  if (!shape || shape.includes(0) || shape.includes(-1)) return undefined;
  const out = c.b.derived(v, 'nhwc_bcast', target, false);
  c.b.add(`${c.node}::nhwc_bcast`, 'reshape', [v.ir], [out.ir], { shape });
  return out.ir;
}

// ------------------------------------------------------------------ windows (Conv, pools)

function pair(values: number[], name: string): [number, number] {
  if (values.length !== 2 || values.some((v) => !Number.isInteger(v) || v < 1)) throw new Unsupported(`${name} must be two positive integers, got [${values.join(', ')}]`);
  return [values[0], values[1]];
}

interface Window {
  strides: [number, number];
  dilations: [number, number];
  padding: WindowPadding;
  /** output H, W */
  out: [Dim, Dim];
}

/** strides, dilations and padding of a 2-D window op, and its output size. */
function windowOf(c: NodeCtx, kernel: [number, number], x: Runtime, ceil: boolean): Window {
  const strides = pair(c.attrs.ints('strides', [1, 1]), 'strides');
  const dilations = pair(c.attrs.ints('dilations', [1, 1]), 'dilations');
  const autoPad = c.attrs.string('auto_pad', 'NOTSET');
  let padding: WindowPadding;
  let pads = [0, 0, 0, 0]; // [t, b, l, r]
  switch (autoPad) {
    case 'NOTSET': {
      const p = c.attrs.ints('pads', [0, 0, 0, 0]);
      if (p.length !== 4 || p.some((v) => !Number.isInteger(v) || v < 0)) throw new Unsupported(`pads must be 4 non-negative integers [top, left, bottom, right], got [${p.join(', ')}]`);
      // ONNX [x1_begin, x2_begin, x1_end, x2_end] = [t, l, b, r] -> IR [t, b, l, r]
      pads = [p[0], p[2], p[1], p[3]];
      padding = [pads[0], pads[1], pads[2], pads[3]];
      break;
    }
    case 'SAME_UPPER':
      padding = 'same';
      break;
    case 'SAME_LOWER':
      padding = 'same_lower';
      break;
    case 'VALID':
      padding = 'valid';
      break;
    default:
      throw new Unsupported(`auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
  const out = [0, 1].map((i) => windowOut(c, x.shape[2 + i], kernel[i], strides[i], dilations[i], pads[2 * i], pads[2 * i + 1], ceil, same)) as [Dim, Dim];
  return { strides, dilations, padding, out };
}

/** One output size (ONNX): floor or ceil((n + pads - effective kernel) / s) + 1; SAME: ceil(n / s). */
function windowOut(c: NodeCtx, n: Dim, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean, same: boolean): Dim {
  const eff = d * (k - 1) + 1;
  if (isSym(n)) return (same || (eff === 1 && pb + pe === 0)) && s === 1 ? n : c.b.dims.fresh();
  if (same) return Math.ceil(n / s);
  const span = n + pb + pe - eff;
  if (span < 0) throw new Unsupported(`the ${k}-wide window (dilation ${d}) does not fit the padded input of size ${n + pb + pe}`);
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // with ceil_mode, a window that would start in the end padding is dropped
  if (ceil && (out - 1) * s >= n + pb) out--;
  return out;
}

// ------------------------------------------------------------------ convolution, pooling

function conv(c: NodeCtx): void {
  const x = rt(c, 0);
  const w = constInput(c, 1, 'W (the weights)');
  if (w.shape.length !== 4) throw new Unsupported(`only 2-D convolution is supported; W has shape ${formatDims(w.shape)}`);
  rank4(c, x, 'convolution');
  const [cout, cinG, kh, kw] = w.shape;
  const groups = c.attrs.int('group', 1);
  const cin = x.shape[1];
  if (groups < 1 || cout % groups !== 0) throw new Unsupported(`group ${groups} does not divide the ${cout} output channels`);
  if (typeof cin === 'number' && cin !== cinG * groups) throw new Unsupported(`X has ${cin} channels but W [${w.shape.join(', ')}] with group ${groups} expects ${cinG * groups}`);
  const ks = c.attrs.ints('kernel_shape');
  if (ks && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) throw new Unsupported(`kernel_shape [${ks.join(', ')}] does not match W ${formatDims(w.shape)}`);
  const win = windowOf(c, [kh, kw], x, false);
  // OIHW -> HWIO [kh, kw, cin/groups, cout]
  const inputs = [c.b.asNhwc(x, c.node).ir, c.b.permutedConstant(c.inputs[1], 'hwio', floatKnown(w, 'W'), [2, 3, 1, 0])];
  if (present(c, 2)) {
    const bias = constInput(c, 2, 'B (the bias)');
    if (sizeOf(bias.shape) !== cout) throw new Unsupported(`B has shape ${formatDims(bias.shape)} but there are ${cout} output channels`);
    inputs.push(c.b.constant(c.inputs[2], 'bias', [cout], floatsOf(bias, 'B')));
  }
  const y = output(c, [x.shape[0], cout, ...win.out], true);
  c.b.add(c.node, 'conv2d', inputs, [y], { strides: win.strides, dilations: win.dilations, padding: win.padding, groups, padMode: 'zeros' });
}

function pool(kind: 'max' | 'avg'): Translator {
  return (c) => {
    if (kind === 'max') firstOutputOnly(c, 'the Indices output');
    const x = rt(c, 0);
    const kernel = c.attrs.ints('kernel_shape');
    if (!kernel) throw new Unsupported('kernel_shape is required');
    if (kernel.length !== 2) throw new Unsupported(`only 2-D pooling is supported; kernel_shape is [${kernel.join(', ')}]`);
    rank4(c, x, 'pooling');
    const ceilMode = c.opset >= 10 && c.attrs.int('ceil_mode', 0) === 1;
    const win = windowOf(c, pair(kernel, 'kernel_shape'), x, ceilMode);
    const attrs: Pool2dAttrs = { kernel: [kernel[0], kernel[1]], strides: win.strides, dilations: win.dilations, padding: win.padding, ceilMode };
    if (kind === 'avg') attrs.countIncludePad = c.attrs.int('count_include_pad', 0) === 1;
    const y = output(c, [x.shape[0], x.shape[1], ...win.out], true);
    c.b.add(c.node, kind === 'max' ? 'maxPool2d' : 'avgPool2d', [c.b.asNhwc(x, c.node).ir], [y], attrs);
  };
}

function globalPool(kind: 'max' | 'avg'): Translator {
  return (c) => {
    const x = rt(c, 0);
    rank4(c, x, 'global pooling');
    const y = output(c, [x.shape[0], x.shape[1], 1, 1], true);
    c.b.add(c.node, kind === 'max' ? 'globalMaxPool2d' : 'globalAvgPool2d', [c.b.asNhwc(x, c.node).ir], [y], { keepDims: true });
  };
}

/** ReduceMean / ReduceMax over the spatial axes of a 4-D input: global pooling. */
function reduceAsGlobalPool(kind: 'max' | 'avg'): Translator {
  return (c) => {
    const x = rt(c, 0);
    const axes = c.attrs.ints('axes');
    const keep = c.attrs.int('keepdims', 1) === 1;
    const set = x.shape.length === 4 && axes ? new Set(axes.map((a) => normAxis(a, 4))) : undefined;
    if (!set || set.size !== 2 || !set.has(2) || !set.has(3)) {
      throw new Unsupported(`only the reduction over axes [2, 3] (H, W) of a 4-D input is supported; got axes ${axes ? `[${axes.join(', ')}]` : '(all)'} of ${formatDims(x.shape)}`);
    }
    const shape = keep ? [x.shape[0], x.shape[1], 1, 1] : [x.shape[0], x.shape[1]];
    const y = output(c, shape, keep);
    c.b.add(c.node, kind === 'max' ? 'globalMaxPool2d' : 'globalAvgPool2d', [c.b.asNhwc(x, c.node).ir], [y], { keepDims: keep });
  };
}

// ------------------------------------------------------------------ dense

/** A constant by the ONNX value it derives from, and how (one IR constant per pair). */
interface NamedConstant {
  name: string;
  purpose: string;
  shape: number[];
  data: Float32Array;
}

/** x (plain, [..., K]) times the IR constant w [K, N] plus bias: a dense node writing the output. */
function denseNode(c: NodeCtx, x: Runtime, w: string, bias: Omit<NamedConstant, 'shape'> | undefined, outShape: Dim[], outName?: string): string {
  const inputs = [x.ir, w];
  if (bias) inputs.push(c.b.constant(bias.name, bias.purpose, [bias.data.length], bias.data));
  const y = outName ?? output(c, outShape, false);
  c.b.add(c.node, 'dense', inputs, [y], {});
  return y;
}

function gemm(c: NodeCtx): void {
  const alpha = c.attrs.float('alpha', 1);
  const beta = c.attrs.float('beta', 1);
  const transA = c.attrs.int('transA', 0) === 1;
  const transB = c.attrs.int('transB', 0) === 1;
  const bk = known(c, 1);
  if (!bk) throw new Unsupported('B is not constant');
  let a = rt(c, 0);
  if (a.shape.length !== 2 || bk.shape.length !== 2) throw new Unsupported(`A and B must be 2-D, got ${formatDims(a.shape)} and ${formatDims(bk.shape)}`);
  if (transA) {
    const t = c.b.derived(a, 'T', [a.shape[1], a.shape[0]], false);
    c.b.add(`${c.node}::transA`, 'transpose', [a.ir], [t.ir], { perm: [1, 0] });
    a = t;
  }
  const [k, n] = transB ? [bk.shape[1], bk.shape[0]] : bk.shape;
  if (typeof a.shape[1] === 'number' && a.shape[1] !== k) throw new Unsupported(`A ${formatDims(a.shape)} and B ${formatDims(bk.shape)} (transA ${+transA}, transB ${+transB}) do not multiply`);
  const purpose = `dense:transB=${+transB}:alpha=${alpha}`;
  const perm = transB ? [1, 0] : [0, 1];
  // alpha 1 (the usual): B as it is stored, read (perhaps from the file) when used.
  const wc = alpha === 1
    ? c.b.permutedConstant(c.inputs[1], purpose, floatKnown(bk, 'B'), perm)
    : c.b.constant(c.inputs[1], purpose, [k, n], permuteData(floatsOf(bk, 'B'), bk.shape, perm).data.map((v) => v * alpha));
  const outShape: Dim[] = [a.shape[0], n];
  const ck = present(c, 2) && beta !== 0 ? constInput(c, 2, 'C') : undefined;
  if (!ck) {
    denseNode(c, a, wc, undefined, outShape);
    return;
  }
  const cData = floatsOf(ck, 'C');
  // C broadcasts to [M, N]; a per-column C ([], [1], [N], [1, N]...) is the dense bias
  const perColumn = ck.shape.slice(0, -1).every((d) => d === 1) && (ck.shape.length === 0 || ck.shape[ck.shape.length - 1] === n || ck.shape[ck.shape.length - 1] === 1);
  if (perColumn) {
    const data = new Float32Array(n).map((_, j) => beta * cData[cData.length === 1 ? 0 : j]);
    denseNode(c, a, wc, { name: c.inputs[2], purpose: `bias*${beta}`, data }, outShape);
    return;
  }
  if (ck.shape.length > 2 || !broadcastDims([a.shape[0], n], ck.shape, c.b.dims)) throw new Unsupported(`C ${formatDims(ck.shape)} does not broadcast to [M, ${n}]`);
  const mm = c.b.derived(a, 'matmul', outShape, false);
  denseNode(c, a, wc, undefined, outShape, mm.ir);
  const cName = c.b.freshConstant(`${c.inputs[2]}::scaled`, ck.shape, cData.map((v) => v * beta));
  c.b.add(`${c.node}::C`, 'add', [mm.ir, cName], [output(c, outShape, false)], {});
}

function matmul(c: NodeCtx): void {
  const bk = known(c, 1);
  if (!bk) throw new Unsupported('B is not constant');
  if (bk.shape.length !== 1 && bk.shape.length !== 2) throw new Unsupported(`B must be 1-D or 2-D, got ${formatDims(bk.shape)}`);
  const a = c.b.asPlain(rt(c, 0), c.node);
  const [k, n] = bk.shape.length === 2 ? bk.shape : [bk.shape[0], 1];
  const ka = a.shape[a.shape.length - 1];
  if (typeof ka === 'number' && ka !== k) throw new Unsupported(`A ${formatDims(a.shape)} and B ${formatDims(bk.shape)} do not multiply`);
  const w = bk.shape.length === 2 ? c.b.permutedConstant(c.inputs[1], 'dense', floatKnown(bk, 'B'), [0, 1]) : c.b.constant(c.inputs[1], 'dense', [k, n], floatsOf(bk, 'B'));
  if (bk.shape.length === 2) {
    denseNode(c, a, w, undefined, [...a.shape.slice(0, -1), n]);
    return;
  }
  // B 1-D: [..., K] x [K] -> [...]: dense to [..., 1], then drop that axis
  const full = [...a.shape.slice(0, -1), 1];
  const target = reshapeTarget(full, full.slice(0, -1));
  if (!target || target.length === 0) throw new Unsupported(`A ${formatDims(a.shape)} times a 1-D B gives a shape the IR cannot reshape to`);
  const mm = c.b.derived(a, 'matmul', full, false);
  denseNode(c, a, w, undefined, full, mm.ir);
  c.b.add(`${c.node}::squeeze`, 'reshape', [mm.ir], [output(c, full.slice(0, -1), false)], { shape: target });
}

// ------------------------------------------------------------------ element-wise

type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

/** The two IR operands of an element-wise op and the layout of its result. */
function binaryOperands(c: NodeCtx, i0: number, i1: number): { a: string; b: string; nhwc: boolean; shape: Dim[] } {
  const ka = known(c, i0);
  const kb = known(c, i1);
  const sa = ka ? ka.shape : rt(c, i0).shape;
  const sb = kb ? kb.shape : rt(c, i1).shape;
  const shape = broadcastDims(sa, sb, c.b.dims);
  if (ka || kb) {
    const ki = ka ? i0 : i1;
    const k = (ka ?? kb)!;
    let x = rt(c, ka ? i1 : i0);
    let kName: string;
    let nhwc = false;
    if (x.nhwc && k.shape.length <= 4) {
      const p = nhwcBroadcastConstant(k, `'${c.inputs[ki]}'`);
      kName = c.b.constant(c.inputs[ki], 'nhwc', p.shape, p.data);
      nhwc = true;
    } else {
      x = c.b.asPlain(x, c.node);
      const p = plainConstant(k, `'${c.inputs[ki]}'`);
      kName = c.b.constant(c.inputs[ki], 'plain', p.shape, p.data);
    }
    return ka ? { a: kName, b: x.ir, nhwc, shape } : { a: x.ir, b: kName, nhwc, shape };
  }
  let a = rt(c, i0);
  let b = rt(c, i1);
  if (shape.length === 4 && (a.nhwc || b.nhwc)) {
    if (a.shape.length === 4 && b.shape.length === 4) return { a: c.b.asNhwc(a, c.node).ir, b: c.b.asNhwc(b, c.node).ir, nhwc: true, shape };
    const low = a.shape.length < 4 ? nhwcBroadcastRuntime(c, a) : nhwcBroadcastRuntime(c, b);
    if (low !== undefined) return a.shape.length < 4 ? { a: low, b: b.ir, nhwc: true, shape } : { a: a.ir, b: low, nhwc: true, shape };
  }
  a = c.b.asPlain(a, c.node);
  b = c.b.asPlain(b, c.node);
  return { a: a.ir, b: b.ir, nhwc: false, shape };
}

function binary(op: BinaryOp): Translator {
  return (c) => {
    const o = binaryOperands(c, 0, 1);
    c.b.add(c.node, op, [o.a, o.b], [output(c, o.shape, o.nhwc)], {});
  };
}

/** An op of one input that keeps shape and layout. */
function unaryOp<T extends 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'identity' | 'leakyRelu' | 'clip'>(op: T, attrs: (c: NodeCtx) => OpSpecs[T]): Translator {
  return (c) => {
    const x = rt(c, 0);
    const a = attrs(c);
    c.b.add(c.node, op, [x.ir], [output(c, x.shape, x.nhwc)], a);
  };
}

const none = (): Record<string, never> => ({});

function clip(c: NodeCtx): void {
  let min: number;
  let max: number;
  if (c.opset < 11) {
    min = c.attrs.float('min', -FLT_MAX);
    max = c.attrs.float('max', FLT_MAX);
  } else {
    min = present(c, 1) ? scalarOf(constInput(c, 1, 'min'), 'min') : -Infinity;
    max = present(c, 2) ? scalarOf(constInput(c, 2, 'max'), 'max') : Infinity;
  }
  const x = rt(c, 0);
  const y = output(c, x.shape, x.nhwc);
  if (min === 0 && max === 6) c.b.add(c.node, 'relu6', [x.ir], [y], {});
  else if (min === 0 && max === Infinity) c.b.add(c.node, 'relu', [x.ir], [y], {});
  else c.b.add(c.node, 'clip', [x.ir], [y], { min, max });
}

function softmax(c: NodeCtx): void {
  const x = rt(c, 0);
  const r = x.shape.length;
  let axis: number;
  if (c.opset >= 13) {
    axis = normAxis(c.attrs.int('axis', -1), r, 'axis');
  } else {
    // before opset 13 the input is flattened to 2-D at `axis` and the softmax runs over the
    // flattened tail; that is a single-axis softmax when the tail has one axis not of size 1
    const start = normAxis(c.attrs.int('axis', 1), r, 'axis');
    const tail = x.shape.slice(start);
    const big = tail.map((d, i) => ({ d, i: start + i })).filter(({ d }) => d !== 1);
    if (big.length > 1) {
      throw new Unsupported(`opset ${c.opset} Softmax with axis ${start} flattens axes ${start}..${r - 1} of ${formatDims(x.shape)}; only a softmax over one axis is supported`);
    }
    axis = big.length === 1 ? big[0].i : r - 1;
  }
  c.b.add(c.node, 'softmax', [x.ir], [output(c, x.shape, x.nhwc)], { axis: irAxis(x, axis) });
}

function batchNormalization(c: NodeCtx): void {
  firstOutputOnly(c, 'the training outputs (running mean / variance)');
  if (c.opset < 9 && c.attrs.int('spatial', 1) !== 1) throw new Unsupported('spatial = 0 is not supported');
  if (c.opset >= 14 && c.attrs.int('training_mode', 0) === 1) throw new Unsupported('training_mode = 1 is not supported');
  const epsilon = c.attrs.float('epsilon', 1e-5);
  const x = rt(c, 0);
  const names = ['scale', 'B', 'input_mean', 'input_var'];
  const params = names.map((n, i) => floatsOf(constInput(c, i + 1, n), n));
  const ch = params[0].length;
  if (params.some((p) => p.length !== ch)) throw new Unsupported(`scale, B, mean and var must have the same length, got ${params.map((p) => p.length).join(', ')}`);
  if (x.shape.length < 2 || (typeof x.shape[1] === 'number' && x.shape[1] !== ch)) throw new Unsupported(`X ${formatDims(x.shape)} does not have ${ch} channels on axis 1`);
  if (x.shape.length === 4 || x.shape.length === 2) {
    // channels are the last IR axis of NHWC and of [N, C]
    const xin = x.shape.length === 4 ? c.b.asNhwc(x, c.node) : x;
    const consts = params.map((p, i) => c.b.constant(c.inputs[i + 1], 'bn', [ch], p));
    c.b.add(c.node, 'batchNorm', [xin.ir, ...consts], [output(c, x.shape, x.shape.length === 4)], { epsilon });
    return;
  }
  // other ranks: x * s + t with s = scale / sqrt(var + eps), t = B - mean * s, shaped [C, 1, ...]
  const [scale, bias, mean, variance] = params;
  const s = scale.map((g, i) => g / Math.sqrt(variance[i] + epsilon));
  const t = bias.map((b, i) => b - mean[i] * s[i]);
  const shape = [ch, ...new Array<number>(x.shape.length - 2).fill(1)];
  const xp = c.b.asPlain(x, c.node);
  const scaled = c.b.derived(x, 'bn_scaled', x.shape, false);
  c.b.add(`${c.node}::scale`, 'mul', [xp.ir, c.b.freshConstant(`${c.node}::scale`, shape, s)], [scaled.ir], {});
  c.b.add(c.node, 'add', [scaled.ir, c.b.freshConstant(`${c.node}::shift`, shape, t)], [output(c, x.shape, false)], {});
}

/** y = x * slope for x < 0: a leakyRelu for one slope, else relu(x) + slope * (x - relu(x)). */
function prelu(c: NodeCtx): void {
  const slope = constInput(c, 1, 'slope');
  const x = rt(c, 0);
  if (sizeOf(slope.shape) === 1) {
    c.b.add(c.node, 'leakyRelu', [x.ir], [output(c, x.shape, x.nhwc)], { alpha: scalarOf(slope, 'slope') });
    return;
  }
  // o.a is x in the layout the slope constant was prepared for
  const o = binaryOperands(c, 0, 1);
  const r = c.b.derived(x, 'relu', x.shape, o.nhwc);
  const neg = c.b.derived(x, 'negative_part', x.shape, o.nhwc);
  const scaled = c.b.derived(x, 'scaled_negative', o.shape, o.nhwc);
  c.b.add(`${c.node}::relu`, 'relu', [o.a], [r.ir], {});
  c.b.add(`${c.node}::negative_part`, 'sub', [o.a, r.ir], [neg.ir], {});
  c.b.add(`${c.node}::scale`, 'mul', [neg.ir, o.b], [scaled.ir], {});
  c.b.add(c.node, 'add', [r.ir, scaled.ir], [output(c, o.shape, o.nhwc)], {});
}

/** HardSigmoid = clip(alpha x + beta, 0, 1); HardSwish = x * HardSigmoid(x) with 1/6, 1/2. */
function hardSigmoid(swish: boolean): Translator {
  return (c) => {
    const alpha = swish ? 1 / 6 : c.attrs.float('alpha', 0.2);
    const beta = swish ? 0.5 : c.attrs.float('beta', 0.5);
    const x = rt(c, 0);
    const ax = c.b.derived(x, 'alpha_x', x.shape, x.nhwc);
    const shifted = c.b.derived(x, 'alpha_x_beta', x.shape, x.nhwc);
    c.b.add(`${c.node}::alpha`, 'mul', [x.ir, c.b.freshConstant(`${c.node}::alpha`, [1], Float32Array.of(alpha))], [ax.ir], {});
    c.b.add(`${c.node}::beta`, 'add', [ax.ir, c.b.freshConstant(`${c.node}::beta`, [1], Float32Array.of(beta))], [shifted.ir], {});
    if (!swish) {
      c.b.add(c.node, 'clip', [shifted.ir], [output(c, x.shape, x.nhwc)], { min: 0, max: 1 });
      return;
    }
    const gate = c.b.derived(x, 'gate', x.shape, x.nhwc);
    c.b.add(`${c.node}::clip`, 'clip', [shifted.ir], [gate.ir], { min: 0, max: 1 });
    c.b.add(c.node, 'mul', [x.ir, gate.ir], [output(c, x.shape, x.nhwc)], {});
  };
}

function neg(c: NodeCtx): void {
  const x = rt(c, 0);
  c.b.add(c.node, 'mul', [x.ir, c.b.freshConstant(`${c.node}::minus_one`, [1], Float32Array.of(-1))], [output(c, x.shape, x.nhwc)], {});
}

function dropout(c: NodeCtx): void {
  firstOutputOnly(c, 'the mask output');
  if (c.opset >= 12 && present(c, 2)) {
    const training = known(c, 2);
    if (!training) throw new Unsupported('training_mode is computed at run time');
    if (scalarOf(training, 'training_mode') !== 0) throw new Unsupported('training_mode = true is not supported');
  }
  const x = rt(c, 0);
  c.b.add(c.node, 'identity', [x.ir], [output(c, x.shape, x.nhwc)], {});
}

function cast(c: NodeCtx): void {
  const to = c.attrs.int('to', 0);
  if (!isFloatType(to)) throw new Unsupported(`Cast of a run-time value to ${dataTypeName(to)} (only float types)`);
  const x = rt(c, 0);
  c.b.add(c.node, 'identity', [x.ir], [output(c, x.shape, x.nhwc)], {});
}

// ------------------------------------------------------------------ layout and shape

/** A reshape of x (in plain memory order) to the static ONNX shape `outShape`. */
function reshapeTo(c: NodeCtx, x: Runtime, outShape: Dim[], what: string): void {
  const xp = c.b.asPlain(x, c.node);
  const target = reshapeTarget(xp.shape, outShape);
  if (!target) throw new Unsupported(`${what} gives ${formatDims(outShape)}, with more than one unknown dimension the IR reshape cannot express`);
  c.b.add(c.node, 'reshape', [xp.ir], [output(c, outShape, false)], { shape: target });
}

function flatten(c: NodeCtx): void {
  const x = rt(c, 0);
  const axisAttr = c.attrs.int('axis', 1);
  const outShape = flattenShape(x.shape, axisAttr);
  const axis = axisAttr < 0 ? axisAttr + x.shape.length : axisAttr;
  if (axis === 1) {
    // NHWC data goes back to NCHW first so the flattened order is ONNX's (c, h, w)
    const xp = c.b.asPlain(x, c.node);
    c.b.add(c.node, 'flatten', [xp.ir], [output(c, outShape, false)], {});
    return;
  }
  reshapeTo(c, x, outShape, `Flatten at axis ${axisAttr}`);
}

function reshape(c: NodeCtx): void {
  const x = rt(c, 0);
  const sk = known(c, 1);
  if (!sk) throw new Unsupported('the shape input is computed at run time (not constant)');
  const allowZero = c.opset >= 14 && c.attrs.int('allowzero', 0) === 1;
  const target = elementsOf(sk);
  if (allowZero && target.includes(0)) throw new Unsupported('allowzero with a 0 in the shape (an empty tensor) is not supported');
  reshapeTo(c, x, reshapeShape(x.shape, target, allowZero, c.b.dims), `Reshape to ${formatDims(target)}`);
}

function squeezeLike(kind: 'Squeeze' | 'Unsqueeze'): Translator {
  return (c) => {
    const x = rt(c, 0);
    let outShape: Dim[];
    if (kind === 'Unsqueeze') {
      const axes = c.opset >= 13 ? numbersOf(constInput(c, 1, 'axes'), 'axes') : c.attrs.ints('axes', []);
      outShape = unsqueezeShape<Dim>(x.shape, axes, 1);
    } else {
      if (c.opset >= 13 && present(c, 1) && !known(c, 1)) throw new Unsupported('axes is not constant');
      outShape = squeezeShape(x.shape, squeezeAxes(c, known(c, 1)));
    }
    reshapeTo(c, x, outShape, kind);
  };
}

function transpose(c: NodeCtx): void {
  const x = rt(c, 0);
  const r = x.shape.length;
  const perm = c.attrs.ints('perm') ?? x.shape.map((_, i) => r - 1 - i);
  if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) throw new Unsupported(`perm [${perm.join(', ')}] is not a permutation of the ${r} axes`);
  const outShape = perm.map((p) => x.shape[p]);
  // IR axis j of the output holds output ONNX axis order[j] = input ONNX axis perm[order[j]]
  const irPermFor = (order: readonly number[]) => order.map((a) => irAxis(x, perm[a]));
  const plainPerm = irPermFor(outShape.map((_, i) => i));
  // a 4-D result is kept NHWC, unless plain order needs no data movement at all (the NCHW -> NHWC
  // transpose of a converted TensorFlow model is then free)
  const outNhwc = r === 4 && !plainPerm.every((p, i) => p === i);
  const irPerm = outNhwc ? irPermFor(NHWC_ORDER) : plainPerm;
  const y = c.b.defineRuntime(c.outputs[0], outShape, outNhwc);
  if (irPerm.every((p, i) => p === i)) {
    c.b.add(c.node, 'identity', [x.ir], [y.ir], {});
    return;
  }
  const target = memoryTrivialReshape(irShape(x), irShape(y), irPerm);
  if (target) c.b.add(c.node, 'reshape', [x.ir], [y.ir], { shape: target });
  else c.b.add(c.node, 'transpose', [x.ir], [y.ir], { perm: irPerm });
}

function concat(c: NodeCtx): void {
  const names = c.inputs.filter((n) => n !== '');
  if (names.length === 0) throw new Unsupported('no inputs');
  const values = names.map((n) => c.b.runtime(n, c.node));
  const r = values[0].shape.length;
  const axis = normAxis(c.attrs.int('axis', r === 0 ? 0 : 1), r, 'axis');
  if (values.some((v) => v.shape.length !== r)) throw new Unsupported(`inputs have different ranks: ${values.map((v) => formatDims(v.shape)).join(', ')}`);
  const nhwc = r === 4;
  const ins = values.map((v) => (nhwc ? c.b.asNhwc(v, c.node) : c.b.asPlain(v, c.node)).ir);
  const outShape = values[0].shape.map((d, i) => {
    if (i === axis) return values.reduce<Dim>((s, v) => addDims(s, v.shape[i], c.b.dims), 0);
    return values.map((v) => v.shape[i]).find((e) => typeof e === 'number') ?? d;
  });
  c.b.add(c.node, 'concat', ins, [output(c, outShape, nhwc)], { axis: nhwc ? NCHW_POS[axis] : axis });
}

function pad(c: NodeCtx): void {
  const mode = c.attrs.string('mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw new Unsupported(`mode '${mode}' is not one of constant, reflect, edge`);
  let pads: number[];
  let value = 0;
  if (c.opset < 11) {
    pads = c.attrs.ints('pads') ?? [];
    value = c.attrs.float('value', 0);
  } else {
    pads = numbersOf(constInput(c, 1, 'pads'), 'pads');
    if (present(c, 2)) value = scalarOf(constInput(c, 2, 'constant_value'), 'constant_value');
  }
  // 4-D data is padded in NHWC (the IR pads 4-D tensors spatially)
  let x = c.b.asNhwc(rt(c, 0), c.node);
  const r = x.shape.length;
  if (pads.length !== 2 * r) throw new Unsupported(`pads has ${pads.length} values, expected ${2 * r} for ${formatDims(x.shape)}`);
  const outShape = x.shape.map((d, i) => addDims(addDims(d, pads[i], c.b.dims), pads[r + i], c.b.dims));
  if (outShape.some((d) => typeof d === 'number' && d < 1)) throw new Unsupported(`pads [${pads.join(', ')}] crop ${formatDims(x.shape)} to nothing`);
  if (pads.some((p) => p < 0)) {
    // negative pads crop: a slice first, then the positive pads
    const axes = x.shape.map((_, i) => i).filter((i) => pads[i] < 0 || pads[r + i] < 0);
    const cropped = x.shape.map((d, i) => addDims(addDims(d, Math.min(pads[i], 0), c.b.dims), Math.min(pads[r + i], 0), c.b.dims));
    const sliced = c.b.derived(x, 'cropped', cropped, x.nhwc);
    c.b.add(`${c.node}::crop`, 'slice', [x.ir], [sliced.ir], {
      starts: axes.map((i) => Math.max(-pads[i], 0)),
      ends: axes.map((i) => (pads[r + i] < 0 ? pads[r + i] : clampBound(Infinity))),
      axes: axes.map((i) => irAxis(x, i)),
      steps: axes.map(() => 1),
    });
    x = sliced;
    pads = pads.map((p) => Math.max(p, 0));
  }
  const y = output(c, outShape, x.nhwc);
  if (pads.every((p) => p === 0)) {
    c.b.add(c.node, 'identity', [x.ir], [y], {});
    return;
  }
  // IR axis j of NHWC data holds ONNX axis NHWC_ORDER[j]
  const order = x.nhwc ? [...NHWC_ORDER] : x.shape.map((_, i) => i);
  const irPads = [...order.map((a) => pads[a]), ...order.map((a) => pads[r + a])];
  c.b.add(c.node, 'pad', [x.ir], [y], { pads: irPads, mode, value });
}

function slice(c: NodeCtx): void {
  const x = rt(c, 0);
  for (const i of [1, 2, 3, 4]) if (c.opset >= 10 && present(c, i) && !known(c, i)) throw new Unsupported(`${['', 'starts', 'ends', 'axes', 'steps'][i]} is computed at run time (not constant)`);
  const p = sliceParams(c, x.shape.length, [undefined, known(c, 1), known(c, 2), known(c, 3), known(c, 4)]);
  const outShape = sliceShape(x.shape, p, c.b.dims);
  if (outShape.some((d) => d === 0)) throw new Unsupported(`the slice of ${formatDims(x.shape)} is empty`);
  const y = output(c, outShape, x.nhwc);
  if (outShape.every((d, i) => d === x.shape[i]) && p.steps.every((s) => s === 1)) {
    c.b.add(c.node, 'identity', [x.ir], [y], {});
    return;
  }
  c.b.add(c.node, 'slice', [x.ir], [y], { starts: p.starts, ends: p.ends, axes: p.axes.map((a) => irAxis(x, a)), steps: p.steps });
}

export const TRANSLATORS: Record<string, Translator> = {
  Conv: conv,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
  ReduceMean: reduceAsGlobalPool('avg'),
  ReduceMax: reduceAsGlobalPool('max'),
  Gemm: gemm,
  MatMul: matmul,
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Relu: unaryOp('relu', none),
  LeakyRelu: unaryOp('leakyRelu', (c) => ({ alpha: c.attrs.float('alpha', 0.01) })),
  PRelu: prelu,
  Clip: clip,
  Sigmoid: unaryOp('sigmoid', none),
  Tanh: unaryOp('tanh', none),
  HardSigmoid: hardSigmoid(false),
  HardSwish: hardSigmoid(true),
  Neg: neg,
  Softmax: softmax,
  Identity: unaryOp('identity', none),
  Dropout: dropout,
  Cast: cast,
  BatchNormalization: batchNormalization,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeezeLike('Squeeze'),
  Unsqueeze: squeezeLike('Unsqueeze'),
  Transpose: transpose,
  Concat: concat,
  Pad: pad,
  Slice: slice,
};
