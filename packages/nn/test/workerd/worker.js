// A Cloudflare Worker using @wcnn/nn as the README says to: the .wasm builds imported as modules and
// passed to init(). Bundled by workerd.test.ts and served by workerd; each POST runs one job (its JSON
// body) and answers what it got, or the error it met.
import { init, shutdown, tensor } from '@wcnn/tensor';
import { conv2d, loadOnnx, maxPool2d } from '@wcnn/nn';
import baseline from '@wcnn/kernels-wasm/wcnn-simd.wasm';
import relaxed from '@wcnn/kernels-wasm/wcnn-relaxed.wasm';

const fromBase64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

async function run(job) {
  const notices = [];
  await shutdown();
  if (job.kind === 'no-wasm') {
    await init({ simd: job.simd, onNotice: (m) => notices.push(m) });
    return { notices };
  }
  const r = await init({ wasm: { baseline, relaxed }, simd: job.simd, threads: job.threads, onNotice: (m) => notices.push(m) });
  const out = { flavor: r.flavor, threads: r.threads, notices };
  if (job.conv) {
    const { x, xShape, w, wShape, b } = job.conv;
    const y = conv2d(tensor(x, xShape), tensor(w, wShape), { bias: tensor(b, [b.length]), padding: 'same', activation: 'relu' });
    const p = maxPool2d(y, { kernel: [2, 2], strides: [2, 2] });
    out.conv = { shape: p.shape, data: Array.from(p.dataSync()) };
  }
  if (job.onnx) {
    const model = await loadOnnx(fromBase64(job.onnx.bytes));
    const y = model.predict({ [job.onnx.input]: tensor(job.onnx.x, job.onnx.shape) });
    const [name, t] = Object.entries(y)[0];
    out.onnx = { name, shape: t.shape, data: Array.from(t.dataSync()) };
    model.dispose();
  }
  return out;
}

export default {
  async fetch(request) {
    try {
      return Response.json(await run(await request.json()));
    } catch (e) {
      return Response.json({ error: e instanceof Error ? e.message : String(e) });
    }
  },
};
