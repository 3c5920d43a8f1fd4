// What the browser tests run in the page (browser.test.ts calls window.wcnnPage.*). Every function
// returns plain data; the test checks the values.
import { backend, init, isInitialized, shutdown, tensor, zeros } from '@wcnn/tensor';

/** [start, end) pieces of [0, total), `parts` of them. */
function split(total, parts) {
  return Array.from({ length: parts }, (_, i) => [Math.round((total * i) / parts), Math.round((total * (i + 1)) / parts)]);
}

/** y = x + z over 3001 floats: each thread's range as two f32_add calls. */
function add(b) {
  const n = 3001;
  const x = tensor(Float32Array.from({ length: n }, (_, i) => i), [n]);
  const z = tensor(Float32Array.from({ length: n }, (_, i) => 0.5 * i), [n]);
  const y = tensor(new Float32Array(n).fill(-1), [n]);
  const call = (s, e) => ['f32_add', x.ptr() + 4 * s, z.ptr() + 4 * s, y.ptr() + 4 * s, e - s];
  const lists = split(n, b.threads).map(([s, e]) => {
    const mid = s + Math.floor((e - s) / 3);
    return [call(s, mid), call(mid, e)];
  });
  b.parallel(lists);
  const out = Array.from(y.dataSync());
  [x, z, y].forEach((t) => t.dispose());
  return { n, ranges: split(n, b.threads), y: out };
}

/**
 * A 3x3 conv, pad 1, stride 1, with bias and ReLU, of a 1x9x7x3 NHWC image into 5 channels, the way
 * @wcnn/nn runs it: weights packed once, then per thread im2col + GEMM over its own rows, 16 rows at a
 * time through its own scratch. Small integers, so every result is exact.
 */
function conv(b) {
  const k = b.kernels;
  const [h, w, cin, cout, kh, kw] = [9, 7, 3, 5, 3, 3];
  const rows = h * w;
  const depth = kh * kw * cin;
  const chunk = 16;
  const xData = Array.from({ length: h * w * cin }, (_, i) => ((i * 7) % 11) - 5);
  const wData = Array.from({ length: depth * cout }, (_, i) => ((i * 5) % 7) - 3);
  const biasData = [1, -2, 0, 3, -1];
  const x = tensor(xData, [1, h, w, cin]);
  const wt = tensor(wData, [kh, kw, cin, cout]);
  const bias = tensor(biasData, [cout]);
  const packed = zeros([k.f32_gemm_packed_size(depth, cout)]);
  k.f32_gemm_pack_b(wt.ptr(), cout, depth, cout, bias.ptr(), packed.ptr());
  const y = tensor(new Float32Array(rows * cout).fill(-1), [1, h, w, cout]);
  const scratch = zeros([b.threads * chunk * depth]);
  const ranges = split(rows, b.threads);
  b.parallel(ranges.map(([start, end], t) => {
    const calls = [];
    const cols = scratch.ptr() + t * chunk * depth * 4;
    for (let r0 = start; r0 < end; r0 += chunk) {
      const count = Math.min(chunk, end - r0);
      calls.push(['f32_im2col', x.ptr(), 1, h, w, cin, 0, cin, kh, kw, 1, 1, 1, 1, 1, 1, h, w, 0, r0, count, cols]);
      calls.push(['f32_gemm', count, cout, depth, cols, depth, packed.ptr(), y.ptr() + r0 * cout * 4, cout, 0, Infinity, 1]);
    }
    return calls;
  }));
  const out = Array.from(y.dataSync());
  [x, wt, bias, packed, y, scratch].forEach((t) => t.dispose());
  return { shape: [h, w, cin, cout, kh, kw], x: xData, w: wData, bias: biasData, ranges, y: out };
}

window.wcnnPage = {
  environment: () => ({
    crossOriginIsolated: globalThis.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer,
    cores: navigator.hardwareConcurrency,
  }),
  /** init(options), then the threaded add and conv on whatever init gave. */
  async run(options) {
    const notices = [];
    const t0 = performance.now();
    const result = await init({ ...options, onNotice: (m) => notices.push(m) });
    const initMs = performance.now() - t0;
    const b = backend();
    // Workers start in the background; wait for them so the calls below run on every thread.
    const running = await b.ready;
    return {
      running,
      result,
      initMs,
      notices,
      threads: b.threads,
      flavor: b.flavor,
      sharedMemory: typeof SharedArrayBuffer === 'function' && b.memory.buffer instanceof SharedArrayBuffer,
      plainMemory: b.memory.buffer instanceof ArrayBuffer,
      add: add(b),
      conv: conv(b),
    };
  },
  shutdown: () => {
    shutdown();
    return isInitialized();
  },
};
