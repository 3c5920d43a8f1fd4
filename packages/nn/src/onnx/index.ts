/**
 * The ONNX importer: an .onnx file -> the graph IR (NHWC activations, HWIO / [in, out] weights).
 * importOnnx is pure and synchronous; readOnnxFile (Node) reads the file and its external data.
 */
import { importModel, type OnnxImport, type OnnxImportOptions, type OnnxValueInfo } from './importer.js';
import type { ModelFile } from './file.js';
import { alignRawData, checkLocation, decodeModel, externalEntry, externalTensors } from './proto.js';

export { importOnnx, MIN_OPSET, MAX_OPSET } from './importer.js';
export type { OnnxImport, OnnxImportOptions, OnnxValueInfo };

/** A Buffer's bytes without copying them (a copy of a large model costs its size again in fresh pages). */
const asBytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Reads an .onnx file (Node only), with external data files relative to the model's directory. */
export async function readOnnxFile(path: string): Promise<OnnxImport> {
  const fs = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const { readModelFile } = await import('./file.js');
  let file: ModelFile;
  try {
    file = readModelFile(path);
  } catch (e) {
    throw new Error(`onnx: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const { bytes, holes } = file;
  const model = decodeModel(bytes, path);
  // Large float weights stay in the file until a model takes them (the holes' bytes were never read).
  for (const t of model.graph?.initializer ?? []) {
    const f = t.rawData && holes.get(t.rawData.byteOffset - bytes.byteOffset);
    if (f && f.byteLength === t.rawData!.length) {
      t.fileData = f;
      t.rawData = undefined;
    }
  }
  // The bytes are this function's own: weights can be aligned in place and then read without a copy.
  alignRawData(model, bytes);
  const baseDir = dirname(path);
  // importOnnx is synchronous: read every external file first; a failure is reported (naming the
  // tensor) only if the import needs that file
  const files = new Map<string, Uint8Array | Error>();
  for (const t of externalTensors(model)) {
    const { location } = externalEntry(t);
    if (!location || files.has(location)) continue;
    try {
      checkLocation(location, `tensor '${t.name ?? ''}'`, path);
      files.set(location, asBytes(await fs.readFile(join(baseDir, location))));
    } catch (e) {
      files.set(location, e as Error);
    }
  }
  const readExternal = (rel: string): Uint8Array => {
    const f = files.get(rel);
    if (f === undefined) throw new Error(`'${rel}' was not read`);
    if (f instanceof Error) throw f;
    return f;
  };
  return importModel(model, { name: path, baseDir, readExternal });
}
