/**
 * Bench-only: raw pooled statistics (see ./extract-worker.ts) for a batch of images, on a pool of WASM workers.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ResolvedModel } from '../../server/engine/embed/models/registry';
import type { FromExtractWorker, ToExtractWorker } from './extract-worker';

const BATCH = 16;

export interface Extracted {
  /** Channels of each feature node, in order. Each image's stats hold 6·C floats per node (mean, max, 4 grid means). */
  readonly channels: readonly number[];
  /** One Float32Array per image. */
  readonly stats: Float32Array[];
  readonly imagesPerSecond: number;
}

export async function extractStats(model: ResolvedModel, images: readonly Uint8Array[], workers: number): Promise<Extracted> {
  const pool = await Promise.all(
    Array.from({ length: workers }, async () => {
      const w = new Worker(path.join(__dirname, 'extract-worker.js'));
      const channels = await new Promise<number[]>((resolve, reject) => {
        w.once('message', (m: FromExtractWorker) => (m.type === 'ready' ? resolve(m.channels) : reject(new Error(m.type === 'error' ? m.message : 'bad reply'))));
        w.once('error', reject);
        w.postMessage({ type: 'init', model } satisfies ToExtractWorker);
      });
      return { w, channels };
    }),
  );
  const s = model.spec.inputSize;
  const bytes = s * s * 3;
  const stats: Float32Array[] = new Array(images.length);
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      pool.map(async ({ w }) => {
        while (next < images.length) {
          const start = next;
          const n = Math.min(BATCH, images.length - start);
          next += n;
          const packed = new Uint8Array(n * bytes);
          for (let j = 0; j < n; j++) packed.set(images[start + j], j * bytes);
          const out = await new Promise<Float32Array>((resolve, reject) => {
            w.once('message', (m: FromExtractWorker) => (m.type === 'result' ? resolve(m.stats) : reject(new Error(m.type === 'error' ? m.message : 'bad reply'))));
            w.postMessage({ type: 'run', id: start, pixels: packed, n } satisfies ToExtractWorker, [packed.buffer]);
          });
          const per = out.length / n;
          for (let j = 0; j < n; j++) stats[start + j] = out.slice(j * per, (j + 1) * per);
        }
      }),
    );
  } finally {
    await Promise.all(pool.map(({ w }) => w.terminate()));
  }
  return { channels: pool[0].channels, stats, imagesPerSecond: images.length / ((performance.now() - t0) / 1000) };
}
