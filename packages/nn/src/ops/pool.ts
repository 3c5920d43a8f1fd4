// Max and average pooling over NHWC windows, and global pools to (N, C).
import { effectiveKernel, formatShape, type Tensor } from '@wcnn/tensor';
import { execute, kernels, simpleOperator, type Operator, type Shape } from '../runtime.js';
import { resolveWindow, type WindowPadding } from './conv2d.js';
import { parallel, splitRange, threadCount, type KernelCall } from '../parallel.js';
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

export interface PoolAttrs {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padding: WindowPadding;
  ceilMode: boolean;
  countIncludePad?: boolean;
}

export interface PoolGeometry {
  n: number; h: number; w: number; c: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  pads: [number, number, number, number];
  oh: number; ow: number;
}

/** PyTorch's ceil_mode: round up, but the last window must start inside the input or the leading padding. */
function ceilOut(size: number, before: number, after: number, k: number, s: number): number {
  let out = Math.ceil((size + before + after - k) / s) + 1;
  if ((out - 1) * s >= size + before) out -= 1;
  return out;
}

export function poolGeometry(op: string, xShape: Shape, a: PoolAttrs): PoolGeometry {
  if (xShape.length !== 4) fail(op, `x must be rank 4 (NHWC), but got rank ${xShape.length} (shape ${formatShape(xShape)})`);
  const [n, h, w, c] = xShape;
  const win = resolveWindow(h, w, a.kernel, a.strides, a.dilations, a.padding);
  const [t, b, l, r] = win.pads;
  const eh = effectiveKernel(a.kernel[0], a.dilations[0]);
  const ew = effectiveKernel(a.kernel[1], a.dilations[1]);
  if (Math.max(t, b) >= eh || Math.max(l, r) >= ew) {
    fail(op, `padding ${formatShape(win.pads)} must be smaller than the ${eh}x${ew} window, or some windows would hold only padding`);
  }
  const oh = a.ceilMode ? ceilOut(h, t, b, eh, a.strides[0]) : win.oh;
  const ow = a.ceilMode ? ceilOut(w, l, r, ew, a.strides[1]) : win.ow;
  if (oh < 1 || ow < 1) fail(op, `the ${eh}x${ew} window does not fit the ${h}x${w} input with padding ${formatShape(win.pads)}`);
  return { n, h, w, c, kh: a.kernel[0], kw: a.kernel[1], sh: a.strides[0], sw: a.strides[1], dh: a.dilations[0], dw: a.dilations[1], pads: win.pads, oh, ow };
}

export function createPool2d(op: string, kind: 'max' | 'avg', xShape: Shape, attrs: PoolAttrs): Operator {
  const g = poolGeometry(op, xShape, attrs);
  const [t, b, l, r] = g.pads;
  const cip = attrs.countIncludePad ? 1 : 0;
  const pixelBytes = g.c * 4;
  // Output rows [oy0, oy1) of image img: the window arithmetic is the kernel's own once the top pad is
  // shifted by oy0 strides. Not with countIncludePad, whose divisor depends on the top pad itself.
  const rows = (x: number, y: number, img: number, oy0: number, oy1: number): KernelCall => {
    const xImg = x + img * g.h * g.w * pixelBytes;
    const yRows = y + (img * g.oh + oy0) * g.ow * pixelBytes;
    return kind === 'max'
      ? ['f32_maxpool', xImg, 1, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, t - oy0 * g.sh, l, oy1 - oy0, g.ow, yRows]
      : ['f32_avgpool', xImg, 1, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, t - oy0 * g.sh, b, l, r, oy1 - oy0, g.ow, 0, yRows];
  };
  const k = kernels();
  const splittable = kind === 'max' || cip === 0;
  return simpleOperator([[g.n, g.oh, g.ow, g.c]], ([x], [y]) => {
    if (splittable && threadCount() > 1) {
      // Global output rows img * oh + oy, cut into ranges, each range into per-image pieces.
      parallel(splitRange(g.n * g.oh, threadCount(), 1, 2).map(([r0, r1]) => {
        const calls: KernelCall[] = [];
        for (let row = r0; row < r1; ) {
          const img = Math.floor(row / g.oh);
          const end = Math.min(r1, (img + 1) * g.oh);
          calls.push(rows(x, y, img, row - img * g.oh, end - img * g.oh));
          row = end;
        }
        return calls;
      }));
    } else if (kind === 'max') k.f32_maxpool(x, g.n, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, t, l, g.oh, g.ow, y);
    else k.f32_avgpool(x, g.n, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, t, b, l, r, g.oh, g.ow, cip, y);
  });
}

