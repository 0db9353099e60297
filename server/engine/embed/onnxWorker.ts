/**
 * Worker-thread entry for the ONNX Runtime backend: one single-threaded ORT session per worker, started by
 * `WorkerPool` (`./pool.ts`) with `workerFile` = this file, speaking the same messages as `./worker.ts`
 * (`./protocol.ts`). The init message's `backend` field is ignored: this worker always runs ORT.
 * The main thread has already converted the model, or for an ONNX model written its copy with the feature
 * outputs added (`ensureOnnxModel`), so this finds it in the cache;
 * ORT is found the same way as there (LABELLINT_ONNXRUNTIME is inherited with the environment).
 */
import { parentPort } from 'worker_threads';
import type { FromWorker, ToWorker } from './protocol';
import { ensureOnnxModel, loadOnnxRuntime, OnnxRunner } from './onnxRunner';

const port = parentPort;
if (!port) throw new Error('onnxWorker.js must run in a worker thread');

let runner: OnnxRunner | undefined;
let flipTta = false;
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
      await runner?.dispose();
    } finally {
      runner = undefined;
      port!.close();
    }
    return;
  }
  if (msg.type === 'init') {
    try {
      const { ort, detail } = loadOnnxRuntime();
      if (!ort) throw new Error(detail);
      runner = await OnnxRunner.create({ model: msg.model, ort, threads: 1, onnxPath: ensureOnnxModel(msg.model) });
      flipTta = msg.flipTta;
      const plan = msg.model.onnx;
      const input = plan ? `; input ${plan.layout} ${msg.model.spec.inputSize}×${msg.model.spec.inputSize}, preprocessing ${plan.preprocessName}` : '';
      post({ type: 'ready', backend: 'onnx', backendDetail: `${detail} (CPU, 1 thread${input})`, dim: runner.dim });
    } catch (e) {
      post({ type: 'error', message: (e as Error).message ?? String(e) });
    }
    return;
  }
  try {
    if (!runner) throw new Error('worker not initialised');
    const vectors = await runner.embedPacked(msg.pixels, msg.n, flipTta);
    post({ type: 'result', id: msg.id, vectors }, [vectors.buffer as ArrayBuffer]);
  } catch (e) {
    post({ type: 'error', id: msg.id, message: (e as Error).message ?? String(e) });
  }
}
