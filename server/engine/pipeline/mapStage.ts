/**
 * The 2-D map stage: UMAP (or a 2-D PCA for small sets) over PCA-reduced embeddings.
 *
 * Deterministic and computed once per content: the layout is computed on the rows in a canonical order (by content
 * hash), so the same embeddings give the same layout whatever order the scan found the files in, and it is
 * remembered under `mapKey`, a sha256 of everything it depends on (the embeddings, their hashes, k, the seed, the
 * layout version). A re-run reuses, in this order: the long-lived process's memo, then the store (a file per
 * layout in the dataset's state folder, `store/mapCache.ts`), and computes only when neither has it.
 */
import { createHash } from 'node:crypto';
import type { KnnGraph, Matrix, ProgressFn, IsCancelled } from '../types';
import { pca } from '../numerics/linalg';
import { computeMap2d } from '../numerics/map';
import { permuteGraph } from '../numerics/knn';

/** The map is computed on this many PCA dimensions (UMAP's usual preprocessing). */
const MAP_PCA_DIMS = 50;
/** Bump when anything changes the layout of the same inputs (map.ts, umap.ts, the canonical order): old stored layouts then miss. */
export const MAP_LAYOUT_VERSION = 1;

/** One 2-D point per row and the method that placed them. */
export interface MapPoints {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly method: string;
}

/** Where the layout came from: the process's memo, the store, or computed now. */
export type MapSource = 'memo' | 'store' | 'computed';

/** Layouts kept between processes, by `mapKey`. Points are in the canonical row order. Never throws. */
export interface MapStore {
  /** The layout stored under `key`, when it has `n` points; null otherwise. Creates nothing. */
  get(key: string, n: number): MapPoints | null;
  put(key: string, points: MapPoints): void;
}

export interface MapStageOptions {
  readonly seed: number;
  /** Neighbours of the kNN graph (`settings.k`): the graph, and so the layout, depends on it. */
  readonly k: number;
  /** Per row: content hash (the canonical order and the key). */
  readonly rowHashes: readonly string[];
  /** The memo's layout for these rows (already in this run's order). */
  readonly remembered?: MapPoints;
  readonly store?: MapStore;
  readonly onProgress: ProgressFn;
  readonly isCancelled: IsCancelled;
}

/** Rows sorted by content hash (ties, i.e. identical files, by row): `order[canonical] = row`. */
export function canonicalOrder(hashes: readonly string[]): Int32Array {
  return Int32Array.from(hashes.keys()).sort((a, b) => (hashes[a] < hashes[b] ? -1 : hashes[a] > hashes[b] ? 1 : a - b));
}

/** sha256 (hex) of everything the layout depends on, rows in canonical order. */
export function mapKey(X: Matrix, hashes: readonly string[], order: Int32Array, params: { seed: number; k: number }): string {
  const h = createHash('sha256');
  h.update(`labellint-map v${MAP_LAYOUT_VERSION} pca=${MAP_PCA_DIMS} seed=${params.seed} k=${params.k} rows=${X.rows} cols=${X.cols}\n`);
  const bytes = new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength);
  const rowBytes = X.cols * 4;
  for (const r of order) {
    h.update(`${hashes[r]}\n`);
    h.update(bytes.subarray(r * rowBytes, (r + 1) * rowBytes));
  }
  return h.digest('hex');
}

function permuteRows(X: Matrix, order: Int32Array): Matrix {
  const d = X.cols;
  const data = new Float32Array(X.data.length);
  order.forEach((r, c) => data.set(X.data.subarray(r * d, (r + 1) * d), c * d));
  return { rows: X.rows, cols: d, data };
}

/** Points in canonical order back to row order. */
function toRows(p: MapPoints, order: Int32Array): MapPoints {
  const x = new Float32Array(order.length);
  const y = new Float32Array(order.length);
  order.forEach((r, c) => {
    x[r] = p.x[c];
    y[r] = p.y[c];
  });
  return { x, y, method: p.method };
}

export async function mapStage(X: Matrix, graph: KnnGraph, opts: MapStageOptions): Promise<MapPoints & { readonly source: MapSource }> {
  if (opts.remembered) return { ...opts.remembered, source: 'memo' };
  if (opts.rowHashes.length !== X.rows) throw new Error(`mapStage: ${opts.rowHashes.length} row hashes for ${X.rows} rows`);
  const order = canonicalOrder(opts.rowHashes);
  const key = mapKey(X, opts.rowHashes, order, opts);
  const stored = opts.store?.get(key, X.rows);
  if (stored) {
    opts.onProgress('map', 1, 1);
    return { ...toRows(stored, order), source: 'store' };
  }
  const Xc = permuteRows(X, order);
  const m = Xc.rows;
  const reduced = Xc.cols > MAP_PCA_DIMS && m > MAP_PCA_DIMS ? pca(Xc, MAP_PCA_DIMS, { seed: opts.seed }).projected : Xc;
  const points = await computeMap2d(reduced, { seed: opts.seed, knn: permuteGraph(graph, order), onProgress: opts.onProgress, isCancelled: opts.isCancelled });
  opts.store?.put(key, points);
  return { ...toRows(points, order), source: 'computed' };
}
