/**
 * 2-D map of the dataset for the cluster view: UMAP over PCA-reduced embeddings, or a 2-D PCA for
 * sets too small for UMAP's neighbourhood graph.
 *
 * One UMAP path: our typed-array port of umap-js 1.4.0's fuzzy graph + SGD layout (`runUmapFromKnn`) over a
 * cosine kNN graph — the caller's (the pipeline passes the one the label stage built) or one built here.
 * Kept hand-written because umap-js's string-keyed sparse matrices took ~24 s of synchronous set-up and
 * ~0.4 s CPU per epoch at 35k points; a, b come from umap-js's findABParams.
 *
 * Input: X, N×d (row-major, d ≤ ~50, already PCA-reduced by the caller).
 * Output: x, y (N each) in [-1, 1], one common scale for both axes so distances keep their aspect.
 *
 * Determinism: all randomness comes from `makeRng(seed)`; the UMAP starting layout is the 2-D PCA
 * of X (like umap-learn's `init='pca'`), not umap-js's random start, which keeps far-apart clusters
 * far apart and makes few-epoch runs on large sets usable.
 */
import { CancelledError } from '../types';
import { makeRng } from './rng';
import type { IsCancelled, KnnGraph, Matrix, ProgressFn } from '../types';
import { buildKnnGraph } from './knn';
import { runUmapFromKnn } from './umap';
import { l2NormalizeRows, pca } from './linalg';

export type MapMethod = 'umap' | 'pca';

export interface Map2d {
  /** N, in [-1, 1]. */
  readonly x: Float32Array;
  /** N, in [-1, 1]. */
  readonly y: Float32Array;
  readonly method: MapMethod;
}

export interface MapOptions {
  /** Seed for every random choice UMAP makes. */
  readonly seed: number;
  /** UMAP neighbourhood size, self included (umap-learn's convention). Default 15. */
  readonly nNeighbors?: number;
  /** UMAP minimum distance between embedded points. Default 0.1. */
  readonly minDist?: number;
  /** Optimisation epochs; default depends on N (see `defaultEpochs`). */
  readonly nEpochs?: number;
  /** A precomputed cosine kNN graph over the same N rows (self excluded); default: an exact cosine graph built here. */
  readonly knn?: KnnGraph;
  /**
   * With a precomputed graph and more rows than this, UMAP runs on a seeded sample of `subsampleSize` rows and
   * the rest are placed from their graph neighbours (see `placeFromNeighbours`). Default SUBSAMPLE_ABOVE.
   */
  readonly subsampleAbove?: number;
  /** Sample size for the subsampled path. Default SUBSAMPLE_SIZE. */
  readonly subsampleSize?: number;
  /** Called with phase 'map' after each yielded block of epochs. */
  readonly onProgress?: ProgressFn;
  /** Checked between blocks of epochs; when it returns true, computeMap2d rejects with CancelledError. */
  readonly isCancelled?: IsCancelled;
}

export const DEFAULT_N_NEIGHBORS = 15;
export const DEFAULT_MIN_DIST = 0.1;
/**
 * Epoch schedule. umap-js uses 500 for N ≤ 2.5k down to 200 above 7.5k; with a PCA start the layout
 * is settled long before that on large sets, and each epoch costs O(N·k), so we cap large sets:
 * 300 up to 10k points, 120 above (35k points, k=15: ~0.3 s CPU per epoch on the 2-core dev box).
 */
export const EPOCHS_SMALL = 500; // N ≤ 2,500
export const EPOCHS_MEDIUM = 300; // N ≤ 10,000
export const EPOCHS_LARGE = 120; // N > 10,000
/** Points below 2·nNeighbors + 2 give UMAP too little graph to work with; we show a PCA instead. */
export function minPointsForUmap(nNeighbors: number): number {
  return 2 * nNeighbors + 2;
}

/**
 * Subsampled UMAP for large sets (bench/analyze.ts, 35k synthetic points in 7 classes): UMAP on 10k sampled rows +
 * neighbour placement keeps the same-class nearest-2-D-neighbour rate of the full run at a fraction of the time.
 */
export const SUBSAMPLE_ABOVE = 12000;
export const SUBSAMPLE_SIZE = 10000;
/** Placed points get a seeded uniform jitter of this share of the layout's half-width, so ties do not stack. */
const PLACEMENT_JITTER = 0.003;
/** Weight floor for placement, as NEIGHBOUR_WEIGHT_FLOOR in ./neighbours: orthogonal neighbours still count a little. */
const PLACEMENT_WEIGHT_FLOOR = 1e-6;

export function defaultEpochs(n: number): number {
  if (n <= 2500) return EPOCHS_SMALL;
  if (n <= 10000) return EPOCHS_MEDIUM;
  return EPOCHS_LARGE;
}

