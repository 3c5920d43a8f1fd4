import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures.js';
import { batchNormParams, conv2dParams, convOutputSize, denseParams, depthwiseConv2dParams, padAmounts, window2d } from './shapes.js';

const lecture = JSON.parse(readFileSync(join(FIXTURES, 'seed/lecture.json'), 'utf8'));
const ops = JSON.parse(readFileSync(join(FIXTURES, 'ops/manifest.json'), 'utf8'));

describe('output sizes', () => {
  interface ShapeExample {
    input: [number, number];
    kernel: [number, number];
    strides: [number, number];
    dilations: [number, number];
    padding: 'valid' | 'same' | 'full';
    output: [number, number];
  }
  const examples: ShapeExample[] = lecture.output_shapes;

  it.each(examples.map((c) => [`${c.padding}, stride ${c.strides[0]}, dilation ${c.dilations[0]}`, c] as const))('lecture example (%s)', (_p, c) => {
    const w = window2d(c.input[0], c.input[1], c.kernel, c.strides, c.dilations, c.padding);
    expect([w.outH, w.outW]).toEqual(c.output);
    expect(convOutputSize(c.input[0], c.kernel[0], c.strides[0], c.padding, c.dilations[0])).toBe(c.output[0]);
  });

  it('resolves the pads and output of every conv and pool fixture', () => {
    let checked = 0;
    for (const c of ops.cases) {
      if (!c.resolvedPads || !c.shapes) continue;
      const [, h, w] = c.shapes.x;
      const [, oh, ow] = c.shapes.y;
      const wShape = c.inputs.w ? readShape(c.inputs.w) : undefined;
      const kernel: [number, number] = wShape ? [wShape[0], wShape[1]] : c.attrs.kernel;
      const win = window2d(h, w, kernel, c.attrs.strides, c.attrs.dilations ?? [1, 1], c.attrs.padding);
      expect(win.pads, c.name).toEqual(c.resolvedPads);
      expect([win.outH, win.outW], c.name).toEqual([oh, ow]);
      checked++;
    }
    expect(checked).toBe(80);
  });

  it("'same' puts the odd padding pixel after (Keras/TF rule)", () => {
    expect(padAmounts(5, 2, 1, 'same')).toEqual([0, 1]);
    expect(padAmounts(6, 3, 2, 'same')).toEqual([0, 1]);
    expect(convOutputSize(7, 3, 2, 'same')).toBe(4);
    expect(convOutputSize(224, 7, 2, 'same')).toBe(112);
  });

  it("'full' pads k_eff - 1 on both sides", () => {
    expect(padAmounts(5, 3, 1, 'full', 2)).toEqual([4, 4]);
    expect(convOutputSize(5, 3, 1, 'full')).toBe(7);
  });

  it('reports a kernel that does not fit as a non-positive size', () => {
    expect(convOutputSize(2, 3)).toBe(0);
  });
});

function readShape(rel: string): number[] {
  const bytes = readFileSync(join(FIXTURES, rel));
  const len = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + len).toString('latin1');
  return /\(([^)]*)\)/.exec(header)![1].split(',').filter((s) => s.trim()).map(Number);
}

describe('parameter counts (lecture formulas)', () => {
  it('matches the published VGG16 per-layer counts', () => {
    const convs: Array<[number, number]> = [[3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256],
      [256, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512]];
    const counts = [
      ...convs.map(([c, k]) => conv2dParams({ kernel: 3, inChannels: c, filters: k })),
      denseParams(7 * 7 * 512, 4096),
      denseParams(4096, 4096),
      denseParams(4096, 1000),
    ];
    expect(counts).toEqual(lecture.parameter_counts.vgg16_per_layer);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(lecture.parameter_counts.keras_vgg16_include_top);
    expect(counts.slice(0, 13).reduce((a, b) => a + b, 0)).toBe(lecture.parameter_counts.keras_vgg16_no_top);
  });

  it('counts groups, depthwise, no bias and batch norm', () => {
    expect(conv2dParams({ kernel: [3, 3], inChannels: 8, filters: 16, groups: 4 })).toBe((9 * 2 + 1) * 16);
    expect(conv2dParams({ kernel: 1, inChannels: 8, filters: 4, useBias: false })).toBe(32);
    expect(depthwiseConv2dParams(3, 32)).toBe(10 * 32);
    expect(depthwiseConv2dParams(3, 32, 2, false)).toBe(9 * 64);
    expect(batchNormParams(64)).toEqual({ total: 256, trainable: 128 });
  });
});
