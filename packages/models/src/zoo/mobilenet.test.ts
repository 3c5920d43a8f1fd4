// MobileNetV2 against torchvision's trainable parameter count (lecture.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispose, fill, init } from '@wcnn/tensor';
import type { DepthwiseConv2D, ReLU } from '@wcnn/nn';
import { FIXTURES } from '../../../../test/fixtures.js';
import { mobilenet_v2 } from './index.js';

const lecture = JSON.parse(readFileSync(join(FIXTURES, 'seed/lecture.json'), 'utf8'));
const model = mobilenet_v2();
const summary = model.summaryData();
const row = (name: string) => summary.layers.find((l) => l.name === name)!;

describe('mobilenet_v2', () => {
  it('has 3,504,872 trainable parameters (torchvision), plus 2C moving statistics per batch norm', () => {
    const counts = model.countParams();
    expect(counts.trainable).toBe(lecture.parameter_counts.torchvision.mobilenet_v2);
    const bnChannels = model.layers.filter((l) => l.className === 'BatchNormalization').reduce((s, l) => s + (l.output.shape[3] as number), 0);
    expect(counts.nonTrainable).toBe(2 * bnChannels);
    expect(counts.total).toBe(3_504_872 + 2 * bnChannels);
  });

  it('has 17 inverted residual blocks, 10 with a residual connection', () => {
    const blocks = new Set(model.layers.map((l) => /^features\.(\d+)\.conv/.exec(l.name)?.[1]).filter((b) => b !== undefined));
    expect(blocks.size).toBe(17);
    expect(model.layers.filter((l) => l.className === 'Add').map((l) => l.name)).toEqual([
      'features.3.add', 'features.5.add', 'features.6.add', 'features.8.add', 'features.9.add', 'features.10.add',
      'features.12.add', 'features.13.add', 'features.15.add', 'features.16.add',
    ]);
    // Block 1 (t = 1) has no expansion conv; block 2 expands 16 -> 96 and strides in the depthwise conv.
    expect(row('features.1.conv.0.0').type).toBe('DepthwiseConv2D');
    expect(row('features.2.conv.0.0').outputShape).toEqual([null, 112, 112, 96]);
    expect((model.getLayer('features.2.conv.1.0') as DepthwiseConv2D).strides).toEqual([2, 2]);
    expect(row('features.0.0').outputShape).toEqual([null, 112, 112, 32]);
    expect(row('features.17.conv.3').outputShape).toEqual([null, 7, 7, 320]);
    expect(row('features.18.2').outputShape).toEqual([null, 7, 7, 1280]);
    expect(row('classifier.1').outputShape).toEqual([null, 1000]);
    expect(model.layers.filter((l) => l.className === 'ReLU').every((l) => (l as ReLU).maxValue === 6)).toBe(true);
    expect(row('features.18.2').receptiveField).toEqual([491, 491]);
  });

  it('includeTop false ends with the 1280-channel conv', () => {
    const m = mobilenet_v2({ includeTop: false });
    expect(m.outputs[0].name).toBe('features.18.2');
    expect(m.countParams().trainable).toBe(3_504_872 - 1281 * 1000);
  });

  describe('inference', () => {
    beforeAll(async () => {
      await init();
    });

    it('runs on a small image', () => {
      const m = mobilenet_v2({ inputShape: [96, 96, 3] });
      const x = fill([2, 96, 96, 3], 0.25);
      const y = m.predict(x);
      expect(y.shape).toEqual([2, 1000]);
      const d = y.dataSync();
      expect(d.every(Number.isFinite)).toBe(true);
      // Same image twice: same logits.
      expect(Array.from(d.subarray(0, 1000))).toEqual(Array.from(d.subarray(1000)));
      dispose([x, y]);
      m.dispose();
    });
  });
});
