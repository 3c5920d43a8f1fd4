// Model and Sequential without a backend: the graph they build, seeded weights, summaries, errors.
import { describe, expect, it } from 'vitest';
import type { Node } from '../graph/ir.js';
import {
  Activation,
  Add,
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  heNormal,
  Input,
  layerSeed,
  MaxPooling2D,
  Model,
  ReLU,
  Sequential,
  Softmax,
  ZeroPadding2D,
} from './index.js';

/** The model of the summary snapshot: conv, pool, dilated conv, batch norm, global pool, dense. */
function small(seed?: number): Model {
  const x = new Input({ shape: [28, 28, 1], name: 'image' });
  let y = new Conv2D(8, 3, { padding: 'same', activation: 'relu', name: 'c1' }).apply(x);
  y = new MaxPooling2D(2, { name: 'p1' }).apply(y);
  y = new Conv2D(16, 3, { dilationRate: 2, name: 'c2' }).apply(y);
  y = new BatchNormalization({ name: 'bn' }).apply(y);
  y = new GlobalAveragePooling2D({ name: 'gap' }).apply(y);
  y = new Dense(10, { activation: 'softmax', name: 'out' }).apply(y);
  return new Model({ inputs: x, outputs: y, name: 'small', ...(seed === undefined ? {} : { seed }) });
}

const brief = (n: Node) => [n.name, n.op, n.inputs.join(' '), n.outputs.join(' ')].join(' | ');

