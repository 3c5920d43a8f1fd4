// conv2d: validates, resolves padding, then picks a path once, at create time:
//   depthwise (groups = input channels)   -> f32_dwconv, SIMD over channels
//   1x1, stride 1, unpadded                -> f32_gemm straight on the NHWC input
//   few input channels (cin <= 8), groups 1, -> f32_conv_hwc: direct, vectorised over output channels
//     zero padding, not pointwise             (the RGB first layers, where im2col's K = kh * kw * 3);
//     of those, 3x3 stride 1 with cin 2-4    -> f32_conv_hwc_winograd_f4x4_3x3: fused Winograd per tile
//     (algorithm 'auto')
//   3x3, stride 1, dilation 1, groups 1,   -> Winograd F(4x4, 3x3): input transform on tile chunks,
//     zero padding, big enough                36 f32_gemm, output transform (+ bias, activation)
//   anything else                          -> f32_im2col on row chunks + f32_gemm per group
import { backend, effectiveKernel, formatShape, padAmounts, Tensor } from '@wcnn/tensor';
import { planActivation, type Activation, type ActivationPlan } from '../activation.js';
import { execute, GemmFilter, kernels, Owned, packedColumnOffset, weightValues, WinogradFilter, withScratch, withWeight, type Operator, type Shape, type WeightData } from '../runtime.js';
import { applyInPlace } from './elementwise.js';
import { gemmCalls, parallel, splitRange, threadCount, type KernelCall } from '../parallel.js';
import { checkOptions, checkTensor, fail, paddingOption, positivePair, type PaddingOption } from '../validate.js';

export interface Conv2dOptions {
  /** [cout] */
  bias?: Tensor;
  strides?: number | [number, number];
  /** 'valid' (default), 'same' (Keras rule), 'full', 'circular' (= 'same' with padMode 'circular'), or [top, bottom, left, right]. */
  padding?: PaddingOption;
  dilations?: number | [number, number];
  /** Input and output channels split into `groups` independent convolutions; groups = cin is depthwise. */
  groups?: number;
  /** What lies beyond the border: zeros (default) or the opposite edge (periodic images). */
  padMode?: 'zeros' | 'circular';
  activation?: Activation;
}

/** Padding as the graph IR also knows it: 'same_lower' puts the odd pixel before (ONNX SAME_LOWER). */
export type WindowPadding = PaddingOption | 'same_lower';

export interface ConvAttrs {
  strides: [number, number];
  dilations: [number, number];
  padding: WindowPadding;
  groups: number;
  padMode: 'zeros' | 'circular';
  activation?: Activation;
  /**
   * A second run-time input (N, OH, OW, Cout) added before the activation: y = act(conv(x) + b + r),
   * ResNet's shortcut, fused by compile() into the paths that take it (`residualFusable`).
   */
  residual?: boolean;
  /**
   * A 2x2 stride-2 max pool (no padding; an odd last row or column dropped) after the activation:
   * y = maxpool(act(conv(x) + b)), (N, floor(OH / 2), floor(OW / 2), Cout). compile() fuses it into the
   * convs that take it (`poolUnfusable`), which then need not hold their whole output (VGG's first block).
   */
  maxPool2x2?: boolean;
}

const OPTIONS = ['bias', 'strides', 'padding', 'dilations', 'groups', 'padMode', 'activation'];
const FLOAT = 4;
/** im2col rows are produced in chunks of about this many floats, so scratch stays bounded. */
const IM2COL_CHUNK_FLOATS = 1 << 18;
/**
 * Winograd's threshold (`winogradPaysOff`), measured against im2col + GEMM on both builds (2-core VM):
 * cin = 8 breaks even once cout >= 32 (K = 8 is too short for the GEMM microkernel) and cin < 8 loses
 * (cin = 3 -> 64: 0.63x); cin >= 12 wins 1.3x and more, cin >= 16 1.5-3.4x. Few output channels are fine
 * (16 -> 4: 1.7x). Outputs of 4x4 lose (0.75-0.93x: one tile per image, so GEMMs of one row), 5x5 win 1.2-1.5x,
 * 6x6 1.6-1.8x, 7x7 2.2-3.3x.
 */
const WINOGRAD_MIN_CIN = 16;
const WINOGRAD_MIN_COUT = 4;
const WINOGRAD_MIN_OUTPUT = 6;
/**
 * Tiles per chunk: the transformed input and the GEMM results of a chunk (36 (tiles, cin) and 36 (tiles,
 * cout) matrices) take about this many floats of scratch, but a chunk has at least WINOGRAD_MIN_TILES tiles
 * so each pass over the 36 packed filter matrices does enough work.
 */
const WINOGRAD_CHUNK_FLOATS = 1 << 18;
const WINOGRAD_MIN_TILES = 16;
/** Tiles each thread needs for the Winograd path to split tiles between threads rather than phases. */
const WINOGRAD_RANGE_MIN_TILES = 16;
/**
 * Tile rows each thread needs for a Winograd conv with a fused pool to go in bands, each thread its share
 * of the rows, unless they split evenly: with fewer, shares differ too much (7 tile rows on 2 threads: 4
 * and 3), so the whole output is made first, split by tiles.
 */
const WINOGRAD_POOL_MIN_TILE_ROWS = 8;
/**
 * f32_conv_hwc (`hwcApplies`) up to this many input channels. Measured against im2col + GEMM on both builds
 * (2-core VM, interleaved): 224x224x3 -> 3x3/1 64: 1.07-1.22x, 3x3/2 32: 1.07-1.22x, 7x7/2 64: 1.05-1.14x;
 * 112x112 3x3/1 -> 32: cin 1-6 1.15-1.23x, cin 8-12 1.07-1.13x; 7x7/2 -> 64: cin 4 1.01x, cin 8 1.00-1.04x;
 * small layers (56x56x3 -> 8 or 5 channels) 1.6-1.9x. The gain shrinks as K = kh * kw * cin grows.
 */
