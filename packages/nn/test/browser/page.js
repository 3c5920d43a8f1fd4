// What nn's browser test runs in the page (browser.test.ts calls window.wcnnNnPage.run): the same
// computations the test repeats in Node, returned as plain arrays.
import { backend, init, tensor } from '@wcnn/tensor';
import { conv2d, loadOnnx, maxPool2d } from '@wcnn/nn';

window.wcnnNnPage = {
  /** init(options); a conv (3x3, 16 channels: Winograd) and a pool on the threads; an ONNX model (its bytes) loaded and run. */
  async run(options, data) {
    const result = await init(options);
    const running = await backend().ready;
    const x = tensor(data.x, data.xShape);
    const w = tensor(data.w, data.wShape);
    const b = tensor(data.b, [data.wShape[3]]);
    const y = conv2d(x, w, { bias: b, padding: 'same', activation: 'relu' });
    const p = maxPool2d(y, { kernel: [2, 2], strides: [2, 2] });
    const model = await loadOnnx(new Uint8Array(data.onnx), { name: 'page.onnx' });
    const out = model.predict({ [data.onnxInput]: tensor(data.onnxX, data.onnxXShape) });
    const [name] = Object.keys(out);
    const onnx = { name, shape: out[name].shape, data: Array.from(out[name].dataSync()) };
    const conv = { shape: p.shape, data: Array.from(p.dataSync()) };
    [x, w, b, y, p, out[name]].forEach((t) => t.dispose());
    model.dispose();
    return { flavor: result.flavor, threads: result.threads, running, conv, onnx };
  },
};