describe('the graph', () => {
  it('has the Input layers as inputs, the output layers as outputs, one node per layer', () => {
    const g = small().graph;
    expect(g.name).toBe('small');
    expect(g.inputs).toEqual([{ name: 'image', shape: [null, 28, 28, 1] }]);
    expect(g.outputs).toEqual(['out']);
    expect(g.nodes.map(brief)).toEqual([
      'c1 | conv2d | image c1/kernel c1/bias | c1',
      'p1 | maxPool2d | c1 | p1',
      'c2 | conv2d | p1 c2/kernel c2/bias | c2',
      'bn | batchNorm | c2 bn/gamma bn/beta bn/moving_mean bn/moving_variance | bn',
      'gap | globalAvgPool2d | bn | gap',
      'out | dense | gap out/kernel out/bias | out/preactivation',
      'out/softmax | softmax | out/preactivation | out',
    ]);
    expect(g.nodes[0].attrs).toEqual({ strides: [1, 1], dilations: [1, 1], padding: 'same', groups: 1, padMode: 'zeros', activation: 'relu' });
    expect(g.nodes[1].attrs).toEqual({ kernel: [2, 2], strides: [2, 2], dilations: [1, 1], padding: 'valid', ceilMode: false });
    expect(g.nodes[2].attrs).toEqual({ strides: [1, 1], dilations: [2, 2], padding: 'valid', groups: 1, padMode: 'zeros' });
    expect(g.nodes[3].attrs).toEqual({ epsilon: 1e-3 });
    expect(g.nodes[6].attrs).toEqual({ axis: 1 });
    expect([...g.constants].map(([k, c]) => [k, c.shape])).toEqual([
      ['c1/kernel', [3, 3, 1, 8]], ['c1/bias', [8]],
      ['c2/kernel', [3, 3, 8, 16]], ['c2/bias', [16]],
      ['bn/gamma', [16]], ['bn/beta', [16]], ['bn/moving_mean', [16]], ['bn/moving_variance', [16]],
      ['out/kernel', [16, 10]], ['out/bias', [10]],
    ]);
    const total = [...g.constants.values()].reduce((s, c) => s + c.data.length, 0);
    expect(total).toBe(small().countParams().total);
  });

  it('writes every layer type with the IR attributes', () => {
    const x = new Input({ shape: [8, 8, 4], name: 'x' });
    const pad = new ZeroPadding2D([[1, 2], [3, 4]], { name: 'pad' }).apply(x);
    const dw = new DepthwiseConv2D(3, { depthMultiplier: 2, strides: 2, padding: 'same', useBias: false, activation: 'relu6', name: 'dw' }).apply(pad);
    const relus = [
      new ReLU({ name: 'r' }).apply(dw),
      new ReLU({ maxValue: 6, name: 'r6' }).apply(dw),
      new ReLU({ maxValue: 4, name: 'r4' }).apply(dw),
      new ReLU({ negativeSlope: 0.1, name: 'lr' }).apply(dw),
      new ReLU({ negativeSlope: 0.1, maxValue: 3, name: 'lr3' }).apply(dw),
      new Activation('sigmoid', { name: 'sig' }).apply(dw),
      new Activation('linear', { name: 'lin' }).apply(dw),
      new Activation('leaky_relu', { name: 'leaky' }).apply(dw),
      new Activation({ type: 'clip', min: -1, max: 1 }, { name: 'clip' }).apply(dw),
      new Softmax({ name: 'sm' }).apply(dw),
      new Dropout(0.3, { name: 'drop' }).apply(dw),
    ];
    const sum = new Add({ name: 'sum' }).apply(relus.slice(0, 3));
    const cat = new Concatenate({ name: 'cat' }).apply([sum, ...relus.slice(3)]);
    const flat = new Flatten({ name: 'flat' }).apply(cat);
    const m = new Model({ inputs: x, outputs: [flat, relus[0]] });
    expect(m.name).toBe('functional');
    const g = m.graph;
    expect(g.outputs).toEqual(['flat', 'r']);
    const byName = new Map(g.nodes.map((n) => [n.name, n]));
    expect(byName.get('pad')!.attrs).toEqual({ pads: [0, 1, 3, 0, 0, 2, 4, 0], mode: 'constant', value: 0 });
    expect(byName.get('dw')!.inputs).toEqual(['pad', 'dw/depthwise_kernel']);
    expect(byName.get('dw')!.attrs).toEqual({ strides: [2, 2], dilations: [1, 1], padding: 'same', groups: 4, padMode: 'zeros', activation: 'relu6' });
    expect(g.constants.get('dw/depthwise_kernel')!.shape).toEqual([3, 3, 1, 8]);
    expect(g.nodes.filter((n) => n.name.startsWith('r') || n.name.startsWith('l') || ['sig', 'clip', 'sm', 'drop'].includes(n.name)).map((n) => [n.name, n.op, n.attrs])).toEqual([
      ['r', 'relu', {}],
      ['r6', 'relu6', {}],
      ['r4', 'clip', { min: 0, max: 4 }],
      ['lr', 'leakyRelu', { alpha: 0.1 }],
      ['lr3/leaky', 'leakyRelu', { alpha: 0.1 }],
      ['lr3/clip', 'clip', { min: -Infinity, max: 3 }],
      ['sig', 'sigmoid', {}],
      ['lin', 'identity', {}],
      ['leaky', 'leakyRelu', { alpha: 0.2 }],
      ['clip', 'clip', { min: -1, max: 1 }],
      ['sm', 'softmax', { axis: 3 }],
      ['drop', 'identity', {}],
    ]);
    expect(byName.get('lr3/clip')!.outputs).toEqual(['lr3']);
    expect(g.nodes.filter((n) => n.op === 'add').map(brief)).toEqual(['sum/sum1 | add | r r6 | sum/sum1', 'sum | add | sum/sum1 r4 | sum']);
    expect(byName.get('cat')!.attrs).toEqual({ axis: 3 });
    expect(byName.get('flat')!.op).toBe('flatten');
  });
});

