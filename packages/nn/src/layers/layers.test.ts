// Layers without a backend: output shapes, defaults, names, receptive fields, parameter counts,
// weights, and the errors for bad arguments and mismatched shapes.
import { describe, expect, it } from 'vitest';
import { conv2dParams, denseParams } from '@wcnn/tensor';
import {
  Activation,
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
  GlobalMaxPooling2D,
  Input,
  MaxPooling2D,
  Model,
  ReLU,
  Softmax,
  ZeroPadding2D,
  snakeCase,
  type Layer,
  type SymbolicTensor,
} from './index.js';

const image = (h: number | null, w: number | null, c: number, name?: string) => new Input({ shape: [h, w, c], ...(name ? { name } : {}) });
const windowOf = (t: SymbolicTensor) => {
  const rf = t.receptiveField;
  return rf.kind === 'window' ? { size: rf.size, jump: rf.jump } : rf.kind;
};
/** Sum of the weight sizes in the specs: what countParams() must agree with. */
const specTotal = (l: Layer) => l.weightSpecs().reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);

describe('output shapes and defaults', () => {
  it('Conv2D: valid by default, same, strides, dilation, groups, explicit padding', () => {
    const x = image(10, 12, 4);
    expect(new Conv2D(8, 3).apply(x).shape).toEqual([null, 8, 10, 8]);
    expect(new Conv2D(8, [3, 5], { padding: 'same' }).apply(x).shape).toEqual([null, 10, 12, 8]);
    expect(new Conv2D(8, 3, { strides: 2, padding: 'same' }).apply(x).shape).toEqual([null, 5, 6, 8]);
    expect(new Conv2D(8, 3, { dilationRate: 2 }).apply(x).shape).toEqual([null, 6, 8, 8]);
    expect(new Conv2D(8, 3, { padding: 'full' }).apply(x).shape).toEqual([null, 12, 14, 8]);
    expect(new Conv2D(8, 7, { strides: 2, padding: 3 }).apply(x).shape).toEqual([null, 5, 6, 8]);
    expect(new Conv2D(8, 3, { padding: [1, 0, 2, 2] }).apply(x).shape).toEqual([null, 9, 14, 8]);
    expect(new Conv2D(8, 3, { groups: 2, padding: 'circular' }).apply(x).shape).toEqual([null, 10, 12, 8]);
  });

  it('keeps unknown spatial sizes unknown', () => {
    const x = image(null, null, 3);
    const y = new MaxPooling2D().apply(new Conv2D(4, 3, { strides: 2 }).apply(x));
    expect(y.shape).toEqual([null, null, null, 4]);
    expect(new GlobalAveragePooling2D().apply(y).shape).toEqual([null, 4]);
  });

  it('DepthwiseConv2D multiplies the channels by depthMultiplier', () => {
    const x = image(9, 9, 6);
    expect(new DepthwiseConv2D(3).apply(x).shape).toEqual([null, 7, 7, 6]);
    expect(new DepthwiseConv2D([3, 3], { depthMultiplier: 2, strides: 2, padding: 'same' }).apply(x).shape).toEqual([null, 5, 5, 12]);
  });

  it('pooling: poolSize 2 and strides = poolSize by default; global pools', () => {
    const x = image(9, 8, 3);
    const max = new MaxPooling2D();
    expect(max.poolSize).toEqual([2, 2]);
    expect(max.strides).toEqual([2, 2]);
    expect(max.apply(x).shape).toEqual([null, 4, 4, 3]);
    expect(new MaxPooling2D([3, 3], { strides: 2, padding: 'same' }).apply(x).shape).toEqual([null, 5, 4, 3]);
    expect(new AveragePooling2D(3, { strides: 1 }).apply(x).shape).toEqual([null, 7, 6, 3]);
    expect(new MaxPooling2D(3, { strides: 2, padding: 1 }).apply(x).shape).toEqual([null, 5, 4, 3]);
    expect(new GlobalAveragePooling2D().apply(x).shape).toEqual([null, 3]);
    expect(new GlobalMaxPooling2D({ keepDims: true }).apply(x).shape).toEqual([null, 1, 1, 3]);
  });

  it('Dense, Flatten, ZeroPadding2D, BatchNormalization, activations', () => {
    const x = image(4, 5, 3);
    expect(new Flatten().apply(x).shape).toEqual([null, 60]);
    expect(new Dense(7).apply(new Flatten().apply(x)).shape).toEqual([null, 7]);
    expect(new Dense(7).apply(x).shape).toEqual([null, 4, 5, 7]);
    expect(new ZeroPadding2D().apply(x).shape).toEqual([null, 6, 7, 3]);
    expect(new ZeroPadding2D(3).apply(x).shape).toEqual([null, 10, 11, 3]);
    expect(new ZeroPadding2D([1, 2]).apply(x).shape).toEqual([null, 6, 9, 3]);
    expect(new ZeroPadding2D([[0, 1], [2, 0]]).pads).toEqual([0, 1, 2, 0]);
    for (const l of [new BatchNormalization(), new Activation('relu'), new ReLU({ maxValue: 6 }), new Softmax(), new Dropout(0.5)]) {
      expect(l.apply(x).shape).toEqual([null, 4, 5, 3]);
    }
    expect(new BatchNormalization().epsilon).toBe(1e-3);
  });

  it('Add and Concatenate', () => {
    const x = image(8, 8, 4);
    const a = new Conv2D(6, 1).apply(x);
    const b = new Conv2D(6, 1).apply(x);
    const c = new Conv2D(2, 1).apply(x);
    expect(new Add().apply([a, b]).shape).toEqual([null, 8, 8, 6]);
    expect(new Add().apply([a, b, new Conv2D(6, 1).apply(x)]).shape).toEqual([null, 8, 8, 6]);
    expect(new Concatenate().apply([a, c, x]).shape).toEqual([null, 8, 8, 12]);
    expect(new Concatenate({ axis: 2 }).apply([a, b]).shape).toEqual([null, 8, 16, 6]);
  });

  it('an Input is accepted where a symbolic tensor is', () => {
    const x = image(5, 5, 1);
    expect(new Conv2D(2, 3).apply(x).shape).toEqual(new Conv2D(2, 3).apply(x.output).shape);
  });
});

