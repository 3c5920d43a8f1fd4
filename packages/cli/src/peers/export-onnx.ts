// wcnn's graph IR -> an ONNX model (opset 17), so onnxruntime-web can run zoo models and suite
// layers. The IR is NHWC; ONNX's Conv and pools are NCHW. Every IR value is kept in whichever
// layout its producer gives (4-D values of conv, pools, batch norm: NCHW) and a Transpose is
// inserted only where a consumer needs the other one (flatten, reshape, slice, transpose read the
// IR's NHWC memory order). 4-D graph inputs are NCHW (transpose the data); 4-D outputs are NCHW too
// (ONNX's convention, and no trailing Transpose in a timed run): `outputs` says which.
import pkg from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import { inferShapes, resolveInputShapes, resolveWindow, type Constant, type Graph, type Node, type OpSpecs } from '@wcnn/nn';
import { activationParts, PeerUnsupported } from './common.js';

const { onnx } = pkg;
type INode = O.INodeProto;
type ITensor = O.ITensorProto;
type IAttr = O.IAttributeProto;

export const EXPORT_OPSET = 17;

export interface OnnxExport {
  bytes: Uint8Array;
  /** The graph inputs: 4-D ones are NCHW in the model (`nchw`), so their NHWC data needs a transpose. */
  inputs: Array<{ name: string; nchw: boolean; shape: number[] }>;
  /** The graph outputs under their IR names: 4-D ones are NCHW (`nchw`). */
  outputs: Array<{ name: string; nchw: boolean; shape: number[] }>;
}

const AT = onnx.AttributeProto.AttributeType;
const ints = (name: string, v: readonly number[]): IAttr => ({ name, type: AT.INTS, ints: [...v] });
const int = (name: string, v: number): IAttr => ({ name, type: AT.INT, i: v });
const float = (name: string, v: number): IAttr => ({ name, type: AT.FLOAT, f: v });
const str = (name: string, v: string): IAttr => ({ name, type: AT.STRING, s: new TextEncoder().encode(v) });

/** IR (NHWC) axis -> its position in NCHW. */
const NCHW_POS = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

function floatTensor(name: string, dims: readonly number[], data: Float32Array): ITensor {
  const copy = new Float32Array(data);
  return { name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(copy.buffer) };
}

function int64Tensor(name: string, values: readonly number[]): ITensor {
  const data = BigInt64Array.from(values.map((v) => BigInt(Math.trunc(Math.max(Math.min(v, Number.MAX_SAFE_INTEGER), Number.MIN_SAFE_INTEGER)))));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) };
}

/** Permutes the axes of row-major data: out axis i = in axis perm[i]. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strides[d];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

interface Value {
  /** IR shape (NHWC for 4-D activations) */
  shape: number[];
  /** ONNX name holding the value in the IR's layout */
  nhwc?: string;
  /** ONNX name holding the 4-D value as NCHW */
  nchw?: string;
}

/**
 * Exports a graph for concrete input shapes (IR layout, batch included; unknown dims default to 1).
 * Throws PeerUnsupported for what ONNX opset 17 cannot say (circular padding, dilated average pools).
 */
