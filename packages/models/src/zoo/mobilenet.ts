// MobileNetV2 as torchvision builds it (Sandler et al. 2018), width 1.0: a 3x3/2 stem conv, 17
// inverted residual blocks (1x1 expansion, 3x3 depthwise, linear 1x1 projection; a residual
// connection when stride 1 keeps the channels), a 1x1 conv to 1280 channels, global average
// pooling, dropout 0.2 and a 1000-way fully connected layer (logits). Convs have no bias and are
// followed by batch norm (epsilon 1e-5) and ReLU6, except the projections (linear). Layer names
// follow torchvision's modules (features.2.conv.1.0 is block 2's depthwise conv), so its
// state_dict maps onto the layers. 3,504,872 trainable parameters.
import {
  Add,
  BatchNormalization,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Dropout,
  GlobalAveragePooling2D,
  Input,
  Model,
  ReLU,
  type SymbolicTensor,
} from '@wcnn/nn';
import { zooOptions, type ZooOptions } from './options.js';

const EPS = 1e-5;

/** Expansion t, output channels c, repeats n, first stride s (the paper's Table 2). */
const SETTINGS: ReadonlyArray<[number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** Conv (or depthwise conv) + batch norm + ReLU6 under torchvision's Conv2dNormActivation names. */
function convBnRelu6(x: SymbolicTensor, name: string, filters: number | 'depthwise', kernel: number, stride: number): SymbolicTensor {
  const pad = (kernel - 1) / 2;
  const conv =
    filters === 'depthwise'
      ? new DepthwiseConv2D(kernel, { strides: stride, padding: pad, useBias: false, name: `${name}.0` })
      : new Conv2D(filters, kernel, { strides: stride, padding: pad, useBias: false, name: `${name}.0` });
  const y = new BatchNormalization({ epsilon: EPS, name: `${name}.1` }).apply(conv.apply(x));
  return new ReLU({ maxValue: 6, name: `${name}.2` }).apply(y);
}

function invertedResidual(x: SymbolicTensor, name: string, out: number, stride: number, expand: number): SymbolicTensor {
  const inChannels = x.shape[3] as number;
  let y = x;
  let i = 0;
  if (expand !== 1) y = convBnRelu6(y, `${name}.conv.${i++}`, inChannels * expand, 1, 1);
  y = convBnRelu6(y, `${name}.conv.${i++}`, 'depthwise', 3, stride);
  y = new Conv2D(out, 1, { useBias: false, name: `${name}.conv.${i++}` }).apply(y);
  y = new BatchNormalization({ epsilon: EPS, name: `${name}.conv.${i++}` }).apply(y);
  return stride === 1 && inChannels === out ? new Add({ name: `${name}.add` }).apply([x, y]) : y;
}

export function mobilenet_v2(options?: ZooOptions): Model {
  const o = zooOptions('mobilenet_v2', options, { inputShape: [224, 224, 3], classes: 1000 });
  const input = new Input({ shape: o.inputShape });
  let x = convBnRelu6(input.output, 'features.0', 32, 3, 2);
  let index = 1;
  for (const [t, c, n, s] of SETTINGS) {
    for (let i = 0; i < n; i++) x = invertedResidual(x, `features.${index++}`, c, i === 0 ? s : 1, t);
  }
  x = convBnRelu6(x, `features.${index}`, 1280, 1, 1);
  if (o.includeTop) {
    x = new GlobalAveragePooling2D({ name: 'avgpool' }).apply(x);
    x = new Dropout(0.2, { name: 'classifier.0' }).apply(x);
    x = new Dense(o.classes, { name: 'classifier.1' }).apply(x);
  }
  return new Model({ inputs: input, outputs: x, name: 'mobilenet_v2', seed: o.seed });
}