describe('names', () => {
  it('are snake-cased class names, numbered per model, as Keras', () => {
    expect(['Conv2D', 'MaxPooling2D', 'GlobalAveragePooling2D', 'BatchNormalization', 'ReLU', 'ZeroPadding2D', 'DepthwiseConv2D', 'InputLayer'].map(snakeCase)).toEqual([
      'conv2d', 'max_pooling2d', 'global_average_pooling2d', 'batch_normalization', 're_lu', 'zero_padding2d', 'depthwise_conv2d', 'input_layer',
    ]);
    for (let model = 0; model < 2; model++) {
      const x = image(16, 16, 1);
      const a = new Conv2D(2, 3).apply(x);
      const b = new Conv2D(2, 3).apply(a);
      const c = new Conv2D(2, 3, { name: 'mine' }).apply(b);
      const d = new Conv2D(2, 3).apply(c);
      expect([x.name, a.name, b.name, c.name, d.name]).toEqual(['input_layer', 'conv2d', 'conv2d_1', 'mine', 'conv2d_2']);
    }
  });

  it('separate inputs are numbered apart once they meet in a model', () => {
    const x1 = image(4, 4, 1);
    const x2 = image(4, 4, 1);
    const a = new Conv2D(2, 1).apply(x1);
    const b = new Conv2D(2, 1).apply(x2);
    expect([x1.name, x2.name, a.name, b.name]).toEqual(['input_layer', 'input_layer', 'conv2d', 'conv2d']);
    const y = new Concatenate().apply([a, b]);
    expect([x1.name, x2.name, a.name, b.name, y.name]).toEqual(['input_layer', 'input_layer_1', 'conv2d', 'conv2d_1', 'concatenate']);
  });

  it('a name freed by a failed apply is reused', () => {
    const x = image(4, 4, 1);
    expect(() => new Dense(3).apply(new Conv2D(1, 5).apply(x))).toThrow("Conv2D 'conv2d': the 5x5 kernel does not fit the 4x4 input with padding 'valid'");
    expect(new Conv2D(1, 3).apply(x).name).toBe('conv2d');
  });

  it('rejects duplicate explicit names and bad names', () => {
    const x = image(4, 4, 1);
    const a = new Conv2D(2, 1, { name: 'c' }).apply(x);
    expect(() => new Conv2D(2, 1, { name: 'c' }).apply(a)).toThrow("Conv2D 'c': the name 'c' is already used by Conv2D 'c' in the same model; layer names must be unique");
    expect(() => new Dense(2, { name: 'conv2d' }).apply(new Conv2D(2, 1).apply(a))).toThrow("Dense 'conv2d': the name 'conv2d' is already used by Conv2D 'conv2d'");
    expect(() => new Conv2D(2, 1, { name: 'a/b' })).toThrow(`Conv2D: name must be a non-empty string without '/', got "a/b"`);
    expect(() => new Conv2D(2, 1, { name: '' })).toThrow('Conv2D: name must be a non-empty string');
    const y1 = new Conv2D(1, 1, { name: 'same' }).apply(image(4, 4, 1));
    const y2 = new Conv2D(1, 1, { name: 'same' }).apply(image(4, 4, 1));
    expect(() => new Add().apply([y1, y2])).toThrow("Conv2D 'same': the name 'same' is already used by Conv2D 'same'");
  });
});

