/**
 * The safetensors format (https://github.com/huggingface/safetensors), written and read for the
 * weights of layers models. A file is:
 *
 *   8 bytes     N, unsigned little-endian 64-bit: the header's length
 *   N bytes     UTF-8 JSON, starting with '{' and padded with spaces:
 *               { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
 *                 "__metadata__": { "<key>": "<string>" } }
 *   the rest    the data section: tensors' raw little-endian bytes, row-major; offsets are relative
 *               to it and must tile it exactly (no gap, no overlap), as the reference parser demands
 *
 * wcnn writes every weight as F32 under `<layer name>.<weight name>` (conv1.kernel, bn1.gamma,
 * bn1.moving_variance...) in the Keras layouts (conv kernel [kh, kw, cin/groups, cout], depthwise
 * [kh, kw, cin, multiplier], dense [in, out]), with metadata { format: 'wcnn', layout: 'keras' }.
 * Reading converts F16, BF16 and F64 to float32.
 */
import type { BatchNormalization, Layer, Model } from '@wcnn/nn';
import { sizeOf } from '@wcnn/tensor';

/** The floating-point dtypes wcnn reads; it writes F32. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64';

export interface SafetensorsTensor {
  /** As stored in the file; `data` is float32 whatever it is. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsEntry {
  name: string;
  /** Any dtype of the format (F32, I64, BOOL...). */
  dtype: string;
  shape: number[];
  /** [begin, end) in bytes, relative to the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** `__metadata__` (string values only); {} when absent. */
  metadata: Record<string, string>;
  /** In the header's order. */
  tensors: SafetensorsEntry[];
  /** Where the data section starts in the file: 8 + N. */
  dataStart: number;
}

export interface SafetensorsLoadOptions {
  /** Every weight of the model must be in the file and every tensor of the file must be a weight. Default true. */
  strict?: boolean;
  /** Names the data in errors (readSafetensorsFile passes the path). */
  name?: string;
}

export interface SafetensorsLoadReport {
  /** `<layer>.<weight>` names loaded, in model order. */
  loaded: string[];
  /** Weights of the model absent from the file (kept as they were; an error when strict). */
  missing: string[];
  /** Tensors of the file that are no weight of the model (an error when strict). */
  unused: string[];
}

/** Bytes per element of every dtype of the format (sub-byte F4/F6 types are not supported). */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8, C64: 8,
};
const FLOAT_DTYPES: readonly string[] = ['F32', 'F16', 'BF16', 'F64'];

/** The reference implementation refuses headers above 100 MB. */
const MAX_HEADER = 100_000_000;
const METADATA = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const DEFAULT_NAME = 'safetensors data';

function fail(file: string, message: string): never {
  throw new Error(`safetensors: ${file}: ${message}`);
}

const show = (shape: readonly number[]): string => `[${shape.join(',')}]`;

