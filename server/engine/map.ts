/**
 * 2-D map of the dataset for the cluster view: UMAP (umap-js) over PCA-reduced embeddings,
 * or a 2-D PCA for sets too small for UMAP's neighbourhood graph.
 *
 * Input: X, N×d (row-major, d ≤ ~50, already PCA-reduced by the caller).
 * Output: x, y (N each) in [-1, 1], one common scale for both axes so distances keep their aspect.
 *
 * Determinism: all randomness comes from `makeRng(seed)`; the UMAP starting layout is the 2-D PCA
 * of X (like umap-learn's `init='pca'`), not umap-js's random start, which keeps far-apart clusters
 * far apart and makes few-epoch runs on large sets usable.
 */
import { UMAP } from 'umap-js';
import { CancelledError, makeRng } from './types';
import type { IsCancelled, KnnGraph, Matrix, ProgressFn } from './types';

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
  /** A precomputed cosine kNN graph over the same N rows (self excluded); skips umap-js's own neighbour search. */
  readonly knn?: KnnGraph;
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
 * 200 up to 10k points, 120 above (35k×50 on 2 cores: see the timing note in the report / bench).
 */
export const EPOCHS_SMALL = 500; // N ≤ 2,500
export const EPOCHS_MEDIUM = 300; // N ≤ 10,000
export const EPOCHS_LARGE = 120; // N > 10,000
/** Points below 2·nNeighbors + 2 give UMAP too little graph to work with; we show a PCA instead. */
export function minPointsForUmap(nNeighbors: number): number {
  return 2 * nNeighbors + 2;
}
/** Yield to the event loop after at most this much synchronous optimisation (ms) so a server stays responsive. */
const YIELD_EVERY_MS = 30;
/** umap-js's own random start spans [-10, 10]; the PCA start is scaled to the same box. */
const INIT_HALF_WIDTH = 10;
/** Power-iteration steps for the 2-D PCA; d ≤ 50 so this is cheap and converges well past float precision. */
const POWER_ITERATIONS = 100;

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

  const pca = pca2d(X);
  if (n < minPointsForUmap(nNeighbors) || (opts.knn !== undefined && opts.knn.k < 1)) {
    opts.onProgress?.('map', 1, 1);
    return { ...normalise(pca.x, pca.y), method: 'pca' };
  }
  const emb = await runUmap(X, pca, nNeighbors, minDist, opts);
  return { ...normalise(emb.x, emb.y), method: 'umap' };
}

async function runUmap(
  X: Matrix,
  init: { x: Float32Array; y: Float32Array },
  nNeighbors: number,
  minDist: number,
  opts: MapOptions,
): Promise<{ x: Float32Array; y: Float32Array }> {
  const n = X.rows;
  const d = X.cols;
  const checkCancel = () => {
    if (opts.isCancelled?.()) throw new CancelledError();
  };
  checkCancel();

  // umap-js wants number[][]; this copy is the price of using it.
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from(X.data.subarray(i * d, (i + 1) * d));

  let effNeighbors = nNeighbors;
  const nEpochs = opts.nEpochs ?? defaultEpochs(n);
  let umap: UMAP;
  if (opts.knn) {
    const pre = toUmapKnn(opts.knn, nNeighbors);
    effNeighbors = pre.nNeighbors;
    umap = new UMAP({ nComponents: 2, nNeighbors: effNeighbors, minDist, nEpochs, random: makeRng(opts.seed) });
    umap.setPrecomputedKNN(pre.indices, pre.distances);
  } else {
    umap = new UMAP({ nComponents: 2, nNeighbors: effNeighbors, minDist, nEpochs, random: makeRng(opts.seed) });
  }
  // Builds the fuzzy graph (synchronous; O(N·k) map operations inside umap-js).
  const total = umap.initializeFit(rows);
  checkCancel();

  // Replace umap-js's random start with the PCA start, in place: getEmbedding() returns the array
  // the optimiser works on (umap-js 1.4.0). Guarded so a different umap-js fails loudly, not silently.
  const embedding = umap.getEmbedding();
  if (embedding.length !== n || (n > 0 && embedding[0].length !== 2)) {
    throw new Error('computeMap2d: unexpected umap-js embedding shape; PCA initialisation needs umap-js 1.4.x');
  }
  const { x: ix, y: iy } = normalise(init.x, init.y);
  for (let i = 0; i < n; i++) {
    embedding[i][0] = ix[i] * INIT_HALF_WIDTH;
    embedding[i][1] = iy[i] * INIT_HALF_WIDTH;
  }

  let epoch = 0;
  while (epoch < total) {
    const started = Date.now();
    do {
      epoch = umap.step();
    } while (epoch < total && Date.now() - started < YIELD_EVERY_MS);
    opts.onProgress?.('map', epoch, total);
    await new Promise<void>((resolve) => setImmediate(resolve));
    checkCancel();
  }

  const out = umap.getEmbedding();
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = out[i][0];
    y[i] = out[i][1];
  }
  return { x, y };
}

