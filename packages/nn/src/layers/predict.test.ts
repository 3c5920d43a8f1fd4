// Models run through GraphModel on both builds and agree with the functional ops on the same weights.
import { beforeAll, describe, expect, it } from 'vitest';
import { dispose, memory, tensor, tidy, type Tensor } from '@wcnn/tensor';
import { FLAVORS, expectAllClose, random, useBuild } from '../../test/setup.js';
import * as nn from '../index.js';
import {
  Add,
  AveragePooling2D,
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  Input,
  MaxPooling2D,
  Model,
  ReLU,
  Sequential,
  ZeroPadding2D,
  type Layer,
} from './index.js';

const TOL = { rtol: 1e-4, atol: 1e-5 };

/** The layer's weights as tensors, in weightSpecs() shapes (graph shapes for depthwise kernels). */
const weightTensors = (l: Layer): Tensor[] => l.getWeights().map((w, i) => tensor(w, l.weightSpecs()[i].graphShape ?? l.weightSpecs()[i].shape));

/** Random batch-norm statistics, so that the layer does something. */
function randomizeBatchNorm(l: Layer, seed: number): void {
  const c = l.weightSpecs()[0].shape[0];
  l.setWeights([random(c, seed, 0.5, 1.5), random(c, seed + 1), random(c, seed + 2), random(c, seed + 3, 0.2, 2)]);
}

