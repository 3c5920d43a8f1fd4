import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures.js';
import { parseNpy, readNpyFile, serializeNpy, writeNpyFile } from './npy.js';

/** Builds a .npy by hand: header dict text, then raw bytes. */
function npy(header: string, body: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  const h = header.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[pre + i] = h.charCodeAt(i);
  out.set(body, total);
  return out;
}

describe('.npy', () => {
  it('reads a fixture written by NumPy', () => {
    const a = parseNpy(readFileSync(join(FIXTURES, 'ops/conv2d_000_x.npy')));
    expect(a.shape).toEqual([1, 31, 12, 1]);
    expect(a.dtype).toBe('<f4');
    expect(a.data.length).toBe(31 * 12);
    expect(a.data.every(Number.isFinite)).toBe(true);
  });

  it('round-trips float32 data and shapes, including 1-D and scalars', () => {
    for (const shape of [[3], [2, 3], [1, 2, 2, 3], []]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 1.25);
      const back = parseNpy(serializeNpy(data, shape));
      expect(back.shape).toEqual(shape);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
  });

  it('converts other dtypes, big-endian and Fortran order', () => {
    const f8 = new Uint8Array(new Float64Array([1.5, -2, 3.25]).buffer);
    expect(Array.from(parseNpy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f8)).data)).toEqual([1.5, -2, 3.25]);
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat32(0, 7.5, false);
    new DataView(be.buffer).setFloat32(4, -1, false);
    expect(Array.from(parseNpy(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", be)).data)).toEqual([7.5, -1]);
    const u8 = Uint8Array.from([0, 255, 7]);
    expect(Array.from(parseNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", u8)).data)).toEqual([0, 255, 7]);
    const i64 = new Uint8Array(new BigInt64Array([-3n, 4n]).buffer);
    expect(Array.from(parseNpy(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", i64)).data)).toEqual([-3, 4]);
    // Fortran order: the 2x3 matrix [[1,2,3],[4,5,6]] is stored column by column.
    const fo = new Uint8Array(new Float32Array([1, 4, 2, 5, 3, 6]).buffer);
    const a = parseNpy(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", fo));
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const v2 = parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(new Float32Array([9, 8]).buffer), 2));
    expect(Array.from(v2.data)).toEqual([9, 8]);
  });

  it('rejects malformed files with a clear error', () => {
    const good = serializeNpy(new Float32Array([1, 2, 3, 4]), [2, 2]);
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), 'x.npy')).toThrow('x.npy: not a .npy file');
    expect(() => parseNpy(new TextEncoder().encode('hello world, not numpy'))).toThrow('not a .npy file');
    expect(() => parseNpy(good.subarray(0, good.length - 3), 'x.npy')).toThrow(
      "x.npy: truncated .npy data: shape [2,2] of '<f4' needs 16 bytes, file has 13",
    );
    expect(() => parseNpy(good.subarray(0, 40))).toThrow('truncated .npy header');
    const v9 = good.slice();
    v9[6] = 9;
    expect(() => parseNpy(v9)).toThrow('unsupported .npy format version 9.0');
    expect(() => parseNpy(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)))).toThrow(
      "unsupported .npy dtype '<c8'",
    );
    expect(() => parseNpy(npy("{'descr': '<f4', 'shape': (1,), }", new Uint8Array(4)))).toThrow('malformed .npy header');
    expect(() => parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", new Uint8Array(8)))).toThrow(
      'malformed .npy shape',
    );
  });

  it('reads and writes files, and names a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wcnn-npy-'));
    const path = join(dir, 'a.npy');
    await writeNpyFile(path, new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const back = await readNpyFile(path);
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6]);
    await expect(readNpyFile(join(dir, 'missing.npy'))).rejects.toThrow(`${join(dir, 'missing.npy')}: no such file`);
  });
});
