// VGG16 against Keras' published numbers (lecture.json): parameters per layer and in total, and
// the receptive fields of Araujo, Norris & Sim. Built once with the top (138M weights).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispose, fill, init } from '@wcnn/tensor';
import { FIXTURES } from '../../../../test/fixtures.js';
import { vgg16 } from './index.js';

const lecture = JSON.parse(readFileSync(join(FIXTURES, 'seed/lecture.json'), 'utf8'));
const model = vgg16();
const summary = model.summaryData();
const row = (name: string) => summary.layers.find((l) => l.name === name)!;

describe('vgg16', () => {
  it('has 138,357,544 parameters, all trainable, with the published per-layer counts', () => {
    expect(model.countParams()).toEqual({ total: lecture.parameter_counts.keras_vgg16_include_top, trainable: 138_357_544, nonTrainable: 0 });
    expect(summary.layers.filter((l) => l.params > 0).map((l) => l.params)).toEqual(lecture.parameter_counts.vgg16_per_layer);
    expect(lecture.parameter_counts.torchvision.vgg16).toBe(138_357_544);
  });

  it('has 14,714,688 parameters without the top', () => {
    const noTop = vgg16({ includeTop: false });
    expect(noTop.countParams().total).toBe(lecture.parameter_counts.keras_vgg16_no_top);
    expect(noTop.outputs[0].name).toBe('block5_pool');
    expect(noTop.outputs[0].shape).toEqual([null, 7, 7, 512]);
    // Other sizes are fine without the top: 64 / 32 = 2.
    expect(vgg16({ includeTop: false, inputShape: [64, 64, 3] }).outputs[0].shape).toEqual([null, 2, 2, 512]);
  });

  it('uses the Keras layer names and shapes', () => {
    const names = summary.layers.map((l) => l.name);
    expect(names).toEqual([
      'input_layer',
      'block1_conv1', 'block1_conv2', 'block1_pool',
      'block2_conv1', 'block2_conv2', 'block2_pool',
      'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_pool',
      'block4_conv1', 'block4_conv2', 'block4_conv3', 'block4_pool',
      'block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool',
      'flatten', 'fc1', 'fc2', 'predictions',
    ]);
    expect(row('block3_pool').outputShape).toEqual([null, 28, 28, 256]);
    expect(row('flatten').outputShape).toEqual([null, 25088]);
    expect(row('predictions').outputShape).toEqual([null, 1000]);
  });

  it('receptive fields: block5_conv3 196, block5_pool 212 (jump 32)', () => {
    expect(row('block5_conv3').receptiveField).toEqual([lecture.receptive_fields.vgg16_conv5_3, 196]);
    expect(row('block5_pool').receptiveField).toEqual([lecture.receptive_fields.vgg16_pool5, 212]);
    expect(row('block5_pool').jump).toEqual([32, 32]);
    const sizes = summary.layers.filter((l) => Array.isArray(l.receptiveField)).map((l) => (l.receptiveField as number[])[0]);
    expect(sizes).toEqual([1, 3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212]);
    expect(row('fc1').receptiveField).toBe('global');
  });

  it('rejects other input sizes with the top, as Keras', () => {
    expect(() => vgg16({ inputShape: [64, 64, 3] })).toThrow('vgg16: with includeTop the input must be [224, 224, 3], got [64, 64, 3]; pass includeTop: false for other sizes');
  });

  describe('weights and inference', () => {
    beforeAll(async () => {
      await init();
    });

    it('holds every parameter as a graph constant in Keras layouts, and runs', () => {
      const g = model.graph;
      expect([...g.constants.values()].reduce((s, c) => s + c.data.length, 0)).toBe(138_357_544);
      expect(g.constants.get('block1_conv1/kernel')!.shape).toEqual([3, 3, 3, 64]);
      expect(g.constants.get('fc1/kernel')!.shape).toEqual([25088, 4096]);
      expect(g.constants.get('predictions/bias')!.data.every((v) => v === 0)).toBe(true);
      const x = fill([1, 224, 224, 3], 0.5);
      const y = model.predict(x);
      expect(y.shape).toEqual([1, 1000]);
      const p = y.dataSync();
      expect(p.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      dispose([x, y]);
      model.dispose();
    });
  });
});
