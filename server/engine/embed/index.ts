/**
 * The embedder: RGB images in, L2-normalised feature vectors out (N×dim, input order kept).
 *
 * Backends: native tfjs-node(-gpu) and WebGPU run in this thread (they have their own threads/device);
 * WASM and CPU are single-threaded in Node, so they run in a pool of worker threads, one per core.
 * ONNX Runtime (`./onnxRunner.ts`, only when onnxruntime-node is installed) runs in the same kind of pool;
 * 'auto' prefers it to the WASM pool (about 3× faster on CPU: bench/onnx/README.md).
 */
import * as os from 'os';
import type * as tfc from '@tensorflow/tfjs-core';
import type { ModelInfo } from '../../../protocol/results';
import { DEFAULT_MODEL_ID, PixelRange, ResolvedModel, resolveModel } from './models/registry';
import {
  BACKEND_CHOICES,
  BackendChoice,
  BackendResult,
  isBackendChoice,
  setupNative,
  setupWebgpu,
  tryAccelerated,
} from './backend';
import { WorkerPool } from './pool';
import { FeatureRunner } from './runner';
import { tryOnnxPool } from './onnxRunner';

export { BACKEND_CHOICES } from './backend';
export type { BackendChoice } from './backend';

/**
 * Most images per batch sent to one worker. bench/embed.ts (200 stamps, 2 cores, shared machine):
 * batch 1 is 2–3× slower per image than 8+; 32 adds ~120 MB RSS per worker and coarser batches leave one
 * worker idle at the tail (2 workers: batch 8 → 75 images/s, batch 32 → 59).
 */
export const DEFAULT_BATCH_SIZE = 16;
/**
 * Horizontal-flip test-time averaging doubles the cost and is off by default: bench/features.ts, LOO
 * 10-NN on centernet-mnv3 (default nodes): Fashion-MNIST 500 0.748 → 0.750, Tux Paint stamps 424
 * 0.726 → 0.712, i.e. no measurable gain.
 */
export const DEFAULT_FLIP_TTA = false;

export interface EmbedderOptions {
  /** Registry id (default 'centernet-mnv3'). Ignored when `modelPath` is given. */
  readonly model?: string;
  /** A user's own TensorFlow.js model.json (graph or layers model). */
  readonly modelPath?: string;
  /** Feature node / layer names, overriding the registry's. */
  readonly layers?: readonly string[];
  readonly backend?: BackendChoice;
  /** Worker threads for WASM/CPU (default `os.availableParallelism()`). */
  readonly workers?: number;
  readonly batchSize?: number;
  /** Average the embeddings of the image and its mirror image (2× the work). */
  readonly flipTta?: boolean;
  /** For user models without a fixed input size (default 224). */
  readonly inputSize?: number;
  /** For user models (default '0-255'). */
  readonly pixelRange?: PixelRange;
}

