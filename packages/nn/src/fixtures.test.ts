// Every single-op fixture (PyTorch, float64) and the lecture's worked example, on both builds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { tensor, tidy, type Tensor } from '@wcnn/tensor';
import { FIXTURES, FLAVORS, expectAllClose, fixtureTensor, readFixture, useBuild } from '../test/setup.js';
import * as nn from './index.js';

interface Case {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, string>;
  output: string;
  tolerance: { rtol: number; atol: number };
}

const manifest: { cases: Case[] } = JSON.parse(readFileSync(join(FIXTURES, 'ops/manifest.json'), 'utf8'));
const lecture = JSON.parse(readFileSync(join(FIXTURES, 'seed/lecture.json'), 'utf8'));

function run(c: Case, t: Record<string, Tensor>): Tensor {
  const a = c.attrs as never;
  switch (c.op) {
    case 'conv2d': return nn.conv2d(t.x, t.w, { ...(c.attrs as object), bias: t.b });
    case 'maxPool2d': return nn.maxPool2d(t.x, a);
    case 'avgPool2d': return nn.avgPool2d(t.x, a);
    case 'globalAvgPool2d': return nn.globalAvgPool2d(t.x);
    case 'globalMaxPool2d': return nn.globalMaxPool2d(t.x);
    case 'dense': return nn.dense(t.x, t.w, { bias: t.b });
    case 'relu': return nn.relu(t.x);
    case 'relu6': return nn.relu6(t.x);
    case 'sigmoid': return nn.sigmoid(t.x);
    case 'tanh': return nn.tanh(t.x);
    case 'leakyRelu': return nn.leakyRelu(t.x, a);
    case 'softmax': return nn.softmax(t.x);
    case 'batchNorm': return nn.batchNorm(t.x, { gamma: t.gamma, beta: t.beta, mean: t.mean, variance: t.variance, ...(c.attrs as object) });
    default: throw new Error(`fixture op ${c.op} has no mapping`);
  }
}

describe.each(FLAVORS)('fixtures on the %s build', (flavor) => {
  beforeAll(() => useBuild(flavor));

  it('covers every op of the manifest', () => {
    expect(manifest.cases.length).toBe(90);
  });

  it.each(manifest.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const expected = readFixture(c.output);
    tidy(() => {
      const inputs: Record<string, Tensor> = {};
      for (const [k, rel] of Object.entries(c.inputs)) inputs[k] = fixtureTensor(rel);
      const y = run(c, inputs);
      expect(y.shape).toEqual(expected.shape);
      expectAllClose(y.dataSync(), expected.data, c.tolerance, c.name);
    });
  });

  it("reproduces the lecture's worked convolution example exactly", () => {
    const ex = lecture.conv_example;
    const x = tensor(ex.input.flat(), [1, 5, 5, 1]);
    const w = tensor(ex.filter.flat(), [3, 3, 1, 1]);
    const y = nn.conv2d(x, w, { strides: ex.stride, padding: ex.padding });
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expect(Array.from(y.dataSync())).toEqual(ex.output.flat());
    [x, w, y].forEach((t) => t.dispose());
  });
});
