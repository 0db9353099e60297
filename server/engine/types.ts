/**
 * Engine-internal shared shapes. Matrices are row-major typed arrays with their shape noted.
 */
import type { Phase } from '../../protocol/progress';

/** A dense row-major float matrix: `data.length === rows * cols`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/**
 * A k-nearest-neighbour graph under cosine similarity, self excluded.
 * `indices`: N×k neighbour indices (row i = neighbours of i, most similar first), -1 where fewer than k exist.
 * `similarities`: N×k cosine similarities matching `indices`.
 */
export interface KnnGraph {
  readonly n: number;
  readonly k: number;
  readonly indices: Int32Array;
  readonly similarities: Float32Array;
}

/** Progress callback for long loops: `done` of `total` units of `phase`. Return nothing. */
export type ProgressFn = (phase: Phase, done: number, total: number) => void;

/** A cancellation check; long loops call it between blocks and stop with `CancelledError` when it returns true. */
export type IsCancelled = () => boolean;

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}