const HWC_MAX_CIN = 8;

/**
 * How a convolution is computed. 'auto': Winograd F(4x4, 3x3) where it applies and pays off (see
 * `winogradPaysOff`), else the direct paths. 'direct': never Winograd. 'winograd': Winograd wherever it
 * applies (3x3, stride 1, dilation 1, groups 1, zero padding), whatever the size.
 */
export type ConvAlgorithm = 'auto' | 'direct' | 'winograd';

export interface CreateConvOptions {
  /** Default: the module default, 'auto' unless a test changed it with `setConv2dAlgorithm`. */
  algorithm?: ConvAlgorithm;
  /**
   * Default true: the kernels for few input channels where they apply (`hwcApplies`; under algorithm 'auto' the
   * fused Winograd where `hwcWinogradApplies`); false: im2col + GEMM (tests compare the paths).
   */
  hwc?: boolean;
}

let defaultAlgorithm: ConvAlgorithm = 'auto';

/** The algorithm conv operators use when not told (see `setConv2dAlgorithm`). */
export function conv2dAlgorithm(): ConvAlgorithm {
  return defaultAlgorithm;
}

/**
 * For tests: the algorithm every conv operator created from now on uses when not told, e.g. 'winograd' to
 * run whole models through it (convs it does not apply to stay direct). Returns the previous default.
 */
export function setConv2dAlgorithm(algorithm: ConvAlgorithm): ConvAlgorithm {
  if (algorithm !== 'auto' && algorithm !== 'direct' && algorithm !== 'winograd') {
    fail('conv2d', `algorithm must be 'auto', 'direct' or 'winograd', got ${JSON.stringify(algorithm)}`);
  }
  const previous = defaultAlgorithm;
  defaultAlgorithm = algorithm;
  return previous;
}

/** Winograd F(4x4, 3x3) computes exactly this case: 3x3, stride 1, dilation 1, one group, zero padding. */
export function winogradApplies(g: ConvGeometry): boolean {
  return g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 && g.groups === 1 && !g.circular;
}

/**
 * Where Winograd beats im2col + GEMM: enough input channels for the 36 GEMMs (K = cin) to run efficiently
 * and dominate the transforms, and an output of at least 6x6 so that edge tiles (cut to the output)
 * waste little. The price is memory: 36 / 9 = 4x the weights (a 512 -> 512 layer keeps 37.7 MB).
 */
export function winogradPaysOff(g: ConvGeometry): boolean {
  return g.cin >= WINOGRAD_MIN_CIN && g.cout >= WINOGRAD_MIN_COUT && g.oh >= WINOGRAD_MIN_OUTPUT && g.ow >= WINOGRAD_MIN_OUTPUT;
}

/** The kernels a conv runs on (`convPath`). */
export type ConvPath = 'depthwise' | 'winograd' | 'hwc-winograd' | 'hwc' | 'gemm';

/** The path createConv2d takes for a filter in its plain layout (not a WinogradFilter or GemmFilter). */
export function convPath(g: ConvGeometry, algorithm: ConvAlgorithm, hwc = true): ConvPath {
  if (g.groups === g.cin && g.groups > 1) return 'depthwise';
  if (convAlgorithmFor(g, algorithm) === 'winograd') return 'winograd';
  if (!hwc || !hwcApplies(g)) return 'gemm';
  return algorithm === 'auto' && hwcWinogradApplies(g) ? 'hwc-winograd' : 'hwc';
}

/** The path createConv2d takes for a geometry under an algorithm setting (a depthwise conv is never Winograd). */
export function convAlgorithmFor(g: ConvGeometry, algorithm: ConvAlgorithm): 'winograd' | 'direct' {
  if (!winogradApplies(g)) return 'direct';
  return algorithm === 'winograd' || (algorithm === 'auto' && winogradPaysOff(g)) ? 'winograd' : 'direct';
}

/**
 * Where f32_conv_hwc (direct, no im2col) replaces im2col + GEMM: one group, zero padding, few input channels,
 * and not a pointwise conv (which the GEMM runs on the input as it is). See HWC_MAX_CIN for the measurements.
 */
export function hwcApplies(g: ConvGeometry): boolean {
  const pointwise = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pads.every((p) => p === 0);
  return g.groups === 1 && !g.circular && g.cin <= HWC_MAX_CIN && !pointwise;
}

/**
 * Among `hwcApplies`: 3x3, stride 1, dilation 1 with 2 to 4 input channels runs fused Winograd F(4x4, 3x3)
 * (f32_conv_hwc_winograd_f4x4_3x3). Measured against f32_conv_hwc on both builds (2-core VM, interleaved):
 * 224x224x3 -> 64 1.31-1.49x, 112x112x4 -> 32 1.35-1.56x, 3 -> 8 or 5 channels 1.02-1.16x, cin 2 1.02-1.07x;
 * cin 1 loses (0.71-0.77x: the kernel's products always take 3 input channels, zeros past cin).
 */
export function hwcWinogradApplies(g: ConvGeometry): boolean {
  return hwcApplies(g) && winogradApplies(g) && g.cin >= 2 && g.cin <= 4;
}

