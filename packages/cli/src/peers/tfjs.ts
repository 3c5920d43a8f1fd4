// TensorFlow.js with its WebAssembly backend (XNNPACK inside) as a peer: one thread, SIMD, the
// .wasm files read from the installed package (nothing is downloaded).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFWasm from '@tensorflow/tfjs-backend-wasm';
import { PeerUnsupported, type ConvLayerSpec, type ModelSpec, type Peer, type PeerCase } from './common.js';
import { tfjsGraph } from './tfjs-graph.js';

export const TFJS_MODULES = { core: '@tensorflow/tfjs-core', wasm: '@tensorflow/tfjs-backend-wasm' };

/** One per module name (tests load a missing one on purpose). */
const started = new Map<string, Promise<Peer>>();

/** Loads and configures tfjs once per process (its backend registry is global). */
export function tfjsPeer(modules = TFJS_MODULES): Promise<Peer> {
  const key = `${modules.core} ${modules.wasm}`;
  let peer = started.get(key);
  if (!peer) {
    peer = start(modules).catch((e: unknown) => {
      started.delete(key);
      throw e;
    });
    started.set(key, peer);
  }
  return peer;
}

async function start(modules: typeof TFJS_MODULES): Promise<Peer> {
  const tf = (await import(modules.core)) as typeof TF;
  const wasm = (await import(modules.wasm)) as typeof TFWasm;
  const require = createRequire(import.meta.url);
  // The package's main file sits in dist/, next to the three .wasm builds.
  const dist = dirname(require.resolve(modules.wasm));
  wasm.setWasmPaths(`${join(dist, '/')}`);
  wasm.setThreadsCount?.(1);
  // The plain SIMD build (no threads: no worker, no SharedArrayBuffer).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('tfjs: the wasm backend has no SIMD on this engine');
  const version = tf.version_core;
  return {
    name: 'tfjs',
    label: `tfjs-backend-wasm ${wasm.version_wasm ?? version}`,
    version,
    async layer(spec: ConvLayerSpec): Promise<PeerCase> {
      const { xShape, wShape, groups } = spec;
      const [kh, kw, , cout] = wShape;
      const cin = xShape[3];
      const depthwise = groups > 1 && groups === cin;
      if (groups !== 1 && !depthwise) throw new PeerUnsupported('tfjs has no grouped convolution');
      const x = tf.tensor4d(spec.x, xShape);
      const filter = tf.tensor4d(spec.w, depthwise ? [kh, kw, cin, cout / cin] : wShape);
      const bias = tf.tensor1d(spec.bias);
      const [t, b, l, r] = spec.pads;
      const pad = spec.padding;
      // tfjs's fused ops take 'same' / 'valid'; Keras 'same' is TF 'same', and the suite has nothing else.
      if (pad === 'valid' && (t || b || l || r)) throw new Error('tfjs: unexpected padding');
      const conv = depthwise
        ? () => tf.fused.depthwiseConv2d({ x, filter, strides: spec.strides, pad, bias })
        : () => tf.fused.conv2d({ x, filter, strides: spec.strides, pad, bias });
      return {
        run: () => conv().dispose(),
        async: false,
        async outputs() {
          const y = conv();
          const data = y.dataSync() as Float32Array;
          y.dispose();
          return { y: data };
        },
        dispose: () => tf.dispose([x, filter, bias]),
      };
    },
    async model(spec: ModelSpec): Promise<PeerCase> {
      const shapes = Object.fromEntries(Object.entries(spec.inputs).map(([k, v]) => [k, v.shape]));
      const g = tfjsGraph(tf, spec.graph, shapes);
      const inputs = Object.fromEntries(Object.entries(spec.inputs).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
      return {
        run: () => tf.dispose(Object.values(g.run(inputs))),
        async: false,
        async outputs() {
          const outs = g.run(inputs);
          const data = Object.fromEntries(Object.entries(outs).map(([k, t]) => [k, t.dataSync() as Float32Array]));
          tf.dispose(Object.values(outs));
          return data;
        },
        dispose: () => {
          g.dispose();
          tf.dispose(Object.values(inputs));
        },
      };
    },
  };
}
