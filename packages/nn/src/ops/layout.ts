// Shape and layout ops: flatten, channel concat, NCHW <-> NHWC, spatial padding.
import { PAD_MODE } from '@wcnn/kernels-wasm';
import { formatShape, type Tensor } from '@wcnn/tensor';
import { kernels, output } from '../runtime.js';
import { checkOptions, checkTensor, fail, finiteNumber } from '../validate.js';

/** (N, ...) -> (N, product of the rest), in memory order (h, w, c for NHWC, as Keras). No copy. */
export function flatten(x: Tensor): Tensor {
  checkTensor('flatten', 'x', x);
  if (x.rank < 1) fail('flatten', 'x must have a batch axis');
  return x.reshape([x.shape[0], x.size / x.shape[0]]);
}

/** Concatenates along the channel (last) axis; every other axis must match. */
export function concat(tensors: readonly Tensor[]): Tensor {
  const op = 'concat';
  if (!Array.isArray(tensors) || tensors.length === 0) fail(op, 'expects a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor(op, `tensors[${i}]`, t));
  const first = tensors[0];
  const lead = first.shape.slice(0, -1);
  tensors.forEach((t, i) => {
    if (t.rank !== first.rank || t.shape.slice(0, -1).some((d: number, j: number) => d !== lead[j])) {
      fail(op, `tensors[${i}] has shape ${formatShape(t.shape)} but all but the last axis must match tensors[0] ${formatShape(first.shape)}`);
    }
  });
  const cOut = tensors.reduce((s, t) => s + t.shape[t.rank - 1], 0);
  const rows = first.size / first.shape[first.rank - 1];
  return output([...lead, cOut], op, (y) => {
    let offset = 0;
    for (const t of tensors) {
      const c = t.shape[t.rank - 1];
      kernels().f32_copy_channels(t.ptr(), rows, c, y, cOut, offset);
      offset += c;
    }
  });
}

/** (N, C, H, W) -> (N, H, W, C) */
export function nchwToNhwc(x: Tensor): Tensor {
  checkTensor('nchwToNhwc', 'x', x, 4, 'NCHW');
  const [n, c, h, w] = x.shape;
  return output([n, h, w, c], 'nchwToNhwc', (y) => kernels().f32_transpose(x.ptr(), n, c, h * w, y));
}

/** (N, H, W, C) -> (N, C, H, W) */
export function nhwcToNchw(x: Tensor): Tensor {
  checkTensor('nhwcToNchw', 'x', x, 4, 'NHWC');
  const [n, h, w, c] = x.shape;
  return output([n, c, h, w], 'nhwcToNchw', (y) => kernels().f32_transpose(x.ptr(), n, h * w, c, y));
}

export interface Pad2dOptions {
  /** [top, bottom, left, right] */
  pads: [number, number, number, number];
  /** 'constant' (default), 'reflect' (mirror without repeating the edge), 'edge', or 'circular'. */
  mode?: keyof typeof PAD_MODE;
  /** Fill for 'constant'; default 0. */
  value?: number;
}

/** Pads H and W of NHWC x. */
export function pad2d(x: Tensor, options: Pad2dOptions): Tensor {
  const op = 'pad2d';
  if (!options || typeof options !== 'object') fail(op, 'options { pads: [top, bottom, left, right] } are required');
  checkOptions(op, options, ['pads', 'mode', 'value']);
  checkTensor(op, 'x', x, 4, 'NHWC');
  const p = options.pads;
  if (!Array.isArray(p) || p.length !== 4 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
    fail(op, `pads must be [top, bottom, left, right] of non-negative integers, got ${JSON.stringify(p)}`);
  }
  const mode = options.mode ?? 'constant';
  if (!(mode in PAD_MODE)) fail(op, `mode must be one of ${Object.keys(PAD_MODE).map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`);
  const value = finiteNumber(op, 'value', options.value, 0);
  const [n, h, w, c] = x.shape;
  if (mode === 'reflect' && (p[0] >= h || p[1] >= h || p[2] >= w || p[3] >= w)) {
    fail(op, `reflect padding ${formatShape(p)} must be smaller than the ${h}x${w} input`);
  }
  return output([n, h + p[0] + p[1], w + p[2] + p[3], c], op, (y) =>
    kernels().f32_pad(x.ptr(), n, h, w, c, p[0], p[1], p[2], p[3], PAD_MODE[mode], value, y),
  );
}