/** [top, bottom, left, right] and the output size of a 2-D window over (h, w). */
export function resolveWindow(
  h: number, w: number, kernel: readonly [number, number], strides: readonly [number, number],
  dilations: readonly [number, number], padding: WindowPadding,
): { pads: [number, number, number, number]; oh: number; ow: number } {
  const axis = (n: number, k: number, s: number, d: number, explicit?: [number, number]): [number, number] => {
    if (explicit) return explicit;
    if (padding === 'same_lower') {
      const [before, after] = padAmounts(n, k, s, 'same', d);
      return [after, before];
    }
    return padAmounts(n, k, s, padding as 'valid', d);
  };
  const explicit = Array.isArray(padding);
  const [t, b] = axis(h, kernel[0], strides[0], dilations[0], explicit ? [padding[0], padding[1]] : undefined);
  const [l, r] = axis(w, kernel[1], strides[1], dilations[1], explicit ? [padding[2], padding[3]] : undefined);
  const oh = Math.floor((h + t + b - effectiveKernel(kernel[0], dilations[0])) / strides[0]) + 1;
  const ow = Math.floor((w + l + r - effectiveKernel(kernel[1], dilations[1])) / strides[1]) + 1;
  return { pads: [t, b, l, r], oh, ow };
}

export interface ConvGeometry {
  n: number; h: number; w: number; cin: number;
  kh: number; kw: number; cout: number; groups: number;
  sh: number; sw: number; dh: number; dw: number;
  pads: [number, number, number, number];
  oh: number; ow: number;
  circular: boolean;
}

/** Checks x (N, H, W, Cin) against w (KH, KW, Cin / groups, Cout) and resolves the window. */
export function convGeometry(op: string, xShape: Shape, wShape: Shape, attrs: ConvAttrs, biasShape?: Shape): ConvGeometry {
  if (xShape.length !== 4) fail(op, `x must be rank 4 (NHWC), but got rank ${xShape.length} (shape ${formatShape(xShape)})`);
  if (wShape.length !== 4) fail(op, `w must be rank 4 ([kh, kw, cin/groups, cout]), but got rank ${wShape.length} (shape ${formatShape(wShape)})`);
  const [n, h, wd, cin] = xShape;
  const [kh, kw, cpg, cout] = wShape;
  const { groups } = attrs;
  if (!Number.isInteger(groups) || groups < 1) fail(op, `groups must be a positive integer, got ${String(groups)}`);
  if (cin % groups !== 0) fail(op, `groups ${groups} must divide the ${cin} input channels`);
  if (cout % groups !== 0) fail(op, `groups ${groups} must divide the ${cout} filters (w shape ${formatShape(wShape)})`);
  if (cpg !== cin / groups) {
    const expected = groups === 1 ? `${cpg}` : `${cpg * groups} (${cpg} per group x ${groups} groups)`;
    fail(op, `input has ${cin} channels but the filter expects ${expected} (w shape ${formatShape(wShape)})`);
  }
  if (biasShape && (biasShape.length !== 1 || biasShape[0] !== cout)) {
    fail(op, `bias must have shape [${cout}] (one per filter), got ${formatShape(biasShape)}`);
  }
  const win = resolveWindow(h, wd, [kh, kw], attrs.strides, attrs.dilations, attrs.padding);
  if (win.oh < 1 || win.ow < 1) {
    const eh = effectiveKernel(kh, attrs.dilations[0]);
    const ew = effectiveKernel(kw, attrs.dilations[1]);
    fail(op, `the ${kh}x${kw} filter${eh !== kh || ew !== kw ? ` (dilated to ${eh}x${ew})` : ''} does not fit the ${h}x${wd} input with padding ${formatShape(win.pads)}`);
  }
  return {
    n, h, w: wd, cin, kh, kw, cout, groups,
    sh: attrs.strides[0], sw: attrs.strides[1], dh: attrs.dilations[0], dw: attrs.dilations[1],
    pads: win.pads, oh: win.oh, ow: win.ow,
    circular: attrs.padMode === 'circular',
  };
}

/** Whether the path this geometry takes adds a residual in its epilogue (GEMM and Winograd do; depthwise does not). */
export function residualFusable(g: ConvGeometry): boolean {
  return !(g.groups === g.cin && g.groups > 1) && !g.circular && !hwcApplies(g);
}

/**
 * Why a conv with these attributes on this path cannot take a fused 2x2 max pool (attrs.maxPool2x2), or
 * undefined if it can: a Winograd conv (the pool reads its bands), without a residual, whose activation is
 * all in the epilogue (one applied after it, as sigmoid's is, would see the pooled output), with an
 * output of at least 2x2.
 */
export function poolUnfusable(g: ConvGeometry, path: ConvPath, attrs: ConvAttrs): string | undefined {
  if (path !== 'winograd') return `it runs on the ${path} path, not Winograd`;
  if (attrs.residual) return 'it takes a residual';
  if (planActivation('conv2d', attrs.activation).post) return `its ${JSON.stringify(attrs.activation)} activation runs after the epilogue`;
  if (g.oh < 2 || g.ow < 2) return `its output is ${g.oh}x${g.ow}`;
  return undefined;
}

/** The output shape of a conv, after its fused pool if it has one. */
export function convOutShape(g: ConvGeometry, attrs: ConvAttrs): [number, number, number, number] {
  return attrs.maxPool2x2 ? [g.n, g.oh >> 1, g.ow >> 1, g.cout] : [g.n, g.oh, g.ow, g.cout];
}

/**
 * Creates a conv operator: weights (KH, KW, Cin / groups, Cout) are packed (or copied, or transformed) once.
 * With attrs.residual, run() takes [x, r] and adds r before the activation; with attrs.maxPool2x2 it pools.
 */