describe('argument errors name the layer, the argument, expected and received', () => {
  it('constructors', () => {
    expect(() => new Conv2D(0, 3)).toThrow('Conv2D: filters must be a positive integer, got 0');
    expect(() => new Conv2D(8, [3, 0], { name: 'c1' })).toThrow("Conv2D 'c1': kernelSize must be a positive integer or a pair of positive integers, got [3,0]");
    expect(() => new Conv2D(8, 3, { strides: [1, 1.5] as [number, number] })).toThrow('Conv2D: strides must be a positive integer or a pair of positive integers, got [1,1.5]');
    expect(() => new Conv2D(8, 3, { padding: 'causal' as 'same' })).toThrow(`Conv2D: padding must be 'valid', 'same', 'full', 'circular', a non-negative integer or [top, bottom, left, right], got "causal"`);
    expect(() => new Conv2D(8, 3, { activation: 'gelu' as 'relu' })).toThrow(`Conv2D: activation must be one of 'linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'leaky_relu', 'leakyRelu', { type: 'leakyRelu', alpha } or { type: 'clip', min, max }; got "gelu"`);
    expect(() => new Conv2D(8, 3, { kernelSize: 3 } as object)).toThrow('Conv2D: unknown option kernelSize (known: name, inputShape, strides, padding, dilationRate, activation, useBias, padMode, groups)');
    expect(() => new Conv2D(6, 3, { groups: 4 })).toThrow('Conv2D: groups 4 must divide the 6 filters');
    expect(() => new Conv2D(6, 3, { padding: 'circular', padMode: 'zeros' })).toThrow(`Conv2D: padding 'circular' contradicts padMode 'zeros'`);
    expect(() => new Conv2D(6, 3, { useBias: 'no' as unknown as boolean })).toThrow('Conv2D: useBias must be a boolean, got "no"');
    expect(() => new Dense(-1, { name: 'fc' })).toThrow("Dense 'fc': units must be a positive integer, got -1");
    expect(() => new MaxPooling2D(2, { padding: 'circular' as 'same' })).toThrow(`MaxPooling2D: padding must be 'valid', 'same', 'full', a non-negative integer or [top, bottom, left, right], got "circular"`);
    expect(() => new DepthwiseConv2D(3, { depthMultiplier: 0 })).toThrow('DepthwiseConv2D: depthMultiplier must be a positive integer, got 0');
    expect(() => new Dropout(1)).toThrow('Dropout: rate must be a number in [0, 1), got 1');
    expect(() => new ReLU({ threshold: 0.5 })).toThrow('ReLU: threshold other than 0 is not supported, got 0.5');
    expect(() => new ReLU({ maxValue: -1 })).toThrow('ReLU: maxValue must be a non-negative number, got -1');
    expect(() => new ZeroPadding2D([1, 2, 3] as unknown as number)).toThrow('ZeroPadding2D: padding must be a non-negative integer, [h, w] or [[top, bottom], [left, right]], got [1,2,3]');
    expect(() => new BatchNormalization({ epsilon: -1 })).toThrow('BatchNormalization: epsilon must be a non-negative number, got -1');
    expect(() => new Input({ shape: [0, 3] })).toThrow('InputLayer: shape must be a non-empty array of positive integers or null, without the batch dimension (e.g. [224, 224, 3]), got [0,3]');
    expect(() => new Input(undefined as unknown as { shape: number[] })).toThrow('Input: options { shape, name? } are required, got undefined');
    expect(() => new Conv2D(2, 3, { inputShape: [-1] })).toThrow('Conv2D: inputShape must be a non-empty array of positive integers or null (no batch dimension), got [-1]');
  });

  it('apply: input shapes', () => {
    const vec = new Input({ shape: [10] });
    expect(() => new Conv2D(64, 3, { name: 'block1_conv1' }).apply(vec)).toThrow("Conv2D 'block1_conv1': expects a 4-D input [batch, h, w, c], got [null,10]");
    expect(() => new MaxPooling2D().apply(vec)).toThrow("MaxPooling2D 'max_pooling2d': expects a 4-D input [batch, h, w, c], got [null,10]");
    const x = image(8, 8, 64);
    const a = new Conv2D(64, 1).apply(x);
    const b = new Conv2D(32, 1).apply(x);
    new Add().apply([a, a]);
    new Add().apply([a, a]);
    new Add().apply([a, a]);
    expect(() => new Add().apply([a, b])).toThrow("Add 'add_3': inputs have shapes [null,8,8,64] and [null,8,8,32]; all inputs must have the same shape");
    expect(() => new Concatenate({ name: 'cat' }).apply([a, new MaxPooling2D().apply(b)])).toThrow("Concatenate 'cat': inputs have shapes [null,8,8,64] and [null,4,4,32]; all axes but -1 must match");
    expect(() => new Concatenate({ axis: 0 }).apply([a, b])).toThrow("Concatenate 'concatenate': axis 0 is out of range for a rank-4 input (axis 0 is the batch)");
    expect(() => new Add().apply(a)).toThrow("Add 'add_3': expects a list of at least 2 inputs, got one tensor");
    expect(() => new Conv2D(2, 1).apply([a, b])).toThrow("Conv2D 'conv2d_2': expects one input, got a list of 2");
    expect(() => new Conv2D(6, 1, { groups: 3 }).apply(x)).toThrow("Conv2D 'conv2d_2': groups 3 must divide the 64 input channels (input shape [null,8,8,64])");
    expect(() => new Conv2D(2, 3, { dilationRate: 4, name: 'dil' }).apply(image(8, 8, 1))).toThrow("Conv2D 'dil': the 3x3 kernel (dilated to 9x9) does not fit the 8x8 input with padding 'valid'");
    expect(() => new MaxPooling2D(2, { padding: 2, name: 'p' }).apply(x)).toThrow("MaxPooling2D 'p': padding [2,2,2,2] must be smaller than the 2x2 pool window, or some windows would hold only padding");
    expect(() => new Flatten().apply(image(null, 4, 2))).toThrow("Flatten 'flatten': needs every dimension but the batch to be known, got [null,null,4,2]");
    expect(() => new BatchNormalization({ axis: 1 }).apply(x)).toThrow("BatchNormalization 'batch_normalization': only the last axis (channels, NHWC) is supported, got axis 1 of a rank-4 input");
    expect(() => new Conv2D(2, 1).apply('x' as unknown as SymbolicTensor)).toThrow("Conv2D 'conv2d': input must be a SymbolicTensor (from Input or another layer's apply()), got string");
    const conv = new Conv2D(2, 1);
    expect(() => new Dense(2).apply(conv as unknown as SymbolicTensor)).toThrow("Dense 'dense': input must be a SymbolicTensor (from Input or another layer's apply()), got Conv2D (a layer; pass its output)");
    expect(() => new Conv2D(2, 1, { inputShape: [8, 8, 3] }).apply(x)).toThrow("Conv2D 'conv2d_2': inputShape [8,8,3] does not match its input [null,8,8,64] (inputShape excludes the batch dimension)");
  });

  it('a layer is applied once; an Input is not applied', () => {
    const x = image(4, 4, 1);
    const conv = new Conv2D(1, 1);
    conv.apply(x);
    expect(() => conv.apply(x)).toThrow("Conv2D 'conv2d': has already been applied (to 'input_layer'); layers are not shared: create another layer");
    expect(() => x.apply(x)).toThrow("InputLayer 'input_layer': an Input is not applied to anything: pass the Input itself (or input.output) to the next layer");
  });
});

