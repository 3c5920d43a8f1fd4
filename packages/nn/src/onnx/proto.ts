/**
 * The protobuf side: decoding a ModelProto (wire.ts), reading node attributes and turning
 * TensorProtos (inline or external data) into Known values.
 */
import { makeFileFloat, makeFloat, makeInt, OnnxError, sizeOf, toInt, Unsupported, type Known } from './known.js';
import { AttributeType, DataLocation, DataType, decodeModelProto, enumName, type AttributeProto, type ModelProto, type TensorProto } from './wire.js';

export type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from './wire.js';

/** Decodes the bytes; a truncated or corrupt file gives `onnx: cannot parse <file>: ...`. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  if (!(bytes instanceof Uint8Array)) {
    throw new OnnxError(`onnx: cannot parse ${file}: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length === 0) throw new OnnxError(`onnx: cannot parse ${file}: the file is empty`);
  let model: ModelProto;
  try {
    model = decodeModelProto(bytes);
  } catch (e) {
    throw new OnnxError(`onnx: cannot parse ${file}: ${(e as Error).message} (truncated or not an ONNX model?)`);
  }
  if (!model.graph) throw new OnnxError(`onnx: cannot parse ${file}: the model has no graph (not an ONNX model?)`);
  return model;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

// ------------------------------------------------------------------ attributes

const AttrType = AttributeType;

/** Typed access to a node's attributes; a wrong type is a reason the node is unsupported. */
export class Attrs {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(list: readonly AttributeProto[] | null | undefined) {
    for (const a of list ?? []) this.byName.set(a.name ?? '', a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  private get(name: string, type: number, typeName: string): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a === undefined) return undefined;
    // IR version 1 models may omit `type`; trust the field then.
    if (a.type && a.type !== type) throw new Unsupported(`attribute ${name} must be ${typeName}, got ${enumName(AttrType, a.type) ?? a.type}`);
    return a;
  }

  int(name: string, def: number): number;
  int(name: string): number | undefined;
  int(name: string, def?: number): number | undefined {
    const a = this.get(name, AttrType.INT, 'INT');
    return a ? toInt(a.i) : def;
  }

  ints(name: string, def: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, def?: number[]): number[] | undefined {
    const a = this.get(name, AttrType.INTS, 'INTS');
    return a ? (a.ints ?? []).map(toInt) : def;
  }

  float(name: string, def: number): number;
  float(name: string): number | undefined;
  float(name: string, def?: number): number | undefined {
    const a = this.get(name, AttrType.FLOAT, 'FLOAT');
    return a ? (a.f ?? 0) : def;
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, AttrType.FLOATS, 'FLOATS');
    return a ? [...(a.floats ?? [])] : undefined;
  }

  string(name: string, def: string): string;
  string(name: string): string | undefined;
  string(name: string, def?: string): string | undefined {
    const a = this.get(name, AttrType.STRING, 'STRING');
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : def;
  }

  tensor(name: string): TensorProto | undefined {
    const a = this.get(name, AttrType.TENSOR, 'TENSOR');
    if (a && !a.t) throw new Unsupported(`attribute ${name} has no tensor`);
    return a?.t ?? undefined;
  }
}

// ------------------------------------------------------------------ tensors

const DT = DataType;

