// Fully connected layer: (..., in) x (in, out) + bias, on the packed GEMM; one row of x with the
// weights in wasm memory: a matrix-vector product that reads them in place.
import { formatShape, Tensor } from '@wcnn/tensor';
import { planActivation, type Activation } from '../activation.js';
import { execute, kernels, Owned, withWeight, type Operator, type Shape, type WeightData } from '../runtime.js';
import { applyInPlace } from './elementwise.js';
import { gemmCalls, parallel, splitRange, threadCount, type KernelCall } from '../parallel.js';
import { checkOptions, checkTensor, fail } from '../validate.js';

export interface DenseOptions {
  /** [out] */
  bias?: Tensor;
  activation?: Activation;
}

/**
 * Weights (in, out) and bias are packed once, except for one row of x with weights given as a tensor
 * (read in place: the tensor must outlive the operator). Rows of x are everything but its last axis.
 */
export function createDense(op: string, xShape: Shape, wShape: Shape, w: WeightData, bias: WeightData | undefined, activation?: Activation): Operator {
  if (xShape.length < 2) fail(op, `x must have a batch axis and a feature axis, got shape ${formatShape(xShape)}`);
  if (wShape.length !== 2) fail(op, `w must be rank 2 ([in, out]), but got rank ${wShape.length} (shape ${formatShape(wShape)})`);
  const features = xShape[xShape.length - 1];
  const [inputs, units] = wShape;
  if (features !== inputs) fail(op, `x has ${features} features but w expects ${inputs} (w shape ${formatShape(wShape)})`);
  const biasLen = bias === undefined ? undefined : bias instanceof Float32Array ? bias.length : bias.size;
  if (bias !== undefined && biasLen !== units) {
    fail(op, `bias must have shape [${units}] (one per unit), got ${formatShape(bias instanceof Float32Array ? [bias.length] : bias.shape)}`);
  }
  const act = planActivation(op, activation);
  const rows = xShape.slice(0, -1).reduce((a, b) => a * b, 1);
  const k = kernels();
  const owned = new Owned();
  if (rows === 1 && w instanceof Tensor) {
    // One row: a matrix-vector product, memory-bound, over the weights in place (no packed copy).
    const wPtr = w.ptr(op, 'w');
    const bPtr = bias === undefined ? 0 : bias instanceof Tensor ? bias.ptr(op, 'bias') : owned.f32(bias);
    const chunks = gemvChunks(inputs);
    if (chunks.length === 1) {
      return {
        outShapes: [[...xShape.slice(0, -1), units]],
        scratchBytes: 0,
        ownedBytes: owned.bytes,
        run: ([x], [y]) => {
          // Threads take column ranges (whole cache lines of each weight row): each streams its share of w.
          parallel(splitRange(units, threadCount(), 16, 64).map(([n0, n1]) => [
            ['f32_gemv', inputs, n0, n1, x, wPtr, units, bPtr, y, act.min, act.max, act.alpha],
          ]));
          if (act.post) applyInPlace(act.post, y, units);
        },
        dispose: () => owned.free(),
      };
    }
    // The sums of the chunks' rows, (chunks, units) in scratch, are added in order by a product with ones.
    const ones = owned.f32(new Float32Array(chunks.length).fill(1));
    return {
      outShapes: [[...xShape.slice(0, -1), units]],
      scratchBytes: chunks.length * units * 4,
      ownedBytes: owned.bytes,
      run: ([x], [y], partials) => {
        const threads = threadCount();
        const columns = splitRange(units, threads / gcd(threads, chunks.length), 16, 64);
        // Chunk-major, so that a thread's units are whole chunks (contiguous rows of w) when it can.
        const work = chunks.flatMap(([k0, k1], c) => columns.map(([n0, n1]): KernelCall => [
          'f32_gemv', k1 - k0, n0, n1, x + k0 * 4, wPtr + k0 * units * 4, units, c === 0 ? bPtr : 0, partials + c * units * 4, -Infinity, Infinity, 1,
        ]));
        parallel(splitRange(work.length, threads).map(([u0, u1]) => work.slice(u0, u1)));
        kernels().f32_gemv(chunks.length, 0, units, ones, partials, units, 0, y, act.min, act.max, act.alpha);
        if (act.post) applyInPlace(act.post, y, units);
      },
      dispose: () => owned.free(),
    };
  }
  const packed = owned.alloc(k.f32_gemm_packed_size(inputs, units) * 4);
  withWeight(w, (wPtr) => {
    if (bias) withWeight(bias, (bPtr) => k.f32_gemm_pack_b(wPtr, units, inputs, units, bPtr, packed));
    else k.f32_gemm_pack_b(wPtr, units, inputs, units, 0, packed);
  });
  return {
    outShapes: [[...xShape.slice(0, -1), units]],
    scratchBytes: 0,
    ownedBytes: owned.bytes,
    run: ([x], [y]) => {
      parallel(gemmCalls(rows, units, inputs, x, inputs, packed, y, units, act.min, act.max, act.alpha));
      if (act.post) applyInPlace(act.post, y, rows * units);
    },
    dispose: () => owned.free(),
  };
}

/** The fewest rows of w a chunk of a batch-1 dense layer holds, and the most chunks. */
const GEMV_CHUNK_ROWS = 256;
const GEMV_CHUNKS = 4;

/**
 * A batch-1 dense layer's rows of w, in chunks summed separately then added in order. Threads then
 * stream whole chunks, contiguous in memory, which DRAM serves faster than a column range of every row
 * (VGG16's fc1 on two threads: 14.6 -> 10.4 ms). The chunks depend on the shape only, never on the
 * threads, so every thread count adds in the same order and gives the same bits.
 */
export function gemvChunks(inputs: number): Array<[number, number]> {
  const count = Math.max(1, Math.min(GEMV_CHUNKS, Math.floor(inputs / GEMV_CHUNK_ROWS)));
  return splitRange(inputs, count, 4);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** x (N, in) times w (in, out) (Keras layout), plus bias. Returns (N, out). */
export function dense(x: Tensor, w: Tensor, options: DenseOptions = {}): Tensor {
  const op = 'dense';
  checkOptions(op, options, ['bias', 'activation']);
  checkTensor(op, 'x', x);
  if (x.rank !== 2) fail(op, `x must be rank 2 [batch, features], but got rank ${x.rank} (shape ${formatShape(x.shape)}); flatten it first`);
  checkTensor(op, 'w', w, 2, '[in, out]');
  if (options.bias !== undefined) checkTensor(op, 'bias', options.bias);
  return execute(op, createDense(op, x.shape, w.shape, w, options.bias, options.activation), [x])[0];
}
