// Fully connected layer: (N, in) x (in, out) + bias, on the packed GEMM.
import { formatShape, type Tensor } from '@wcnn/tensor';
import { planActivation, type Activation } from '../activation.js';
import { kernels, output, withScratch } from '../runtime.js';
import { applyInPlace } from './elementwise.js';
import { checkOptions, checkTensor, fail } from '../validate.js';

export interface DenseOptions {
  /** [out] */
  bias?: Tensor;
  activation?: Activation;
}

/** x (N, in) times w (in, out) (Keras layout), plus bias. Returns (N, out). */
export function dense(x: Tensor, w: Tensor, options: DenseOptions = {}): Tensor {
  const op = 'dense';
  checkOptions(op, options, ['bias', 'activation']);
  checkTensor(op, 'x', x);
  if (x.rank !== 2) fail(op, `x must be rank 2 [batch, features], but got rank ${x.rank} (shape ${formatShape(x.shape)}); flatten it first`);
  checkTensor(op, 'w', w, 2, '[in, out]');
  const [n, features] = x.shape;
  const [inputs, units] = w.shape;
  if (features !== inputs) fail(op, `x has ${features} features but w expects ${inputs} (w shape ${formatShape(w.shape)})`);
  if (options.bias !== undefined) {
    const b = checkTensor(op, 'bias', options.bias);
    if (b.rank !== 1 || b.shape[0] !== units) fail(op, `bias must have shape [${units}] (one per unit), got ${formatShape(b.shape)}`);
  }
  const act = planActivation(op, options.activation);
  const k = kernels();
  return output([n, units], op, (y) =>
    withScratch([k.f32_gemm_packed_size(inputs, units) * 4], ([packed]) => {
      k.f32_gemm_pack_b(w.ptr(), units, inputs, units, options.bias ? options.bias.ptr() : 0, packed);
      k.f32_gemm(n, units, inputs, x.ptr(), inputs, packed, y, units, act.min, act.max, act.alpha);
      if (act.post) applyInPlace(act.post, y, n * units);
    }),
  );
}
