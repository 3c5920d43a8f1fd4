/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0). Reading converts any real numeric or bool
 * dtype, either byte order and Fortran order to float32 in C order; writing produces '<f4'.
 */
import { sizeOf } from './shapes.js';
import { formatShape } from './tensor.js';

export interface NpyArray {
  data: Float32Array;
  shape: number[];
  /** The dtype the file stored, e.g. '<f4', '<f8', '|u1'. */
  dtype: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface Reader {
  size: number;
  read: (view: DataView, offset: number, little: boolean) => number;
}

const READERS: Record<string, Reader> = {
  f2: { size: 2, read: (v, o, le) => halfToFloat(v.getUint16(o, le)) },
  f4: { size: 4, read: (v, o, le) => v.getFloat32(o, le) },
  f8: { size: 8, read: (v, o, le) => v.getFloat64(o, le) },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  b1: { size: 1, read: (v, o) => (v.getUint8(o) ? 1 : 0) },
  i2: { size: 2, read: (v, o, le) => v.getInt16(o, le) },
  u2: { size: 2, read: (v, o, le) => v.getUint16(o, le) },
  i4: { size: 4, read: (v, o, le) => v.getInt32(o, le) },
  u4: { size: 4, read: (v, o, le) => v.getUint32(o, le) },
  i8: { size: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u8: { size: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Parses the Python-literal header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }. */
function parseHeader(text: string, name: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${name}: malformed .npy header ${JSON.stringify(text.trim().slice(0, 120))}`);
  }
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = parts.map((p) => {
    const n = Number(p.replace(/L$/, ''));
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: malformed .npy shape (${shapeText})`);
    return n;
  });
  return { descr, fortran: fortran === 'True', shape };
}

/** Parses .npy bytes. `name` (a file name, say) prefixes error messages. */
export function parseNpy(bytes: ArrayBuffer | ArrayBufferView, name = 'npy'): NpyArray {
  const u8 = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (u8.length < 10 || MAGIC.some((m, i) => u8[i] !== m)) {
    throw new Error(`${name}: not a .npy file (the magic string \\x93NUMPY is missing)`);
  }
  const major = u8[6];
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (u8.length < 12) throw new Error(`${name}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new Error(`${name}: unsupported .npy format version ${major}.${u8[7]} (expected 1.0, 2.0 or 3.0)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > u8.length) throw new Error(`${name}: truncated .npy header (needs ${dataStart} bytes, file has ${u8.length})`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(u8.subarray(headerStart, dataStart));
  const { descr, fortran, shape } = parseHeader(header, name);

  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const reader = m ? READERS[`${m[2]}${m[3]}`] : undefined;
  if (!m || !reader) {
    throw new Error(`${name}: unsupported .npy dtype '${descr}' (expected a real number or bool type such as '<f4')`);
  }
  const little = m[1] !== '>';
  const count = sizeOf(shape);
  const need = count * reader.size;
  if (u8.length - dataStart < need) {
    throw new Error(
      `${name}: truncated .npy data: shape ${formatShape(shape)} of '${descr}' needs ${need} bytes, file has ${u8.length - dataStart}`,
    );
  }
  const data = new Float32Array(count);
  if (descr === '<f4' || (descr === '=f4' && little)) {
    data.set(new Float32Array(u8.slice(dataStart, dataStart + need).buffer));
  } else {
    for (let i = 0; i < count; i++) data[i] = reader.read(view, dataStart + i * reader.size, little);
  }
  return { data: fortran && shape.length > 1 ? fortranToC(data, shape) : data, shape, dtype: descr };
}

function fortranToC(data: Float32Array, shape: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const rank = shape.length;
  const fStrides = new Array<number>(rank);
  let s = 1;
  for (let d = 0; d < rank; d++) {
    fStrides[d] = s;
    s *= shape[d];
  }
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < data.length; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * fStrides[d];
    out[i] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Serializes float32 data as a version 1.0 '<f4' .npy file. */
export function serializeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = sizeOf(shape);
  if (count !== data.length) throw new Error(`npy: shape ${formatShape(shape)} needs ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces so that the data starts on a 64-byte boundary, ending with a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, total);
  for (let i = 0; i < data.length; i++) body.setFloat32(i * 4, data[i], true);
  return out;
}

/** Reads a .npy file (Node only). */
export async function readNpyFile(path: string): Promise<NpyArray> {
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${(e as Error).message})`);
  }
  return parseNpy(bytes, path);
}

/** Writes float32 data as a .npy file (Node only). */
export async function writeNpyFile(path: string, data: Float32Array, shape: readonly number[]): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, serializeNpy(data, shape));
}
