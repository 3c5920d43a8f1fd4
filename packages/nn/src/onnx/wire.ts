// The ONNX messages the importer reads, decoded straight from the protobuf wire format (onnx.proto,
// IR versions 3 to 10). A generated decoder for the whole schema (onnx-proto on protobufjs) costs
// ~11 MB of a process's memory once loaded, for a few hundred lines of reading here. Field names are
// protobuf's JSON names, as protobufjs gives them; fields the importer does not read are skipped.
// bytes fields are views into the input (no copy). 64-bit integers become numbers (exact to 2^53).

import type { FileFloats } from './known.js';

export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
  FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23,
} as const;

export const AttributeType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11, TYPE_PROTO: 13,
  FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSORS: 12, TYPE_PROTOS: 14,
} as const;

export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

/** The name of an enum value (DataType, AttributeType), or undefined. */
export function enumName(e: Record<string, number>, v: number): string | undefined {
  return Object.keys(e).find((k) => e[k] === v);
}

export interface StringStringEntryProto { key?: string; value?: string }
export interface OperatorSetIdProto { domain?: string; version?: number }
export interface TensorProto {
  dims: number[];
  dataType?: number;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  uint64Data: number[];
  stringData: Uint8Array[];
  name?: string;
  rawData?: Uint8Array;
  /** Set by readOnnxFile instead of rawData for large float data left in the file. */
  fileData?: FileFloats;
  externalData: StringStringEntryProto[];
  dataLocation?: number;
}
export interface AttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  /** GRAPH / GRAPHS attributes are read only far enough to say they are there */
  g?: GraphProto;
}
export interface NodeProto { input: string[]; output: string[]; name?: string; opType?: string; domain?: string; attribute: AttributeProto[] }
export interface DimensionProto { dimValue?: number; dimParam?: string }
export interface TypeProto { tensorType?: { elemType?: number; shape?: { dim: DimensionProto[] } } }
export interface ValueInfoProto { name?: string; type?: TypeProto }
export interface GraphProto { node: NodeProto[]; name?: string; initializer: TensorProto[]; input: ValueInfoProto[]; output: ValueInfoProto[] }
export interface ModelProto { irVersion?: number; opsetImport: OperatorSetIdProto[]; producerName?: string; producerVersion?: string; graph?: GraphProto }

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const utf8 = new TextDecoder();

class Reader {
  pos: number;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array, start: number, readonly end: number) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new Error(`index out of range: ${this.pos} + ${n} > ${this.end}`);
  }

  /** An unsigned varint of up to 64 bits, as a number; `signed` reads it as a two's-complement int64. */
  varint(signed = false): number {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      this.need(1);
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) {
        lo >>>= 0;
        hi >>>= 0;
        return signed && hi >= 0x80000000 ? (hi - 0x100000000) * 0x100000000 + lo : hi * 0x100000000 + lo;
      }
    }
    throw new Error('invalid varint encoding');
  }

  int32(): number {
    // int32 fields carry negative values sign-extended to 64 bits: the low 32 bits are the value.
    const v = this.varint(true);
    return v | 0;
  }

  length(): number {
    const n = this.varint();
    this.need(n);
    return n;
  }

  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  float(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A sub-message: `read` runs on a reader limited to its bytes. */
  message<T>(read: (r: Reader) => T): T {
    const n = this.length();
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return read(r);
  }

  /** Repeated scalars, packed (one length-delimited run) or not (one value per tag). */
  repeated(wire: number, one: () => number, into: number[]): void {
    if (wire !== LEN) {
      into.push(one());
      return;
    }
    const n = this.length();
    const end = this.pos + n;
    while (this.pos < end) into.push(one());
    if (this.pos !== end) throw new Error('packed field overruns its length');
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === I64) this.need(8), (this.pos += 8);
    else if (wire === LEN) {
      const n = this.length(); // before reading pos: length() moves it past the varint
      this.pos += n;
    }
    else if (wire === I32) this.need(4), (this.pos += 4);
    else throw new Error(`invalid wire type ${wire} at offset ${this.pos}`);
  }

  /** Calls field(number, wireType) for each field up to the end. */
  fields(field: (no: number, wire: number) => void): void {
    while (this.pos < this.end) {
      const key = this.varint();
      const no = Math.floor(key / 8);
      const wire = key & 7;
      if (no === 0) throw new Error(`invalid field number 0 at offset ${this.pos}`);
      field(no, wire);
    }
    if (this.pos !== this.end) throw new Error('a field overruns its message');
  }
}

