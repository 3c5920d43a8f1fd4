// Small models: LeNet-5 and a jet-image tagger.
import { AveragePooling2D, Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D, Model, type SymbolicTensor } from '@wcnn/nn';
import { zooOptions, type ZooOptions } from './options.js';

/**
 * LeNet-5 (LeCun et al. 1998) for 32x32x1 images: C1 6@5x5 -> S2 2x2 average pool -> C3 16@5x5
 * -> S4 2x2 average pool -> C5 120@5x5 (1x1 output) -> F6 84 -> 10, tanh throughout, softmax out.
 * Differences from the paper, as usual today: C3 connects to all six S2 maps (2,416 parameters
 * instead of 1,516), pooling has no trainable coefficients, and the output is a dense softmax
 * instead of RBF units. 61,706 parameters.
 *
 * With inputShape [28, 28, 1] (MNIST) C1 pads 2 pixels ('same'), so every later shape is the
 * same as for 32x32 input; other sizes use 'valid' padding throughout.
 */
export function lenet5(options?: ZooOptions): Model {
  const o = zooOptions('lenet5', options, { inputShape: [32, 32, 1], classes: 10 });
  const [h, w] = o.inputShape;
  const input = new Input({ shape: o.inputShape });
  let x: SymbolicTensor = new Conv2D(6, 5, { activation: 'tanh', padding: h === 28 && w === 28 ? 'same' : 'valid', name: 'c1' }).apply(input);
  x = new AveragePooling2D(2, { name: 's2' }).apply(x);
  x = new Conv2D(16, 5, { activation: 'tanh', name: 'c3' }).apply(x);
  x = new AveragePooling2D(2, { name: 's4' }).apply(x);
  x = new Conv2D(120, 5, { activation: 'tanh', name: 'c5' }).apply(x);
  if (o.includeTop) {
    x = new Flatten({ name: 'flatten' }).apply(x);
    x = new Dense(84, { activation: 'tanh', name: 'f6' }).apply(x);
    x = new Dense(o.classes, { activation: 'softmax', name: 'output' }).apply(x);
  }
  return new Model({ inputs: input, outputs: x, name: 'lenet5', seed: o.seed });
}

/**
 * A jet tagger for 25x25x1 calorimeter images (jet pT in (eta, phi) pixels): signal vs background.
 * Jet images are sparse, so the first conv is large (11x11, as the lecture suggests and as in
 * de Oliveira et al. 2015, "Jet-images: deep learning edition") and sees a jet's prongs together;
 * two 3x3 convs and three 2x2 max pools follow (receptive field 30 > 25: the last features see the
 * whole image), then a 64-unit dense layer, dropout 0.5 and a 2-class softmax. 34,466 parameters.
 */
export function jet_tagger(options?: ZooOptions): Model {
  const o = zooOptions('jet_tagger', options, { inputShape: [25, 25, 1], classes: 2 });
  const input = new Input({ shape: o.inputShape });
  let x: SymbolicTensor = new Conv2D(16, 11, { padding: 'same', activation: 'relu', name: 'conv1' }).apply(input);
  x = new MaxPooling2D(2, { name: 'pool1' }).apply(x);
  x = new Conv2D(32, 3, { padding: 'same', activation: 'relu', name: 'conv2' }).apply(x);
  x = new MaxPooling2D(2, { name: 'pool2' }).apply(x);
  x = new Conv2D(32, 3, { padding: 'same', activation: 'relu', name: 'conv3' }).apply(x);
  x = new MaxPooling2D(2, { name: 'pool3' }).apply(x);
  if (o.includeTop) {
    x = new Flatten({ name: 'flatten' }).apply(x);
    x = new Dense(64, { activation: 'relu', name: 'fc1' }).apply(x);
    x = new Dropout(0.5, { name: 'dropout' }).apply(x);
    x = new Dense(o.classes, { activation: 'softmax', name: 'predictions' }).apply(x);
  }
  return new Model({ inputs: input, outputs: x, name: 'jet_tagger', seed: o.seed });
}