describe('weights', () => {
  it('are He-normal from layerSeed(model seed, layer index), biases zero, batch norm 1, 0, 0, 1', () => {
    const m = small(7);
    const c2 = m.graph.constants.get('c2/kernel')!;
    // Layers: image 0, c1 1, p1 2, c2 3.
    expect(Array.from(c2.data)).toEqual(Array.from(heNormal(3 * 3 * 8 * 16, 3 * 3 * 8, layerSeed(7, 3))));
    expect(Array.from(m.graph.constants.get('out/kernel')!.data)).toEqual(Array.from(heNormal(160, 16, layerSeed(7, 6))));
    expect(m.graph.constants.get('c2/bias')!.data.every((v) => v === 0)).toBe(true);
    const bn = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => Array.from(new Set(m.graph.constants.get(`bn/${w}`)!.data)));
    expect(bn).toEqual([[1], [0], [0], [1]]);
  });

  it('are deterministic per seed', () => {
    const k = (m: Model) => Array.from(m.graph.constants.get('c1/kernel')!.data);
    expect(k(small(3))).toEqual(k(small(3)));
    expect(k(small(3))).not.toEqual(k(small(4)));
    expect(k(small())).toEqual(k(small(0)));
    expect(layerSeed(0, 1)).not.toBe(layerSeed(1, 0));
  });

  it('Sequential gets the same weights as the same functional model', () => {
    const seq = new Sequential([new Conv2D(4, 3, { inputShape: [6, 6, 2] }), new Flatten(), new Dense(3)], { seed: 5 });
    const x = new Input({ shape: [6, 6, 2] });
    const fn = new Model({ inputs: x, outputs: new Dense(3).apply(new Flatten().apply(new Conv2D(4, 3).apply(x))), seed: 5 });
    expect([...seq.graph.constants.keys()]).toEqual([...fn.graph.constants.keys()]);
    for (const [k, c] of seq.graph.constants) expect(Array.from(c.data), k).toEqual(Array.from(fn.graph.constants.get(k)!.data));
  });

  it('setWeights shows through the graph constants', () => {
    const m = small();
    const before = m.graph;
    const bias = Float32Array.from({ length: 8 }, (_, i) => i);
    m.getLayer('c1').setWeights([m.getLayer('c1').getWeights()[0], bias]);
    expect(m.graph).toBe(before);
    expect(Array.from(m.graph.constants.get('c1/bias')!.data)).toEqual(Array.from(bias));
  });
});