/** Reads a field of the expected wire type, or says the message is malformed. */
function expectWire(no: number, wire: number, want: number): void {
  if (wire !== want) throw new Error(`field ${no}: wire type ${wire}, expected ${want}`);
}

function entry(r: Reader): StringStringEntryProto {
  const e: StringStringEntryProto = {};
  r.fields((no, wire) => {
    if (no === 1) expectWire(no, wire, LEN), (e.key = r.string());
    else if (no === 2) expectWire(no, wire, LEN), (e.value = r.string());
    else r.skip(wire);
  });
  return e;
}

function tensor(r: Reader): TensorProto {
  const t: TensorProto = { dims: [], floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], stringData: [], externalData: [] };
  r.fields((no, wire) => {
    switch (no) {
      case 1: r.repeated(wire, () => r.varint(true), t.dims); break;
      case 2: expectWire(no, wire, VARINT); t.dataType = r.int32(); break;
      case 4: r.repeated(wire, () => r.float(), t.floatData); break;
      case 5: r.repeated(wire, () => r.int32(), t.int32Data); break;
      case 6: expectWire(no, wire, LEN); t.stringData.push(r.bytes()); break;
      case 7: r.repeated(wire, () => r.varint(true), t.int64Data); break;
      case 8: expectWire(no, wire, LEN); t.name = r.string(); break;
      case 9: expectWire(no, wire, LEN); t.rawData = r.bytes(); break;
      case 10: r.repeated(wire, () => r.double(), t.doubleData); break;
      case 11: r.repeated(wire, () => r.varint(), t.uint64Data); break;
      case 13: expectWire(no, wire, LEN); t.externalData.push(r.message(entry)); break;
      case 14: expectWire(no, wire, VARINT); t.dataLocation = r.int32(); break;
      default: r.skip(wire);
    }
  });
  return t;
}

function attribute(r: Reader): AttributeProto {
  const a: AttributeProto = { floats: [], ints: [], strings: [], tensors: [] };
  r.fields((no, wire) => {
    switch (no) {
      case 1: expectWire(no, wire, LEN); a.name = r.string(); break;
      case 2: expectWire(no, wire, I32); a.f = r.float(); break;
      case 3: expectWire(no, wire, VARINT); a.i = r.varint(true); break;
      case 4: expectWire(no, wire, LEN); a.s = r.bytes(); break;
      case 5: expectWire(no, wire, LEN); a.t = r.message(tensor); break;
      case 6: expectWire(no, wire, LEN); a.g = r.message(graph); break;
      case 7: r.repeated(wire, () => r.float(), a.floats); break;
      case 8: r.repeated(wire, () => r.varint(true), a.ints); break;
      case 9: expectWire(no, wire, LEN); a.strings.push(r.bytes()); break;
      case 10: expectWire(no, wire, LEN); a.tensors.push(r.message(tensor)); break;
      case 20: expectWire(no, wire, VARINT); a.type = r.int32(); break;
      default: r.skip(wire);
    }
  });
  return a;
}

