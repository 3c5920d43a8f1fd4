// safetensors: round trips through bytes and files, a hand-written file with F16, BF16 and F64
// tensors, and every malformed-file and mismatch error.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose, init, tensor } from '@wcnn/tensor';
import { BatchNormalization, Conv2D, Dense, DepthwiseConv2D, Flatten, Input, Model, ReLU } from '@wcnn/nn';
import { resnet } from '../zoo/index.js';
import { loadSafetensors, parseSafetensors, readSafetensorsFile, readSafetensorsHeader, saveSafetensors, writeSafetensorsFile } from './safetensors.js';

/** A small model with every weight kind: conv (bias / none), depthwise, batch norm, dense. */
function small(seed: number): Model {
  const input = new Input({ shape: [8, 8, 3] });
  let x = new Conv2D(4, 3, { padding: 'same', useBias: false, name: 'conv' }).apply(input);
  x = new BatchNormalization({ name: 'bn' }).apply(x);
  x = new ReLU({ name: 'relu' }).apply(x);
  x = new DepthwiseConv2D(3, { depthMultiplier: 2, name: 'dw' }).apply(x);
  x = new Flatten({ name: 'flatten' }).apply(x);
  x = new Dense(5, { name: 'fc' }).apply(x);
  return new Model({ inputs: input, outputs: x, name: 'small', seed });
}

/** Gives the batch norm non-trivial statistics (a fresh model's are 1, 0, 0, 1). */
function randomizeBn(m: Model, seed: number): void {
  const c = 4;
  const v = (k: number, lo: number, hi: number) => Float32Array.from({ length: c }, (_, i) => lo + ((hi - lo) * ((seed * 7 + k * 13 + i * 5) % 11)) / 11);
  m.getLayer('bn').setWeights([v(1, 0.5, 1.5), v(2, -1, 1), v(3, -0.5, 0.5), v(4, 0.5, 2)]);
}

const weightsOf = (m: Model) => m.layers.flatMap((l) => l.getWeights().map((a) => Array.from(a)));

function predict(m: Model): number[] {
  const x = tensor(Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.37)), [1, 8, 8, 3]);
  const y = m.predict(x);
  const out = Array.from(y.dataSync());
  dispose([x, y]);
  m.dispose();
  return out;
}