/** Compute the 2-D map. Rejects with CancelledError when `isCancelled` turns true. */
export async function computeMap2d(X: Matrix, opts: MapOptions): Promise<Map2d> {
  const n = X.rows;
  if (X.data.length !== X.rows * X.cols) {
    throw new Error(`computeMap2d: X.data has ${X.data.length} values, expected rows×cols = ${X.rows * X.cols}`);
  }
  const nNeighbors = opts.nNeighbors ?? DEFAULT_N_NEIGHBORS;
  const minDist = opts.minDist ?? DEFAULT_MIN_DIST;
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2) throw new Error(`computeMap2d: nNeighbors must be an integer ≥ 2, got ${nNeighbors}`);
  if (!(minDist >= 0)) throw new Error(`computeMap2d: minDist must be ≥ 0, got ${minDist}`);
  if (opts.knn && opts.knn.n !== n) throw new Error(`computeMap2d: knn has ${opts.knn.n} rows, X has ${n}`);
  if (opts.nEpochs !== undefined && !(Number.isInteger(opts.nEpochs) && opts.nEpochs >= 1)) {
    throw new Error(`computeMap2d: nEpochs must be a positive integer, got ${opts.nEpochs}`);
  }

  const init = pca2d(X, opts.seed);
  if (n < minPointsForUmap(nNeighbors) || (opts.knn !== undefined && opts.knn.k < 1)) {
    opts.onProgress?.('map', 1, 1);
    return { ...normalise(init.x, init.y), method: 'pca' };
  }
  const knn = opts.knn ?? (await cosineGraph(X, nNeighbors, opts.isCancelled));
  const sampleSize = opts.subsampleSize ?? SUBSAMPLE_SIZE;
  if (n > (opts.subsampleAbove ?? SUBSAMPLE_ABOVE) && sampleSize >= minPointsForUmap(nNeighbors) && sampleSize < n) {
    const sub = await subsampledUmap(X, knn, init, sampleSize, nNeighbors, minDist, opts);
    return { ...normalise(sub.x, sub.y), method: 'umap' };
  }
  const emb = await runUmapFromKnn(knn, normalise(init.x, init.y), { ...opts, nNeighbors, minDist, nEpochs: opts.nEpochs ?? defaultEpochs(n) });
  return { ...normalise(emb.x, emb.y), method: 'umap' };
}

/** The cosine kNN graph UMAP needs (`nNeighbors` counts self, the graph does not), when the caller has none. */
async function cosineGraph(X: Matrix, nNeighbors: number, isCancelled: IsCancelled | undefined): Promise<KnnGraph> {
  const unit = l2NormalizeRows(X);
  return buildKnnGraph(unit, Math.min(nNeighbors - 1, X.rows - 1), { searchDims: 0, isCancelled });
}

/**
 * UMAP on a seeded sample of `m` rows (its own cosine kNN graph, built in worker threads), then every other row
 * is placed by `placeFromNeighbours` using the full graph.
 */
async function subsampledUmap(
  X: Matrix, graph: KnnGraph, pca: { x: Float32Array; y: Float32Array }, m: number, nNeighbors: number, minDist: number, opts: MapOptions,
): Promise<{ x: Float32Array; y: Float32Array }> {
  const n = X.rows, d = X.cols;
  const rng = makeRng(opts.seed ^ 0x5eed);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
  }
  const sample = perm.slice(0, m).sort();
  const Xs = new Float32Array(m * d);
  sample.forEach((src, r) => Xs.set(X.data.subarray(src * d, (src + 1) * d), r * d));
  const sub = l2NormalizeRows({ rows: m, cols: d, data: Xs }, true);
  const subGraph = await buildKnnGraph(sub, Math.min(nNeighbors - 1, m - 1), { searchDims: 0, isCancelled: opts.isCancelled });
  if (opts.isCancelled?.()) throw new CancelledError();
  const init = { x: Float32Array.from(sample, (i) => pca.x[i]), y: Float32Array.from(sample, (i) => pca.y[i]) };
  const emb = await runUmapFromKnn(subGraph, normalise(init.x, init.y), { ...opts, nNeighbors, minDist, nEpochs: opts.nEpochs ?? EPOCHS_LARGE });
  const x = new Float32Array(n).fill(NaN), y = new Float32Array(n).fill(NaN);
  sample.forEach((i, r) => { x[i] = emb.x[r]; y[i] = emb.y[r]; });
  placeFromNeighbours(graph, x, y, makeRng(opts.seed ^ 0x7177e5));
  return { x, y };
}

