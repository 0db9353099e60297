/**
 * Bench-only worker: runs a network on the WASM backend and returns, for every feature node, the raw pooled
 * statistics the bench needs to score pooling variants offline: global mean (C), global max (C) and the means of
 * the 2×2 spatial grid (4C) — 6C floats per node, nodes in order. Rank-2 outputs are repeated 6 times.
 */
import { parentPort } from 'node:worker_threads';
import type * as tfc from '@tensorflow/tfjs-core';
import { setupWasm } from '../../server/engine/embed/backend';
import { scalePixels } from '../../server/engine/embed/runner';
import { loadFeatureNet, type FeatureNet } from '../../server/engine/embed/models/artifacts';
import type { ResolvedModel } from '../../server/engine/embed/models/registry';

export type ToExtractWorker =
  | { type: 'init'; model: ResolvedModel }
  | { type: 'run'; id: number; pixels: Uint8Array; n: number };
export type FromExtractWorker =
  | { type: 'ready'; channels: number[] }
  | { type: 'result'; id: number; stats: Float32Array }
  | { type: 'error'; id?: number; message: string };

const port = parentPort;
let tf: typeof tfc;
let net: FeatureNet;
let model: ResolvedModel;
let chain: Promise<void> = Promise.resolve();

function pooled(x: tfc.Tensor4D): tfc.Tensor2D {
  const parts = net.run(x).map((t) => {
    if (t.rank === 2) {
      const v = tf.cast(t, 'float32') as tfc.Tensor2D;
      return tf.concat([v, v, v, v, v, v], 1);
    }
    const f = tf.cast(t, 'float32') as tfc.Tensor4D;
    const [, h, w] = f.shape;
    const h2 = Math.max(1, Math.floor(h / 2));
    const w2 = Math.max(1, Math.floor(w / 2));
    const cell = (y0: number, y1: number, x0: number, x1: number): tfc.Tensor2D =>
      tf.mean(tf.slice(f, [0, y0, x0, 0], [-1, Math.max(1, y1 - y0), Math.max(1, x1 - x0), -1]), [1, 2]) as tfc.Tensor2D;
    const hs = h > 1 ? h2 : 0;
    const ws = w > 1 ? w2 : 0;
    return tf.concat(
      [
        tf.mean(f, [1, 2]) as tfc.Tensor2D,
        tf.max(f, [1, 2]) as tfc.Tensor2D,
        cell(0, h2, 0, w2),
        cell(0, h2, ws, w),
        cell(hs, h, 0, w2),
        cell(hs, h, ws, w),
      ],
      1,
    );
  });
  return tf.concat(parts, 1);
}

async function handle(msg: ToExtractWorker): Promise<void> {
  try {
    if (msg.type === 'init') {
      tf = require('@tensorflow/tfjs-core') as typeof tfc;
      await setupWasm(tf);
      model = msg.model;
      net = await loadFeatureNet(tf, model);
      const s = model.spec.inputSize;
      const outs = tf.tidy(() => net.run(tf.zeros([1, s, s, 3]) as tfc.Tensor4D).map((t) => t.shape[t.shape.length - 1] as number));
      port!.postMessage({ type: 'ready', channels: outs } satisfies FromExtractWorker);
      return;
    }
    const s = model.spec.inputSize;
    const out = tf.tidy(() => pooled(tf.tensor4d(scalePixels(msg.pixels, model.spec.pixelRange), [msg.n, s, s, 3], 'float32')));
    const stats = (await out.data()).slice() as Float32Array;
    out.dispose();
    port!.postMessage({ type: 'result', id: msg.id, stats } satisfies FromExtractWorker, [stats.buffer as ArrayBuffer]);
  } catch (e) {
    port!.postMessage({ type: 'error', id: msg.type === 'run' ? msg.id : undefined, message: (e as Error).message } satisfies FromExtractWorker);
  }
}

if (port) port.on('message', (m: ToExtractWorker) => (chain = chain.then(() => handle(m))));
