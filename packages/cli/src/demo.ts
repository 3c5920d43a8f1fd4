// The default job: the lecture's worked convolution example, then a short conv/pool benchmark.
import { LECTURE_CONV_EXAMPLE } from '@wcnn/models';
import { avgPool2d, conv2d, maxPool2d } from '@wcnn/nn';
import { backend, dispose, tensor, type Tensor } from '@wcnn/tensor';
import { runBench, type BenchCase, type BenchResult } from './bench.js';
import { runCases, subjects } from './bench/run.js';
import type { SuiteLayer } from './bench/suite.js';
import { loadPeers } from './peers/index.js';

type Print = (line: string) => void;

export function lectureExample(print: Print): boolean {
  const ex = LECTURE_CONV_EXAMPLE;
  const x = tensor(ex.input.flat(), [1, 5, 5, 1]);
  const w = tensor(ex.filter.flat(), [3, 3, 1, 1]);
  const y = conv2d(x, w, { strides: 1, padding: 'valid' });
  const out = Array.from(y.dataSync());
  dispose([x, w, y]);
  const expected = ex.output.flat();
  const ok = out.every((v, i) => v === expected[i]);
  print("Lecture 7 worked example: a 5x5 image convolved with a 3x3 filter, stride 1, 'valid' padding");
  print('');
  print(`  ${'input'.padEnd(16)}${'filter'.padEnd(12)}output (wcnn)`);
  for (let r = 0; r < 5; r++) {
    const input = ex.input[r].join(' ').padEnd(16);
    const filter = (r < 3 ? ex.filter[r].join(' ') : '').padEnd(12);
    const row = r < 3 ? out.slice(r * 3, r * 3 + 3).map((v) => String(v).padStart(2)).join(' ') : '';
    print(`  ${input}${filter}${row}`.trimEnd());
  }
  print('');
  print(`  output ${y.shape.join('x')}: ${ok ? 'matches the lecture' : 'DIFFERS from the lecture: ' + JSON.stringify(expected)}`);
  return ok;
}

function filled(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 4294967296 - 0.5;
  }
  return tensor(data, shape);
}

function convCase(name: string, [h, w, cin]: number[], [kh, kw, cout]: number[], stride: number, groups = 1): BenchCase {
  const x = filled([1, h, w, cin], 1);
  const wt = filled([kh, kw, cin / groups, cout], 2);
  const b = filled([cout], 3);
  const oh = Math.ceil(h / stride);
  const ow = Math.ceil(w / stride);
  return {
    name,
    shape: `${h}x${w}x${cin} -> ${oh}x${ow}x${cout}`,
    ops: 2 * oh * ow * cout * kh * kw * (cin / groups),
    run: () => conv2d(x, wt, { bias: b, strides: stride, padding: 'same', groups, activation: 'relu' }).dispose(),
    teardown: () => dispose([x, wt, b]),
  };
}

function poolCase(name: string, kind: 'max' | 'avg', [h, w, c]: number[], k: number, s: number): BenchCase {
  const x = filled([1, h, w, c], 4);
  const oh = Math.ceil(h / s);
  const ow = Math.ceil(w / s);
  const pool = kind === 'max' ? maxPool2d : avgPool2d;
  return {
    name,
    shape: `${h}x${w}x${c} -> ${oh}x${ow}x${c}`,
    ops: oh * ow * c * k * k,
    run: () => pool(x, { kernel: k, strides: s, padding: 'same' }).dispose(),
    teardown: () => x.dispose(),
  };
}

/** C = A B for square n x n matrices, through the packed GEMM kernel directly (B packed once). */
function gemmCase(n: number): BenchCase {
  const { kernels: k, allocator } = backend();
  const a = filled([n, n], 5);
  const b = filled([n, n], 6);
  const packed = allocator.alloc(k.f32_gemm_packed_size(n, n) * 4);
  const c = allocator.alloc(n * n * 4);
  k.f32_gemm_pack_b(b.ptr(), n, n, n, 0, packed);
  return {
    name: `gemm ${n}x${n}x${n}`,
    shape: `(${n}, ${n}) x (${n}, ${n})`,
    ops: 2 * n * n * n,
    run: () => k.f32_gemm(n, n, n, a.ptr(), n, packed, c, n, -Infinity, Infinity, 1),
    teardown: () => {
      dispose([a, b]);
      allocator.release(packed);
      allocator.release(c);
    },
  };
}