describe.each(FLAVORS)('models on the %s build', (flavor) => {
  beforeAll(() => useBuild(flavor));

  it('a conv net matches the functional ops', () => {
    const x = new Input({ shape: [12, 12, 3], name: 'image' });
    const c1 = new Conv2D(8, 3, { padding: 'same', activation: 'relu' });
    const p1 = new MaxPooling2D(2);
    const c2 = new Conv2D(6, 3, { dilationRate: 2, useBias: false });
    const bn = new BatchNormalization({ epsilon: 1e-5 });
    const fc = new Dense(5, { activation: 'softmax' });
    const y = fc.apply(new GlobalAveragePooling2D().apply(bn.apply(c2.apply(p1.apply(c1.apply(x))))));
    const model = new Model({ inputs: x, outputs: y, seed: 11 });
    randomizeBatchNorm(bn, 3);
    const xs = random(2 * 12 * 12 * 3, 5);
    tidy(() => {
      const input = tensor(xs, [2, 12, 12, 3]);
      const out = model.predict(input);
      expect(out.shape).toEqual([2, 5]);
      const [w1, b1] = weightTensors(c1);
      const [w2] = weightTensors(c2);
      const [gamma, beta, mean, variance] = weightTensors(bn);
      const [wf, bf] = weightTensors(fc);
      let r = nn.conv2d(input, w1, { bias: b1, padding: 'same', activation: 'relu' });
      r = nn.maxPool2d(r, { kernel: 2 });
      r = nn.conv2d(r, w2, { dilations: 2 });
      r = nn.batchNorm(r, { gamma, beta, mean, variance, epsilon: 1e-5 });
      r = nn.softmax(nn.dense(nn.globalAvgPool2d(r), wf, { bias: bf }));
      expectAllClose(out.dataSync(), r.dataSync(), TOL, 'conv net');
      // Softmax rows sum to one.
      const d = out.dataSync();
      expect(d.slice(0, 5).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    });
    model.dispose();
  });

  it('branches: depthwise, zero padding, concatenate, add, relu6, average pooling', () => {
    const x = new Input({ shape: [9, 9, 4] });
    const dw = new DepthwiseConv2D(3, { depthMultiplier: 2, padding: 'same', activation: 'relu6' });
    const pw = new Conv2D(4, 1, { useBias: false });
    const pad = new ZeroPadding2D([[1, 0], [0, 1]]);
    const conv = new Conv2D(4, 2);
    const a = dw.apply(x);
    const b = pw.apply(a);
    const sum = new Add().apply([x, b, conv.apply(pad.apply(x))]);
    const cat = new Concatenate().apply([sum, a]);
    const act = new ReLU({ maxValue: 6 }).apply(cat);
    const y = new Dropout(0.5).apply(new AveragePooling2D(3, { strides: 2, padding: 'same' }).apply(act));
    const model = new Model({ inputs: x, outputs: y, seed: 2 });
    // Non-zero biases, so that their layout is exercised too.
    dw.setWeights([dw.getWeights()[0], random(8, 9)]);
    const xs = random(9 * 9 * 4, 8);
    tidy(() => {
      const input = tensor(xs, [1, 9, 9, 4]);
      const out = model.predict(input);
      expect(out.shape).toEqual([1, 5, 5, 12]);
      const [wd, bd] = weightTensors(dw);
      const [wp] = weightTensors(pw);
      const [wc, bc] = weightTensors(conv);
      const ra = nn.conv2d(input, wd, { bias: bd, padding: 'same', groups: 4, activation: 'relu6' });
      const rb = nn.conv2d(ra, wp);
      const rc = nn.conv2d(nn.pad2d(input, { pads: [1, 0, 0, 1] }), wc, { bias: bc });
      const rsum = nn.add(nn.add(input, rb), rc);
      const r = nn.avgPool2d(nn.relu6(nn.concat([rsum, ra])), { kernel: 3, strides: 2, padding: 'same' });
      expectAllClose(out.dataSync(), r.dataSync(), TOL, 'branches');
    });
    model.dispose();
  });

  it('Sequential LeNet-style: tanh, average pooling, flatten, dense', () => {
    const c1 = new Conv2D(3, 5, { activation: 'tanh', padding: 'same', inputShape: [10, 10, 1] });
    const fc = new Dense(4, { activation: 'sigmoid' });
    const model = new Sequential([c1, new AveragePooling2D(), new Flatten(), fc], { seed: 9 });
    const xs = random(3 * 100, 4);
    tidy(() => {
      const input = tensor(xs, [3, 10, 10, 1]);
      const out = model.predict([input]);
      const [w1, b1] = weightTensors(c1);
      const [wf, bf] = weightTensors(fc);
      const r = nn.dense(nn.flatten(nn.avgPool2d(nn.conv2d(input, w1, { bias: b1, padding: 'same', activation: 'tanh' }), { kernel: 2 })), wf, { bias: bf, activation: 'sigmoid' });
      expectAllClose(out.dataSync(), r.dataSync(), TOL, 'sequential');
    });
    model.dispose();
  });

  it('Dense on images acts per pixel (a 1x1 conv), softmax over channels', () => {
    const fc = new Dense(3, { activation: 'softmax' });
    const model = new Sequential([new Input({ shape: [4, 4, 2] }), fc], { seed: 4 });
    fc.setWeights([fc.getWeights()[0], [0.1, -0.2, 0.3]]);
    tidy(() => {
      const input = tensor(random(2 * 4 * 4 * 2, 6), [2, 4, 4, 2]);
      const out = model.predict(input);
      expect(out.shape).toEqual([2, 4, 4, 3]);
      const [w, b] = weightTensors(fc);
      const r = nn.softmax(nn.conv2d(input, w.reshape([1, 1, 2, 3]), { bias: b }));
      expectAllClose(out.dataSync(), r.dataSync(), TOL, 'dense on images');
    });
    model.dispose();
  });

  it('several inputs and outputs, by array or by name', () => {
    const a = new Input({ shape: [4], name: 'a' });
    const b = new Input({ shape: [4], name: 'b' });
    const sum = new Add({ name: 'sum' }).apply([a, b]);
    const fc = new Dense(2, { name: 'fc' });
    const model = new Model({ inputs: [a, b], outputs: [sum, fc.apply(sum)], name: 'two' });
    fc.setWeights([[1, 0, 0, 1, 1, 0, 0, 1], [0.5, -0.5]]);
    tidy(() => {
      const ta = tensor([1, 2, 3, 4], [1, 4]);
      const tb = tensor([10, 20, 30, 40], [1, 4]);
      for (const feeds of [[ta, tb], { a: ta, b: tb }]) {
        const out = model.predictAll(feeds);
        expect(Object.keys(out).sort()).toEqual(['fc', 'sum']);
        expect(Array.from(out.sum.dataSync())).toEqual([11, 22, 33, 44]);
        expect(Array.from(out.fc.dataSync())).toEqual([11 + 33 + 0.5, 22 + 44 - 0.5]);
      }
    });
    model.dispose();
  });

  it('checks the inputs, and new weights take effect', () => {
    const x = new Input({ shape: [2, 2, 1], name: 'x' });
    const conv = new Conv2D(1, 1, { name: 'c' });
    const model = new Model({ inputs: x, outputs: conv.apply(x), name: 'm' });
    tidy(() => {
      expect(() => model.predict(tensor([1, 2, 3, 4], [1, 4]))).toThrow("Model 'm': input 'x' has shape [1,4] but the model expects [null,2,2,1]");
      expect(() => model.predict({ y: tensor([1], [1]) })).toThrow("Model 'm': unknown input 'y' (model inputs: x)");
      expect(() => model.predict([])).toThrow("Model 'm': the model has 1 input (x), got 0 tensors");
      expect(() => model.predict({})).toThrow("Model 'm': missing input 'x'");
      const input = tensor([1, 2, 3, 4], [1, 2, 2, 1]);
      conv.setWeights([[2], [0]]);
      expect(Array.from(model.predict(input).dataSync())).toEqual([2, 4, 6, 8]);
      conv.setWeights([[-1], [1]]);
      expect(Array.from(model.predict(input).dataSync())).toEqual([0, -1, -2, -3]);
      // Another batch size compiles another plan.
      expect(model.predict(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1])).shape).toEqual([2, 2, 2, 1]);
    });
    model.dispose();
  });

  it('leaves no tensors behind', () => {
    const before = memory().numTensors;
    const model = new Sequential([new Conv2D(2, 3, { inputShape: [6, 6, 1], activation: 'relu' }), new GlobalAveragePooling2D(), new Dense(3)]);
    const input = tensor(random(36, 1), [1, 6, 6, 1]);
    const out = model.predict(input);
    dispose([input, out]);
    model.dispose();
    expect(memory().numTensors).toBe(before);
  });
});