export interface Embedder {
  /** `key` changes whenever the vectors would: model files, feature nodes, preprocessing, flip TTA. */
  readonly model: ModelInfo & { readonly key: string };
  /** The backend that actually loaded: 'wasm', 'cpu', 'tensorflow', 'webgpu' (tfjs) or 'onnx' (ONNX Runtime). */
  readonly backend: string;
  /** Build/device details and why faster backends were skipped. */
  readonly backendDetail: string;
  /**
   * Each image is inputSize×inputSize×3 RGB uint8, row-major. Resolves with one L2-normalised vector per
   * image, in input order. Rejects (with the image index) on a wrong size; a failing batch rejects the call.
   */
  embed(images: readonly Uint8Array[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** Runs packed batches on some backend. */
interface Executor {
  readonly parallelism: number;
  readonly dim: number;
  run(pixels: Uint8Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export async function createEmbedder(opts: EmbedderOptions = {}): Promise<Embedder> {
  const backend = opts.backend ?? 'auto';
  if (!isBackendChoice(backend)) {
    throw new Error(`Unknown backend '${String(backend)}'. Valid: ${BACKEND_CHOICES.join(', ')}.`);
  }
  const workers = opts.workers ?? os.availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}.`);
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}.`);
  const flipTta = opts.flipTta ?? DEFAULT_FLIP_TTA;

  const model = await resolveModel(opts.modelPath ?? opts.model ?? DEFAULT_MODEL_ID, opts.layers, {
    inputSize: opts.inputSize,
    pixelRange: opts.pixelRange,
  });

  let executor: Executor;
  let backendName: string;
  let backendDetail: string;
  if (backend === 'onnx') {
    const onnx = await tryOnnxPool(model, { workers, flipTta });
    if (!onnx.pool) throw new Error(`The ONNX Runtime backend cannot run: ${onnx.reason}`);
    executor = poolExecutor(onnx.pool);
    ({ backend: backendName, backendDetail } = onnx.pool);
  } else if (backend === 'wasm' || backend === 'cpu') {
    const pool = await WorkerPool.start({ model, backend, workers, flipTta });
    executor = poolExecutor(pool);
    ({ backend: backendName, backendDetail } = pool);
  } else {
    const tf = require('@tensorflow/tfjs-core') as typeof tfc;
    let accelerated: BackendResult | undefined;
    let skipped: string[] = [];
    if (backend === 'auto') {
      ({ result: accelerated, skipped } = await tryAccelerated(tf));
    } else {
      accelerated = backend === 'webgpu' ? await setupWebgpu(tf) : await setupNative(tf, backend === 'tensorflow-gpu');
    }
    let inProcess: Executor | undefined;
    if (accelerated) {
      try {
        inProcess = await inProcessExecutor(tf, model, flipTta);
      } catch (e) {
        // An explicit choice reports the failure; 'auto' falls back to the WASM pool and says why.
        if (backend !== 'auto') throw e;
        skipped.push(`${accelerated.name}: the model failed to load (${(e as Error).message.split('\n')[0]})`);
      }
    }
    if (inProcess && accelerated) {
      executor = inProcess;
      backendName = accelerated.name;
      backendDetail = accelerated.detail;
    } else {
      // Only 'auto' gets here: ONNX Runtime when installed, else the WASM pool.
      const onnx = await tryOnnxPool(model, { workers, flipTta });
      if (!onnx.pool) skipped.push(onnx.reason);
      const pool = onnx.pool ?? (await WorkerPool.start({ model, backend: 'wasm', workers, flipTta }));
      executor = poolExecutor(pool);
      backendName = pool.backend;
      backendDetail = `${pool.backendDetail}; skipped: ${skipped.join('; ')}`;
    }
  }

  const size = model.spec.inputSize;
  const info = {
    id: model.spec.id,
    name: model.spec.name,
    dim: executor.dim,
    inputSize: size,
    key: flipTta ? `${model.key}|tta=flip` : model.key,
  };
  let disposed = false;
  return {
    model: info,
    backend: backendName,
    backendDetail,
    embed: async (images) => {
      if (disposed) throw new Error('The embedder has been disposed.');
      return embedAll(executor, images, size, batchSize);
    },
    dispose: async () => {
      disposed = true;
      await executor.dispose();
    },
  };
}

async function embedAll(executor: Executor, images: readonly Uint8Array[], size: number, batchSize: number): Promise<Float32Array[]> {
  const bytes = size * size * 3;
  images.forEach((img, i) => {
    if (!(img instanceof Uint8Array)) throw new Error(`Image ${i} is not a Uint8Array.`);
    if (img.length !== bytes) {
      throw new Error(`Image ${i} has ${img.length} bytes; expected ${size}×${size}×3 = ${bytes} (RGB uint8, resized to the model's input size).`);
    }
  });
  const n = images.length;
  if (n === 0) return [];
  // Small calls are split so every worker gets a share.
  const chunk = Math.max(1, Math.min(batchSize, Math.ceil(n / executor.parallelism)));
  const batches: Promise<Float32Array>[] = [];
  for (let start = 0; start < n; start += chunk) {
    const k = Math.min(chunk, n - start);
    const packed = new Uint8Array(k * bytes);
    for (let j = 0; j < k; j++) packed.set(images[start + j], j * bytes);
    batches.push(executor.run(packed, k));
  }
  const results = await Promise.all(batches);
  const dim = executor.dim;
  const out: Float32Array[] = [];
  for (const r of results) {
    for (let j = 0; j * dim < r.length; j++) out.push(r.slice(j * dim, (j + 1) * dim));
  }
  return out;
}

function poolExecutor(pool: WorkerPool): Executor {
  return {
    get parallelism() {
      return Math.max(1, pool.size);
    },
    dim: pool.dim,
    run: (pixels, n) => pool.run(pixels, n),
    dispose: () => pool.dispose(),
  };
}

async function inProcessExecutor(tf: typeof tfc, model: ResolvedModel, flipTta: boolean): Promise<Executor> {
  const runner = await FeatureRunner.create(tf, { model, flipTta });
  let chain: Promise<unknown> = Promise.resolve();
  return {
    parallelism: 1,
    dim: runner.dim,
    run: (pixels, n) => {
      const next = chain.then(() => runner.embedPacked(pixels, n));
      chain = next.catch(() => undefined);
      return next;
    },
    dispose: async () => {
      await chain;
      runner.dispose();
    },
  };
}
