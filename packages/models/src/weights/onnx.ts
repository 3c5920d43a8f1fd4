/**
 * Weights of an ONNX export (a torchvision model through torch.onnx.export, say) copied into a
 * model built with the layers API (the zoo) of the same architecture.
 *
 * The work happens on the imported IR graph, where the importer has already converted the
 * layouts: conv2d weights are HWIO [kh, kw, cin/groups, cout] (the Keras layout of Conv2D, and for
 * depthwise convs the graph view [kh, kw, 1, c * m] of DepthwiseConv2D's [kh, kw, c, m]), dense
 * weights [in, out]. IR constants keep the ONNX initializer names (`layer1.0.conv1.weight`,
 * `onnx::Conv_117`), or that name plus `::<purpose>` when the name was taken.
 *
 * Matching, in two passes:
 * - by name: an ONNX conv/dense/BatchNormalization whose weight is `<prefix>.weight` goes to the
 *   model layer named `<prefix>` (torchvision module names, as the zoo uses them);
 * - by position: the remaining weight nodes of the ONNX graph and the remaining weight layers of
 *   the model, both in topological order, one to one.
 * PyTorch's eval-mode export folds each BatchNorm into the conv before it (the conv gets a bias, the
 * initializers lose their names). A model Conv2D without bias followed by a BatchNormalization then
 * takes the kernel, and the batch norm becomes the exact pass-through of the bias: gamma 1, beta =
 * bias, mean 0, variance 1 - epsilon, so it computes (y - 0) / sqrt(1 - eps + eps) + bias = y + bias.
 */
import { importOnnx, type BatchNormalization, type Conv2D, type Graph, type Layer, type Model, type Node, type OnnxImport, type WeightSpec } from '@wcnn/nn';

export interface OnnxWeightLoadOptions {
  /**
   * Every weight layer of the model must receive weights and every ONNX weight tensor must be used;
   * otherwise an error lists what is left over (and nothing is loaded). Default true.
   */
  strict?: boolean;
}

/** Where one weight of a layer came from. */
export interface WeightSource {
  /** The ONNX initializer the values come from; absent for values the loader fills in (pass-through). */
  tensor?: string;
  /**
   * 'copied'; 'rows CHW -> HWC' (a dense layer after Flatten: PyTorch flattens NCHW, the layers NHWC);
   * 'minus conv bias' (a mean that absorbs the bias of the folded conv before it);
   * 'epsilon adjusted' (variance + eps(ONNX) - eps(layer)); 'zeros' (a bias the ONNX node lacks);
   * 'pass-through' (a batch norm standing for a bias folded into the conv: 1, bias, 0, 1 - epsilon).
   */
  how: 'copied' | 'rows CHW -> HWC' | 'minus conv bias' | 'epsilon adjusted' | 'zeros' | 'pass-through';
  /** 'minus conv bias': the bias of the folded conv subtracted from the mean. */
  bias?: string;
}

/** One model layer and the ONNX node its weights came from. */
export interface LayerWeightAssignment {
  layer: string;
  className: string;
  /** How the ONNX node was found: by its weight names or by its position among the weight nodes. */
  match: 'name' | 'position';
  /** The ONNX node (its name in the imported graph). */
  node: string;
  /** Per weight of the layer (weightSpecs() names: kernel, bias, gamma, moving_mean...). */
  weights: Record<string, WeightSource>;
}

export interface WeightLoadReport {
  /** The layers that received weights, in model order. */
  assigned: LayerWeightAssignment[];
  /** Weight layers of the model that received nothing (an error when strict). */
  unmatchedLayers: string[];
  /** ONNX weight tensors that went nowhere (an error when strict). */
  unmatchedTensors: string[];
}

type UnitKind = 'conv' | 'dense' | 'batchNorm';

/** A weight-bearing node of the ONNX graph. */
interface OnnxUnit {
  kind: UnitKind;
  node: Node;
  /** Constant inputs in op order: conv/dense [w, b?], batchNorm [scale, bias, mean, var]. */
  consts: string[];
  /** The ONNX initializer name of each constant. */
  names: string[];
  /** `<prefix>` when the first weight is called `<prefix>.weight` (torchvision's state_dict keys). */
  prefix: string | undefined;
}