/**
 * Fills NaN entries of (x, y) in place: each unplaced row goes to the similarity-weighted mean (weights
 * max(sim, 0) + PLACEMENT_WEIGHT_FLOOR) of its already-placed graph neighbours, plus a seeded jitter of
 * PLACEMENT_JITTER of the placed layout's half-width. Rows with no placed neighbour wait for a later pass (their
 * neighbours may get placed); rows still unplaced after that go to the placed layout's centre.
 */
export function placeFromNeighbours(graph: KnnGraph, x: Float32Array, y: Float32Array, rng: () => number): void {
  const { n, k, indices, similarities } = graph;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i])) continue;
    minX = Math.min(minX, x[i]); maxX = Math.max(maxX, x[i]); minY = Math.min(minY, y[i]); maxY = Math.max(maxY, y[i]);
  }
  if (!Number.isFinite(minX)) { x.fill(0); y.fill(0); return; }
  const jitter = PLACEMENT_JITTER * Math.max(maxX - minX, maxY - minY) / 2;
  let pending = Int32Array.from({ length: n }, (_, i) => i).filter((i) => Number.isNaN(x[i]));
  while (pending.length > 0) {
    const placed: number[] = [], px: number[] = [], py: number[] = [], still: number[] = [];
    for (const i of pending) {
      let sx = 0, sy = 0, sw = 0;
      for (let c = 0; c < k; c++) {
        const j = indices[i * k + c];
        if (j < 0 || Number.isNaN(x[j])) continue;
        const w = Math.max(similarities[i * k + c], 0) + PLACEMENT_WEIGHT_FLOOR;
        sx += w * x[j]; sy += w * y[j]; sw += w;
      }
      if (sw > 0) { placed.push(i); px.push(sx / sw); py.push(sy / sw); } else still.push(i);
    }
    // Commit after the pass so a row's position does not depend on the order rows are visited within it.
    placed.forEach((i, r) => {
      x[i] = px[r] + (2 * rng() - 1) * jitter;
      y[i] = py[r] + (2 * rng() - 1) * jitter;
    });
    if (placed.length === 0) {
      for (const i of still) { x[i] = (minX + maxX) / 2 + (2 * rng() - 1) * jitter; y[i] = (minY + maxY) / 2 + (2 * rng() - 1) * jitter; }
      break;
    }
    pending = Int32Array.from(still);
  }
}

/**
 * Projection of the centred rows of X onto its first two principal axes (the engine's one PCA, `linalg.pca`,
 * fitted on all rows). Signs are fixed so each axis's largest-magnitude loading is positive, which makes the
 * result independent of the random start. Columns beyond the data's rank give zeros.
 */
export function pca2d(X: Matrix, seed = 0): { x: Float32Array; y: Float32Array } {
  const n = X.rows;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  if (n === 0 || X.cols === 0) return { x, y };
  const { components, projected } = pca(X, 2, { seed, maxFitRows: n });
  const D = components.cols;
  const outs = [x, y];
  for (let c = 0; c < components.rows; c++) {
    let big = 0;
    for (let t = 1; t < D; t++) if (Math.abs(components.data[c * D + t]) > Math.abs(components.data[c * D + big])) big = t;
    const sign = components.data[c * D + big] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) outs[c][i] = sign * projected.data[i * projected.cols + c];
  }
  return { x, y };
}

/**
 * Centre on the bounding box and divide both axes by the same half-width, so the longer side spans
 * exactly [-1, 1] and the shorter stays inside it. Non-finite inputs map to 0. A set with no spread maps to 0.
 */
export function normalise(xIn: ArrayLike<number>, yIn: ArrayLike<number>): { x: Float32Array; y: Float32Array } {
  const n = xIn.length;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const a = xIn[i], b = yIn[i];
    if (Number.isFinite(a)) { if (a < minX) minX = a; if (a > maxX) maxX = a; }
    if (Number.isFinite(b)) { if (b < minY) minY = b; if (b > maxY) maxY = b; }
  }
  const cx = Number.isFinite(minX) ? (minX + maxX) / 2 : 0;
  const cy = Number.isFinite(minY) ? (minY + maxY) / 2 : 0;
  const half = Math.max(Number.isFinite(minX) ? (maxX - minX) / 2 : 0, Number.isFinite(minY) ? (maxY - minY) / 2 : 0);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  if (!(half > 0)) return { x, y };
  for (let i = 0; i < n; i++) {
    const a = xIn[i], b = yIn[i];
    x[i] = Number.isFinite(a) ? clamp1((a - cx) / half) : 0;
    y[i] = Number.isFinite(b) ? clamp1((b - cy) / half) : 0;
  }
  return { x, y };
}

/** Float32 rounding can push an extreme just past ±1. */
function clamp1(v: number): number {
  return v > 1 ? 1 : v < -1 ? -1 : v;
}