/** A safetensors file from a header object and a data section, padded as the writer pads. */
function file(header: unknown, data: Uint8Array = new Uint8Array(0), options: { length?: bigint; raw?: string } = {}): Uint8Array {
  const json = new TextEncoder().encode(options.raw ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, options.length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** number -> IEEE binary16 bits (values exactly representable in the tests). */
function toHalf(v: number): number {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  let exp = Math.floor(Math.log2(a));
  if (exp < -14) return sign | Math.round(a / 2 ** -24); // subnormal
  const mant = Math.round((a / 2 ** exp - 1) * 1024);
  if (mant === 1024) exp += 1;
  return sign | ((exp + 15) << 10) | (mant & 0x3ff);
}

let dir: string;
beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), 'wcnn-safetensors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('saveSafetensors / loadSafetensors', () => {
  it('writes every weight as F32 under <layer>.<weight>, Keras shapes, 8-byte aligned data', () => {
    const m = small(1);
    const bytes = saveSafetensors(m, { source: 'test' });
    const header = readSafetensorsHeader(bytes);
    expect(header.metadata).toEqual({ source: 'test', format: 'wcnn', layout: 'keras' });
    expect(header.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['conv.kernel', 'F32', [3, 3, 3, 4]],
      ['bn.gamma', 'F32', [4]],
      ['bn.beta', 'F32', [4]],
      ['bn.moving_mean', 'F32', [4]],
      ['bn.moving_variance', 'F32', [4]],
      ['dw.depthwise_kernel', 'F32', [3, 3, 4, 2]],
      ['dw.bias', 'F32', [8]],
      ['fc.kernel', 'F32', [288, 5]],
      ['fc.bias', 'F32', [5]],
    ]);
    expect(header.dataStart % 8).toBe(0);
    // the padding is spaces after the JSON
    expect(new TextDecoder().decode(bytes.subarray(8, header.dataStart)).trimEnd().endsWith('}')).toBe(true);
    const total = m.countParams().total;
    expect(bytes.length).toBe(header.dataStart + 4 * total);
    const parsed = parseSafetensors(bytes);
    expect(Array.from(parsed.get('conv.kernel')!.data)).toEqual(Array.from(m.getLayer('conv').getWeights()[0]));
  });

  it('round trip: a model with another seed gets identical weights and predictions', () => {
    const a = small(1);
    randomizeBn(a, 1);
    const b = small(2);
    expect(weightsOf(b)).not.toEqual(weightsOf(a));
    const report = loadSafetensors(b, saveSafetensors(a));
    expect(report).toEqual({
      loaded: ['conv.kernel', 'bn.gamma', 'bn.beta', 'bn.moving_mean', 'bn.moving_variance', 'dw.depthwise_kernel', 'dw.bias', 'fc.kernel', 'fc.bias'],
      missing: [],
      unused: [],
    });
    expect(weightsOf(b)).toEqual(weightsOf(a));
    expect(predict(b)).toEqual(predict(a));
  });

  it('round trip of a zoo ResNet through a file', async () => {
    const build = (seed: number) => resnet({ layers: [1, 1, 1, 1], widths: [8, 16, 32, 64] }, { classes: 10, inputShape: [32, 32, 3], seed });
    const a = build(3);
    const b = build(4);
    const path = join(dir, 'resnet.safetensors');
    await writeSafetensorsFile(path, a);
    const report = await readSafetensorsFile(path, b);
    expect(report.loaded.length).toBe(12 + 12 * 4 + 2);
    expect(report.loaded.slice(0, 5)).toEqual(['conv1.kernel', 'bn1.gamma', 'bn1.beta', 'bn1.moving_mean', 'bn1.moving_variance']);
    expect(weightsOf(b)).toEqual(weightsOf(a));
    const x = tensor(Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => Math.cos(i)), [1, 32, 32, 3]);
    const [ya, yb] = [a.predict(x), b.predict(x)];
    expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
    dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
    expect(readFileSync(path).length).toBe(saveSafetensors(a).length);
  });

  it('non-strict loads what matches and reports the rest', () => {
    const a = small(1);
    const bytes = saveSafetensors(a);
    const input = new Input({ shape: [8, 8, 3] });
    let x = new Conv2D(4, 3, { padding: 'same', useBias: false, name: 'conv' }).apply(input);
    x = new Conv2D(2, 1, { name: 'extra' }).apply(x);
    const m = new Model({ inputs: input, outputs: x, seed: 9 });
    const extraBefore = m.getLayer('extra').getWeights().map((w) => Array.from(w));
    const report = loadSafetensors(m, bytes, { strict: false });
    expect(report.loaded).toEqual(['conv.kernel']);
    expect(report.missing).toEqual(['extra.kernel', 'extra.bias']);
    expect(report.unused).toEqual(['bn.gamma', 'bn.beta', 'bn.moving_mean', 'bn.moving_variance', 'dw.depthwise_kernel', 'dw.bias', 'fc.kernel', 'fc.bias']);
    expect(Array.from(m.getLayer('conv').getWeights()[0])).toEqual(Array.from(a.getLayer('conv').getWeights()[0]));
    expect(m.getLayer('extra').getWeights().map((w) => Array.from(w))).toEqual(extraBefore);
  });
});

