// conv2d: validates, resolves padding, then picks a path once per call:
//   depthwise (groups = input channels)   -> f32_dwconv, SIMD over channels
//   1x1, stride 1, unpadded                -> f32_gemm straight on the NHWC input
//   anything else                          -> f32_im2col on row chunks + f32_gemm per group
import { effectiveKernel, formatShape, window2d, type Tensor } from '@wcnn/tensor';
import { planActivation, type Activation, type ActivationPlan } from '../activation.js';
import { kernels, output, withScratch } from '../runtime.js';
import { applyInPlace } from './elementwise.js';
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

const OPTIONS = ['bias', 'strides', 'padding', 'dilations', 'groups', 'padMode', 'activation'];
const FLOAT = 4;
/** im2col rows are produced in chunks of about this many floats, so scratch stays bounded. */
const IM2COL_CHUNK_FLOATS = 1 << 18;

export interface ConvGeometry {
  n: number; h: number; w: number; cin: number;
  kh: number; kw: number; cout: number; groups: number;
  sh: number; sw: number; dh: number; dw: number;
  pads: [number, number, number, number];
  oh: number; ow: number;
  circular: boolean;
}

/**
 * Validates conv2d arguments against x (N, H, W, Cin) and w (KH, KW, Cin / groups, Cout), in Keras layouts.
 */
export function conv2dGeometry(x: Tensor, w: Tensor, options: Conv2dOptions, op = 'conv2d'): ConvGeometry {
  checkOptions(op, options, OPTIONS);
  checkTensor(op, 'x', x, 4, 'NHWC');
  checkTensor(op, 'w', w, 4, '[kh, kw, cin/groups, cout]');
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, cpg, cout] = w.shape;
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) fail(op, `groups must be a positive integer, got ${String(groups)}`);
  if (cin % groups !== 0) fail(op, `groups ${groups} must divide the ${cin} input channels`);
  if (cout % groups !== 0) fail(op, `groups ${groups} must divide the ${cout} filters (w shape ${formatShape(w.shape)})`);
  if (cpg !== cin / groups) {
    const expected = groups === 1 ? `${cpg}` : `${cpg * groups} (${cpg} per group x ${groups} groups)`;
    fail(op, `input has ${cin} channels but the filter expects ${expected} (w shape ${formatShape(w.shape)})`);
  }
  const strides = positivePair(op, 'strides', options.strides, [1, 1]);
  const dilations = positivePair(op, 'dilations', options.dilations, [1, 1]);
  const padding = paddingOption(op, options.padding, 'valid', ['valid', 'same', 'full', 'circular']);
  const padMode = options.padMode ?? (padding === 'circular' ? 'circular' : 'zeros');
  if (padMode !== 'zeros' && padMode !== 'circular') fail(op, `padMode must be 'zeros' or 'circular', got ${JSON.stringify(padMode)}`);
  if (padding === 'circular' && padMode !== 'circular') fail(op, `padding 'circular' contradicts padMode '${padMode}'`);
  if (options.bias !== undefined) {
    const b = checkTensor(op, 'bias', options.bias);
    if (b.rank !== 1 || b.shape[0] !== cout) fail(op, `bias must have shape [${cout}] (one per filter), got ${formatShape(b.shape)}`);
  }
  const win = window2d(h, wd, [kh, kw], strides, dilations, padding);
  if (win.outH < 1 || win.outW < 1) {
    const eh = effectiveKernel(kh, dilations[0]);
    const ew = effectiveKernel(kw, dilations[1]);
    fail(op, `the ${kh}x${kw} filter${eh !== kh || ew !== kw ? ` (dilated to ${eh}x${ew})` : ''} does not fit the ${h}x${wd} input with padding ${formatShape(win.pads)}`);
  }
  return {
    n, h, w: wd, cin, kh, kw, cout, groups,
    sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1],
    pads: win.pads, oh: win.outH, ow: win.outW,
    circular: padMode === 'circular',
  };
}

/**
 * 2-D convolution of NHWC x (N, H, W, Cin) with Keras-layout filters w (KH, KW, Cin / groups, Cout).
 * Returns (N, OH, OW, Cout).
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const g = conv2dGeometry(x, w, options);
  const act = planActivation('conv2d', options.activation);
  const xPtr = x.ptr('conv2d', 'x');
  const wPtr = w.ptr('conv2d', 'w');
  const bPtr = options.bias ? options.bias.ptr('conv2d', 'bias') : 0;
  const out = output([g.n, g.oh, g.ow, g.cout], 'conv2d', (yPtr) => {
    if (g.groups === g.cin && g.groups > 1) depthwise(g, xPtr, wPtr, bPtr, yPtr, act);
    else gemmConv(g, xPtr, wPtr, bPtr, yPtr, act);
    if (act.post) applyInPlace(act.post, yPtr, g.n * g.oh * g.ow * g.cout);
  });
  return out;
}

/** groups = cin: one filter slice per input channel, `cout / cin` outputs each (channel multiplier). */
function depthwise(g: ConvGeometry, x: number, w: number, bias: number, y: number, act: ActivationPlan): void {
  const k = kernels();
  const m = g.cout / g.cin;
  const run = (src: number) =>
    k.f32_dwconv(src, g.n, g.h, g.w, g.cout, w, bias, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw,
      g.pads[0], g.pads[2], g.oh, g.ow, g.circular ? 1 : 0, y, act.min, act.max, act.alpha);
  if (m === 1) return run(x);
  // Output channel c * m + j reads input channel c: repeat each input channel m times.
  const rows = g.n * g.h * g.w;
  withScratch([rows * g.cout * FLOAT], ([xr]) => {
    k.f32_repeat_channels(x, rows, g.cin, m, xr);
    run(xr);
  });
}

function gemmConv(g: ConvGeometry, x: number, w: number, bias: number, y: number, act: ActivationPlan): void {
  const k = kernels();
  const cpg = g.cin / g.groups;
  const kpg = g.cout / g.groups;
  const depth = g.kh * g.kw * cpg; // GEMM K: one im2col row
  const rows = g.n * g.oh * g.ow; // GEMM M: output pixels
  const pointwise = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pads.every((p) => p === 0);
  const chunk = pointwise ? 0 : Math.min(rows, Math.max(8, Math.floor(IM2COL_CHUNK_FLOATS / depth)));
  const packedFloats = k.f32_gemm_packed_size(depth, kpg);
  withScratch([packedFloats * FLOAT, chunk * depth * FLOAT], ([packed, cols]) => {
    for (let grp = 0; grp < g.groups; grp++) {
      // Weights (KH, KW, cpg, cout) are a (depth, cout) matrix; this group's columns start at grp * kpg.
      k.f32_gemm_pack_b(w + grp * kpg * FLOAT, g.cout, depth, kpg, bias ? bias + grp * kpg * FLOAT : 0, packed);
      const yGroup = y + grp * kpg * FLOAT;
      if (pointwise) {
        k.f32_gemm(rows, kpg, depth, x + grp * cpg * FLOAT, g.cin, packed, yGroup, g.cout, act.min, act.max, act.alpha);
        continue;
      }
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        const count = Math.min(chunk, rows - r0);
        k.f32_im2col(x, g.n, g.h, g.w, g.cin, grp * cpg, cpg, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw,
          g.pads[0], g.pads[2], g.oh, g.ow, g.circular ? 1 : 0, r0, count, cols);
        k.f32_gemm(count, kpg, depth, cols, depth, packed, yGroup + r0 * g.cout * FLOAT, g.cout, act.min, act.max, act.alpha);
      }
    }
  });
}