function asBytes(bytes: Uint8Array | ArrayBuffer, file: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  return fail(file, `expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
}

// ------------------------------------------------------------------ reading

/** Parses and validates the header (dtypes, shapes, offsets tiling the data section). */
export function readSafetensorsHeader(bytes: Uint8Array | ArrayBuffer, name = DEFAULT_NAME): SafetensorsHeader {
  const u8 = asBytes(bytes, name);
  if (u8.length < 8) fail(name, `${u8.length} bytes is too short: a safetensors file starts with an 8-byte header length`);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const n64 = view.getBigUint64(0, true);
  const available = u8.length - 8;
  if (n64 > BigInt(available)) fail(name, `header length ${n64} exceeds the file (${available} bytes after the 8-byte length)`);
  const n = Number(n64);
  if (n > MAX_HEADER) fail(name, `header length ${n} is above the format's limit of ${MAX_HEADER} bytes`);
  if (n < 2 || u8[8] !== 0x7b) fail(name, `the header must be a JSON object starting with '{'${n > 0 ? `, it starts with byte 0x${u8[8].toString(16).padStart(2, '0')}` : ' (it is empty)'}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(8, 8 + n));
  } catch (e) {
    return fail(name, `the header is not valid UTF-8 (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(name, `the header is not valid JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(name, `the header must be a JSON object, got ${Array.isArray(json) ? 'an array' : JSON.stringify(json)}`);

  const dataStart = 8 + n;
  const dataLength = u8.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsEntry[] = [];
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === METADATA) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(name, `${METADATA} must be an object of strings, got ${JSON.stringify(value)}`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(name, `${METADATA}.${k} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    tensors.push(entry(key, value, dataLength, name));
  }
  checkTiling(tensors, dataLength, name);
  return { metadata, tensors, dataStart };
}

function entry(key: string, value: unknown, dataLength: number, file: string): SafetensorsEntry {
  const what = `tensor '${key}'`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(file, `${what} must be an object { dtype, shape, data_offsets }, got ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  const dtype = v.dtype;
  if (typeof dtype !== 'string') fail(file, `${what} has no dtype string (got ${JSON.stringify(dtype)})`);
  const size = DTYPE_BYTES[dtype as string];
  if (size === undefined) fail(file, `${what} has the unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  const shape = v.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(file, `${what} must have a shape of non-negative integers, got ${JSON.stringify(shape)}`);
  const offsets = v.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(file, `${what} must have data_offsets [begin, end] of non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(file, `${what} has data_offsets [${begin}, ${end}]: end before begin`);
  if (end > dataLength) fail(file, `${what} has data_offsets [${begin}, ${end}] beyond the data section (${dataLength} bytes)`);
  const expected = sizeOf(shape as number[]) * size;
  if (end - begin !== expected) {
    fail(file, `${what} (${dtype} ${show(shape as number[])}) needs ${expected} bytes but its data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name: key, dtype: dtype as string, shape: [...(shape as number[])], dataOffsets: [begin, end] };
}

/** The tensors must cover the data section exactly, one after another (no overlap, no gap). */
function checkTiling(tensors: readonly SafetensorsEntry[], dataLength: number, file: string): void {
  const sorted = [...tensors].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let at = 0;
  let last: SafetensorsEntry | undefined;
  for (const t of sorted) {
    const [begin, end] = t.dataOffsets;
    if (begin < at) fail(file, `tensor '${t.name}' [${begin}, ${end}] overlaps tensor '${last!.name}' [${last!.dataOffsets[0]}, ${last!.dataOffsets[1]}]`);
    if (begin > at) fail(file, `bytes [${at}, ${begin}) of the data section belong to no tensor (before tensor '${t.name}')`);
    at = end;
    last = t;
  }
  if (at !== dataLength) fail(file, `bytes [${at}, ${dataLength}) at the end of the data section belong to no tensor`);
}

/** Every tensor of a file as float32 (F32, F16, BF16 and F64; other dtypes are an error). */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, options: { name?: string } = {}): Map<string, SafetensorsTensor> {
  const name = options.name ?? DEFAULT_NAME;
  const u8 = asBytes(bytes, name);
  const header = readSafetensorsHeader(u8, name);
  const out = new Map<string, SafetensorsTensor>();
  for (const t of header.tensors) {
    if (!FLOAT_DTYPES.includes(t.dtype)) fail(name, `tensor '${t.name}' is ${t.dtype}; only floating-point weights can be read (${FLOAT_DTYPES.join(', ')})`);
    const [begin, end] = t.dataOffsets;
    const raw = u8.subarray(header.dataStart + begin, header.dataStart + end);
    out.set(t.name, { dtype: t.dtype as SafetensorsDtype, shape: t.shape, data: toFloat32(raw, t.dtype as SafetensorsDtype) });
  }
  return out;
}

/** Little-endian bytes of one dtype -> float32 (a copy: file offsets need not be aligned). */
function toFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return new Float32Array(raw.slice().buffer);
      return Float32Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
    }
    case 'F64':
      return Float32Array.from({ length: raw.length / 8 }, (_, i) => view.getFloat64(8 * i, true));
    case 'F16':
      return Float32Array.from({ length: raw.length / 2 }, (_, i) => halfToFloat(view.getUint16(2 * i, true)));
    case 'BF16': {
      // bfloat16 is the upper half of a float32
      const bits = new Uint32Array(raw.length / 2);
      for (let i = 0; i < bits.length; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
  }
}

/** IEEE 754 binary16 -> number: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

// ------------------------------------------------------------------ models

/** The model's weights as `<layer>.<weight>` with their layer, index and Keras shape. */
function modelWeights(model: Model): Array<{ key: string; layer: Layer; index: number; shape: number[] }> {
  const out: Array<{ key: string; layer: Layer; index: number; shape: number[] }> = [];
  for (const layer of model.layers) {
    layer.weightSpecs().forEach((spec, index) => out.push({ key: `${layer.name}.${spec.name}`, layer, index, shape: spec.shape }));
  }
  return out;
}

/**
 * The model's weights as a safetensors file: F32, `<layer>.<weight>`, Keras layouts, metadata
 * { format: 'wcnn', layout: 'keras' } plus `metadata` (string values; those two keys are reserved).
 */
export function saveSafetensors(model: Model, metadata: Record<string, string> = {}): Uint8Array {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new Error(`saveSafetensors: metadata must be an object of strings, got ${JSON.stringify(metadata)}`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`saveSafetensors: metadata '${k}' must be a string (the format stores strings only), got ${JSON.stringify(v)}`);
    if ((k === 'format' && v !== 'wcnn') || (k === 'layout' && v !== 'keras')) {
      throw new Error(`saveSafetensors: metadata '${k}' is reserved (wcnn writes ${k === 'format' ? "'wcnn'" : "'keras'"}), got ${JSON.stringify(v)}`);
    }
  }
  const weights = modelWeights(model);
  const byLayer = new Map<Layer, Float32Array[]>();
  const header: Record<string, unknown> = { [METADATA]: { ...metadata, format: 'wcnn', layout: 'keras' } };
  let offset = 0;
  const data: Float32Array[] = [];
  for (const w of weights) {
    if (!byLayer.has(w.layer)) byLayer.set(w.layer, w.layer.getWeights());
    const values = byLayer.get(w.layer)![w.index];
    header[w.key] = { dtype: 'F32', shape: w.shape, data_offsets: [offset, offset + values.byteLength] };
    offset += values.byteLength;
    data.push(values);
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // spaces up to a multiple of 8, so that the data section is 8-byte aligned
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const values of data) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    else values.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
    at += values.byteLength;
  }
  return out;
}

