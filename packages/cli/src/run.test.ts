// wcnn run and wcnn summary, end to end through the built bin: every ONNX fixture, and each kind
// of bad input exiting with code 2 and one line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '@wcnn/tensor';
import { FIXTURES } from '../../../test/fixtures.js';
import { outputFileName } from './run.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const wcnn = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

interface ManifestModel {
  name: string;
  file: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  tolerance: { rtol: number; atol: number };
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'onnx/manifest.json'), 'utf8')) as { models: ManifestModel[] };

function allClose(a: Float32Array, e: Float32Array, tol: { rtol: number; atol: number }): string | undefined {
  if (a.length !== e.length) return `length ${a.length} != ${e.length}`;
  for (let i = 0; i < e.length; i++) if (!(Math.abs(a[i] - e[i]) <= tol.atol + tol.rtol * Math.abs(e[i]))) return `index ${i}: ${a[i]} vs ${e[i]}`;
  return undefined;
}

describe('wcnn run', () => {
  it.each(manifest.models.map((m) => [m.name, m] as const))('%s matches the reference outputs', (_n, m) => {
    const out = mkdtempSync(join(tmpdir(), `wcnn-run-${m.name}-`));
    const inputs = Object.entries(m.inputs).flatMap(([k, rel]) => ['--input', `${k}=${join(FIXTURES, rel)}`]);
    for (const simd of ['baseline', 'relaxed']) {
      const r = wcnn('run', join(FIXTURES, m.file), ...inputs, '--out', out, '--simd', simd);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(Object.keys(m.outputs).length);
      for (const [name, rel] of Object.entries(m.outputs)) {
        const expected = parseNpy(readFileSync(join(FIXTURES, rel)));
        const got = parseNpy(readFileSync(join(out, outputFileName(name))));
        expect(got.shape).toEqual(expected.shape);
        expect(allClose(got.data, expected.data, m.tolerance), `${m.name} ${name} ${simd}`).toBeUndefined();
        expect(lines.find((l) => l.startsWith(`${name}  [${expected.shape.join(',')}]`)), lines.join('\n')).toMatch(/ms/);
      }
    }
  });
});

describe('wcnn run --runs', () => {
  it('runs the model N times, prints each time, and writes the last outputs (the Winograd filters built on the second)', () => {
    const m = manifest.models.find((x) => x.name === 'resnet_tiny')!;
    const out = mkdtempSync(join(tmpdir(), 'wcnn-runs-'));
    const inputs = Object.entries(m.inputs).flatMap(([k, rel]) => ['--input', `${k}=${join(FIXTURES, rel)}`]);
    const r = wcnn('run', join(FIXTURES, m.file), ...inputs, '--out', out, '--runs', '3');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 3).map((l) => l.replace(/[\d.]+ ms/, 'T ms'))).toEqual(['run 1  T ms', 'run 2  T ms', 'run 3  T ms']);
    expect(lines).toHaveLength(3 + Object.keys(m.outputs).length);
    for (const [name, rel] of Object.entries(m.outputs)) {
      const expected = parseNpy(readFileSync(join(FIXTURES, rel)));
      expect(allClose(parseNpy(readFileSync(join(out, outputFileName(name)))).data, expected.data, m.tolerance), name).toBeUndefined();
    }
  });
});

