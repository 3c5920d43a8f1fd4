export { conv2d, createConv2d, convGeometry, resolveWindow, type Conv2dOptions, type ConvAttrs, type ConvGeometry, type ConvAlgorithm, type CreateConvOptions } from './ops/conv2d.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, createPool2d, createGlobalPool, poolGeometry, type Pool2dOptions, type AvgPool2dOptions, type PoolAttrs } from './ops/pool.js';
export { dense, createDense, type DenseOptions } from './ops/dense.js';
export { batchNorm, softmax, createBatchNorm, createSoftmax, foldBatchNorm, type BatchNormOptions } from './ops/normalize.js';
export { relu, relu6, leakyRelu, sigmoid, tanh, clip, add, sub, mul, div, broadcastShapes, createUnary, createBinary } from './ops/elementwise.js';
export { flatten, reshape, concat, transpose, slice, nchwToNhwc, nhwcToNchw, pad2d, createConcat, createTranspose, createSlice, createPad2d, reshapeShape, type Pad2dOptions, type SliceSpec, type PadMode } from './ops/layout.js';
// The layer class is 'Activation' (Keras); the spec type an op's activation option takes is 'ActivationSpec'.
export { type Activation as ActivationSpec, type ActivationName } from './activation.js';
export { type PaddingOption } from './validate.js';
export { GemmFilter, WinogradFilter, type Operator, type Shape, type WeightData } from './runtime.js';
export { gemmCalls } from './parallel.js';
export * from './graph/ir.js';
export { compile, inferShapes, resolveInputShapes, Plan, type CompileOptions, type PlanStats } from './graph/compile.js';
export { GraphModel, type GraphModelOptions, type ModelInputs } from './graph/model.js';
export { summarizeGraph, formatSummary, formatReceptiveField, type Summary, type SummaryRow, type ReceptiveField } from './graph/summary.js';
export { importOnnx, readOnnxFile, MIN_OPSET, MAX_OPSET, type OnnxImport, type OnnxImportOptions, type OnnxValueInfo } from './onnx/index.js';
export { loadOnnx, OnnxModel, nchwInputGraph } from './onnx/model.js';
export * from './layers/index.js';