type LayerKind = 'conv' | 'depthwise' | 'dense' | 'batchNorm';

const LAYER_KINDS: Record<string, LayerKind> = { Conv2D: 'conv', DepthwiseConv2D: 'depthwise', Dense: 'dense', BatchNormalization: 'batchNorm' };
const UNIT_OF: Record<LayerKind, UnitKind> = { conv: 'conv', depthwise: 'conv', dense: 'dense', batchNorm: 'batchNorm' };
const OP_UNIT: Partial<Record<Node['op'], UnitKind>> = { conv2d: 'conv', dense: 'dense', batchNorm: 'batchNorm' };
const ONNX_OP: Record<UnitKind, string> = { conv: 'Conv', dense: 'Gemm/MatMul', batchNorm: 'BatchNormalization' };

/** A model layer with weights. */
interface ModelUnit {
  layer: Layer;
  kind: LayerKind | undefined;
  specs: WeightSpec[];
}

/** What a layer receives: copied from an ONNX unit, or the pass-through of a folded conv's bias. */
interface Plan {
  unit: ModelUnit;
  match: 'name' | 'position';
  source: OnnxUnit;
  /** batch norm after a conv whose ONNX bias it must absorb: the conv's unit */
  foldedBias?: OnnxUnit;
  /** batch norm standing for the bias of `source` (a conv): no ONNX batch norm of its own */
  passThrough?: boolean;
}

