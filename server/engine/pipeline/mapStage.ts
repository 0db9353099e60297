/** The 2-D map stage: UMAP (or a 2-D PCA for small sets) over PCA-reduced embeddings, reused from the memo when the images are the same. */
import type { KnnGraph, Matrix, ProgressFn, IsCancelled } from '../types';
import { pca } from '../numerics/linalg';
import { computeMap2d } from '../numerics/map';

/** The map is computed on this many PCA dimensions (UMAP's usual preprocessing). */
const MAP_PCA_DIMS = 50;

/** One 2-D point per row and the method that placed them. */
export interface MapPoints {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly method: string;
}

export async function mapStage(
  X: Matrix,
  graph: KnnGraph,
  opts: { seed: number; remembered?: MapPoints; onProgress: ProgressFn; isCancelled: IsCancelled },
): Promise<MapPoints> {
  if (opts.remembered) return opts.remembered;
  const m = X.rows;
  const reduced = X.cols > MAP_PCA_DIMS && m > MAP_PCA_DIMS ? pca(X, MAP_PCA_DIMS, { seed: opts.seed }).projected : X;
  return computeMap2d(reduced, { seed: opts.seed, knn: graph, onProgress: opts.onProgress, isCancelled: opts.isCancelled });
}
