export { Rng, heNormal } from './init.js';
export { LECTURE_CONV_EXAMPLE } from './examples.js';
export { zoo, zooNames, vgg16, resnet18, resnet34, resnet50, resnet50_v1, mobilenet_v2, lenet5, jet_tagger, type ZooOptions, type ZooBuilder } from './zoo/index.js';
