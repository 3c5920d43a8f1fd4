// Runs one job of runtimes.test.ts in Deno or Bun: `deno run -A job.mjs JOB.json` or `bun job.mjs JOB.json`.
// @wcnn/nn and @wcnn/tensor come from node_modules as in an app; it prints what it got as one JSON line
// and never calls shutdown(): its worker threads must not keep the process alive.
import { readFileSync } from 'node:fs';
import { backend, init, tensor } from '@wcnn/tensor';
import { conv2d, loadOnnx, maxPool2d } from '@wcnn/nn';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const notices = [];
const r = await init({ simd: job.simd, threads: job.threads, onNotice: (m) => notices.push(m) });
const out = { flavor: r.flavor, threads: r.threads, running: await backend().ready, notices };
const { x, xShape, w, wShape, b } = job.conv;
const y = conv2d(tensor(x, xShape), tensor(w, wShape), { bias: tensor(b, [b.length]), padding: 'same', activation: 'relu' });
const p = maxPool2d(y, { kernel: [2, 2], strides: [2, 2] });
out.conv = { shape: p.shape, data: Array.from(p.dataSync()) };
const model = await loadOnnx(job.onnx.path);
const [name, t] = Object.entries(model.predict({ [job.onnx.input]: tensor(job.onnx.x, job.onnx.shape) }))[0];
out.onnx = { name, shape: t.shape, data: Array.from(t.dataSync()) };
console.log(JSON.stringify(out));
