// LeNet-5, the jet tagger, and the zoo registry.
import { beforeAll, describe, expect, it } from 'vitest';
import { dispose, init, tensor } from '@wcnn/tensor';
import { Model, type Conv2D } from '@wcnn/nn';
import { jet_tagger, lenet5, zoo, zooNames } from './index.js';

const shapes = (m: Model) => Object.fromEntries(m.summaryData().layers.map((l) => [l.name, l.outputShape]));

describe('lenet5', () => {
  it('is LeNet-5 on 32x32x1: 61,706 parameters, tanh, average pooling', () => {
    const m = lenet5();
    expect(shapes(m)).toEqual({
      input_layer: [null, 32, 32, 1],
      c1: [null, 28, 28, 6],
      s2: [null, 14, 14, 6],
      c3: [null, 10, 10, 16],
      s4: [null, 5, 5, 16],
      c5: [null, 1, 1, 120],
      flatten: [null, 120],
      f6: [null, 84],
      output: [null, 10],
    });
    expect(m.summaryData().layers.filter((l) => l.params > 0).map((l) => l.params)).toEqual([156, 2416, 48120, 10164, 850]);
    expect(m.countParams().total).toBe(61_706);
    expect(m.layers.filter((l) => l.className === 'AveragePooling2D').length).toBe(2);
    expect(m.graph.nodes.filter((n) => n.op === 'conv2d' || n.op === 'dense').map((n) => (n.attrs as { activation?: string }).activation)).toEqual(['tanh', 'tanh', 'tanh', 'tanh', undefined]);
  });

  it('pads MNIST 28x28 images by 2 in c1, so the rest is unchanged', () => {
    const m = lenet5({ inputShape: [28, 28, 1] });
    expect((m.getLayer('c1') as Conv2D).padding.ir).toBe('same');
    expect(shapes(m).c1).toEqual([null, 28, 28, 6]);
    expect(m.countParams().total).toBe(61_706);
    expect(lenet5({ includeTop: false }).outputs[0].shape).toEqual([null, 1, 1, 120]);
  });
});

describe('jet_tagger', () => {
  it('starts with an 11x11 conv on 25x25x1 and ends in a 2-class softmax', () => {
    const m = jet_tagger();
    const conv1 = m.getLayer('conv1') as Conv2D;
    expect(conv1.kernelSize).toEqual([11, 11]);
    expect(m.inputs[0].shape).toEqual([null, 25, 25, 1]);
    expect(m.outputs[0].shape).toEqual([null, 2]);
    const rows = m.summaryData().layers;
    expect(rows.map((l) => [l.name, l.params])).toEqual([
      ['input_layer', 0],
      ['conv1', (11 * 11 + 1) * 16],
      ['pool1', 0],
      ['conv2', (9 * 16 + 1) * 32],
      ['pool2', 0],
      ['conv3', (9 * 32 + 1) * 32],
      ['pool3', 0],
      ['flatten', 0],
      ['fc1', (288 + 1) * 64],
      ['dropout', 0],
      ['predictions', (64 + 1) * 2],
    ]);
    expect(m.countParams().total).toBe(34_466);
    // The last conv features see more than the whole 25x25 image.
    expect(rows.find((l) => l.name === 'pool3')).toMatchObject({ receptiveField: [30, 30], jump: [8, 8], outputShape: [null, 3, 3, 32] });
  });

  describe('inference', () => {
    beforeAll(async () => {
      await init();
    });

    it('jet_tagger and lenet5 give probabilities', () => {
      const cases: Array<[Model, number[]]> = [[jet_tagger({ seed: 3 }), [4, 25, 25, 1]], [lenet5({ seed: 3 }), [2, 32, 32, 1]]];
      for (const [m, shape] of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tensor(Float32Array.from({ length: n }, (_, i) => (i % 7) / 7), shape);
        const y = m.predict(x);
        const classes = m.outputs[0].shape[1] as number;
        expect(y.shape).toEqual([shape[0], classes]);
        const p = y.dataSync();
        for (let b = 0; b < shape[0]; b++) {
          expect(p.subarray(b * classes, (b + 1) * classes).reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
        }
        dispose([x, y]);
        m.dispose();
      }
    });
  });
});

describe('zoo', () => {
  it('lists every architecture; each builds a Model of that name', () => {
    expect(zooNames).toEqual(['vgg16', 'resnet18', 'resnet34', 'resnet50', 'resnet50_v1', 'mobilenet_v2', 'lenet5', 'jet_tagger']);
    for (const name of zooNames) {
      if (name === 'vgg16') continue; // vgg16.test.ts
      const m = zoo[name]({ includeTop: false });
      expect(m).toBeInstanceOf(Model);
      expect(m.name).toBe(name);
    }
  });

  it('checks the options', () => {
    expect(() => zoo.resnet18({ pretrained: true } as never)).toThrow('resnet18: unknown option pretrained (known: seed, inputShape, includeTop, classes)');
    expect(() => zoo.lenet5({ inputShape: [28, 28] as never })).toThrow('lenet5: inputShape must be [h, w, c] of positive integers (no batch dimension), got [28,28]');
    expect(() => zoo.jet_tagger({ includeTop: 1 as never })).toThrow('jet_tagger: includeTop must be a boolean, got 1');
    expect(() => zoo.mobilenet_v2({ seed: 'a' as never })).toThrow('mobilenet_v2: seed must be an integer, got "a"');
    expect(() => zoo.resnet34({ classes: 0 })).toThrow('resnet34: classes must be a positive integer, got 0');
    expect(() => zoo.lenet5({ inputShape: [16, 16, 1] })).toThrow("Conv2D 'c5': the 5x5 kernel does not fit the 1x1 input with padding 'valid'");
  });
});
