/**
 * A pool of embedding worker threads (WASM/CPU backends are single-threaded in Node: one worker per core).
 * Batches wait in one queue; each idle worker takes the next one (work stealing), so a slow batch never
 * holds up the others. Pixel and result buffers are transferred, not copied.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { ResolvedModel } from './models/registry';
import type { PooledBackend } from './backend';
import type { FromWorker, ToWorker } from './protocol';

export interface PoolOptions {
  readonly model: ResolvedModel;
  readonly backend: PooledBackend;
  readonly workers: number;
  readonly flipTta: boolean;
  /** Compiled worker entry; defaults to worker.js next to this file. */
  readonly workerFile?: string;
}

interface Job {
  readonly id: number;
  readonly n: number;
  readonly pixels: Uint8Array;
  readonly resolve: (v: Float32Array) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  job?: Job;
  alive: boolean;
}

export class WorkerPool {
  private readonly queue: Job[] = [];
  private nextId = 1;
  private disposed = false;

  private constructor(
    private readonly slots: Slot[],
    readonly backend: string,
    readonly backendDetail: string,
    readonly dim: number,
  ) {
    for (const slot of slots) this.attach(slot);
  }

  /** Starts every worker and waits until each has loaded the model; any failure stops them all. */
  static async start(opts: PoolOptions): Promise<WorkerPool> {
    const file = opts.workerFile ?? path.join(__dirname, 'worker.js');
    const count = Math.max(1, Math.floor(opts.workers));
    const workers = Array.from({ length: count }, () => new Worker(file));
    try {
      const ready = await Promise.all(workers.map((w, i) => initWorker(w, i, opts)));
      const slots = workers.map((worker, index) => ({ index, worker, alive: true }));
      return new WorkerPool(slots, ready[0].backend, `${ready[0].backendDetail} × ${count} worker threads`, ready[0].dim);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
  }

  get size(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  /** Queues one packed batch (n×S×S×3 uint8; its buffer is transferred) and resolves with n×dim floats. */
  run(pixels: Uint8Array, n: number): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new Error('The embedder has been disposed.'));
    if (this.size === 0) return Promise.reject(new Error('Every embedding worker has stopped.'));
    return new Promise<Float32Array>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, n, pixels, resolve, reject });
      this.pump();
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const err = new Error('The embedder was disposed before this batch finished.');
    for (const job of this.queue.splice(0)) job.reject(err);
    for (const slot of this.slots) {
      slot.job?.reject(err);
      slot.job = undefined;
      slot.alive = false;
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.alive || slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      const msg: ToWorker = { type: 'embed', id: job.id, n: job.n, pixels: job.pixels };
      slot.worker.postMessage(msg, transferable(job.pixels));
    }
  }

  private attach(slot: Slot): void {
    slot.worker.on('message', (msg: FromWorker) => {
      const job = slot.job;
      if (!job || (msg.type !== 'result' && msg.type !== 'error') || msg.id !== job.id) return;
      slot.job = undefined;
      if (msg.type === 'result') job.resolve(msg.vectors);
      else job.reject(new Error(`Embedding worker ${slot.index} failed on a batch of ${job.n} images: ${msg.message}`));
      this.pump();
    });
    const die = (reason: string): void => {
      if (!slot.alive) return;
      slot.alive = false;
      const job = slot.job;
      slot.job = undefined;
      job?.reject(new Error(`Embedding worker ${slot.index} stopped (${reason}) during a batch of ${job.n} images.`));
      if (this.size === 0) {
        const err = new Error(`Every embedding worker has stopped; last: ${reason}.`);
        for (const queued of this.queue.splice(0)) queued.reject(err);
      } else {
        this.pump();
      }
    };
    slot.worker.on('error', (e) => die(e.message));
    slot.worker.on('exit', (code) => {
      if (!this.disposed) die(`exit code ${code}`);
    });
  }
}

function initWorker(worker: Worker, index: number, opts: PoolOptions): Promise<{ backend: string; backendDetail: string; dim: number }> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (msg: FromWorker): void => {
      cleanup();
      if (msg.type === 'ready') resolve(msg);
      else reject(new Error(msg.type === 'error' ? msg.message : `worker ${index}: unexpected '${msg.type}' during start-up`));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new Error(`Embedding worker ${index} failed to start: ${e.message}`));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`Embedding worker ${index} exited during start-up (code ${code}).`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const msg: ToWorker = { type: 'init', model: opts.model, backend: opts.backend, flipTta: opts.flipTta };
    worker.postMessage(msg);
  });
}

/** Transfer the buffer only when the array owns all of it (a Node Buffer may share a pooled slab). */
function transferable(a: Uint8Array): ArrayBuffer[] {
  const buf = a.buffer;
  return buf instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === buf.byteLength ? [buf] : [];
}
