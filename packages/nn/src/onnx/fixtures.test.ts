// End to end: every manifest model loaded by loadOnnx, compiled and run on both builds, against
// PyTorch's float64 outputs. Inputs and outputs are NCHW, as ONNX defines them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shutdown, tensor, type Tensor } from '@wcnn/tensor';
import { expectAllClose, FIXTURES, FLAVORS, readFixture, useBuild } from '../../test/setup.js';
import { loadOnnx } from './model.js';

interface ManifestModel {
  name: string;
  file: string;
  opset: number;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  tolerance: { rtol: number; atol: number };
}

const manifest = JSON.parse(readFileSync(join(FIXTURES, 'onnx/manifest.json'), 'utf8')) as { models: ManifestModel[] };

afterAll(() => shutdown());

describe.each(FLAVORS)('ONNX fixtures on the %s build', (flavor) => {
  it.each(manifest.models.map((m) => [m.name, m] as const))('%s matches PyTorch', async (_name, m) => {
    await useBuild(flavor);
    const model = await loadOnnx(join(FIXTURES, m.file));
    expect(model.onnx.opset).toBe(m.opset);
    const feeds: Record<string, Tensor> = {};
    for (const [name, rel] of Object.entries(m.inputs)) {
      const { data, shape } = readFixture(rel);
      feeds[name] = tensor(data, shape);
    }
    const results = model.predict(feeds);
    try {
      for (const [name, rel] of Object.entries(m.outputs)) {
        const expected = readFixture(rel);
        expect(results[name].shape, `${m.name} ${name} shape`).toEqual(expected.shape);
        expectAllClose(results[name].dataSync(), expected.data, m.tolerance, `${m.name} ${name} (${flavor})`);
      }
    } finally {
      Object.values(results).forEach((t) => t.dispose());
      Object.values(feeds).forEach((t) => t.dispose());
      model.dispose();
    }
  });
});