export function createConv2d(
  op: string, xShape: Shape, wShape: Shape, w: WeightData | WinogradFilter | GemmFilter, bias: WeightData | undefined, attrs: ConvAttrs,
  options: CreateConvOptions = {},
): Operator {
  const g = convGeometry(op, xShape, wShape, attrs, bias ? (bias instanceof Float32Array ? [bias.length] : bias.shape) : undefined);
  const act = planActivation(op, attrs.activation);
  const algorithm = options.algorithm ?? defaultAlgorithm;
  if (options.algorithm !== undefined && algorithm !== 'auto' && algorithm !== 'direct' && algorithm !== 'winograd') {
    fail(op, `algorithm must be 'auto', 'direct' or 'winograd', got ${JSON.stringify(algorithm)}`);
  }
  if (options.algorithm === 'winograd' && !winogradApplies(g)) {
    fail(op, `algorithm 'winograd' needs a 3x3 filter, strides 1, dilations 1, groups 1 and zero padding; got a ${g.kh}x${g.kw} filter, strides [${g.sh}, ${g.sw}], dilations [${g.dh}, ${g.dw}], groups ${g.groups}, padMode '${g.circular ? 'circular' : 'zeros'}'`);
  }
  // A filter already transformed for Winograd (a model's own weight) runs Winograd whatever the size.
  if (w instanceof WinogradFilter && (!winogradApplies(g) || options.algorithm === 'direct' || w.cin !== g.cin || w.cout !== g.cout)) {
    fail(op, `the filter is kept only in Winograd form (${w.cin} -> ${w.cout} channels), which this conv cannot use`);
  }
  // A filter already packed for the GEMM (a model's own weight, its bias included) runs im2col + GEMM whatever the size.
  if (w instanceof GemmFilter) {
    if (g.groups !== 1 || w.shape.some((d, i) => d !== wShape[i]) || options.algorithm === 'winograd') {
      fail(op, `the filter is kept only packed for im2col + GEMM (${formatShape(w.shape)}, one group), which this conv cannot use`);
    }
    // Without a packed bias (zeros), a bias of zeros still fits: compile() gives a conv that takes a residual one.
    const fits = w.hasBias ? bias !== undefined : bias === undefined || weightValues(bias).every((v) => v === 0);
    if (!fits) fail(op, `the filter was packed ${w.hasBias ? 'with' : 'without'} a bias, and the conv has ${bias ? 'one' : 'none'}`);
  }
  const path = w instanceof WinogradFilter ? 'winograd' : w instanceof GemmFilter ? 'gemm' : convPath(g, algorithm, options.hwc !== false);
  if (attrs.residual && !residualFusable(g)) {
    fail(op, 'a residual input is fused only into GEMM and Winograd convs, not depthwise, circular or few-input-channel ones');
  }
  const unfusable = attrs.maxPool2x2 ? poolUnfusable(g, path, attrs) : undefined;
  if (unfusable) {
    fail(op, `a 2x2 max pool is fused only into Winograd convs without a residual, with the activation in the epilogue and an output of 2x2 or more; ${unfusable}`);
  }
  const owned = new Owned();
  try {
    const plain = w as WeightData;
    const body = path === 'depthwise' ? depthwise(g, plain, bias, act, owned)
      : path === 'winograd' ? winogradConv(g, w as WeightData | WinogradFilter, bias, act, owned, attrs.maxPool2x2 === true)
      : path === 'hwc-winograd' ? hwcWinogradConv(g, plain, bias, act, owned)
      : path === 'hwc' ? hwcConv(g, plain, bias, act, owned)
      : gemmConv(g, w as WeightData | GemmFilter, bias, act, owned);
    const outShape = convOutShape(g, attrs);
    const outLen = outShape.reduce((a, b) => a * b, 1);
    return {
      outShapes: [outShape],
      scratchBytes: body.scratchBytes,
      ownedBytes: owned.bytes,
      run: (inputs, outputs, scratch) => {
        body.run(inputs[0], outputs[0], scratch, attrs.residual ? inputs[1] : 0);
        if (act.post) applyInPlace(act.post, outputs[0], outLen);
      },
      dispose: () => owned.free(),
    };
  } catch (e) {
    owned.free();
    throw e;
  }
}

interface ConvBody {
  scratchBytes: number;
  /** r: 0, or a residual like y (only on the paths residualFusable names). */
  run(x: number, y: number, scratch: number, r: number): void;
}

/** groups = cin: one filter slice per input channel, `cout / cin` outputs each (channel multiplier). */
function depthwise(g: ConvGeometry, w: WeightData, bias: WeightData | undefined, act: ActivationPlan, owned: Owned): ConvBody {
  const k = kernels();
  // Weights (KH, KW, 1, C * m) are already the kernel's (kh, kw, c) layout: a tensor is read in place
  // (it must outlive the operator, as a model's own weights do), data is copied once.
  const wPtr = w instanceof Tensor ? w.ptr() : owned.copy(w);
  const bPtr = bias ? (bias instanceof Tensor ? bias.ptr() : owned.copy(bias)) : 0;
  const m = g.cout / g.cin;
  const rows = g.n * g.h * g.w;
  // Threads take ranges of output rows (img * oh + oy); a range of a few rows is not worth a thread.
  const dw = (src: number, y: number) => parallel(splitRange(g.n * g.oh, threadCount(), 1, 4).map(([r0, r1]) => [
    ['f32_dwconv', src, g.n, g.h, g.w, g.cout, wPtr, bPtr, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw,
      g.pads[0], g.pads[2], g.oh, g.ow, g.circular ? 1 : 0, y, act.min, act.max, act.alpha, r0, r1],
  ]));
  if (m === 1) return { scratchBytes: 0, run: (x, y) => dw(x, y) };
  // Output channel c * m + j reads input channel c: repeat each input channel m times first.
  return {
    scratchBytes: rows * g.cout * FLOAT,
    run: (x, y, scratch) => {
      k.f32_repeat_channels(x, rows, g.cin, m, scratch);
      dw(scratch, y);
    },
  };
}

