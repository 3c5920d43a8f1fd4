// ResNets as torchvision builds them (He et al. 2015): a 7x7/2 stem conv without bias, batch norm,
// ReLU and a 3x3/2 max pool; four stages of basic (ResNet-18/34) or bottleneck (ResNet-50) blocks;
// global average pooling and a 1000-way fully connected layer (logits, no softmax, as torchvision).
// Convs have no bias; every conv is followed by batch norm (epsilon 1e-5). Padding is PyTorch's
// explicit, symmetric padding. Layer names follow torchvision's module names (layer1.0.conv1,
// layer1.0.downsample.0, fc), so its state_dict maps onto the layers one to one.
//
// ResNet-50 comes in two variants with the same parameters: `resnet50` is torchvision's v1.5
// (a downsampling block strides in its 3x3 conv) and `resnet50_v1` the original v1, as Keras and
// Caffe build it (the stride sits in the first 1x1 conv). The receptive field differs: 427 for
// v1.5, 483 for v1 (Araujo et al., Distill 2019).
import { Add, BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D, Input, MaxPooling2D, Model, ReLU, type SymbolicTensor } from '@wcnn/nn';
import { zooOptions, type ZooOptions } from './options.js';

const EPS = 1e-5;

type BlockKind = 'basic' | 'bottleneck';

interface ResNetSpec {
  name: string;
  block: BlockKind;
  /** Blocks per stage. */
  layers: [number, number, number, number];
  /** Where a bottleneck's stride goes: the 3x3 conv (v1.5) or the first 1x1 (v1). */
  strideIn?: 'conv1' | 'conv2';
}

function convBn(x: SymbolicTensor, filters: number, kernel: number, stride: number, pad: number, convName: string, bnName: string): SymbolicTensor {
  const y = new Conv2D(filters, kernel, { strides: stride, padding: pad, useBias: false, name: convName }).apply(x);
  return new BatchNormalization({ epsilon: EPS, name: bnName }).apply(y);
}

function block(x: SymbolicTensor, spec: ResNetSpec, planes: number, stride: number, name: string): SymbolicTensor {
  const inChannels = x.shape[3] as number;
  const expansion = spec.block === 'basic' ? 1 : 4;
  let y: SymbolicTensor;
  if (spec.block === 'basic') {
    y = convBn(x, planes, 3, stride, 1, `${name}.conv1`, `${name}.bn1`);
    y = new ReLU({ name: `${name}.relu1` }).apply(y);
    y = convBn(y, planes, 3, 1, 1, `${name}.conv2`, `${name}.bn2`);
  } else {
    const [s1, s2] = spec.strideIn === 'conv1' ? [stride, 1] : [1, stride];
    y = convBn(x, planes, 1, s1, 0, `${name}.conv1`, `${name}.bn1`);
    y = new ReLU({ name: `${name}.relu1` }).apply(y);
    y = convBn(y, planes, 3, s2, 1, `${name}.conv2`, `${name}.bn2`);
    y = new ReLU({ name: `${name}.relu2` }).apply(y);
    y = convBn(y, planes * 4, 1, 1, 0, `${name}.conv3`, `${name}.bn3`);
  }
  // The shortcut: identity, or a strided 1x1 conv + batch norm when the shape changes.
  const shortcut = stride !== 1 || inChannels !== planes * expansion ? convBn(x, planes * expansion, 1, stride, 0, `${name}.downsample.0`, `${name}.downsample.1`) : x;
  y = new Add({ name: `${name}.add` }).apply([y, shortcut]);
  return new ReLU({ name: `${name}.out` }).apply(y);
}

function resnet(spec: ResNetSpec, options: ZooOptions | undefined): Model {
  const o = zooOptions(spec.name, options, { inputShape: [224, 224, 3], classes: 1000 });
  const input = new Input({ shape: o.inputShape });
  let x = convBn(input.output, 64, 7, 2, 3, 'conv1', 'bn1');
  x = new ReLU({ name: 'relu' }).apply(x);
  x = new MaxPooling2D(3, { strides: 2, padding: 1, name: 'maxpool' }).apply(x);
  [64, 128, 256, 512].forEach((planes, stage) => {
    for (let i = 0; i < spec.layers[stage]; i++) {
      x = block(x, spec, planes, i === 0 && stage > 0 ? 2 : 1, `layer${stage + 1}.${i}`);
    }
  });
  if (o.includeTop) {
    x = new GlobalAveragePooling2D({ name: 'avgpool' }).apply(x);
    x = new Dense(o.classes, { name: 'fc' }).apply(x);
  }
  return new Model({ inputs: input, outputs: x, name: spec.name, seed: o.seed });
}

/** torchvision resnet18: 11,689,512 trainable parameters. */
export const resnet18 = (options?: ZooOptions): Model => resnet({ name: 'resnet18', block: 'basic', layers: [2, 2, 2, 2] }, options);
/** torchvision resnet34: 21,797,672 trainable parameters. */
export const resnet34 = (options?: ZooOptions): Model => resnet({ name: 'resnet34', block: 'basic', layers: [3, 4, 6, 3] }, options);
/** torchvision resnet50 (v1.5: stride in the 3x3 conv): 25,557,032 trainable parameters. */
export const resnet50 = (options?: ZooOptions): Model => resnet({ name: 'resnet50', block: 'bottleneck', layers: [3, 4, 6, 3], strideIn: 'conv2' }, options);
/** ResNet-50 v1 (stride in the first 1x1 conv, as Keras builds it); same parameters as resnet50. */
export const resnet50_v1 = (options?: ZooOptions): Model => resnet({ name: 'resnet50_v1', block: 'bottleneck', layers: [3, 4, 6, 3], strideIn: 'conv1' }, options);
