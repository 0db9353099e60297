/**
 * Messages between the embedder (main thread) and its worker threads. Declared once, typed both ways.
 */
import type { ResolvedModel } from './models/registry';
import type { PooledBackend } from './backend';

/** Main → worker, once: load the backend and the network. */
export interface InitMessage {
  readonly type: 'init';
  readonly model: ResolvedModel;
  readonly backend: PooledBackend;
  readonly flipTta: boolean;
}

/** Main → worker: embed `n` images packed as n×S×S×3 uint8 (the buffer is transferred). */
export interface EmbedMessage {
  readonly type: 'embed';
  readonly id: number;
  readonly n: number;
  readonly pixels: Uint8Array;
}

export type ToWorker = InitMessage | EmbedMessage;

/** Worker → main: init succeeded. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly backend: string;
  readonly backendDetail: string;
  readonly dim: number;
}

/** Worker → main: n×dim vectors for batch `id` (the buffer is transferred). */
export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly vectors: Float32Array;
}

/** Worker → main: init (`id` absent) or batch `id` failed. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly id?: number;
  readonly message: string;
}

export type FromWorker = ReadyMessage | ResultMessage | ErrorMessage;