const show = (shape: readonly number[]): string => `[${shape.join(',')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** The importer names an IR constant after its initializer, or `<initializer>::<purpose>[#n]` when taken. */
function onnxName(irConstant: string): string {
  return irConstant.replace(/::(hwio|bias|bn|const|dense[^#]*|bias\*[^#]*)(#\d+)?$/, '');
}

function onnxUnits(graph: Graph): OnnxUnit[] {
  const units: OnnxUnit[] = [];
  for (const node of graph.nodes) {
    const kind = OP_UNIT[node.op];
    if (!kind) continue;
    const consts = node.inputs.slice(1);
    // conv2d and dense always take constant weights in the IR; guard anyway (a non-constant input is no weight)
    if (consts.length === 0 || !consts.every((c) => graph.constants.has(c))) continue;
    const names = consts.map(onnxName);
    const prefix = names[0].endsWith('.weight') ? names[0].slice(0, -'.weight'.length) : undefined;
    units.push({ kind, node, consts, names, prefix });
  }
  return units;
}

function describeLayer(u: ModelUnit): string {
  return `${u.layer.className} '${u.layer.name}'`;
}

function describeUnit(u: OnnxUnit): string {
  return `ONNX ${ONNX_OP[u.kind]} '${u.node.name}' (${u.names.map((n) => `'${n}'`).join(', ')})`;
}

function fail(message: string): never {
  throw new Error(`loadOnnxWeights: ${message}`);
}

/**
 * Copies the weights of an ONNX export into `model` (same architecture), by torchvision names where
 * they match and by position otherwise; see the file comment. Shapes are checked throughout, and
 * nothing is changed when anything fails. Returns which layer got which ONNX tensors.
 */
export function loadOnnxWeights(model: Model, source: OnnxImport | Uint8Array, options: OnnxWeightLoadOptions = {}): WeightLoadReport {
  const strict = options.strict ?? true;
  if (typeof strict !== 'boolean') fail(`strict must be a boolean, got ${JSON.stringify(options.strict)}`);
  const imported = source instanceof Uint8Array ? importOnnx(source, { name: 'the ONNX model' }) : source;
  if (!imported || typeof imported !== 'object' || !imported.graph?.constants) {
    fail(`source must be the bytes of an .onnx file or importOnnx()'s result, got ${source === null ? 'null' : typeof source}`);
  }
  const graph = imported.graph;
  const units = onnxUnits(graph);
  const layers: ModelUnit[] = model.layers
    .map((layer) => ({ layer, kind: LAYER_KINDS[layer.className], specs: layer.weightSpecs() }))
    .filter((u) => u.specs.length > 0);
  const byName = new Map(layers.map((u) => [u.layer.name, u]));

  const plans = new Map<ModelUnit, Plan>();
  const used = new Set<OnnxUnit>();
  const take = (plan: Plan): void => {
    plans.set(plan.unit, plan);
    used.add(plan.source);
  };

  /**
   * A model conv without bias matched to an ONNX conv with one: the bias belongs to the batch
   * norm that follows the conv in the model. It absorbs the bias into its mean when it has ONNX
   * statistics of its own (matched by name, or the ONNX batch norm right after the conv), else it
   * becomes the pass-through of the bias.
   */
  const foldBias = (conv: ModelUnit, onnxConv: OnnxUnit, match: Plan['match']): void => {
    if (onnxConv.consts.length < 2 || conv.specs.some((s) => s.name === 'bias')) return;
    const bn = followingBatchNorm(conv, layers);
    if (!bn) {
      fail(
        `layer '${conv.layer.name}' has no bias and no BatchNormalization right after it, but ${describeUnit(onnxConv)} has a bias ` +
          `(build the layer with useBias: true, or check that the architectures match)`,
      );
    }
    const bnPlan = plans.get(bn);
    if (bnPlan) {
      bnPlan.foldedBias = onnxConv;
      return;
    }
    const next = units[units.indexOf(onnxConv) + 1];
    if (next && !used.has(next) && next.kind === 'batchNorm' && next.node.inputs[0] === onnxConv.node.outputs[0]) {
      take({ unit: bn, match, source: next, foldedBias: onnxConv });
    } else {
      plans.set(bn, { unit: bn, match, source: onnxConv, passThrough: true });
    }
  };

  // 1. by name: torchvision module names
  for (const unit of units) {
    const layer = unit.prefix === undefined ? undefined : byName.get(unit.prefix);
    if (!layer || plans.has(layer)) continue;
    if (!layer.kind || UNIT_OF[layer.kind] !== unit.kind) {
      fail(`layer '${layer.layer.name}' is a ${layer.layer.className} but the ONNX tensor '${unit.names[0]}' of the same name feeds ${describeUnit(unit)}`);
    }
    take({ unit: layer, match: 'name', source: unit });
  }
  for (const plan of [...plans.values()]) if (plan.unit.kind !== 'batchNorm') foldBias(plan.unit, plan.source, 'name');

  // 2. by position: what is left of both, in topological order
  const restLayers = () => layers.filter((u) => !plans.has(u));
  let remaining = restLayers();
  let j = 0;
  const restUnits = units.filter((u) => !used.has(u));
  while (remaining.length > 0) {
    const unit = remaining[0];
    while (j < restUnits.length && used.has(restUnits[j])) j++;
    if (j >= restUnits.length) break;
    const onnx = restUnits[j];
    if (!unit.kind || UNIT_OF[unit.kind] !== onnx.kind) {
      fail(
        `matching by position, ${describeLayer(unit)} meets ${describeUnit(onnx)}; ` +
          `the architectures differ (or a layer the loader cannot fill sits at this position)`,
      );
    }
    take({ unit, match: 'position', source: onnx });
    if (unit.kind !== 'batchNorm') foldBias(unit, onnx, 'position');
    remaining = restLayers();
  }

  // Every pair is computed (and its shapes checked) before any layer changes; a shape mismatch
  // comes before the count check, as the first pair that differs tells where the architectures part.
  const ordered = layers.filter((u) => plans.has(u)).map((u) => plans.get(u)!);
  const values = ordered.map((plan) => weightsFor(plan, graph, layers));

  const unmatchedLayers = layers.filter((u) => !plans.has(u)).map((u) => u.layer.name);
  const unmatchedTensors = units.filter((u) => !used.has(u)).flatMap((u) => u.names);
  if (strict && (unmatchedLayers.length > 0 || unmatchedTensors.length > 0)) {
    const parts: string[] = [];
    if (unmatchedLayers.length > 0) parts.push(`model layer${unmatchedLayers.length > 1 ? 's' : ''} without ONNX weights: ${unmatchedLayers.map((n) => `'${n}'`).join(', ')}`);
    if (unmatchedTensors.length > 0) parts.push(`ONNX tensor${unmatchedTensors.length > 1 ? 's' : ''} without a layer: ${unmatchedTensors.map((n) => `'${n}'`).join(', ')}`);
    fail(`the model '${model.name}' and the ONNX graph do not match one to one (${parts.join('; ')}); pass { strict: false } to load what matches`);
  }

  ordered.forEach((plan, i) => plan.unit.layer.setWeights(values[i].arrays));
  return {
    assigned: ordered.map((plan, i) => ({
      layer: plan.unit.layer.name,
      className: plan.unit.layer.className,
      match: plan.match,
      node: plan.source.node.name,
      weights: values[i].sources,
    })),
    unmatchedLayers,
    unmatchedTensors,
  };
}

/** The BatchNormalization the model applies to `conv`'s output, if it is the next weight layer. */
function followingBatchNorm(conv: ModelUnit, layers: readonly ModelUnit[]): ModelUnit | undefined {
  const next = layers[layers.indexOf(conv) + 1];
  if (next && next.kind === 'batchNorm' && next.layer.inbound[0]?.layer === conv.layer) return next;
  return undefined;
}

/** [h, w, c] when a Dense layer reads a Flatten of an image (through elementwise layers only). */
function flattenedImage(layer: Layer): [number, number, number] | undefined {
  let prev = layer.inbound[0]?.layer;
  while (prev && ['Dropout', 'Activation', 'ReLU'].includes(prev.className)) prev = prev.inbound[0]?.layer;
  if (!prev || prev.className !== 'Flatten') return undefined;
  const shape = prev.inbound[0]?.shape;
  if (!shape || shape.length !== 4 || shape.slice(1).some((d) => d === null)) return undefined;
  const [h, w, c] = shape.slice(1) as number[];
  return h * w > 1 ? [h, w, c] : undefined;
}

interface LayerValues {
  arrays: Float32Array[];
  sources: Record<string, WeightSource>;
}

function weightsFor(plan: Plan, graph: Graph, layers: readonly ModelUnit[]): LayerValues {
  const { unit, source } = plan;
  const name = unit.layer.name;
  const where = `(matched by ${plan.match} to ${describeUnit(source)})`;
  const tensor = (i: number, what: string, expected: readonly number[]): Float32Array => {
    const c = graph.constants.get(source.consts[i])!;
    if (!sameShape(c.shape, expected)) fail(`layer '${name}' expects ${what} ${show(expected)} but the ONNX tensor '${source.names[i]}' is ${show(c.shape)} ${where}`);
    return finite(c.data, source.names[i], name);
  };
  const spec = (weight: string): WeightSpec => unit.specs.find((s) => s.name === weight)!;
  const arrays = new Map<string, Float32Array>();
  const sources: Record<string, WeightSource> = {};
  const set = (weight: string, data: Float32Array, s: WeightSource): void => {
    arrays.set(weight, data);
    sources[weight] = s;
  };

  if (unit.kind === 'batchNorm') {
    const bn = unit.layer as BatchNormalization;
    const c = spec('gamma').shape[0];
    if (plan.passThrough) {
      // the ONNX conv's bias, [cout]
      const bias = tensor(1, 'a bias (for the pass-through batch norm)', [c]);
      set('gamma', new Float32Array(c).fill(1), { how: 'pass-through' });
      set('beta', bias.slice(), { tensor: source.names[1], how: 'pass-through' });
      set('moving_mean', new Float32Array(c), { how: 'pass-through' });
      set('moving_variance', new Float32Array(c).fill(1 - bn.epsilon), { how: 'pass-through' });
    } else {
      const what = ['a gamma (scale)', 'a beta (bias)', 'a moving mean', 'a moving variance'];
      const [gamma, beta, mean, variance] = [0, 1, 2, 3].map((i) => tensor(i, what[i], [c]));
      set('gamma', gamma.slice(), { tensor: source.names[0], how: 'copied' });
      set('beta', beta.slice(), { tensor: source.names[1], how: 'copied' });
      if (plan.foldedBias) {
        // BN(conv(x) + b) with mean m is BN(conv(x)) with mean m - b
        const fb = plan.foldedBias;
        const b = graph.constants.get(fb.consts[1])!;
        if (b.data.length !== c) fail(`layer '${name}' has ${c} channels but the bias '${fb.names[1]}' of the conv before it is ${show(b.shape)}`);
        finite(b.data, fb.names[1], name);
        set('moving_mean', mean.map((m, i) => m - b.data[i]), { tensor: source.names[2], how: 'minus conv bias', bias: fb.names[1] });
      } else {
        set('moving_mean', mean.slice(), { tensor: source.names[2], how: 'copied' });
      }
      const eps = (source.node.attrs as { epsilon: number }).epsilon;
      // sqrt(var + eps(ONNX)) = sqrt(var' + eps(layer)) for var' = var + eps(ONNX) - eps(layer)
      const adjusted = eps !== bn.epsilon;
      const v = adjusted ? variance.map((x) => x + eps - bn.epsilon) : variance.slice();
      v.forEach((x, i) => {
        if (!(x + bn.epsilon > 0)) fail(`layer '${name}': moving_variance + epsilon must be positive, but the ONNX tensor '${source.names[3]}' gives ${variance[i]} at channel ${i} ${where}`);
      });
      set('moving_variance', v, { tensor: source.names[3], how: adjusted ? 'epsilon adjusted' : 'copied' });
    }
  } else {
    const kernelName = unit.specs[0].name;
    const kernelSpec = unit.specs[0];
    if (unit.kind === 'conv' || unit.kind === 'depthwise') {
      const layer = unit.layer as Conv2D;
      const groups = (source.node.attrs as { groups: number }).groups;
      // the IR view of the kernel: depthwise [kh, kw, c, m] is [kh, kw, 1, c * m] with c groups
      const expected = kernelSpec.graphShape ?? kernelSpec.shape;
      const layerGroups = unit.kind === 'depthwise' ? kernelSpec.shape[2] : layer.groups;
      const kernel = tensor(0, unit.kind === 'depthwise' ? 'a depthwise kernel (HWIO view)' : 'a kernel', expected);
      if (groups !== layerGroups) fail(`layer '${name}' convolves in ${layerGroups} group${layerGroups === 1 ? '' : 's'} but ${describeUnit(source)} in ${groups}`);
      set(kernelName, kernel.slice(), { tensor: source.names[0], how: 'copied' });
    } else {
      let kernel = tensor(0, 'a kernel', kernelSpec.shape);
      const image = flattenedImage(unit.layer);
      if (image) {
        kernel = chwRowsToHwc(kernel, image, kernelSpec.shape[1]);
        set(kernelName, kernel, { tensor: source.names[0], how: 'rows CHW -> HWC' });
      } else {
        set(kernelName, kernel.slice(), { tensor: source.names[0], how: 'copied' });
      }
    }
    const biasSpec = unit.specs.find((s) => s.name === 'bias');
    if (biasSpec) {
      if (source.consts.length > 1) set('bias', tensor(1, 'a bias', biasSpec.shape).slice(), { tensor: source.names[1], how: 'copied' });
      else set('bias', new Float32Array(biasSpec.shape[0]), { how: 'zeros' });
    } else if (source.consts.length > 1) {
      // a bias without a layer bias: foldBias found the batch norm that takes it (checked when planned)
      if (!followingBatchNorm(unit, layers)) fail(`layer '${name}' has no bias but ${describeUnit(source)} has one`);
    }
  }
  return { arrays: unit.specs.map((s) => arrays.get(s.name)!), sources };
}

/** Dense rows in PyTorch's flatten order (c, h, w) reordered to the layers' NHWC flatten (h, w, c). */
function chwRowsToHwc(kernel: Float32Array, [h, w, c]: [number, number, number], units: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        const to = ((y * w + x) * c + ch) * units;
        const from = ((ch * h + y) * w + x) * units;
        out.set(kernel.subarray(from, from + units), to);
      }
    }
  }
  return out;
}

function finite(data: Float32Array, tensor: string, layer: string): Float32Array {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) fail(`the ONNX tensor '${tensor}' (for layer '${layer}') has a non-finite value ${data[i]} at index ${i}`);
  }
  return data;
}
