// The model zoo: architectures built with the Keras-style layers, with seeded He-normal weights.
import type { ZooBuilder } from './options.js';
import { mobilenet_v2 } from './mobilenet.js';
import { resnet, resnet18, resnet34, resnet50, resnet50_v1 } from './resnet.js';
import { jet_tagger, lenet5 } from './small.js';
import { vgg16 } from './vgg.js';

export { vgg16, resnet, resnet18, resnet34, resnet50, resnet50_v1, mobilenet_v2, lenet5, jet_tagger };
export type { ZooOptions, ZooBuilder } from './options.js';
export type { ResNetConfig } from './resnet.js';

/** Every architecture by name: `zoo.resnet50({ seed: 1 })`. */
export const zoo: Record<string, ZooBuilder> = { vgg16, resnet18, resnet34, resnet50, resnet50_v1, mobilenet_v2, lenet5, jet_tagger };

export const zooNames: readonly string[] = Object.freeze(Object.keys(zoo));