describe('bad input exits with code 2 and one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wcnn-bad-'));
  const lenet = join(FIXTURES, 'onnx/lenet5.onnx');
  const x = join(FIXTURES, 'onnx/lenet5_x.npy');
  const truncated = join(dir, 'truncated.onnx');
  writeFileSync(truncated, readFileSync(lenet).subarray(0, 200));
  const garbage = join(dir, 'garbage.onnx');
  writeFileSync(garbage, 'this is not a protobuf');
  const notNpy = join(dir, 'image.npy');
  writeFileSync(notNpy, 'P5 28 28 255');
  const wrongShape = join(FIXTURES, 'onnx/vgg_tiny_x.npy');

  it.each([
    ['a missing model file', ['run', join(dir, 'missing.onnx'), '--input', `x=${x}`, '--out', dir], /^wcnn: .*missing\.onnx: no such file$/],
    ['a model that is not .onnx', ['run', x, '--input', `x=${x}`, '--out', dir], /expected an \.onnx file or zoo:NAME$/],
    ['a truncated .onnx', ['run', truncated, '--input', `x=${x}`, '--out', dir], /^wcnn: onnx: cannot parse .*truncated\.onnx/],
    ['a corrupt .onnx', ['run', garbage, '--input', `x=${x}`, '--out', dir], /^wcnn: onnx: cannot parse .*garbage\.onnx/],
    ['a missing input file', ['run', lenet, '--input', `x=${join(dir, 'nope.npy')}`, '--out', dir], /nope\.npy: no such file$/],
    ['an input that is not .npy', ['run', lenet, '--input', `x=${notNpy}`, '--out', dir], /image\.npy: not a \.npy file/],
    ['an input that is not named .npy', ['run', lenet, '--input', `x=${lenet}`, '--out', dir], /expected a \.npy file for input 'x'$/],
    ['a wrong input name', ['run', lenet, '--input', `image=${x}`, '--out', dir], /^wcnn: unknown input 'image' \(model inputs: x\)$/],
    ['a wrong input shape', ['run', lenet, '--input', `x=${wrongShape}`, '--out', dir], /input 'x' has shape \[2,3,32,32\] but the model expects \[1,1,28,28\] \(NCHW\)$/],
    ['a missing --out', ['run', lenet, '--input', `x=${x}`], /^wcnn: run needs --out DIR$/],
    ['an unknown zoo model', ['summary', 'zoo:alexnet'], /^wcnn: unknown zoo model 'alexnet' \(available: .*vgg16/],
    ['a bad --input-shape', ['summary', lenet, '--input-shape', '1,x'], /^wcnn: --input-shape must be positive integers/],
  ])('%s', (_name, args, message) => {
    const r = wcnn(...args);
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('an unsupported op names every op and node, and --verbose adds the stack', async () => {
    const onnxProto = (await import('onnx-proto')).default.onnx;
    const node = (op: string, name: string, input: string, output: string) => ({ opType: op, name, input: [input], output: [output] });
    const model = onnxProto.ModelProto.encode({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'g',
        node: [node('Relu', 'r', 'x', 'a'), node('Erf', 'e1', 'a', 'b'), node('Erf', 'e2', 'b', 'c'), node('NonMaxSuppression', 'nms', 'c', 'y')],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    }).finish();
    const file = join(dir, 'unsupported.onnx');
    writeFileSync(file, model);
    const r = wcnn('summary', file);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('Erf (nodes e1, e2)');
    expect(r.stderr).toContain('NonMaxSuppression (node nms)');
    const v = wcnn('summary', file, '--verbose');
    expect(v.stderr.trim().split('\n').length).toBeGreaterThan(1);
  });
});

describe('wcnn summary', () => {
  it('prints layers, shapes, parameters and receptive fields of an ONNX model', () => {
    const r = wcnn('summary', join(FIXTURES, 'onnx/vgg_tiny.onnx'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Total params:');
    expect(r.stdout).toMatch(/conv2d\)\s+\[2,32,32,\d+\]/);
  });

  it('gives JSON with --json, for the input shape asked', () => {
    const r = wcnn('summary', join(FIXTURES, 'onnx/jet_cnn.onnx'), '--input-shape', '4,1,25,25', '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.rows.length).toBeGreaterThan(3);
    expect(s.totalParams).toBe(s.rows.reduce((a: number, row: { params: number }) => a + row.params, 0));
    expect(s.rows.at(-1).outputShape).toEqual([4, 2]);
  });
});