describe('receptive fields (Araujo, Norris, Sim 2019)', () => {
  it('r_out = r_in + (k_eff - 1) j_in, j_out = j_in s', () => {
    const x = image(64, 64, 1);
    const c1 = new Conv2D(1, [3, 5], { strides: [2, 1] }).apply(x);
    expect(windowOf(x.output)).toEqual({ size: [1, 1], jump: [1, 1] });
    expect(windowOf(c1)).toEqual({ size: [3, 5], jump: [2, 1] });
    const c2 = new Conv2D(1, 3, { dilationRate: 2 }).apply(c1); // k_eff 5
    expect(windowOf(c2)).toEqual({ size: [3 + 4 * 2, 5 + 4 * 1], jump: [2, 1] });
    const p = new MaxPooling2D(2).apply(c2);
    expect(windowOf(p)).toEqual({ size: [11 + 2, 9 + 1], jump: [4, 2] });
    // Padding, batch norm and activations leave it alone.
    const same = new ReLU().apply(new BatchNormalization().apply(new ZeroPadding2D(2).apply(p)));
    expect(windowOf(same)).toEqual(windowOf(p));
    expect(windowOf(new Flatten().apply(p))).toBe('global');
    expect(windowOf(new GlobalMaxPooling2D().apply(p))).toBe('global');
    expect(windowOf(new Dense(3).apply(p))).toEqual(windowOf(p));
    expect(windowOf(new Dense(3).apply(new Input({ shape: [5] })))).toBe('none');
  });

  it('merges take the largest field; jumps must agree', () => {
    const x = image(16, 16, 2);
    const a = new Conv2D(2, 5, { padding: 'same' }).apply(x);
    const b = new Conv2D(2, 3, { padding: 'same' }).apply(x);
    expect(windowOf(new Add().apply([b, a]))).toEqual({ size: [5, 5], jump: [1, 1] });
    expect(windowOf(new Concatenate().apply([x, b]))).toEqual({ size: [3, 3], jump: [1, 1] });
    const s2 = new Conv2D(2, 3, { strides: 2, padding: 'same', name: 's2' }).apply(x);
    const v = new Conv2D(2, 9, { name: 'v' }).apply(x); // 16 - 9 + 1 = 8, like the strided one
    expect(() => new Add({ name: 'mix' }).apply([s2, v])).toThrow("Add 'mix': inputs have different jumps (effective strides): 's2' [2,2] and 'v' [1,1]; merged inputs must be aligned");
  });
});