function gemmConv(g: ConvGeometry, w: WeightData | GemmFilter, bias: WeightData | undefined, act: ActivationPlan, owned: Owned): ConvBody {
  const k = kernels();
  const cpg = g.cin / g.groups;
  const kpg = g.cout / g.groups;
  const depth = g.kh * g.kw * cpg; // GEMM K: one im2col row
  const rows = g.n * g.oh * g.ow; // GEMM M: output pixels
  const pointwise = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pads.every((p) => p === 0);
  const chunk = pointwise ? 0 : Math.min(rows, Math.max(8, Math.floor(IM2COL_CHUNK_FLOATS / depth)));
  const packedBytes = k.f32_gemm_packed_size(depth, kpg) * FLOAT;
  const packed: number[] = w instanceof GemmFilter ? [w.ptr] : [];
  // Weights (KH, KW, cpg, cout) are a (depth, cout) matrix; group grp's columns start at grp * kpg.
  if (!(w instanceof GemmFilter)) withWeight(w, (wPtr) => {
    const pack = (bPtr: number) => {
      for (let grp = 0; grp < g.groups; grp++) {
        const p = owned.alloc(packedBytes);
        k.f32_gemm_pack_b(wPtr + grp * kpg * FLOAT, g.cout, depth, kpg, bPtr ? bPtr + grp * kpg * FLOAT : 0, p);
        packed.push(p);
      }
    };
    if (bias) withWeight(bias, pack);
    else pack(0);
  });
  const circular = g.circular ? 1 : 0;
  // Threads take contiguous row ranges, each cut into chunks that go through its own im2col scratch.
  const threads = threadCount();
  const rowsPerThread = Math.ceil(rows / threads);
  const threadChunk = pointwise ? 0 : Math.min(chunk, Math.max(8, Math.ceil(rowsPerThread / 4) * 4));
  const chunkBytes = threadChunk * depth * FLOAT;
  return {
    scratchBytes: threads * chunkBytes,
    run: (x, y, cols, r) => {
      for (let grp = 0; grp < g.groups; grp++) {
        const yGroup = y + grp * kpg * FLOAT;
        const rGroup = r ? r + grp * kpg * FLOAT : 0;
        if (pointwise) {
          parallel(gemmCalls(rows, kpg, depth, x + grp * cpg * FLOAT, g.cin, packed[grp], yGroup, g.cout, act.min, act.max, act.alpha, rGroup));
          continue;
        }
        // At least 16 rows a thread: smaller pieces cost more in handing over than they save.
        parallel(splitRange(rows, threads, 4, 16).map(([start, end], t) => {
          const calls: KernelCall[] = [];
          const scratch = cols + t * chunkBytes;
          for (let r0 = start; r0 < end; r0 += threadChunk) {
            const count = Math.min(threadChunk, end - r0);
            calls.push(['f32_im2col', x, g.n, g.h, g.w, g.cin, grp * cpg, cpg, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw,
              g.pads[0], g.pads[2], g.oh, g.ow, circular, r0, count, scratch]);
            calls.push(rGroup
              ? ['f32_gemm_residual', count, kpg, depth, scratch, depth, packed[grp], yGroup + r0 * g.cout * FLOAT, g.cout,
                rGroup + r0 * g.cout * FLOAT, g.cout, act.min, act.max, act.alpha]
              : ['f32_gemm', count, kpg, depth, scratch, depth, packed[grp], yGroup + r0 * g.cout * FLOAT, g.cout,
                act.min, act.max, act.alpha]);
          }
          return calls;
        }));
      }
    },
  };
}

/**
 * Few input channels (`hwcApplies`): f32_conv_hwc straight on the NHWC input, weights packed once as the GEMM
 * packs them ((kh * kw * cin, cout) panels with the bias), no scratch. The kernel takes a range of output rows
 * (img * oh + oy), all of them here.
 */
function hwcConv(g: ConvGeometry, w: WeightData, bias: WeightData | undefined, act: ActivationPlan, owned: Owned): ConvBody {
  const k = kernels();
  const depth = g.kh * g.kw * g.cin;
  const packed = owned.alloc(k.f32_gemm_packed_size(depth, g.cout) * FLOAT);
  withWeight(w, (wPtr) => {
    const pack = (bPtr: number) => k.f32_gemm_pack_b(wPtr, g.cout, depth, g.cout, bPtr, packed);
    if (bias) withWeight(bias, pack);
    else pack(0);
  });
  const rows = g.n * g.oh;
  return {
    scratchBytes: 0,
    run: (x, y) => parallel(splitRange(rows, threadCount(), 1, 2).map(([r0, r1]) => [
      ['f32_conv_hwc', x, g.h, g.w, g.cin, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pads[0], g.pads[2],
        g.oh, g.ow, packed, g.cout, r0, r1, y, act.min, act.max, act.alpha],
    ])),
  };
}

/**
 * 3x3 stride 1 with few input channels (`hwcWinogradApplies`): Winograd F(4x4, 3x3) fused per output tile in one
 * kernel (input transform, 36 * cin multiply-adds per 16 outputs, output transform), weights transformed and
 * packed once here. 1536 bytes of scratch.
 */
function hwcWinogradConv(g: ConvGeometry, w: WeightData, bias: WeightData | undefined, act: ActivationPlan, owned: Owned): ConvBody {
  const k = kernels();
  const packed = owned.alloc(k.f32_conv_hwc_winograd_packed_size(g.cout) * FLOAT);
  withWeight(w, (wPtr) => withScratch([36 * g.cin * g.cout * FLOAT], ([u]) => {
    k.f32_winograd_filter_f4x4_3x3(wPtr, g.cin, g.cout, g.cout, 0, u, g.cin * g.cout, g.cout);
    const pack = (bPtr: number) => k.f32_conv_hwc_winograd_pack(u, g.cin, g.cout, bPtr, packed);
    if (bias) withWeight(bias, pack);
    else pack(0);
  }));
  const rows = g.n * g.oh;
  const scratchBytes = 1536;
  // Threads take ranges of output rows, cut at multiples of the 4-row tiles.
  return {
    scratchBytes: threadCount() * scratchBytes,
    run: (x, y, scratch) => parallel(splitRange(rows, threadCount(), 4, 4).map(([r0, r1], t) => [
      ['f32_conv_hwc_winograd_f4x4_3x3', x, g.h, g.w, g.cin, g.pads[0], g.pads[2], g.oh, g.ow,
        packed, g.cout, r0, r1, y, scratch + t * scratchBytes, act.min, act.max, act.alpha],
    ])),
  };
}

