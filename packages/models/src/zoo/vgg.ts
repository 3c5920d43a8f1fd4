// VGG16 as keras.applications builds it (Simonyan & Zisserman 2014, configuration D): 13 3x3 convs
// with 'same' padding in five blocks, each block ending in a 2x2 max pool, then fc1, fc2 and a
// 1000-way softmax. 138,357,544 parameters (14,714,688 without the top).
import { Conv2D, Dense, Flatten, Input, MaxPooling2D, Model, type SymbolicTensor } from '@wcnn/nn';
import { zooOptions, type ZooOptions } from './options.js';

/** [filters, convs] per block. */
const BLOCKS: ReadonlyArray<[number, number]> = [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]];

export function vgg16(options?: ZooOptions): Model {
  const o = zooOptions('vgg16', options, { inputShape: [224, 224, 3], classes: 1000 });
  if (o.includeTop && (o.inputShape[0] !== 224 || o.inputShape[1] !== 224 || o.inputShape[2] !== 3)) {
    // fc1 takes exactly 7 * 7 * 512 features, as in Keras.
    throw new Error(`vgg16: with includeTop the input must be [224, 224, 3], got [${o.inputShape.join(', ')}]; pass includeTop: false for other sizes`);
  }
  const input = new Input({ shape: o.inputShape });
  let x: SymbolicTensor = input.output;
  BLOCKS.forEach(([filters, convs], b) => {
    for (let i = 1; i <= convs; i++) {
      x = new Conv2D(filters, [3, 3], { padding: 'same', activation: 'relu', name: `block${b + 1}_conv${i}` }).apply(x);
    }
    x = new MaxPooling2D([2, 2], { strides: [2, 2], name: `block${b + 1}_pool` }).apply(x);
  });
  if (o.includeTop) {
    x = new Flatten({ name: 'flatten' }).apply(x);
    x = new Dense(4096, { activation: 'relu', name: 'fc1' }).apply(x);
    x = new Dense(4096, { activation: 'relu', name: 'fc2' }).apply(x);
    x = new Dense(o.classes, { activation: 'softmax', name: 'predictions' }).apply(x);
  }
  return new Model({ inputs: input, outputs: x, name: 'vgg16', seed: o.seed });
}
