export { conv2d, conv2dGeometry, type Conv2dOptions, type ConvGeometry } from './ops/conv2d.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, type Pool2dOptions, type AvgPool2dOptions } from './ops/pool.js';
export { dense, type DenseOptions } from './ops/dense.js';
export { batchNorm, softmax, type BatchNormOptions } from './ops/normalize.js';
export { relu, relu6, leakyRelu, sigmoid, tanh, clip, add, mul } from './ops/elementwise.js';
export { flatten, concat, nchwToNhwc, nhwcToNchw, pad2d, type Pad2dOptions } from './ops/layout.js';
export { type Activation, type ActivationName } from './activation.js';
export { type PaddingOption } from './validate.js';