/**
 * The 3x3 filter w (3, 3, cin, cout) (HWIO: an array, or its address in wasm memory; or a GemmFilter) as Winograd
 * F(4x4, 3x3) runs it, written at dst: U = G g G^T as 36 (cin, cout) matrices, each packed as
 * f32_gemm_pack_b packs it (bias 0: the output transform adds it, since A^T (.) A does not carry a
 * per-matrix constant through to every output), back to back. `scale` (cout values) multiplies the
 * output channels first (a folded batch norm).
 *
 * The packing's panels are spread over the threads. For a whole panel (16 or 8 real columns) the
 * transform writes straight into it: matrix m's panel at dst + m * packedFloats + the panel's offset,
 * rows (ci) `width` floats apart after the bias row, which a copy of zeros fills. A last panel with
 * fewer real columns than its width goes through a scratch and f32_gemm_pack_b (which zeroes the
 * tail columns). Most of the time is the first touch of dst's pages (4x the filter's bytes, at ~10 us
 * a page on a VM), which two threads take about 1.7x faster than one.
 */
export function packWinogradFilterInto(w: Float32Array | number | GemmFilter, cin: number, cout: number, dst: number, scale?: Float32Array): void {
  const k = kernels();
  const packedFloats = k.f32_gemm_packed_size(cin, cout);
  const panels: Array<{ c0: number; width: number; real: number }> = [];
  for (let c0 = 0; c0 < cout; c0 += 16) {
    const width = cout - c0 > 8 ? 16 : 8;
    panels.push({ c0, width, real: Math.min(width, cout - c0) });
  }
  const partial = panels[panels.length - 1].real < panels[panels.length - 1].width;
  // Column c0 of the filter and its row stride: in the HWIO matrix, or in the GEMM packing's panel (after its bias row).
  const column = (wPtr: number, c0: number, width: number): [number, number] => w instanceof GemmFilter
    ? [wPtr + packedColumnOffset(9 * cin, c0) + width * FLOAT, width]
    : [wPtr + c0 * FLOAT, cout];
  const run = (wPtr: number) => withScratch([cout * FLOAT, 36 * 16 * FLOAT, partial ? 36 * cin * 16 * FLOAT : FLOAT], ([s, zeros, u]) => {
    const mem = backend().memory.buffer;
    if (scale) new Float32Array(mem, s, cout).set(scale);
    new Float32Array(mem, zeros, 36 * 16).fill(0);
    parallel(splitRange(panels.length, threadCount()).map(([first, end]) => {
      const calls: KernelCall[] = [];
      for (let i = first; i < end; i++) {
        const { c0, width, real } = panels[i];
        const at = dst + packedColumnOffset(cin, c0);
        const [src, ldw] = column(wPtr, c0, width);
        const scaleAt = scale ? s + c0 * FLOAT : 0;
        if (real === width) {
          // The 36 bias rows (packedFloats apart), then the 36 matrices' rows of this panel.
          calls.push(['f32_copy_channels', zeros, 36, width, at, packedFloats, 0]);
          calls.push(['f32_winograd_filter_f4x4_3x3', src, cin, width, ldw, scaleAt, at + width * FLOAT, packedFloats, width]);
        } else {
          // Input channel by input channel in the scratch (36 rows of `real` floats each), matrix m then
          // read with rows 36 * real apart.
          calls.push(['f32_winograd_filter_f4x4_3x3', src, cin, real, ldw, scaleAt, u, real, 36 * real]);
          for (let m = 0; m < 36; m++) calls.push(['f32_gemm_pack_b', u + m * real * FLOAT, 36 * real, cin, real, 0, at + m * packedFloats * FLOAT]);
        }
      }
      return calls;
    }));
  });
  if (typeof w === 'number') run(w);
  else if (w instanceof GemmFilter) run(w.ptr);
  else withWeight(w, run);
}

/** Floats, rounded up to an odd number of 64-byte cache lines (16 floats each). */
function oddLines(floats: number): number {
  const lines = Math.ceil(floats / 16);
  return (lines % 2 === 0 ? lines + 1 : lines) * 16;
}

/**
 * Winograd F(4x4, 3x3): each 4x4 output tile from a 6x6 input tile with 36 multiplies per (cin, cout)
 * pair instead of 144. The filter is transformed and the 36 (cin, cout) matrices packed once here; run()
 * goes through the tiles (n * ceil(oh / 4) * ceil(ow / 4)) in chunks: input transform -> 36 GEMMs (M =
 * tiles of the chunk, K = cin, N = cout) -> output transform with bias and the activation's epilogue.
 */
