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
//
// `resnet(config, options)` builds other depths and widths the same way (torchvision's ResNet
// class with other `layers` and planes): e.g. a tiny ResNet with one basic block per stage and
// widths 8/16/32/64, whose stem then has 8 channels, as torchvision's stem has the first stage's.
import { Add, BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D, Input, MaxPooling2D, Model, ReLU, type SymbolicTensor } from '@wcnn/nn';
import { zooOptions, type ZooOptions } from './options.js';

const EPS = 1e-5;

type BlockKind = 'basic' | 'bottleneck';

/** The architecture of a ResNet built by `resnet(config, options)`. */
export interface ResNetConfig {
  /** Model name. Default 'resnet'. */
  name?: string;
  /** 'basic' (two 3x3 convs, ResNet-18/34) or 'bottleneck' (1x1, 3x3, 1x1 x4, ResNet-50). Default 'basic'. */
  block?: BlockKind;
  /** Blocks per stage, at least 1 each: [2, 2, 2, 2] is ResNet-18. */
  layers: [number, number, number, number];
  /** Planes of the four stages (a bottleneck block outputs 4x); the stem has widths[0] channels. Default [64, 128, 256, 512]. */
  widths?: [number, number, number, number];
  /** Where a bottleneck's stride goes: the 3x3 conv ('conv2', v1.5, default) or the first 1x1 ('conv1', v1). */
  strideIn?: 'conv1' | 'conv2';
}

interface ResNetSpec {
  name: string;
  block: BlockKind;
  layers: [number, number, number, number];
  widths: [number, number, number, number];
  strideIn: 'conv1' | 'conv2';
}

const TORCHVISION_WIDTHS: [number, number, number, number] = [64, 128, 256, 512];
const CONFIG_KEYS = ['name', 'block', 'layers', 'widths', 'strideIn'];

/** Four positive integers, or an error naming the config field. */
function fourInts(what: string, field: string, v: unknown): [number, number, number, number] {
  if (!Array.isArray(v) || v.length !== 4 || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${what}: ${field} must be four positive integers (one per stage), got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2], v[3]];
}

function resolveConfig(config: ResNetConfig): ResNetSpec {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`resnet: config { layers, widths?, block?, strideIn?, name? } is required, got ${JSON.stringify(config)}`);
  }
  const name = config.name ?? 'resnet';
  if (typeof name !== 'string' || name.length === 0) throw new Error(`resnet: name must be a non-empty string, got ${JSON.stringify(config.name)}`);
  const unknown = Object.keys(config).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length > 0) throw new Error(`${name}: unknown config field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${CONFIG_KEYS.join(', ')})`);
  const block = config.block ?? 'basic';
  if (block !== 'basic' && block !== 'bottleneck') throw new Error(`${name}: block must be 'basic' or 'bottleneck', got ${JSON.stringify(config.block)}`);
  const strideIn = config.strideIn ?? 'conv2';
  if (strideIn !== 'conv1' && strideIn !== 'conv2') throw new Error(`${name}: strideIn must be 'conv1' or 'conv2', got ${JSON.stringify(config.strideIn)}`);
  if (config.strideIn !== undefined && block === 'basic') throw new Error(`${name}: strideIn applies to bottleneck blocks only`);
  const layers = fourInts(name, 'layers', config.layers);
  const widths = config.widths === undefined ? TORCHVISION_WIDTHS : fourInts(name, 'widths', config.widths);
  return { name, block, layers, widths, strideIn };
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

function build(spec: ResNetSpec, options: ZooOptions | undefined): Model {
  const o = zooOptions(spec.name, options, { inputShape: [224, 224, 3], classes: 1000 });
  const input = new Input({ shape: o.inputShape });
  let x = convBn(input.output, spec.widths[0], 7, 2, 3, 'conv1', 'bn1');
  x = new ReLU({ name: 'relu' }).apply(x);
  x = new MaxPooling2D(3, { strides: 2, padding: 1, name: 'maxpool' }).apply(x);
  spec.widths.forEach((planes, stage) => {
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

/**
 * A ResNet of any depth and width, torchvision style (same stem, blocks, names and head as
 * resnet18/34/50): `resnet({ layers: [1, 1, 1, 1], widths: [8, 16, 32, 64] }, { classes: 10, inputShape: [64, 64, 3] })`.
 */
export function resnet(config: ResNetConfig, options?: ZooOptions): Model {
  return build(resolveConfig(config), options);
}

/** torchvision resnet18: 11,689,512 trainable parameters. */
export const resnet18 = (options?: ZooOptions): Model => resnet({ name: 'resnet18', block: 'basic', layers: [2, 2, 2, 2] }, options);
/** torchvision resnet34: 21,797,672 trainable parameters. */
export const resnet34 = (options?: ZooOptions): Model => resnet({ name: 'resnet34', block: 'basic', layers: [3, 4, 6, 3] }, options);
/** torchvision resnet50 (v1.5: stride in the 3x3 conv): 25,557,032 trainable parameters. */
export const resnet50 = (options?: ZooOptions): Model => resnet({ name: 'resnet50', block: 'bottleneck', layers: [3, 4, 6, 3], strideIn: 'conv2' }, options);
/** ResNet-50 v1 (stride in the first 1x1 conv, as Keras builds it); same parameters as resnet50. */
export const resnet50_v1 = (options?: ZooOptions): Model => resnet({ name: 'resnet50_v1', block: 'bottleneck', layers: [3, 4, 6, 3], strideIn: 'conv1' }, options);