export function benchmarkCases(): Array<() => BenchCase> {
  return [
    () => gemmCase(512),
    () => convCase('conv 3x3 (ResNet-34 layer1)', [56, 56, 64], [3, 3, 64], 1),
    () => convCase('conv 3x3 /2 (ResNet-34 layer2)', [56, 56, 64], [3, 3, 128], 2),
    () => convCase('conv 1x1 (ResNet-50 layer1)', [56, 56, 64], [1, 1, 256], 1),
    () => convCase('conv 7x7 /2 (ResNet stem)', [224, 224, 3], [7, 7, 64], 2),
    () => convCase('depthwise 3x3 (MobileNetV2)', [112, 112, 96], [3, 3, 96], 2, 96),
    () => poolCase('max pool 3x3 /2 (ResNet stem)', 'max', [112, 112, 64], 3, 2),
    () => poolCase('avg pool 2x2 /2', 'avg', [56, 56, 256], 2, 2),
  ];
}

export async function shortBenchmark(print: Print, maxTime: number): Promise<BenchResult[]> {
  const threads = backend().threads;
  print(`Short benchmark: batch 1, ${threads} thread${threads > 1 ? 's' : ''}, ${backend().flavor} SIMD build; Benchmark.js median, ± relative margin of error of the mean`);
  print('');
  print(`  ${'op'.padEnd(32)}${'shape'.padEnd(28)}${'ms'.padStart(9)}${'±%'.padStart(7)}${'GFLOP/s'.padStart(10)}`);
  const results: BenchResult[] = [];
  for (const make of benchmarkCases()) {
    const r = await runBench(make(), maxTime);
    results.push(r);
    print(`  ${r.name.padEnd(32)}${r.shape.padEnd(28)}${r.ms.toFixed(3).padStart(9)}${r.rme.toFixed(1).padStart(7)}${r.gops.toFixed(2).padStart(10)}`);
  }
  print('');
  print('  GFLOP/s counts a multiply-add as 2 operations; for pooling it counts one operation per window tap.');
  return results;
}

/** Three layers of the speed suite, built in so that `npm start` needs no files beside the repository. */
const COMPARISON_LAYERS: SuiteLayer[] = [
  { model: 'resnet34', name: 'layer1 3x3', input: [1, 56, 56, 64], kernel: [3, 3], cout: 64, strides: [1, 1], padding: 'same', groups: 1, flops: 2 * 56 * 56 * 64 * 9 * 64 },
  { model: 'mobilenet_v2', name: 'pw 1x1 56 24->144', input: [1, 56, 56, 24], kernel: [1, 1], cout: 144, strides: [1, 1], padding: 'same', groups: 1, flops: 2 * 56 * 56 * 24 * 144 },
  { model: 'mobilenet_v2', name: 'dw 3x3 56 c144', input: [1, 56, 56, 144], kernel: [3, 3], cout: 144, strides: [1, 1], padding: 'same', groups: 144, flops: 2 * 56 * 56 * 144 * 9 },
];

/**
 * wcnn against TensorFlow.js (WASM) and onnxruntime-web on three layers, interleaved: wcnn and
 * onnxruntime-web on the backend's threads, TensorFlow.js on one (it has no threads in Node).
 */
export async function shortComparison(print: Print): Promise<void> {
  const threads = backend().threads;
  print(`Short comparison: the same layers in TensorFlow.js (WASM backend, one thread) and onnxruntime-web (${threads} thread${threads > 1 ? 's' : ''}, as wcnn)`);
  print('');
  let peers;
  try {
    peers = await loadPeers(['tfjs', 'ort'], {}, threads);
  } catch (e) {
    print(`  skipped: ${(e as Error).message}`);
    return;
  }
  const results = await runCases(subjects(COMPARISON_LAYERS, []), { peers, minSamples: 3, maxTime: 0.3, warmupMs: 100 });
  print(`  ${'layer'.padEnd(32)}${'wcnn ms'.padStart(9)}${'tfjs/wcnn'.padStart(11)}${'ort/wcnn'.padStart(10)}`);
  for (const r of results) {
    const ratio = (p?: { ratio?: number; error?: string }) => (p?.ratio !== undefined ? `${p.ratio.toFixed(2)}x` : 'n/a');
    print(`  ${`${r.name} (${r.model})`.padEnd(32)}${r.wcnn.ms.toFixed(3).padStart(9)}${ratio(r.peers.tfjs).padStart(11)}${ratio(r.peers.ort).padStart(10)}`);
  }
  print('');
  print('  Ratios are peer median time / wcnn median time (> 1: wcnn is faster). `wcnn bench --vs tfjs,ort` runs the whole suite.');
}
