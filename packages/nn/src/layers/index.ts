// Keras-style layers and models over the graph IR.
export { Layer, snakeCase, type LayerOptions, type SymbolicInput, type WeightSpec, type WeightInit, type WeightValues, type ParamCounts, type GraphWriter } from './layer.js';
export { SymbolicTensor, formatSymbolicShape, type SymbolicShape, type LayerReceptiveField } from './symbolic.js';
export { Input, type InputOptions } from './input.js';
export { Conv2D, DepthwiseConv2D, type Conv2DOptions, type DepthwiseConv2DOptions } from './conv.js';
export { MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, type Pooling2DOptions, type GlobalPooling2DOptions } from './pooling.js';
// `ActivationLayer` names the Activation layer where `Activation` (the activation spec type) is taken.
export { Dense, Flatten, Activation, Activation as ActivationLayer, ReLU, Softmax, Dropout, ZeroPadding2D, type DenseLayerOptions, type ReLUOptions, type SoftmaxOptions, type ZeroPadding } from './core.js';
export { BatchNormalization, type BatchNormalizationOptions } from './normalization.js';
export { Add, Concatenate, type ConcatenateOptions } from './merge.js';
export { Model, Sequential, type ModelOptions, type SequentialOptions, type PredictInputs, type ParamTotals } from './model.js';
export { formatSummary as formatModelSummary, type ModelSummary, type LayerSummary, type SummaryOptions } from './summary.js';
export { Rng, heNormal, layerSeed } from './init.js';
export { type LayerActivation, type LayerPadding } from './options.js';
