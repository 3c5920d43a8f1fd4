// Reading an .onnx file (Node) without reading its large weights: the file's structure (nodes, names,
// small tensors) is read into a buffer of the file's size at the same offsets, and the payloads of
// large float initializers are left as holes, pages never touched. Their bytes are read from the file
// when a model moves its weights into wasm memory (into memory already in use there): on a VM where a
// fresh page costs ~10 us, reading 87 MB of ResNet-34 weights into a new buffer costs ~0.35 s, reading
// them in pieces into pages in use ~15 ms.
import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import type { FileFloats } from './known.js';

/** Raw float data smaller than this is read with the structure. */
const HOLE_MIN_BYTES = 1 << 16;
const WINDOW = 1 << 16;

/** A field's value bytes within the file. */
interface Range {
  start: number;
  end: number;
}

export interface ModelFile {
  /** The file's size in bytes; the holes' bytes are unspecified (never read). */
  bytes: Uint8Array;
  /** File floats by the offset of their raw_data payload in the file. */
  holes: Map<number, FileFloats>;
}

/** Reads `path` with the large float initializers' raw data left in the file (`holes`). */
export function readModelFile(path: string): ModelFile {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    const size = stat.size;
    const payloads = scanPayloads(fd, size) ?? [];
    // Fresh memory: pages of the holes are never written, so never made resident.
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const hole of [...payloads, { start: size, end: size }]) {
      readAt(fd, bytes, at, hole.start, path);
      at = hole.end;
    }
    // The absolute path: the weights are read later, perhaps after a chdir.
    const holes = new Map<number, FileFloats>(payloads.map((r) => [r.start, fileFloats(resolve(path), path, identity(stat), r)]));
    return { bytes, holes };
  } finally {
    closeSync(fd);
  }
}

/** Reads the file's bytes [start, end) into `into` at the same offsets. */
function readAt(fd: number, into: Uint8Array, start: number, end: number, path: string, offset = start): void {
  let pos = start;
  while (pos < end) {
    const n = readSync(fd, into, pos - start + offset, end - pos, pos);
    if (n === 0) throw new Error(`onnx: ${path}: the file ended at ${pos} bytes, expected ${end}`);
    pos += n;
  }
}

/** What tells the loaded file from another at the same path (ctime changes with any write, and cannot be set). */
function identity(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/**
 * Reads the float bytes [range) (or a part of them) from the file at `abs` when asked, if the file is still
 * the one loaded (`path` names it in messages).
 */
function fileFloats(abs: string, path: string, loaded: string, range: Range): FileFloats {
  return {
    byteLength: range.end - range.start,
    read(into: Uint8Array, offset = 0): void {
      if (offset < 0 || offset + into.length > range.end - range.start) {
        throw new Error(`onnx: internal error: reading bytes [${offset}, ${offset + into.length}) of ${range.end - range.start}`);
      }
      let fd: number;
      try {
        fd = openSync(abs, 'r');
      } catch (e) {
        throw new Error(`onnx: cannot read the weights from ${path}: ${(e as Error).message}`, { cause: e });
      }
      try {
        if (identity(fstatSync(fd)) !== loaded) {
          throw new Error(`onnx: ${path} changed since the model was loaded (its weights are read from it on the first run); load the model again`);
        }
        readAt(fd, into, range.start + offset, range.start + offset + into.length, path, 0);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Bytes of the file through a window, for scanning its structure. */
class Cursor {
  private readonly buf = new Uint8Array(WINDOW);
  private base = 0;
  private len = 0;

  constructor(private readonly fd: number, private readonly size: number) {}

  byte(pos: number): number {
    if (pos < this.base || pos >= this.base + this.len) {
      if (pos >= this.size) throw new RangeError('past the end');
      this.base = pos;
      this.len = readSync(this.fd, this.buf, 0, Math.min(WINDOW, this.size - pos), pos);
      if (this.len === 0) throw new RangeError('past the end');
    }
    return this.buf[pos - this.base];
  }

  /** A varint at pos: its value (exact below 2^53) and the position after it. */
  varint(pos: number): [number, number] {
    let v = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const b = this.byte(pos++);
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return [v, pos];
    }
    throw new RangeError('bad varint');
  }

  /** Calls visit for each field of the message in [start, end); false if the bytes are not a message. */
  fields(start: number, end: number, visit: (no: number, wire: number, value: Range) => void): boolean {
    let pos = start;
    while (pos < end) {
      const [tag, p] = this.varint(pos);
      const no = Math.floor(tag / 8);
      const wire = tag % 8;
      let value: Range;
      if (wire === 0) value = { start: p, end: this.varint(p)[1] };
      else if (wire === 1) value = { start: p, end: p + 8 };
      else if (wire === 5) value = { start: p, end: p + 4 };
      else if (wire === 2) {
        const [len, q] = this.varint(p);
        value = { start: q, end: q + len };
      } else return false;
      if (no === 0 || value.end > end) return false;
      visit(no, wire, value);
      pos = value.end;
    }
    return pos === end;
  }
}

/**
 * The raw_data payloads of the graph's large FLOAT initializers (ModelProto.graph = 7, GraphProto.initializer
 * = 5, TensorProto.data_type = 2, raw_data = 9, data_location = 14), in file order; undefined when the file
 * does not scan as a model (the decoder then reads all of it and says what is wrong).
 */
function scanPayloads(fd: number, size: number): Range[] | undefined {
  const cur = new Cursor(fd, size);
  const payloads: Range[] = [];
  try {
    let ok = true;
    const top = cur.fields(0, size, (no, wire, graph) => {
      if (no !== 7 || wire !== 2 || !ok) return;
      ok = cur.fields(graph.start, graph.end, (gno, gwire, tensor) => {
        if (gno !== 5 || gwire !== 2 || !ok) return;
        let dataType = 0;
        let external = false;
        let raw: Range | undefined;
        ok = cur.fields(tensor.start, tensor.end, (tno, twire, v) => {
          if (tno === 2 && twire === 0) dataType = cur.varint(v.start)[0];
          else if (tno === 14 && twire === 0) external = cur.varint(v.start)[0] === 1;
          else if (tno === 9 && twire === 2) raw = v;
        });
        if (raw && dataType === 1 && !external && raw.end - raw.start >= HOLE_MIN_BYTES && (raw.end - raw.start) % 4 === 0) payloads.push(raw);
      });
    });
    return top && ok ? payloads : undefined;
  } catch {
    return undefined;
  }
}
