export { Rng, heNormal } from './init.js';
export { LECTURE_CONV_EXAMPLE } from './examples.js';
export { zoo, zooNames, vgg16, resnet, resnet18, resnet34, resnet50, resnet50_v1, mobilenet_v2, lenet5, jet_tagger, type ZooOptions, type ZooBuilder, type ResNetConfig } from './zoo/index.js';
export { loadOnnxWeights, type OnnxWeightLoadOptions, type WeightLoadReport, type LayerWeightAssignment, type WeightSource } from './weights/onnx.js';
export {
  saveSafetensors,
  loadSafetensors,
  parseSafetensors,
  readSafetensorsHeader,
  writeSafetensorsFile,
  readSafetensorsFile,
  type SafetensorsDtype,
  type SafetensorsTensor,
  type SafetensorsHeader,
  type SafetensorsLoadOptions,
  type SafetensorsLoadReport,
} from './weights/safetensors.js';