function winogradConv(g: ConvGeometry, w: WeightData | WinogradFilter, bias: WeightData | undefined, act: ActivationPlan, owned: Owned, pool: boolean): ConvBody {
  const k = kernels();
  const { cin, cout } = g;
  const tilesH = Math.ceil(g.oh / 4);
  const tilesW = Math.ceil(g.ow / 4);
  const tiles = g.n * tilesH * tilesW;
  const byBudget = Math.floor(WINOGRAD_CHUNK_FLOATS / (36 * (cin + cout)));
  // A multiple of 4 (the GEMM's row tile), between WINOGRAD_MIN_TILES and all the tiles.
  const chunk = Math.min(tiles, Math.max(WINOGRAD_MIN_TILES, byBudget & ~3));
  const packedFloats = k.f32_gemm_packed_size(cin, cout);
  const packed = w instanceof WinogradFilter ? w.ptr : owned.alloc(36 * packedFloats * FLOAT);
  if (!(w instanceof WinogradFilter)) packWinogradFilterInto(w instanceof Tensor ? w.ptr() : w, cin, cout, packed);
  const bPtr = bias ? owned.copy(bias) : 0;
  // The 36 matrices of a chunk lie an odd number of cache lines apart: at a multiple of 4 KB (48 tiles
  // of 64 channels: 12 KB) the input transform's 36 stores per tile and the GEMMs' rows all map to
  // one L1 set (ResNet-34 layer1 on two threads: one half took 1.2 ms, the other 0.7).
  const vStride = (count: number) => oddLines(count * cin);
  const mStride = (count: number) => oddLines(count * cout);
  const chunkBytes = 36 * (vStride(chunk) + mStride(chunk)) * FLOAT;
  const matrix = (m: number) => packed + m * packedFloats * FLOAT;
  // The three kernels of a chunk [t0, t0 + count) whose transformed input is at v and GEMM results at mm:
  // tiles [a, b) of it, and matrix m.
  const inputCall = (x: number, t0: number, count: number, v: number, a: number, b: number): KernelCall =>
    ['f32_winograd_input_f4x4_3x3', x, g.h, g.w, cin, g.pads[0], g.pads[2], tilesH, tilesW, t0 + a, b - a, v + a * cin * FLOAT, vStride(count)];
  const gemmCall = (count: number, v: number, mm: number, m: number): KernelCall =>
    ['f32_gemm', count, cout, cin, v + m * vStride(count) * FLOAT, cin, matrix(m), mm + m * mStride(count) * FLOAT, cout, -Infinity, Infinity, 1];
  // The output transform writes a tile where `out` places it: in y (first 0, all rows), or in a band
  // of an image's rows that starts at tile `first` (tile row 0 of the band) and holds `oh` rows.
  const whole: OutputPlace = { first: 0, oh: g.oh, tilesH };
  const outputCall = (y: number, r: number, t0: number, count: number, mm: number, a: number, b: number, out = whole): KernelCall =>
    ['f32_winograd_output_f4x4_3x3', mm + a * cout * FLOAT, mStride(count), bPtr, cout, out.oh, g.ow, out.tilesH, tilesW, t0 + a - out.first, b - a, y,
      act.min, act.max, act.alpha, r];
  /** A whole chunk of x into y with the scratch at v: input transform, 36 GEMMs, output transform. */
  const chunkCalls = (x: number, y: number, r: number, t0: number, count: number, v: number, out = whole): KernelCall[] => {
    const mm = v + 36 * vStride(count) * FLOAT;
    const calls = [inputCall(x, t0, count, v, 0, count)];
    for (let m = 0; m < 36; m++) calls.push(gemmCall(count, v, mm, m));
    calls.push(outputCall(y, r, t0, count, mm, 0, count, out));
    return calls;
  };
  /** Tiles [a, b) (of one image when out is a band) in equal chunks of at most `chunk` tiles. */
  const rangeCalls = (x: number, y: number, r: number, a: number, b: number, v: number, out = whole): KernelCall[] => {
    const calls: KernelCall[] = [];
    const pieces = Math.ceil((b - a) / chunk);
    for (let p = 0; p < pieces; p++) {
      const t0 = a + Math.round(((b - a) * p) / pieces);
      const t1 = a + Math.round(((b - a) * (p + 1)) / pieces);
      calls.push(...chunkCalls(x, y, r, t0, t1 - t0, v, out));
    }
    return calls;
  };
  const threads = threadCount();
  // Threads either take equal ranges of tiles, each in chunks (enough tiles: no barrier inside a chunk),
  // or share every chunk in three phases: input transform by tiles, the 36 GEMMs by matrix (so each
  // thread streams only its share of the 36 packed filters: the big cost of small, deep layers), output
  // by tiles. Ranges of tiles, not whole chunks: 4 chunks of 56, 56, 56 and 28 tiles (ResNet-34 layer1)
  // gave the threads 112 and 84.
  const byRanges = threads > 1 && tiles >= WINOGRAD_RANGE_MIN_TILES * threads;
  // (36, chunk, cin) transformed input, then (36, chunk, cout) GEMM results, per thread taking a range.
  const convScratch = (byRanges ? threads : 1) * chunkBytes;
  /** All the tiles of x into y (n, oh, ow, cout), r the residual or 0. */
  const runAll = (x: number, y: number, scratch: number, r: number): void => {
    if (threads === 1 || byRanges) {
      parallel(splitRange(tiles, threads, 4).map(([a, b], t) => rangeCalls(x, y, r, a, b, scratch + t * chunkBytes)));
      return;
    }
    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const count = Math.min(chunk, tiles - t0);
      const mm = scratch + 36 * vStride(count) * FLOAT;
      const byTiles = splitRange(count, threads);
      parallel(byTiles.map(([a, b]) => [inputCall(x, t0, count, scratch, a, b)]));
      parallel(splitRange(36, threads).map(([m0, m1]) => {
        const calls: KernelCall[] = [];
        for (let m = m0; m < m1; m++) calls.push(gemmCall(count, scratch, mm, m));
        return calls;
      }));
      parallel(byTiles.map(([a, b]) => [outputCall(y, r, t0, count, mm, a, b)]));
    }
  };
  if (!pool) return { scratchBytes: convScratch, run: runAll };
  return winogradPooled(g, tilesH, tilesW, chunk, chunkBytes, convScratch, rangeCalls, runAll);
}