/** Bytes per element of the raw_data encoding, and how to read one little-endian element. */
const RAW: Partial<Record<number, { bytes: number; read: (v: DataView, at: number) => number }>> = {
  [DT.FLOAT]: { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  [DT.DOUBLE]: { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  [DT.FLOAT16]: { bytes: 2, read: (v, at) => halfToFloat(v.getUint16(at, true)) },
  [DT.BFLOAT16]: { bytes: 2, read: (v, at) => bfloat16ToFloat(v.getUint16(at, true)) },
  [DT.INT64]: { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  [DT.UINT64]: { bytes: 8, read: (v, at) => Number(v.getBigUint64(at, true)) },
  [DT.INT32]: { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  [DT.UINT32]: { bytes: 4, read: (v, at) => v.getUint32(at, true) },
  [DT.INT16]: { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  [DT.UINT16]: { bytes: 2, read: (v, at) => v.getUint16(at, true) },
  [DT.INT8]: { bytes: 1, read: (v, at) => v.getInt8(at) },
  [DT.UINT8]: { bytes: 1, read: (v, at) => v.getUint8(at) },
  [DT.BOOL]: { bytes: 1, read: (v, at) => (v.getUint8(at) ? 1 : 0) },
};

const FLOAT_TYPES = new Set<number>([DT.FLOAT, DT.DOUBLE, DT.FLOAT16, DT.BFLOAT16]);

export const isFloatType = (dataType: number): boolean => FLOAT_TYPES.has(dataType);
export const dataTypeName = (dataType: number): string => enumName(DT, dataType) ?? `data type ${dataType}`;

/** The ONNX data type a Cast `to` produces, as the importer's dtype. */
export function dtypeOf(dataType: number): Known['dtype'] | undefined {
  if (FLOAT_TYPES.has(dataType)) return 'float';
  if (dataType === DT.BOOL) return 'bool';
  return RAW[dataType] ? 'int' : undefined;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bfloat16ToFloat(h: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, h << 16);
  return v.getFloat32(0);
}

/** Where external data comes from; `file` names the model in messages. */
export interface TensorSource {
  file: string;
  baseDir?: string;
  readExternal?: (relativePath: string) => Uint8Array;
}

/** A TensorProto as a Known value (float types become float32; integer types become numbers). */
export function tensorToKnown(t: TensorProto, src: TensorSource, label = `tensor '${t.name ?? ''}'`): Known {
  const dataType = t.dataType ?? 0;
  const shape = (t.dims ?? []).map(toInt);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new OnnxError(`onnx: ${src.file}: ${label} has invalid dims [${shape.join(', ')}]`);
  const n = sizeOf(shape);
  const dtype = dtypeOf(dataType);
  if (dtype === undefined) throw new Unsupported(`${label} has type ${dataTypeName(dataType)}; supported: float, double, float16, bfloat16, integer and bool tensors`);
  if (t.fileData) {
    if (dataType !== DT.FLOAT || t.fileData.byteLength !== n * 4) {
      throw new OnnxError(`onnx: ${src.file}: ${label} has ${t.fileData.byteLength} bytes of data but its dims [${shape.join(', ')}] need ${n * 4}`);
    }
    return makeFileFloat(shape, t.fileData);
  }
  const values = t.dataLocation === DataLocation.EXTERNAL ? readRaw(dataType, externalBytes(t, src, label), label, src) : inlineValues(t, dataType, src, label);
  if (values.length !== n) {
    throw new OnnxError(`onnx: ${src.file}: ${label} holds ${values.length} values but its dims [${shape.join(', ')}] need ${n}`);
  }
  if (dtype === 'float') return makeFloat(shape, values instanceof Float32Array ? values : Float32Array.from(values));
  return makeInt(shape, Array.from(values), dtype);
}

function inlineValues(t: TensorProto, dataType: number, src: TensorSource, label: string): ArrayLike<number> {
  if (t.rawData && t.rawData.length > 0) return readRaw(dataType, t.rawData, label, src);
  switch (dataType) {
    case DT.FLOAT:
      return Float32Array.from(t.floatData ?? []);
    case DT.DOUBLE:
      return t.doubleData ?? [];
    case DT.INT64:
      return (t.int64Data ?? []).map(toInt);
    case DT.UINT32:
    case DT.UINT64:
      return (t.uint64Data ?? []).map(toInt);
    case DT.FLOAT16:
      return (t.int32Data ?? []).map(halfToFloat);
    case DT.BFLOAT16:
      return (t.int32Data ?? []).map(bfloat16ToFloat);
    case DT.BOOL:
      return (t.int32Data ?? []).map((v) => (v ? 1 : 0));
    default:
      // INT32, INT16, UINT16, INT8, UINT8 are stored in int32_data
      return t.int32Data ?? [];
  }
}

function readRaw(dataType: number, bytes: Uint8Array, label: string, src: TensorSource): ArrayLike<number> {
  const enc = RAW[dataType]!;
  if (bytes.length % enc.bytes !== 0) {
    throw new OnnxError(`onnx: ${src.file}: ${label} has ${bytes.length} bytes of data, not a multiple of ${enc.bytes} (${dataTypeName(dataType)})`);
  }
  const n = bytes.length / enc.bytes;
  if (dataType === DT.FLOAT) {
    // The file's own bytes when they are 4-byte aligned (no copy: a copy of a model's weights costs
    // their size again in fresh pages); else a copy. Nothing writes into a Known's data.
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    return new Float32Array(copy.buffer, 0, n);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = enc.read(view, i * enc.bytes);
  return out;
}

/** The external data entries of a tensor: location, offset, length. */
export function externalEntry(t: TensorProto): { location?: string; offset: number; length?: number } {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const length = entries.has('length') ? Number(entries.get('length')) : undefined;
  return { location: entries.get('location'), offset, length };
}

/** A relative path inside the model's directory (absolute paths and '..' are refused). */
export function checkLocation(location: string | undefined, label: string, file: string): string {
  if (!location) throw new OnnxError(`onnx: ${file}: ${label} has external data without a 'location' entry`);
  const parts = location.split(/[\\/]/);
  if (/^([a-zA-Z]:)?[\\/]/.test(location) || parts.includes('..')) {
    throw new OnnxError(`onnx: ${file}: ${label} has external data location '${location}', which is not a path inside the model's directory`);
  }
  return location;
}

function externalBytes(t: TensorProto, src: TensorSource, label: string): Uint8Array {
  const { location, offset, length } = externalEntry(t);
  const rel = checkLocation(location, label, src.file);
  const where = src.baseDir ? `${src.baseDir.replace(/[\\/]+$/, '')}/${rel}` : rel;
  const read = src.readExternal ?? defaultReader(src.baseDir);
  if (!read) {
    throw new OnnxError(`onnx: ${src.file}: ${label} keeps its data in the external file '${rel}'; pass options.readExternal (or baseDir, on Node) or use readOnnxFile`);
  }
  let bytes: Uint8Array;
  try {
    bytes = read(rel);
  } catch (e) {
    throw new OnnxError(`onnx: ${src.file}: cannot read the external data file '${where}' of ${label}: ${(e as Error).message}`);
  }
  if (!(bytes instanceof Uint8Array)) throw new OnnxError(`onnx: ${src.file}: readExternal('${rel}') must return a Uint8Array, got ${describe(bytes)}`);
  if (!Number.isInteger(offset) || offset < 0 || (length !== undefined && (!Number.isInteger(length) || length < 0))) {
    throw new OnnxError(`onnx: ${src.file}: ${label} has invalid external offset ${offset} / length ${length}`);
  }
  const end = length === undefined ? bytes.length : offset + length;
  if (end > bytes.length || offset > bytes.length) {
    throw new OnnxError(`onnx: ${src.file}: ${label} reads bytes ${offset}..${end} of '${where}', which has only ${bytes.length} bytes`);
  }
  return bytes.subarray(offset, end);
}

/** On Node, a synchronous reader relative to baseDir (process.getBuiltinModule keeps this module browser-safe). */
function defaultReader(baseDir: string | undefined): ((rel: string) => Uint8Array) | undefined {
  if (baseDir === undefined) return undefined;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { readFileSync(path: string): Uint8Array } | undefined;
  if (!fs) return undefined;
  return (rel) => fs.readFileSync(`${baseDir.replace(/[\\/]+$/, '')}/${rel}`);
}

/** Every tensor of the main graph that keeps its data in an external file (initializers, Constant values). */
export function externalTensors(model: ModelProto): TensorProto[] {
  const out: TensorProto[] = [];
  const isExternal = (t: TensorProto | null | undefined): t is TensorProto => !!t && t.dataLocation === DataLocation.EXTERNAL;
  for (const t of model.graph?.initializer ?? []) if (isExternal(t)) out.push(t);
  for (const n of model.graph?.node ?? []) for (const a of n.attribute ?? []) if (isExternal(a.t)) out.push(a.t);
  return out;
}

/**
 * Moves each float tensor's raw data of a model decoded from `bytes` to a 4-byte aligned place in
 * those same bytes, so that readRaw can view it as a Float32Array instead of copying it (a copy of a
 * large model's weights costs their size again in fresh pages: ~350 ms for ResNet-34 on a VM). A
 * payload moves back by at most 3 bytes, over its own field's tag and length only (1 + the length's
 * varint bytes), which no decoded value refers to; a payload with fewer such bytes than it needs
 * stays. Only for bytes the caller owns and reads no more (readOnnxFile's own copy of the file).
 */
export function alignRawData(model: ModelProto, bytes: Uint8Array): void {
  const tensors: TensorProto[] = [...(model.graph?.initializer ?? [])];
  for (const n of model.graph?.node ?? []) for (const a of n.attribute ?? []) if (a.t) tensors.push(a.t);
  for (const t of tensors) {
    const raw = t.rawData;
    if (t.dataType !== DT.FLOAT || !raw || raw.length === 0 || raw.buffer !== bytes.buffer) continue;
    const shift = raw.byteOffset % 4;
    if (shift === 0) continue;
    const framing = 1 + varintBytes(raw.length);
    const start = raw.byteOffset - bytes.byteOffset;
    if (shift > framing || start - shift < 0) continue;
    bytes.copyWithin(start - shift, start, start + raw.length);
    t.rawData = new Uint8Array(bytes.buffer, raw.byteOffset - shift, raw.length);
  }
}

function varintBytes(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
