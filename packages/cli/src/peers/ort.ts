// onnxruntime-web (the wasm execution provider) as a peer: one thread (or as many as wcnn runs), SIMD, no proxy worker, the
// .wasm/.mjs files read from the installed package (nothing is downloaded).
import type * as ORT from 'onnxruntime-web';
import { nchwToNhwc, nhwcToNchw, type ConvLayerSpec, type ModelSpec, type Peer, type PeerCase, type TensorData } from './common.js';
import { exportOnnx } from './export-onnx.js';
import { startOrt } from './ort-setup.js';
import type { Graph } from '@wcnn/nn';

export const ORT_MODULE = 'onnxruntime-web';

/** One per module name (tests load a missing one on purpose); ORT's thread count is set once per process. */
const started = new Map<string, Promise<Peer>>();

export function ortPeer(module = ORT_MODULE, threads = 1): Promise<Peer> {
  let peer = started.get(module);
  if (!peer) {
    peer = start(module, threads).catch((e: unknown) => {
      started.delete(module);
      throw e;
    });
    started.set(module, peer);
  }
  return peer;
}

async function start(module: string, threads: number): Promise<Peer> {
  const { ort, options, version } = await startOrt(module, threads);

  /** A session over model bytes; `feeds` in the model's layout; outputs converted back to wcnn's by `toWcnn`. */
  async function session(bytes: Uint8Array, feeds: Record<string, ORT.Tensor>, toWcnn: (name: string, t: ORT.Tensor) => Float32Array): Promise<PeerCase> {
    const s = await ort.InferenceSession.create(bytes, options);
    const release = (r: ORT.InferenceSession.ReturnType) => Object.values(r).forEach((t) => t.dispose());
    return {
      run: async () => release(await s.run(feeds)),
      async: true,
      async outputs() {
        const r = await s.run(feeds);
        const out = Object.fromEntries(Object.entries(r).map(([k, t]) => [k, toWcnn(k, t)]));
        release(r);
        return out;
      },
      dispose: () => s.release(),
    };
  }

  const tensor = (d: TensorData) => new ort.Tensor('float32', d.data, d.shape);

  /** Runs an IR graph through the exporter: 4-D inputs transposed to NCHW once, 4-D outputs back. */
  async function graphSession(graph: Graph, inputs: Record<string, TensorData>): Promise<PeerCase> {
    const exp = exportOnnx(graph, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.shape])));
    const feeds = Object.fromEntries(
      exp.inputs.map((i) => {
        const d = inputs[i.name];
        return [i.name, tensor(i.nchw ? { data: nhwcToNchw(d.data, d.shape), shape: i.shape } : d)];
      }),
    );
    const nchwOut = new Map(exp.outputs.map((o) => [o.name, o]));
    return session(exp.bytes, feeds, (name, t) => {
      const o = nchwOut.get(name);
      const data = t.data as Float32Array;
      return o?.nchw ? nchwToNhwc(data, o.shape) : new Float32Array(data);
    });
  }

  return {
    name: 'ort',
    label: `onnxruntime-web ${version}`,
    version,
    layer(spec: ConvLayerSpec) {
      const graph: Graph = {
        name: 'conv',
        inputs: [{ name: 'x', shape: spec.xShape }],
        outputs: ['y'],
        nodes: [{ name: 'conv', op: 'conv2d', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { strides: spec.strides, dilations: [1, 1], padding: spec.padding, groups: spec.groups, padMode: 'zeros' } }],
        constants: new Map([
          ['w', { data: spec.w, shape: spec.wShape }],
          ['b', { data: spec.bias, shape: [spec.bias.length] }],
        ]),
      };
      return graphSession(graph, { x: { data: spec.x, shape: spec.xShape } });
    },
    model(spec: ModelSpec) {
      if (!spec.onnx) return graphSession(spec.graph, spec.inputs);
      // The .onnx file as it is: its inputs and outputs are the graph's (NCHW stays NCHW).
      const feeds = Object.fromEntries(Object.entries(spec.inputs).map(([k, v]) => [k, tensor(v)]));
      return session(spec.onnx, feeds, (_name, t) => new Float32Array(t.data as Float32Array));
    },
  };
}