/** Where Winograd's output transform puts tiles (see winogradConv's outputCall). */
interface OutputPlace {
  first: number;
  oh: number;
  tilesH: number;
}

/**
 * A Winograd conv with the 2x2 max pool fused (attrs.maxPool2x2): y is the pooled output. When the tile
 * rows split evenly between the threads or give each enough of them, each thread takes its range of each
 * image's tile rows (so never waits for another) and goes through them in bands of about one chunk of
 * tiles: the conv's rows of a band into a band buffer of its own, then the band's pooled rows into y; the
 * conv's output never exists whole (VGG16: 12.8 MB less at its first block's peak). Else the conv's whole
 * output goes to scratch, then is pooled.
 */
function winogradPooled(
  g: ConvGeometry, tilesH: number, tilesW: number, chunk: number, chunkBytes: number, convScratch: number,
  rangeCalls: (x: number, y: number, r: number, a: number, b: number, v: number, out: OutputPlace) => KernelCall[],
  runAll: (x: number, y: number, scratch: number, r: number) => void,
): ConvBody {
  const threads = threadCount();
  const ph = g.oh >> 1;
  const pw = g.ow >> 1;
  const rowBytes = g.ow * g.cout * FLOAT;
  const pooledRowBytes = pw * g.cout * FLOAT;
  /** Pooled rows [p0, p1) from the `rows` conv rows of one image (or band) at src, into dst (pooled row p0). */
  const poolCall = (src: number, rows: number, p0: number, p1: number, dst: number): KernelCall =>
    ['f32_maxpool', src, 1, rows, g.ow, g.cout, 2, 2, 2, 2, 1, 1, -2 * p0, 0, p1 - p0, pw, dst];
  const tileRows = g.n * tilesH;
  if (tileRows % threads !== 0 && tileRows < WINOGRAD_POOL_MIN_TILE_ROWS * threads) {
    const convBytes = Math.ceil((g.n * g.oh * rowBytes) / 64) * 64;
    return {
      scratchBytes: convBytes + convScratch,
      run: (x, y, scratch) => {
        runAll(x, scratch, scratch + convBytes, 0);
        // Global pooled rows img * ph + p, in ranges, each cut at the images' ends.
        parallel(splitRange(g.n * ph, threads).map(([r0, r1]) => {
          const calls: KernelCall[] = [];
          for (let row = r0; row < r1;) {
            const img = Math.floor(row / ph);
            const end = Math.min(r1, (img + 1) * ph);
            calls.push(poolCall(scratch + img * g.oh * rowBytes, g.oh, row - img * ph, end - img * ph, y + row * pooledRowBytes));
            row = end;
          }
          return calls;
        }));
      },
    };
  }
  const bandRows = Math.max(1, Math.floor(chunk / tilesW));
  const bandBytes = Math.ceil((4 * bandRows * rowBytes) / 64) * 64;
  return {
    // Per thread: a band buffer, then a chunk's transformed input and GEMM results.
    scratchBytes: threads * (bandBytes + chunkBytes),
    run: (x, y, scratch) => {
      parallel(splitRange(tileRows, threads).map(([r0, r1], t) => {
        const band = scratch + t * (bandBytes + chunkBytes);
        const calls: KernelCall[] = [];
        for (let row = r0; row < r1;) {
          // Tile rows [row, end) of image img: conv rows 4 (row - img tilesH) .. into the band.
          const img = Math.floor(row / tilesH);
          const end = Math.min(r1, (img + 1) * tilesH, row + bandRows);
          const ty = row - img * tilesH;
          const rows = Math.min(g.oh, 4 * (end - img * tilesH)) - 4 * ty;
          const out: OutputPlace = { first: row * tilesW, oh: rows, tilesH: end - row };
          calls.push(...rangeCalls(x, band, 0, row * tilesW, end * tilesW, band + bandBytes, out));
          // Conv rows 4 ty .. are even, so the band's pooled rows start at 2 ty.
          if (rows >= 2) calls.push(poolCall(band, rows, 0, rows >> 1, y + (img * ph + 2 * ty) * pooledRowBytes));
          row = end;
        }
        return calls;
      }));
    },
  };
}

/** Public options -> IR attributes, with the checks and messages of the functional op. */
export function convAttrsFromOptions(op: string, options: Conv2dOptions): ConvAttrs {
  checkOptions(op, options, OPTIONS);
  const strides = positivePair(op, 'strides', options.strides, [1, 1]);
  const dilations = positivePair(op, 'dilations', options.dilations, [1, 1]);
  const padding = paddingOption(op, options.padding, 'valid', ['valid', 'same', 'full', 'circular']);
  const padMode = options.padMode ?? (padding === 'circular' ? 'circular' : 'zeros');
  if (padMode !== 'zeros' && padMode !== 'circular') fail(op, `padMode must be 'zeros' or 'circular', got ${JSON.stringify(padMode)}`);
  if (padding === 'circular' && padMode !== 'circular') fail(op, `padding 'circular' contradicts padMode '${padMode}'`);
  const groups = options.groups ?? 1;
  return { strides, dilations, padding, groups, padMode, activation: options.activation };
}

/**
 * 2-D convolution of NHWC x (N, H, W, Cin) with Keras-layout filters w (KH, KW, Cin / groups, Cout).
 * Returns (N, OH, OW, Cout).
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const attrs = convAttrsFromOptions(op, options);
  checkTensor(op, 'x', x);
  checkTensor(op, 'w', w);
  if (options.bias !== undefined) checkTensor(op, 'bias', options.bias);
  return execute(op, createConv2d(op, x.shape, w.shape, w, options.bias, attrs), [x])[0];
}