describe('a hand-written file', () => {
  it('reads F16, BF16 and F64 tensors (converted to float32), any order of the data', () => {
    const input = new Input({ shape: [3] });
    const out = new Dense(2, { name: 'fc' }).apply(input);
    const m = new Model({ inputs: input, outputs: out });
    // fc.kernel [3, 2] as F16, fc.bias [2] as F64; an extra BF16 tensor read by parseSafetensors only
    const kernel = [0.5, -1.25, 2, 65504, -0.00006103515625, 5.960464477539063e-8]; // incl. the largest half, the smallest normal and the smallest subnormal
    const bias = [0.1, -3.3333333333];
    const extra = [1.5, -2.75];
    const data = new Uint8Array(16 + 12 + 4);
    const view = new DataView(data.buffer);
    bias.forEach((v, i) => view.setFloat64(8 * i, v, true));
    kernel.forEach((v, i) => view.setUint16(16 + 2 * i, toHalf(v), true));
    extra.forEach((v, i) => view.setUint16(28 + 2 * i, new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16, true));
    const header = {
      'fc.kernel': { dtype: 'F16', shape: [3, 2], data_offsets: [16, 28] },
      'fc.bias': { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      scale: { dtype: 'BF16', shape: [2], data_offsets: [28, 32] },
      __metadata__: { format: 'pt' },
    };
    const bytes = file(header, data);
    const parsed = parseSafetensors(bytes);
    expect([...parsed.keys()]).toEqual(['fc.kernel', 'fc.bias', 'scale']);
    expect(parsed.get('fc.kernel')).toEqual({ dtype: 'F16', shape: [3, 2], data: Float32Array.from(kernel) });
    expect(parsed.get('fc.bias')).toEqual({ dtype: 'F64', shape: [2], data: Float32Array.from(bias) });
    expect(Array.from(parsed.get('scale')!.data)).toEqual(extra);
    expect(readSafetensorsHeader(bytes).metadata).toEqual({ format: 'pt' });

    const report = loadSafetensors(m, bytes, { strict: false });
    expect(report).toEqual({ loaded: ['fc.kernel', 'fc.bias'], missing: [], unused: ['scale'] });
    expect(m.getLayer('fc').getWeights().map((w) => Array.from(w))).toEqual([Array.from(Float32Array.from(kernel)), Array.from(Float32Array.from(bias))]);
    // an unaligned copy of the file (header not padded) reads the same
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(parseSafetensors(shifted).get('fc.kernel')!.data).toEqual(Float32Array.from(kernel));
  });

  it('F16 infinities, NaN and negative zero; empty tensors', () => {
    const data = new Uint8Array(8);
    const view = new DataView(data.buffer);
    [0x7c00, 0xfc00, 0x7e00, 0x8000].forEach((h, i) => view.setUint16(2 * i, h, true));
    const parsed = parseSafetensors(file({ h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, e: { dtype: 'F32', shape: [0, 3], data_offsets: [8, 8] } }, data));
    const h = Array.from(parsed.get('h')!.data);
    expect(h.slice(0, 2)).toEqual([Infinity, -Infinity]);
    expect(Number.isNaN(h[2])).toBe(true);
    expect(Object.is(h[3], -0)).toBe(true);
    expect(parsed.get('e')).toEqual({ dtype: 'F32', shape: [0, 3], data: new Float32Array(0) });
  });
});

describe('errors', () => {
  const f32 = (n: number) => new Uint8Array(4 * n);
  const one = (entry: unknown, data = f32(2)) => file({ t: entry }, data);

  it('header length beyond the file, too short, not an object', () => {
    expect(() => parseSafetensors(new Uint8Array(5))).toThrow('safetensors: safetensors data: 5 bytes is too short: a safetensors file starts with an 8-byte header length');
    expect(() => parseSafetensors(file({}, new Uint8Array(0), { length: 1000n }))).toThrow('safetensors: safetensors data: header length 1000 exceeds the file (2 bytes after the 8-byte length)');
    expect(() => parseSafetensors(file({}, new Uint8Array(0), { length: 2n ** 63n }))).toThrow('header length 9223372036854775808 exceeds the file');
    expect(() => parseSafetensors(file(null, undefined, { raw: '[1, 2]' }))).toThrow("the header must be a JSON object starting with '{', it starts with byte 0x5b");
  });

  it('malformed JSON or UTF-8', () => {
    expect(() => parseSafetensors(file(null, undefined, { raw: '{"t": {"dtype": "F32",' }), { name: 'model.safetensors' })).toThrow('safetensors: model.safetensors: the header is not valid JSON');
    const bad = file(null, undefined, { raw: '{"a": 1}' });
    bad[11] = 0xff;
    expect(() => parseSafetensors(bad)).toThrow('the header is not valid UTF-8');
    expect(() => parseSafetensors(file({ __metadata__: { version: 2 } }))).toThrow('__metadata__.version must be a string, got 2');
    expect(() => parseSafetensors(file({ t: [1] }))).toThrow("tensor 't' must be an object { dtype, shape, data_offsets }, got [1]");
    expect(() => parseSafetensors(one({ dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] }))).toThrow("tensor 't' must have a shape of non-negative integers, got [2,-1]");
    expect(() => parseSafetensors(one({ dtype: 'F32', shape: [2], data_offsets: [0] }))).toThrow("tensor 't' must have data_offsets [begin, end] of non-negative integers, got [0]");
  });

  it('offsets out of range, reversed, overlapping, or leaving gaps', () => {
    expect(() => parseSafetensors(one({ dtype: 'F32', shape: [2], data_offsets: [4, 12] }))).toThrow("tensor 't' has data_offsets [4, 12] beyond the data section (8 bytes)");
    expect(() => parseSafetensors(one({ dtype: 'F32', shape: [0], data_offsets: [8, 0] }))).toThrow("tensor 't' has data_offsets [8, 0]: end before begin");
    const two = (a: [number, number], b: [number, number], n: number) =>
      file({ a: { dtype: 'F32', shape: [(a[1] - a[0]) / 4], data_offsets: a }, b: { dtype: 'F32', shape: [(b[1] - b[0]) / 4], data_offsets: b } }, f32(n));
    expect(() => parseSafetensors(two([0, 8], [4, 12], 3))).toThrow("tensor 'b' [4, 12] overlaps tensor 'a' [0, 8]");
    expect(() => parseSafetensors(two([0, 4], [8, 12], 3))).toThrow("bytes [4, 8) of the data section belong to no tensor (before tensor 'b')");
    expect(() => parseSafetensors(two([0, 4], [4, 8], 3))).toThrow('bytes [8, 12) at the end of the data section belong to no tensor');
  });

  it('unknown and non-float dtypes, size mismatch', () => {
    expect(() => parseSafetensors(one({ dtype: 'F17', shape: [2], data_offsets: [0, 8] }))).toThrow("tensor 't' has the unknown dtype \"F17\" (known: BOOL, U8");
    expect(() => parseSafetensors(one({ shape: [2], data_offsets: [0, 8] }))).toThrow("tensor 't' has no dtype string (got undefined)");
    expect(readSafetensorsHeader(one({ dtype: 'I64', shape: [1], data_offsets: [0, 8] })).tensors[0].dtype).toBe('I64');
    expect(() => parseSafetensors(one({ dtype: 'I64', shape: [1], data_offsets: [0, 8] }))).toThrow("tensor 't' is I64; only floating-point weights can be read (F32, F16, BF16, F64)");
    expect(() => parseSafetensors(one({ dtype: 'F32', shape: [3], data_offsets: [0, 8] }))).toThrow("tensor 't' (F32 [3]) needs 12 bytes but its data_offsets [0, 8] hold 8");
    expect(() => parseSafetensors(one({ dtype: 'F16', shape: [2], data_offsets: [0, 8] }))).toThrow("tensor 't' (F16 [2]) needs 4 bytes");
  });

  it('shape mismatch, unknown and missing names (strict), other layouts; nothing changes', () => {
    const a = small(1);
    const bytes = saveSafetensors(a);
    const wide = () => {
      const input = new Input({ shape: [8, 8, 3] });
      let x = new Conv2D(6, 3, { padding: 'same', useBias: false, name: 'conv' }).apply(input);
      x = new BatchNormalization({ name: 'bn' }).apply(x);
      return new Model({ inputs: input, outputs: x, seed: 5 });
    };
    const m = wide();
    const before = weightsOf(m);
    expect(() => loadSafetensors(m, bytes, { strict: false, name: 'small.safetensors' })).toThrow(
      "safetensors: small.safetensors: layer 'conv' expects kernel [3,3,3,6] but the tensor 'conv.kernel' is F32 [3,3,3,4]",
    );
    expect(weightsOf(m)).toEqual(before);
    expect(() => loadSafetensors(m, bytes)).toThrow(
      "safetensors: safetensors data: the tensors do not match the model's weights one to one: unknown to model 'functional': 'dw.depthwise_kernel', 'dw.bias', 'fc.kernel', 'fc.bias'; pass { strict: false } to load what matches",
    );
    const b = small(2);
    const partial = file({ 'conv.kernel': { dtype: 'F32', shape: [3, 3, 3, 4], data_offsets: [0, 432] } }, f32(108));
    expect(() => loadSafetensors(b, partial)).toThrow("missing from the file: 'bn.gamma', 'bn.beta', 'bn.moving_mean', 'bn.moving_variance', 'dw.depthwise_kernel', 'dw.bias', 'fc.kernel', 'fc.bias'");
    const torch = file({ 'conv.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, __metadata__: { format: 'pt' } }, f32(1));
    expect(() => loadSafetensors(b, torch)).toThrow("(the file's format is 'pt'; wcnn names weights <layer>.<weight>, e.g. conv1.kernel)");
    const channelsFirst = file({ __metadata__: { layout: 'torch' } });
    expect(() => loadSafetensors(b, channelsFirst)).toThrow("the file's layout is 'torch', but wcnn models load Keras layouts");
  });

  it('a negative variance changes nothing; bad metadata and options', () => {
    const a = small(1);
    a.getLayer('bn').setWeights([[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]);
    const bytes = saveSafetensors(a);
    const parsed = parseSafetensors(bytes);
    // patch bn.moving_variance[2] in place
    const header = readSafetensorsHeader(bytes);
    const entry = header.tensors.find((t) => t.name === 'bn.moving_variance')!;
    new DataView(bytes.buffer, bytes.byteOffset).setFloat32(header.dataStart + entry.dataOffsets[0] + 8, -5, true);
    expect(parsed.size).toBe(9);
    const b = small(2);
    const before = weightsOf(b);
    expect(() => loadSafetensors(b, bytes)).toThrow("layer 'bn': moving_variance + epsilon must be positive, but the tensor 'bn.moving_variance' gives -5 at channel 2");
    expect(weightsOf(b)).toEqual(before);
    expect(() => saveSafetensors(a, { layout: 'torch' })).toThrow("saveSafetensors: metadata 'layout' is reserved (wcnn writes 'keras'), got \"torch\"");
    expect(() => saveSafetensors(a, { n: 3 as unknown as string })).toThrow("saveSafetensors: metadata 'n' must be a string");
    expect(() => loadSafetensors(b, bytes, { strict: 1 as unknown as boolean })).toThrow('strict must be a boolean');
    expect(() => loadSafetensors(b, 'x' as unknown as Uint8Array)).toThrow('expected a Uint8Array, got string');
  });

  it('files: unreadable paths and errors naming the file', async () => {
    const missing = join(dir, 'nope.safetensors');
    await expect(readSafetensorsFile(missing, small(1))).rejects.toThrow(`safetensors: cannot read ${missing}`);
    await expect(writeSafetensorsFile(join(dir, 'no/such/dir/x.safetensors'), small(1))).rejects.toThrow('safetensors: cannot write');
    const path = join(dir, 'small.safetensors');
    await writeSafetensorsFile(path, small(1));
    const input = new Input({ shape: [2] });
    const other = new Model({ inputs: input, outputs: new Dense(1, { name: 'fc' }).apply(input) });
    await expect(readSafetensorsFile(path, other)).rejects.toThrow(`safetensors: ${path}: the tensors do not match`);
  });
});