/**
 * Convert our KnnGraph (self excluded, cosine similarity) into umap-js's precomputed form:
 * self first at distance 0 (umap-js, like umap-learn, skips column 0 when calibrating sigmas),
 * then the nearest `nNeighbors - 1` neighbours at cosine distance 1 - similarity.
 * Missing neighbours (-1) keep index -1, which umap-js skips, at distance 0 (so its search graph ignores them).
 */
function toUmapKnn(graph: KnnGraph, nNeighbors: number): { indices: number[][]; distances: number[][]; nNeighbors: number } {
  const cols = Math.min(nNeighbors - 1, graph.k);
  const indices: number[][] = new Array(graph.n);
  const distances: number[][] = new Array(graph.n);
  for (let i = 0; i < graph.n; i++) {
    const idx = new Array<number>(cols + 1);
    const dist = new Array<number>(cols + 1);
    idx[0] = i;
    dist[0] = 0;
    for (let j = 0; j < cols; j++) {
      const nb = graph.indices[i * graph.k + j];
      idx[j + 1] = nb;
      dist[j + 1] = nb < 0 ? 0 : Math.max(0, 1 - graph.similarities[i * graph.k + j]);
    }
    indices[i] = idx;
    distances[i] = dist;
  }
  return { indices, distances, nNeighbors: cols + 1 };
}

/**
 * Projection of the centred rows of X onto its first two principal axes (power iteration with
 * deflation on the d×d covariance). Signs are fixed so the largest-magnitude loading is positive,
 * which makes the result independent of iteration start. Columns beyond the data's rank give zeros.
 */
export function pca2d(X: Matrix): { x: Float32Array; y: Float32Array } {
  const n = X.rows;
  const d = X.cols;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  if (n === 0 || d === 0) return { x, y };
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += X.data[i * d + c];
  for (let c = 0; c < d; c++) mean[c] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) row[c] = X.data[i * d + c] - mean[c];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a];

  const axes: Float64Array[] = [];
  for (let comp = 0; comp < 2 && comp < d; comp++) {
    const v = powerIteration(cov, d, axes);
    axes.push(v);
  }
  const outs = [x, y];
  for (let comp = 0; comp < axes.length; comp++) {
    const v = axes[comp];
    const out = outs[comp];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (X.data[i * d + c] - mean[c]) * v[c];
      out[i] = s;
    }
  }
  return { x, y };
}

/** Leading eigenvector of symmetric `cov` (d×d) orthogonal to `found`; zero vector when none remains. */
function powerIteration(cov: Float64Array, d: number, found: readonly Float64Array[]): Float64Array {
  // Deterministic start that is unlikely to be orthogonal to the answer.
  let v = new Float64Array(d);
  for (let c = 0; c < d; c++) v[c] = 1 + c / d;
  orthogonalise(v, found);
  if (!normaliseVec(v)) return new Float64Array(d);
  const w = new Float64Array(d);
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += cov[a * d + b] * v[b];
      w[a] = s;
    }
    orthogonalise(w, found);
    if (!normaliseVec(w)) return new Float64Array(d);
    const tmp = v;
    v = Float64Array.from(w);
    w.set(tmp);
  }
  let big = 0;
  for (let c = 1; c < d; c++) if (Math.abs(v[c]) > Math.abs(v[big])) big = c;
  if (v[big] < 0) for (let c = 0; c < d; c++) v[c] = -v[c];
  return v;
}

function orthogonalise(v: Float64Array, basis: readonly Float64Array[]): void {
  for (const u of basis) {
    let dot = 0;
    for (let c = 0; c < v.length; c++) dot += v[c] * u[c];
    for (let c = 0; c < v.length; c++) v[c] -= dot * u[c];
  }
}

/** Relative norm below which a vector is treated as zero (rank exhausted), in float64. */
const ZERO_NORM = 1e-12;

function normaliseVec(v: Float64Array): boolean {
  let s = 0;
  for (let c = 0; c < v.length; c++) s += v[c] * v[c];
  const norm = Math.sqrt(s);
  if (!(norm > ZERO_NORM)) return false;
  for (let c = 0; c < v.length; c++) v[c] /= norm;
  return true;
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