function node(r: Reader): NodeProto {
  const n: NodeProto = { input: [], output: [], attribute: [] };
  r.fields((no, wire) => {
    switch (no) {
      case 1: expectWire(no, wire, LEN); n.input.push(r.string()); break;
      case 2: expectWire(no, wire, LEN); n.output.push(r.string()); break;
      case 3: expectWire(no, wire, LEN); n.name = r.string(); break;
      case 4: expectWire(no, wire, LEN); n.opType = r.string(); break;
      case 5: expectWire(no, wire, LEN); n.attribute.push(r.message(attribute)); break;
      case 7: expectWire(no, wire, LEN); n.domain = r.string(); break;
      default: r.skip(wire);
    }
  });
  return n;
}

function dimension(r: Reader): DimensionProto {
  const d: DimensionProto = {};
  r.fields((no, wire) => {
    if (no === 1) expectWire(no, wire, VARINT), (d.dimValue = r.varint(true));
    else if (no === 2) expectWire(no, wire, LEN), (d.dimParam = r.string());
    else r.skip(wire);
  });
  return d;
}

function tensorType(r: Reader): NonNullable<TypeProto['tensorType']> {
  const t: NonNullable<TypeProto['tensorType']> = {};
  r.fields((no, wire) => {
    if (no === 1) expectWire(no, wire, VARINT), (t.elemType = r.int32());
    else if (no === 2) {
      expectWire(no, wire, LEN);
      const shape = { dim: [] as DimensionProto[] };
      r.message((s) => s.fields((sn, sw) => (sn === 1 ? (expectWire(sn, sw, LEN), shape.dim.push(s.message(dimension))) : s.skip(sw))));
      t.shape = shape;
    } else r.skip(wire);
  });
  return t;
}

function valueInfo(r: Reader): ValueInfoProto {
  const v: ValueInfoProto = {};
  r.fields((no, wire) => {
    if (no === 1) expectWire(no, wire, LEN), (v.name = r.string());
    else if (no === 2) {
      expectWire(no, wire, LEN);
      const type: TypeProto = {};
      r.message((tr) => tr.fields((tn, tw) => (tn === 1 ? (expectWire(tn, tw, LEN), (type.tensorType = tr.message(tensorType))) : tr.skip(tw))));
      v.type = type;
    } else r.skip(wire);
  });
  return v;
}

function graph(r: Reader): GraphProto {
  const g: GraphProto = { node: [], initializer: [], input: [], output: [] };
  r.fields((no, wire) => {
    switch (no) {
      case 1: expectWire(no, wire, LEN); g.node.push(r.message(node)); break;
      case 2: expectWire(no, wire, LEN); g.name = r.string(); break;
      case 5: expectWire(no, wire, LEN); g.initializer.push(r.message(tensor)); break;
      case 11: expectWire(no, wire, LEN); g.input.push(r.message(valueInfo)); break;
      case 12: expectWire(no, wire, LEN); g.output.push(r.message(valueInfo)); break;
      default: r.skip(wire);
    }
  });
  return g;
}

function opset(r: Reader): OperatorSetIdProto {
  const o: OperatorSetIdProto = {};
  r.fields((no, wire) => {
    if (no === 1) expectWire(no, wire, LEN), (o.domain = r.string());
    else if (no === 2) expectWire(no, wire, VARINT), (o.version = r.varint(true));
    else r.skip(wire);
  });
  return o;
}

/** Decodes a ModelProto; a malformed or truncated message throws an Error saying where. */
export function decodeModelProto(bytes: Uint8Array): ModelProto {
  const m: ModelProto = { opsetImport: [] };
  const r = new Reader(bytes, 0, bytes.length);
  r.fields((no, wire) => {
    switch (no) {
      case 1: expectWire(no, wire, VARINT); m.irVersion = r.varint(true); break;
      case 2: expectWire(no, wire, LEN); m.producerName = r.string(); break;
      case 3: expectWire(no, wire, LEN); m.producerVersion = r.string(); break;
      case 7: expectWire(no, wire, LEN); m.graph = r.message(graph); break;
      case 8: expectWire(no, wire, LEN); m.opsetImport.push(r.message(opset)); break;
      default: r.skip(wire);
    }
  });
  return m;
}