describe('parameters', () => {
  it('follow the lecture formulas and the weight shapes', () => {
    const x = image(16, 16, 6);
    const cases: Array<[Layer, number, number]> = [
      [new Conv2D(8, 3), conv2dParams({ kernel: 3, inChannels: 6, filters: 8 }), 0],
      [new Conv2D(8, [3, 5], { useBias: false }), 3 * 5 * 6 * 8, 0],
      [new Conv2D(8, 3, { groups: 2 }), (3 * 3 * 3 + 1) * 8, 0],
      [new DepthwiseConv2D(3), (3 * 3 + 1) * 6, 0],
      [new DepthwiseConv2D(3, { depthMultiplier: 2, useBias: false }), 3 * 3 * 6 * 2, 0],
      [new BatchNormalization(), 2 * 6, 2 * 6],
      [new Dense(5), (6 + 1) * 5, 0],
      [new MaxPooling2D(), 0, 0],
    ];
    for (const [layer, trainable, nonTrainable] of cases) {
      layer.apply(x);
      expect(layer.countParams(), layer.label).toEqual({ trainable, nonTrainable });
      expect(specTotal(layer), layer.label).toBe(trainable + nonTrainable);
    }
    const fc = new Dense(10);
    fc.apply(new Flatten().apply(x));
    expect(fc.countParams().trainable).toBe(denseParams(16 * 16 * 6, 10));
  });

  it('weight layouts are Keras (depthwise kernels are [kh, kw, cin, multiplier])', () => {
    const x = image(8, 8, 4);
    const c = new Conv2D(6, [3, 5], { groups: 2 });
    const d = new DepthwiseConv2D(3, { depthMultiplier: 3 });
    const bn = new BatchNormalization();
    [c, d, bn].forEach((l) => l.apply(x));
    expect(c.weightSpecs().map((s) => [s.name, s.shape])).toEqual([['kernel', [3, 5, 2, 6]], ['bias', [6]]]);
    expect(d.weightSpecs().map((s) => [s.name, s.shape, s.graphShape])).toEqual([['depthwise_kernel', [3, 3, 4, 3], [3, 3, 1, 12]], ['bias', [12], undefined]]);
    expect(bn.weightSpecs().map((s) => [s.name, s.trainable])).toEqual([['gamma', true], ['beta', true], ['moving_mean', false], ['moving_variance', false]]);
  });
});

