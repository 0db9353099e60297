/**
 * Worker-thread entry: its own tfjs-core, its own single-threaded WASM (or CPU) backend, its own network.
 * Compiled to out/server/engine/embed/worker.js and started by `./pool.ts`.
 */
import { parentPort } from 'worker_threads';
import type * as tfc from '@tensorflow/tfjs-core';
import { setupCpu, setupWasm } from './backend';
import type { FromWorker, ToWorker } from './protocol';
import { FeatureRunner } from './runner';

const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');

let runner: FeatureRunner | undefined;
/** Batches run one after another; the pool sends at most one at a time, this is a safety net. */
let chain: Promise<void> = Promise.resolve();

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

port.on('message', (msg: ToWorker) => {
  chain = chain.then(() => handle(msg));
});

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === 'close') {
    // Asked to stop between batches: release the network and let the thread end by itself (never terminated mid-call).
    try {
      runner?.dispose();
    } finally {
      runner = undefined;
      port!.close();
    }
    return;
  }
  if (msg.type === 'init') {
    try {
      const tf = require('@tensorflow/tfjs-core') as typeof tfc;
      const backend = msg.backend === 'cpu' ? await setupCpu(tf) : await setupWasm(tf);
      runner = await FeatureRunner.create(tf, { model: msg.model, flipTta: msg.flipTta });
      post({ type: 'ready', backend: backend.name, backendDetail: backend.detail, dim: runner.dim });
    } catch (e) {
      post({ type: 'error', message: (e as Error).message ?? String(e) });
    }
    return;
  }
  try {
    if (!runner) throw new Error('worker not initialised');
    let vectors = await runner.embedPacked(msg.pixels, msg.n);
    // Transfer only a buffer we own outright (never a view into backend memory).
    if (vectors.byteOffset !== 0 || vectors.byteLength !== vectors.buffer.byteLength) vectors = vectors.slice();
    post({ type: 'result', id: msg.id, vectors }, [vectors.buffer as ArrayBuffer]);
  } catch (e) {
    post({ type: 'error', id: msg.id, message: (e as Error).message ?? String(e) });
  }
}