const POOL_OPTIONS = ['kernel', 'strides', 'padding', 'dilations', 'ceilMode'];

function poolAttrsFromOptions(op: string, x: Tensor, options: AvgPool2dOptions, known: string[]): PoolAttrs {
  if (options === undefined || options === null || typeof options !== 'object') fail(op, 'options with a kernel size are required, e.g. { kernel: [2, 2] }');
  checkOptions(op, options, known);
  checkTensor(op, 'x', x, 4, 'NHWC');
  const kernel = positivePair(op, 'kernel', options.kernel);
  const ceilMode = options.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean') fail(op, `ceilMode must be a boolean, got ${JSON.stringify(ceilMode)}`);
  const countIncludePad = options.countIncludePad ?? false;
  if (typeof countIncludePad !== 'boolean') fail(op, `countIncludePad must be a boolean, got ${JSON.stringify(countIncludePad)}`);
  return {
    kernel,
    strides: positivePair(op, 'strides', options.strides, kernel),
    dilations: positivePair(op, 'dilations', options.dilations, [1, 1]),
    padding: paddingOption(op, options.padding, 'valid', ['valid', 'same', 'full']),
    ceilMode,
    countIncludePad,
  };
}

/** Max over each window; padding never wins. (N, H, W, C) -> (N, OH, OW, C). */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const attrs = poolAttrsFromOptions('maxPool2d', x, options, POOL_OPTIONS);
  return execute('maxPool2d', createPool2d('maxPool2d', 'max', x.shape, attrs), [x])[0];
}

/** Mean over each window. (N, H, W, C) -> (N, OH, OW, C). */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const attrs = poolAttrsFromOptions('avgPool2d', x, options, [...POOL_OPTIONS, 'countIncludePad']);
  return execute('avgPool2d', createPool2d('avgPool2d', 'avg', x.shape, attrs), [x])[0];
}

/** (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepDims. */
export function createGlobalPool(op: string, kind: 'max' | 'avg', xShape: Shape, keepDims = false): Operator {
  if (xShape.length !== 4) fail(op, `x must be rank 4 (NHWC), but got rank ${xShape.length} (shape ${formatShape(xShape)})`);
  const [n, h, w, c] = xShape;
  const k = kernels();
  return simpleOperator([keepDims ? [n, 1, 1, c] : [n, c]], ([x], [y]) =>
    kind === 'max' ? k.f32_global_maxpool(x, n, h * w, c, y) : k.f32_global_avgpool(x, n, h * w, c, y),
  );
}

function globalPool(op: string, kind: 'max' | 'avg', x: Tensor): Tensor {
  checkTensor(op, 'x', x, 4, 'NHWC');
  return execute(op, createGlobalPool(op, kind, x.shape), [x])[0];
}

/** Mean over H and W: (N, H, W, C) -> (N, C). */
export const globalAvgPool2d = (x: Tensor): Tensor => globalPool('globalAvgPool2d', 'avg', x);
/** Max over H and W: (N, H, W, C) -> (N, C). */
export const globalMaxPool2d = (x: Tensor): Tensor => globalPool('globalMaxPool2d', 'max', x);