describe('weights', () => {
  it('setWeights / getWeights round-trip, and shapes are checked', () => {
    const x = image(5, 5, 2);
    const conv = new Conv2D(3, 2, { name: 'c' });
    expect(() => conv.setWeights([])).toThrow("Conv2D 'c': setWeights() needs the layer's input shape: apply it to a tensor (or put it in a model) first");
    conv.apply(x);
    const kernel = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i);
    conv.setWeights([kernel, [1, 2, 3]]);
    const [k, b] = conv.getWeights();
    expect(Array.from(k)).toEqual(Array.from(kernel));
    expect(Array.from(b)).toEqual([1, 2, 3]);
    k[0] = 99; // copies: the layer keeps its own
    expect(conv.getWeights()[0][0]).toBe(0);
    conv.setWeights([{ data: kernel, shape: [2, 2, 2, 3] }, new Float32Array(3)]);
    expect(() => conv.setWeights([kernel])).toThrow("Conv2D 'c': setWeights expects 2 arrays (kernel [2,2,2,3], bias [3]), got 1");
    expect(() => conv.setWeights([new Float32Array(23), new Float32Array(3)])).toThrow("Conv2D 'c': setWeights: kernel must have shape [2,2,2,3] (24 values), got 23 values");
    expect(() => conv.setWeights([{ data: kernel, shape: [3, 2, 2, 2] }, new Float32Array(3)])).toThrow("Conv2D 'c': setWeights: kernel must have shape [2,2,2,3], got [3,2,2,2]");
    expect(() => conv.setWeights([kernel, 'abc' as unknown as number[]])).toThrow("Conv2D 'c': setWeights: bias must be a Float32Array, an array of numbers or { data, shape }, got string");
    const bn = new BatchNormalization({ name: 'bn' });
    bn.apply(x);
    expect(() => bn.setWeights([[1, 1], [0, 0], [0, 0], [1, -1]])).toThrow("BatchNormalization 'bn': setWeights: moving_variance + epsilon must be positive, got -1 + 0.001 at channel 1");
    const pool = new MaxPooling2D();
    pool.apply(x);
    expect(() => pool.setWeights([[1]])).toThrow("MaxPooling2D 'max_pooling2d': setWeights expects 0 arrays (none), got 1");
  });

  it('random weights wait for a model seed; fixed ones are available at once', () => {
    const x = image(5, 5, 2);
    const conv = new Conv2D(3, 2, { name: 'c' });
    conv.apply(x);
    expect(() => conv.getWeights()).toThrow("Conv2D 'c': has no weights yet: they are initialised from the model seed when a Model includes the layer (or call setWeights())");
    const bn = new BatchNormalization();
    bn.apply(x);
    expect(bn.getWeights().map((w) => Array.from(w))).toEqual([[1, 1], [0, 0], [0, 0], [1, 1]]);
    new Model({ inputs: x, outputs: conv.output });
    const [k, b] = conv.getWeights();
    expect(k.length).toBe(24);
    expect(k.some((v) => v !== 0)).toBe(true);
    expect(Array.from(b)).toEqual([0, 0, 0]);
  });
});
