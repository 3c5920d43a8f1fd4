// ResNets against torchvision's parameter counts (which count trainable parameters only: batch
// norm weight and bias) and the receptive field of ResNet-50 v1 (lecture.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispose, init, tensor } from '@wcnn/tensor';
import type { Conv2D, Model } from '@wcnn/nn';
import { FIXTURES } from '../../../../test/fixtures.js';
import { resnet18, resnet34, resnet50, resnet50_v1 } from './index.js';

const lecture = JSON.parse(readFileSync(join(FIXTURES, 'seed/lecture.json'), 'utf8'));
// No weights are created until a graph is needed: building all four is cheap.
const models: Record<string, Model> = { resnet18: resnet18(), resnet34: resnet34(), resnet50: resnet50(), resnet50_v1: resnet50_v1() };
const layer = (m: Model, name: string) => m.summaryData().layers.find((l) => l.name === name)!;

describe('resnets', () => {
  it.each([
    ['resnet18', 11_689_512],
    ['resnet34', 21_797_672],
    ['resnet50', 25_557_032],
    ['resnet50_v1', 25_557_032],
  ])('%s has the torchvision trainable parameter count', (name, published) => {
    const m = models[name];
    const counts = m.countParams();
    expect(counts.trainable).toBe(published);
    expect(lecture.parameter_counts.torchvision[name.replace('_v1', '')]).toBe(published);
    // Keras' total adds each batch norm's moving mean and variance: 2C per BatchNormalization.
    const bnChannels = m.layers.filter((l) => l.className === 'BatchNormalization').reduce((s, l) => s + (l.output.shape[3] as number), 0);
    expect(counts.nonTrainable).toBe(2 * bnChannels);
    expect(counts.total).toBe(published + 2 * bnChannels);
  });

  it('has the torchvision stem, stages and shortcuts', () => {
    const m = models.resnet18;
    const conv1 = m.getLayer('conv1') as Conv2D;
    expect([conv1.kernelSize, conv1.strides, conv1.useBias, conv1.padding.ir]).toEqual([[7, 7], [2, 2], false, [3, 3, 3, 3]]);
    expect(layer(m, 'conv1').outputShape).toEqual([null, 112, 112, 64]);
    expect(layer(m, 'maxpool').outputShape).toEqual([null, 56, 56, 64]);
    expect(['layer1.1.out', 'layer2.1.out', 'layer3.1.out', 'layer4.1.out'].map((n) => layer(m, n).outputShape)).toEqual([
      [null, 56, 56, 64], [null, 28, 28, 128], [null, 14, 14, 256], [null, 7, 7, 512],
    ]);
    expect(m.layers.filter((l) => l.name.endsWith('downsample.0')).map((l) => l.name)).toEqual(['layer2.0.downsample.0', 'layer3.0.downsample.0', 'layer4.0.downsample.0']);
    expect(layer(m, 'layer2.0.add').inbound).toEqual(['layer2.0.bn2', 'layer2.0.downsample.1']);
    expect(layer(m, 'layer2.1.add').inbound).toEqual(['layer2.1.bn2', 'layer2.0.out']);
    expect(layer(m, 'fc').outputShape).toEqual([null, 1000]);
    expect(m.layers.every((l) => l.className !== 'Conv2D' || (l as Conv2D).useBias === false)).toBe(true);
    expect(models.resnet50.layers.filter((l) => l.name.endsWith('downsample.0')).length).toBe(4);
    expect(layer(models.resnet50, 'layer1.0.out').outputShape).toEqual([null, 56, 56, 256]);
  });

  it('resnet50 (v1.5) strides in the 3x3 conv, resnet50_v1 in the first 1x1', () => {
    const strides = (m: Model, name: string) => (m.getLayer(name) as Conv2D).strides;
    expect([strides(models.resnet50, 'layer2.0.conv1'), strides(models.resnet50, 'layer2.0.conv2')]).toEqual([[1, 1], [2, 2]]);
    expect([strides(models.resnet50_v1, 'layer2.0.conv1'), strides(models.resnet50_v1, 'layer2.0.conv2')]).toEqual([[2, 2], [1, 1]]);
    expect(layer(models.resnet50, 'layer4.2.out').outputShape).toEqual(layer(models.resnet50_v1, 'layer4.2.out').outputShape);
  });

  it('receptive field of the conv stack: 483 for v1 (Distill), 427 for v1.5', () => {
    expect(layer(models.resnet50_v1, 'layer4.2.out')).toMatchObject({ receptiveField: [lecture.receptive_fields.resnet_v1_50_final, 483], jump: [32, 32] });
    expect(layer(models.resnet50, 'layer4.2.out')).toMatchObject({ receptiveField: [427, 427], jump: [32, 32] });
    expect(layer(models.resnet18, 'layer4.1.out').receptiveField).toEqual([435, 435]);
    expect(layer(models.resnet34, 'layer4.2.out').receptiveField).toEqual([899, 899]);
    expect(layer(models.resnet50, 'fc').receptiveField).toBe('global');
  });

  it('includeTop false ends with the last stage; other sizes work', () => {
    const m = resnet50({ includeTop: false, inputShape: [96, 128, 3] });
    expect(m.outputs[0].name).toBe('layer4.2.out');
    expect(m.outputs[0].shape).toEqual([null, 3, 4, 2048]);
    expect(m.countParams().trainable).toBe(25_557_032 - (2048 + 1) * 1000);
    expect(resnet18({ classes: 10 }).outputs[0].shape).toEqual([null, 10]);
  });

  describe('inference', () => {
    beforeAll(async () => {
      await init();
    });

    it('resnet18 runs on a small image, deterministically per seed', () => {
      const m = resnet18({ inputShape: [64, 64, 3], seed: 1 });
      const again = resnet18({ inputShape: [64, 64, 3], seed: 1 });
      expect(Array.from(m.graph.constants.get('layer3.0.conv2/kernel')!.data.subarray(0, 16))).toEqual(
        Array.from(again.graph.constants.get('layer3.0.conv2/kernel')!.data.subarray(0, 16)),
      );
      const x = tensor(Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => Math.sin(i)), [1, 64, 64, 3]);
      const y = m.predict(x);
      expect(y.shape).toEqual([1, 1000]);
      expect(y.dataSync().every(Number.isFinite)).toBe(true);
      dispose([x, y]);
      m.dispose();
    });
  });
});