describe('summary', () => {
  it('prints a Keras-like table with receptive field and jump', () => {
    const lines: string[] = [];
    small().summary({ print: (l) => lines.push(l) });
    expect(lines).toEqual([
      'Model: "small"',
      '_________________________________________________________________________________',
      ' Layer (type)                  Output Shape        Param #  Receptive field  Jump',
      '=================================================================================',
      ' image (InputLayer)            (None, 28, 28, 1)   0        1                1',
      ' c1 (Conv2D)                   (None, 28, 28, 8)   80       3                1',
      ' p1 (MaxPooling2D)             (None, 14, 14, 8)   0        4                2',
      ' c2 (Conv2D)                   (None, 10, 10, 16)  1168     12               2',
      ' bn (BatchNormalization)       (None, 10, 10, 16)  64       12               2',
      ' gap (GlobalAveragePooling2D)  (None, 16)          0        global           -',
      ' out (Dense)                   (None, 10)          170      global           -',
      '=================================================================================',
      'Total params: 1,482',
      'Trainable params: 1,450',
      'Non-trainable params: 32',
      '_________________________________________________________________________________',
    ]);
  });

  it('adds "Connected to" for branching models; Sequential hides the input layer', () => {
    const x = new Input({ shape: [8, 8, 4] });
    const a = new Conv2D(4, 3, { padding: 'same' }).apply(x);
    const res = new Model({ inputs: x, outputs: new ReLU().apply(new Add().apply([x, a])), name: 'res' });
    const lines: string[] = [];
    res.summary({ print: (l) => lines.push(l) });
    expect(lines.slice(2, 9)).toEqual([
      ' Layer (type)              Output Shape     Param #  Receptive field  Jump  Connected to',
      '===============================================================================================',
      ' input_layer (InputLayer)  (None, 8, 8, 4)  0        1                1',
      ' conv2d (Conv2D)           (None, 8, 8, 4)  148      3                1     input_layer',
      ' add (Add)                 (None, 8, 8, 4)  0        3                1     input_layer, conv2d',
      ' re_lu (ReLU)              (None, 8, 8, 4)  0        3                1     add',
      '===============================================================================================',
    ]);
    const seq = new Sequential([new Conv2D(4, [3, 1], { strides: [2, 1], inputShape: [9, 9, 2] }), new Flatten(), new Dense(3)], { name: 'seq' });
    const seqLines: string[] = [];
    seq.summary({ print: (l) => seqLines.push(l) });
    expect(seqLines.slice(4, 7)).toEqual([
      ' conv2d (Conv2D)    (None, 4, 9, 4)  28       3x1              2x1',
      ' flatten (Flatten)  (None, 144)      0        global           -',
      ' dense (Dense)      (None, 3)        435      global           -',
    ]);
    expect(seq.layers.map((l) => l.name)).toEqual(['conv2d', 'flatten', 'dense']);
  });

  it('checks its options', () => {
    expect(() => small().summary({ printFn: () => {} } as never)).toThrow(`Model 'small': summary: unknown option printFn (known: print)`);
  });

  it('summaryData() gives the same as an object', () => {
    const s = small().summaryData();
    expect(s.name).toBe('small');
    expect([s.totalParams, s.trainableParams, s.nonTrainableParams]).toEqual([1482, 1450, 32]);
    expect(s.layers[3]).toEqual({
      name: 'c2', type: 'Conv2D', outputShape: [null, 10, 10, 16], params: 1168, trainableParams: 1168, nonTrainableParams: 0,
      receptiveField: [12, 12], jump: [2, 2], inbound: ['p1'],
    });
    expect(s.layers[4].nonTrainableParams).toBe(32);
    expect(s.layers[5]).toMatchObject({ receptiveField: 'global', jump: null });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('model errors', () => {
  it('inputs must be Inputs that the outputs depend on', () => {
    const x = new Input({ shape: [4, 4, 1], name: 'x' });
    const other = new Input({ shape: [4, 4, 1], name: 'other' });
    const c = new Conv2D(1, 1, { name: 'c' }).apply(x);
    expect(() => new Model({ inputs: c, outputs: c, name: 'm' })).toThrow("Model 'm': inputs[0] must be an Input (or its output), got the output of Conv2D 'c'");
    expect(() => new Model({ inputs: other, outputs: c, name: 'm' })).toThrow("Model 'm': the outputs depend on Input 'x', which is not in inputs ('other')");
    expect(() => new Model({ inputs: [x, other], outputs: c, name: 'm' })).toThrow("Model 'm': input 'other' is not connected to any output");
    expect(() => new Model({ inputs: [x, x], outputs: c, name: 'm' })).toThrow("Model 'm': input 'x' is listed twice");
    expect(() => new Model({ inputs: x, outputs: [c, c], name: 'm' })).toThrow("Model 'm': output 'c' is listed twice");
    expect(() => new Model({ inputs: x, outputs: c.layer as never, name: 'm' })).toThrow("Model 'm': outputs[0] must be a SymbolicTensor (a layer's apply() result), got Conv2D 'c' (a layer; pass its output)");
    expect(() => new Model({ inputs: x, outputs: c, seed: 0.5, name: 'm' })).toThrow("Model 'm': seed must be an integer, got 0.5");
    expect(() => new Model({ inputs: x, outputs: c, extra: 1 } as never)).toThrow('Model: unknown option extra (known: inputs, outputs, name, seed)');
    expect(() => new Model({ inputs: x, outputs: c }).getLayer('nope')).toThrow("Model 'functional': no layer named 'nope'");
  });

  it('Sequential needs an input shape and one Input at most, first', () => {
    expect(() => new Sequential([])).toThrow("Sequential 'sequential': expects a non-empty array of layers, got an empty array");
    expect(() => new Sequential([new Dense(2)])).toThrow("Sequential 'sequential': the first layer (Dense) needs an input shape: start with new Input({ shape }) or give it inputShape in its options");
    expect(() => new Sequential([new Input({ shape: [3] }), new Input({ shape: [3] })], { name: 's' })).toThrow("Sequential 's': layers[1] is an Input; only the first layer may be one");
    expect(() => new Sequential([new Input({ shape: [3] }), {} as never])).toThrow("Sequential 'sequential': layers[1] must be a layer, got object");
    expect(() => new Sequential([new Input({ shape: [3] }), new Conv2D(1, 1)])).toThrow("Conv2D 'conv2d': expects a 4-D input [batch, h, w, c], got [null,3]");
  });

  it('predict on a model with several outputs asks for predictAll', () => {
    const x = new Input({ shape: [3] });
    const m = new Model({ inputs: x, outputs: [new Dense(1).apply(x), new Dense(2).apply(x)], name: 'two' });
    expect(() => m.predict([] as never)).toThrow("Model 'two': has 2 outputs ('dense', 'dense_1'); use predictAll() to get them by name");
  });
});