export function exportOnnx(graph: Graph, inputShapes: Record<string, readonly number[]> = {}): OnnxExport {
  const given = Object.fromEntries(graph.inputs.map((i) => [i.name, inputShapes[i.name] ?? i.shape.map((d) => d ?? 1)]));
  const shapes = inferShapes(graph, resolveInputShapes(graph, given));
  const nodes: INode[] = [];
  const initializers: ITensor[] = [];
  const outputSet = new Set(graph.outputs);
  const taken = new Set<string>([...graph.inputs.map((i) => i.name), ...graph.outputs]);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const values = new Map<string, Value>();
  const shapeOf = (v: string): number[] => {
    const s = shapes.get(v);
    if (!s) throw new Error(`export: no shape for '${v}'`);
    return s;
  };
  /** The name under which IR value `ir` is produced in the given layout: its own name if it is a graph output in its final layout. */
  const outName = (ir: string, nchw: boolean): string => {
    const finalNchw = shapeOf(ir).length === 4;
    return outputSet.has(ir) && nchw === finalNchw && !values.get(ir)?.[nchw ? 'nchw' : 'nhwc'] ? ir : fresh(`${ir}${nchw ? '::nchw' : ''}`);
  };
  const emit = (op: string, inputs: string[], outputs: string[], attribute: IAttr[] = [], name?: string) => {
    nodes.push({ opType: op, input: inputs, output: outputs, attribute, name: name ?? fresh(`${op}_${nodes.length}`) });
  };
  const constData = (c: Constant, perm?: number[]): { data: Float32Array; shape: number[] } => (perm ? permute(c.data, c.shape, perm) : { data: c.data, shape: c.shape });
  const addInitializer = (base: string, data: Float32Array, dims: readonly number[]): string => {
    const name = fresh(base);
    initializers.push(floatTensor(name, dims, data));
    return name;
  };
  const addInts = (base: string, v: readonly number[]): string => {
    const name = fresh(base);
    initializers.push(int64Tensor(name, v));
    return name;
  };
  const value = (v: string): Value => {
    let val = values.get(v);
    if (val) return val;
    const c = graph.constants.get(v);
    if (!c) throw new Error(`export: value '${v}' is not defined before it is used`);
    val = { shape: c.shape, nhwc: addInitializer(v, c.data, c.shape) };
    values.set(v, val);
    return val;
  };
  const set = (v: string, layout: 'nhwc' | 'nchw', name: string) => {
    const val = values.get(v) ?? { shape: shapeOf(v) };
    val[layout] = name;
    values.set(v, val);
  };
  const asNhwc = (v: string): string => {
    const val = value(v);
    if (val.nhwc) return val.nhwc;
    const name = outName(v, false);
    emit('Transpose', [val.nchw!], [name], [ints('perm', TO_NHWC)]);
    val.nhwc = name;
    return name;
  };
  const asNchw = (v: string): string => {
    const val = value(v);
    if (val.nchw) return val.nchw;
    if (val.shape.length !== 4) throw new Error(`export: '${v}' is not 4-D`);
    const c = graph.constants.get(v);
    if (c) {
      const p = permute(c.data, c.shape, TO_NCHW);
      val.nchw = addInitializer(`${v}::nchw`, p.data, p.shape);
      return val.nchw;
    }
    const name = outName(v, true);
    emit('Transpose', [val.nhwc!], [name], [ints('perm', TO_NCHW)]);
    val.nchw = name;
    return name;
  };
  const hasNchw = (v: string): boolean => !!values.get(v)?.nchw;
  const unsupported = (n: Node, what: string): never => {
    throw new PeerUnsupported(`onnx export: ${n.op} '${n.name}': ${what}`);
  };

  /** Emits an activation after `x` (in either layout); returns the final name. */
  const activation = (x: string, out: string, nchw: boolean, spec: OpSpecs['conv2d']['activation']): void => {
    const a = activationParts(spec);
    if (a.kind === 'none') return;
    const y = outName(out, nchw);
    switch (a.kind) {
      case 'relu': emit('Relu', [x], [y]); break;
      case 'sigmoid': emit('Sigmoid', [x], [y]); break;
      case 'tanh': emit('Tanh', [x], [y]); break;
      case 'relu6': emit('Clip', [x, addInitializer('zero', Float32Array.of(0), []), addInitializer('six', Float32Array.of(6), [])], [y]); break;
      case 'leakyRelu': emit('LeakyRelu', [x], [y], [float('alpha', a.alpha)]); break;
      case 'clip': {
        const lo = Number.isFinite(a.min) ? addInitializer('clip_min', Float32Array.of(a.min), []) : '';
        const hi = Number.isFinite(a.max) ? addInitializer('clip_max', Float32Array.of(a.max), []) : '';
        emit('Clip', hi ? [x, lo, hi] : lo ? [x, lo] : [x], [y]);
        break;
      }
    }
    set(out, nchw ? 'nchw' : 'nhwc', y);
  };
  /** The name a producer writes: the final one, or a temporary when an activation follows. */
  const produce = (out: string, nchw: boolean, hasActivation: boolean): string => (hasActivation ? fresh(`${out}::preact`) : outName(out, nchw));

  // Graph inputs: 4-D ones arrive as NCHW.
  const exportedInputs = graph.inputs.map((i) => {
    const shape = shapeOf(i.name);
    const nchw = shape.length === 4;
    values.set(i.name, nchw ? { shape, nchw: i.name } : { shape, nhwc: i.name });
    return { name: i.name, nchw, shape: nchw ? TO_NCHW.map((p) => shape[p]) : shape };
  });

  for (const n of graph.nodes) {
    const out = n.outputs[0];
    const outShape = shapeOf(out);
    const x0 = n.inputs[0];
    switch (n.op) {
      case 'conv2d': {
        const a = n.attrs as OpSpecs['conv2d'];
        if (a.padMode === 'circular') unsupported(n, 'circular padding');
        const w = graph.constants.get(n.inputs[1]) ?? unsupported(n, 'the filter must be a constant');
        const [kh, kw] = w.shape;
        const [, h, wd] = shapeOf(x0);
        const [t, b, l, r] = resolveWindow(h, wd, [kh, kw], a.strides, a.dilations, a.padding).pads;
        const oihw = constData(w, [3, 2, 0, 1]); // (kh, kw, cin/g, cout) -> (cout, cin/g, kh, kw)
        const inputs = [asNchw(x0), addInitializer(`${n.inputs[1]}::oihw`, oihw.data, oihw.shape)];
        if (n.inputs[2]) inputs.push(value(n.inputs[2]).nhwc!);
        const act = activationParts(a.activation).kind !== 'none';
        const y = produce(out, true, act);
        emit('Conv', inputs, [y], [ints('kernel_shape', [kh, kw]), ints('strides', a.strides), ints('dilations', a.dilations), ints('pads', [t, l, b, r]), int('group', a.groups)], n.name);
        if (act) activation(y, out, true, a.activation);
        else set(out, 'nchw', y);
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const a = n.attrs as OpSpecs['maxPool2d'];
        const [, h, wd] = shapeOf(x0);
        const [t, b, l, r] = resolveWindow(h, wd, a.kernel, a.strides, a.dilations, a.padding).pads;
        const attrs = [ints('kernel_shape', a.kernel), ints('strides', a.strides), ints('pads', [t, l, b, r]), int('ceil_mode', a.ceilMode ? 1 : 0)];
        const dilated = a.dilations[0] !== 1 || a.dilations[1] !== 1;
        if (n.op === 'avgPool2d') {
          if (dilated) unsupported(n, 'dilated average pooling needs opset 19');
          attrs.push(int('count_include_pad', a.countIncludePad ? 1 : 0));
        } else if (dilated) attrs.push(ints('dilations', a.dilations));
        const y = outName(out, true);
        emit(n.op === 'maxPool2d' ? 'MaxPool' : 'AveragePool', [asNchw(x0)], [y], attrs, n.name);
        set(out, 'nchw', y);
        break;
      }
      case 'globalAvgPool2d':
      case 'globalMaxPool2d': {
        const keep = (n.attrs as OpSpecs['globalAvgPool2d']).keepDims;
        const op = n.op === 'globalAvgPool2d' ? 'GlobalAveragePool' : 'GlobalMaxPool';
        if (keep) {
          const y = outName(out, true);
          emit(op, [asNchw(x0)], [y], [], n.name);
          set(out, 'nchw', y);
        } else {
          const pooled = fresh(`${out}::pooled`);
          emit(op, [asNchw(x0)], [pooled], [], n.name);
          const y = outName(out, false);
          emit('Flatten', [pooled], [y], [int('axis', 1)]);
          set(out, 'nhwc', y);
        }
        break;
      }
      case 'dense': {
        const a = n.attrs as OpSpecs['dense'];
        const x = asNhwc(x0);
        const w = value(n.inputs[1]).nhwc!;
        const act = activationParts(a.activation).kind !== 'none';
        const y = produce(out, false, act);
        if (shapeOf(x0).length === 2) {
          emit('Gemm', n.inputs[2] ? [x, w, value(n.inputs[2]).nhwc!] : [x, w], [y], [], n.name);
        } else if (n.inputs[2]) {
          const mm = fresh(`${out}::matmul`);
          emit('MatMul', [x, w], [mm], [], n.name);
          emit('Add', [mm, value(n.inputs[2]).nhwc!], [y]);
        } else {
          emit('MatMul', [x, w], [y], [], n.name);
        }
        if (act) activation(y, out, false, a.activation);
        else set(out, 'nhwc', y);
        break;
      }
      case 'batchNorm': {
        const eps = (n.attrs as OpSpecs['batchNorm']).epsilon;
        const [gamma, beta, mean, variance] = n.inputs.slice(1).map((i) => graph.constants.get(i) ?? unsupported(n, `'${i}' must be a constant`));
        const rank = outShape.length;
        if (rank === 4 || rank === 2) {
          const nchw = rank === 4;
          const y = outName(out, nchw);
          const ins = [nchw ? asNchw(x0) : asNhwc(x0), ...[gamma, beta, mean, variance].map((c, i) => addInitializer(`${n.inputs[i + 1]}`, c.data, [c.data.length]))];
          emit('BatchNormalization', ins, [y], [float('epsilon', eps)], n.name);
          set(out, nchw ? 'nchw' : 'nhwc', y);
        } else {
          // Other ranks: channels last, so scale and shift broadcast over the last axis.
          const c = gamma.data.length;
          const scale = new Float32Array(c);
          const shift = new Float32Array(c);
          for (let i = 0; i < c; i++) {
            scale[i] = gamma.data[i] / Math.sqrt(variance.data[i] + eps);
            shift[i] = beta.data[i] - mean.data[i] * scale[i];
          }
          const scaled = fresh(`${out}::scaled`);
          emit('Mul', [asNhwc(x0), addInitializer(`${n.name}::scale`, scale, [c])], [scaled], [], n.name);
          const y = outName(out, false);
          emit('Add', [scaled, addInitializer(`${n.name}::shift`, shift, [c])], [y]);
          set(out, 'nhwc', y);
        }
        break;
      }
      case 'add':
      case 'sub':
      case 'mul':
      case 'div': {
        const op = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div' }[n.op];
        const [a, b] = n.inputs;
        // NCHW when the output is 4-D and a 4-D operand already is NCHW; lower-rank operands are
        // then made 4-D NHWC (leading 1s, as broadcasting aligns them) and transposed too.
        const nchw = outShape.length === 4 && n.inputs.some((v) => shapeOf(v).length === 4 && hasNchw(v));
        const operand = (v: string): string => {
          if (!nchw) return asNhwc(v);
          const s = shapeOf(v);
          if (s.length === 4) return asNchw(v);
          const s4 = [...Array(4 - s.length).fill(1), ...s];
          const c = graph.constants.get(v);
          if (c) {
            const p = permute(c.data, s4, TO_NCHW);
            return addInitializer(`${v}::nchw`, p.data, p.shape);
          }
          const r = fresh(`${v}::4d`);
          emit('Reshape', [asNhwc(v), addInts(`${v}::4d_shape`, s4)], [r]);
          const tr = fresh(`${v}::4d_nchw`);
          emit('Transpose', [r], [tr], [ints('perm', TO_NCHW)]);
          return tr;
        };
        const y = outName(out, nchw);
        emit(op, [operand(a), operand(b)], [y], [], n.name);
        set(out, nchw ? 'nchw' : 'nhwc', y);
        break;
      }
      case 'relu':
      case 'relu6':
      case 'leakyRelu':
      case 'clip':
      case 'sigmoid':
      case 'tanh':
      case 'identity': {
        const nchw = shapeOf(x0).length === 4 && hasNchw(x0);
        const x = nchw ? asNchw(x0) : asNhwc(x0);
        if (n.op === 'identity') {
          const y = outName(out, nchw);
          emit('Identity', [x], [y], [], n.name);
          set(out, nchw ? 'nchw' : 'nhwc', y);
          break;
        }
        const spec: OpSpecs['conv2d']['activation'] =
          n.op === 'leakyRelu' ? { type: 'leakyRelu', alpha: (n.attrs as OpSpecs['leakyRelu']).alpha }
          : n.op === 'clip' ? { type: 'clip', ...(n.attrs as OpSpecs['clip']) }
          : n.op;
        activation(x, out, nchw, spec);
        break;
      }
      case 'softmax': {
        const rank = outShape.length;
        const axis0 = (n.attrs as OpSpecs['softmax']).axis;
        const axis = axis0 < 0 ? axis0 + rank : axis0;
        const nchw = rank === 4 && hasNchw(x0);
        const y = outName(out, nchw);
        emit('Softmax', [nchw ? asNchw(x0) : asNhwc(x0)], [y], [int('axis', nchw ? NCHW_POS[axis] : axis)], n.name);
        set(out, nchw ? 'nchw' : 'nhwc', y);
        break;
      }
      case 'concat': {
        const rank = outShape.length;
        const axis0 = (n.attrs as OpSpecs['concat']).axis;
        const axis = axis0 < 0 ? axis0 + rank : axis0;
        const nchw = rank === 4 && n.inputs.some(hasNchw);
        const y = outName(out, nchw);
        emit('Concat', n.inputs.map((v) => (nchw ? asNchw(v) : asNhwc(v))), [y], [int('axis', nchw ? NCHW_POS[axis] : axis)], n.name);
        set(out, nchw ? 'nchw' : 'nhwc', y);
        break;
      }
      case 'flatten': {
        const y = outName(out, false);
        emit('Flatten', [asNhwc(x0)], [y], [int('axis', 1)], n.name);
        set(out, 'nhwc', y);
        break;
      }
      case 'reshape': {
        const y = outName(out, false);
        emit('Reshape', [asNhwc(x0), addInts(`${out}::shape`, outShape)], [y], [], n.name);
        set(out, 'nhwc', y);
        break;
      }
      case 'transpose': {
        const y = outName(out, false);
        emit('Transpose', [asNhwc(x0)], [y], [ints('perm', (n.attrs as OpSpecs['transpose']).perm)], n.name);
        set(out, 'nhwc', y);
        break;
      }
      case 'pad': {
        const a = n.attrs as OpSpecs['pad'];
        if (a.mode === 'circular') unsupported(n, "circular padding needs Pad's 'wrap' mode (opset 19)");
        const rank = outShape.length;
        const nchw = rank === 4 && hasNchw(x0);
        const order = nchw ? TO_NCHW : [...Array(rank).keys()];
        const pads = [...order.map((ax) => a.pads[ax]), ...order.map((ax) => a.pads[rank + ax])];
        const ins = [nchw ? asNchw(x0) : asNhwc(x0), addInts(`${out}::pads`, pads)];
        if (a.mode === 'constant') ins.push(addInitializer(`${out}::value`, Float32Array.of(a.value), []));
        const y = outName(out, nchw);
        emit('Pad', ins, [y], [str('mode', a.mode)], n.name);
        set(out, nchw ? 'nchw' : 'nhwc', y);
        break;
      }
      case 'slice': {
        const a = n.attrs as OpSpecs['slice'];
        const y = outName(out, false);
        emit('Slice', [asNhwc(x0), addInts(`${out}::starts`, a.starts), addInts(`${out}::ends`, a.ends), addInts(`${out}::axes`, a.axes), addInts(`${out}::steps`, a.steps)], [y], [], n.name);
        set(out, 'nhwc', y);
        break;
      }
      default:
        unsupported(n, 'not an op of the exporter');
    }
  }

  // Outputs: 4-D ones NCHW, the others in the IR's layout, each under its IR name.
  const exportedOutputs = graph.outputs.map((o) => {
    const shape = shapeOf(o);
    const nchw = shape.length === 4;
    const name = nchw ? asNchw(o) : asNhwc(o);
    if (name !== o) emit('Identity', [name], [o]);
    return { name: o, nchw, shape: nchw ? TO_NCHW.map((p) => shape[p]) : shape };
  });

  const valueInfo = (name: string, shape?: readonly number[]) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: shape ? { dim: shape.map((d) => ({ dimValue: d })) } : undefined } },
  });
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    producerName: 'wcnn bench',
    graph: {
      name: graph.name || 'wcnn',
      node: nodes,
      initializer: initializers,
      input: exportedInputs.map((i) => valueInfo(i.name, i.shape)),
      output: exportedOutputs.map((o) => valueInfo(o.name, o.shape)),
    },
  }).finish();
  return { bytes: model, inputs: exportedInputs, outputs: exportedOutputs };
}
