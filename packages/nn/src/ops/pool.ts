// Max and average pooling over NHWC windows, and global pools to (N, C).
import { effectiveKernel, formatShape, window2d, type Tensor } from '@wcnn/tensor';
import { kernels, output } from '../runtime.js';
import { checkOptions, checkTensor, fail, paddingOption, positivePair, type PaddingOption } from '../validate.js';

export interface Pool2dOptions {
  kernel: number | [number, number];
  /** Default: the kernel size (Keras). */
  strides?: number | [number, number];
  /** 'valid' (default), 'same', 'full' or [top, bottom, left, right]. */
  padding?: Exclude<PaddingOption, 'circular'>;
  dilations?: number | [number, number];
  /** Round the output size up (PyTorch/ONNX ceil_mode); the last window may then hang over the padding. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Divide by the whole window including padding (PyTorch's default) instead of the valid taps (Keras). Default false. */
  countIncludePad?: boolean;
}

interface PoolGeometry {
  n: number; h: number; w: number; c: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  pads: [number, number, number, number];
  oh: number; ow: number;
}

function poolGeometry(op: string, x: Tensor, options: Pool2dOptions, known: string[]): PoolGeometry {
  if (options === undefined || options === null || typeof options !== 'object') fail(op, 'options with a kernel size are required, e.g. { kernel: [2, 2] }');
  checkOptions(op, options, known);
  checkTensor(op, 'x', x, 4, 'NHWC');
  const [n, h, w, c] = x.shape;
  const kernel = positivePair(op, 'kernel', options.kernel);
  const strides = positivePair(op, 'strides', options.strides, kernel);
  const dilations = positivePair(op, 'dilations', options.dilations, [1, 1]);
  const padding = paddingOption(op, options.padding, 'valid', ['valid', 'same', 'full']);
  if (options.ceilMode !== undefined && typeof options.ceilMode !== 'boolean') fail(op, `ceilMode must be a boolean, got ${JSON.stringify(options.ceilMode)}`);
  const win = window2d(h, w, kernel, strides, dilations, padding);
  const [t, b, l, r] = win.pads;
  const eh = effectiveKernel(kernel[0], dilations[0]);
  const ew = effectiveKernel(kernel[1], dilations[1]);
  if (Math.max(t, b) >= eh || Math.max(l, r) >= ew) {
    fail(op, `padding ${formatShape(win.pads)} must be smaller than the ${eh}x${ew} window, or some windows would hold only padding`);
  }
  let { outH: oh, outW: ow } = win;
  if (options.ceilMode) {
    oh = ceilOut(h, t, b, eh, strides[0]);
    ow = ceilOut(w, l, r, ew, strides[1]);
  }
  if (oh < 1 || ow < 1) fail(op, `the ${eh}x${ew} window does not fit the ${h}x${w} input with padding ${formatShape(win.pads)}`);
  return { n, h, w, c, kh: kernel[0], kw: kernel[1], sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1], pads: win.pads, oh, ow };
}

/** PyTorch's ceil_mode: round up, but the last window must start inside the input or the leading padding. */
function ceilOut(size: number, before: number, after: number, k: number, s: number): number {
  let out = Math.ceil((size + before + after - k) / s) + 1;
  if ((out - 1) * s >= size + before) out -= 1;
  return out;
}

const POOL_OPTIONS = ['kernel', 'strides', 'padding', 'dilations', 'ceilMode'];

/** Max over each window; padding never wins. (N, H, W, C) -> (N, OH, OW, C). */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const g = poolGeometry('maxPool2d', x, options, POOL_OPTIONS);
  return output([g.n, g.oh, g.ow, g.c], 'maxPool2d', (y) =>
    kernels().f32_maxpool(x.ptr(), g.n, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pads[0], g.pads[2], g.oh, g.ow, y),
  );
}

/** Mean over each window. (N, H, W, C) -> (N, OH, OW, C). */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const g = poolGeometry('avgPool2d', x, options, [...POOL_OPTIONS, 'countIncludePad']);
  const cip = options.countIncludePad ?? false;
  if (typeof cip !== 'boolean') fail('avgPool2d', `countIncludePad must be a boolean, got ${JSON.stringify(cip)}`);
  const [t, b, l, r] = g.pads;
  return output([g.n, g.oh, g.ow, g.c], 'avgPool2d', (y) =>
    kernels().f32_avgpool(x.ptr(), g.n, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, t, b, l, r, g.oh, g.ow, cip ? 1 : 0, y),
  );
}

function globalPool(op: string, kernel: 'f32_global_avgpool' | 'f32_global_maxpool', x: Tensor): Tensor {
  checkTensor(op, 'x', x, 4, 'NHWC');
  const [n, h, w, c] = x.shape;
  return output([n, c], op, (y) => kernels()[kernel](x.ptr(), n, h * w, c, y));
}

/** Mean over H and W: (N, H, W, C) -> (N, C). */
export const globalAvgPool2d = (x: Tensor): Tensor => globalPool('globalAvgPool2d', 'f32_global_avgpool', x);
/** Max over H and W: (N, H, W, C) -> (N, C). */
export const globalMaxPool2d = (x: Tensor): Tensor => globalPool('globalMaxPool2d', 'f32_global_maxpool', x);