/**
 * Loads weights by name (`<layer>.<weight>`, Keras layouts) from safetensors bytes; F16, BF16 and
 * F64 are converted. Shapes must match exactly. When strict (the default) every weight must be in
 * the file and every tensor must be a weight. Nothing changes when anything fails.
 */
export function loadSafetensors(model: Model, bytes: Uint8Array | ArrayBuffer, options: SafetensorsLoadOptions = {}): SafetensorsLoadReport {
  const name = options.name ?? DEFAULT_NAME;
  const strict = options.strict ?? true;
  if (typeof strict !== 'boolean') fail(name, `strict must be a boolean, got ${JSON.stringify(options.strict)}`);
  const u8 = asBytes(bytes, name);
  const { metadata } = readSafetensorsHeader(u8, name);
  if (metadata.layout !== undefined && metadata.layout !== 'keras') {
    fail(name, `the file's layout is '${metadata.layout}', but wcnn models load Keras layouts (conv [kh,kw,cin,cout], dense [in,out])`);
  }
  const tensors = parseSafetensors(u8, { name });
  const weights = modelWeights(model);
  const keys = new Set(weights.map((w) => w.key));
  const missing = weights.filter((w) => !tensors.has(w.key)).map((w) => w.key);
  const unused = [...tensors.keys()].filter((k) => !keys.has(k));
  if (strict && (missing.length > 0 || unused.length > 0)) {
    const list = (xs: string[]) => xs.slice(0, 10).map((x) => `'${x}'`).join(', ') + (xs.length > 10 ? ` and ${xs.length - 10} more` : '');
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing from the file: ${list(missing)}`);
    if (unused.length > 0) parts.push(`unknown to model '${model.name}': ${list(unused)}`);
    const hint = metadata.format && metadata.format !== 'wcnn' ? ` (the file's format is '${metadata.format}'; wcnn names weights <layer>.<weight>, e.g. conv1.kernel)` : '';
    fail(name, `the tensors do not match the model's weights one to one: ${parts.join('; ')}${hint}; pass { strict: false } to load what matches`);
  }

  // Check every shape before any layer changes.
  const updates = new Map<Layer, Float32Array[]>();
  const loaded: string[] = [];
  for (const w of weights) {
    const t = tensors.get(w.key);
    if (!t) continue;
    if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i])) {
      fail(name, `layer '${w.layer.name}' expects ${w.key.slice(w.layer.name.length + 1)} ${show(w.shape)} but the tensor '${w.key}' is ${t.dtype} ${show(t.shape)}`);
    }
    if (!updates.has(w.layer)) updates.set(w.layer, w.layer.getWeights());
    updates.get(w.layer)![w.index] = t.data;
    loaded.push(w.key);
  }
  // setWeights' own check of batch norm variances, done first so that a bad file changes nothing
  for (const [layer, arrays] of updates) {
    if (layer.className !== 'BatchNormalization') continue;
    const eps = (layer as BatchNormalization).epsilon;
    const i = arrays[3].findIndex((v) => !(v + eps > 0));
    if (i >= 0) fail(name, `layer '${layer.name}': moving_variance + epsilon must be positive, but the tensor '${layer.name}.moving_variance' gives ${arrays[3][i]} at channel ${i} (epsilon ${eps})`);
  }
  for (const [layer, arrays] of updates) layer.setWeights(arrays);
  return { loaded, missing, unused };
}

/** Writes the model's weights to a .safetensors file (Node). */
export async function writeSafetensorsFile(path: string, model: Model, metadata?: Record<string, string>): Promise<void> {
  const fs = await import('node:fs/promises');
  const bytes = saveSafetensors(model, metadata);
  try {
    await fs.writeFile(path, bytes);
  } catch (e) {
    throw new Error(`safetensors: cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Loads a .safetensors file's weights into the model (Node); errors name the file. */
export async function readSafetensorsFile(path: string, model: Model, options: Omit<SafetensorsLoadOptions, 'name'> = {}): Promise<SafetensorsLoadReport> {
  const fs = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw new Error(`safetensors: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return loadSafetensors(model, bytes, { ...options, name: path });
}
