/**
 * 2-D map of the dataset for the cluster view: UMAP over PCA-reduced embeddings, or a 2-D PCA for
 * sets too small for UMAP's neighbourhood graph.
 *
 * Two UMAP paths, same algorithm and constants:
 *  - with a precomputed kNN graph (the server's path): our typed-array port of umap-js 1.4.0's fuzzy
 *    graph + SGD layout (`runUmapFromKnn`), because umap-js's string-keyed sparse matrices took ~24 s
 *    of synchronous set-up and ~0.4 s CPU per epoch at 35k points; a, b come from umap-js's findABParams;
 *  - without one: umap-js itself (its seeded NN-descent + layout), stepped epoch by epoch.
 *
 * Input: X, N×d (row-major, d ≤ ~50, already PCA-reduced by the caller).
 * Output: x, y (N each) in [-1, 1], one common scale for both axes so distances keep their aspect.
 *
 * Determinism: all randomness comes from `makeRng(seed)`; the UMAP starting layout is the 2-D PCA
 * of X (like umap-learn's `init='pca'`), not umap-js's random start, which keeps far-apart clusters
 * far apart and makes few-epoch runs on large sets usable.
 */
import { UMAP } from 'umap-js';
import { findABParams } from 'umap-js/dist/umap';
import { CancelledError, makeRng } from '../types';
import type { IsCancelled, KnnGraph, Matrix, ProgressFn } from '../types';
import { buildKnnGraph } from './knn';
import { l2NormalizeRows } from './linalg';

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
/** Yield to the event loop after at most this much synchronous optimisation (ms) so a server stays responsive. */
const YIELD_EVERY_MS = 30;
/** umap-js's own random start spans [-10, 10]; the PCA start is scaled to the same box. */
const INIT_HALF_WIDTH = 10;
/** Power-iteration steps for the 2-D PCA; d ≤ 50 so this is cheap and converges well past float precision. */
const POWER_ITERATIONS = 100;

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

  const pca = pca2d(X);
  if (n < minPointsForUmap(nNeighbors) || (opts.knn !== undefined && opts.knn.k < 1)) {
    opts.onProgress?.('map', 1, 1);
    return { ...normalise(pca.x, pca.y), method: 'pca' };
  }
  const sampleSize = opts.subsampleSize ?? SUBSAMPLE_SIZE;
  if (opts.knn && n > (opts.subsampleAbove ?? SUBSAMPLE_ABOVE) && sampleSize >= minPointsForUmap(nNeighbors) && sampleSize < n) {
    const sub = await subsampledUmap(X, opts.knn, pca, sampleSize, nNeighbors, minDist, opts);
    return { ...normalise(sub.x, sub.y), method: 'umap' };
  }
  const emb = opts.knn
    ? await runUmapFromKnn(opts.knn, pca, nNeighbors, minDist, opts)
    : await runUmap(X, pca, nNeighbors, minDist, opts);
  return { ...normalise(emb.x, emb.y), method: 'umap' };
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
  const emb = await runUmapFromKnn(subGraph, init, nNeighbors, minDist, { ...opts, nEpochs: opts.nEpochs ?? EPOCHS_LARGE });
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

/** Edges processed between clock reads in the layout loop (~1 ms of work). */
const EDGES_PER_CLOCK_CHECK = 8192;
/** umap-js's constants for the per-point bandwidth search (src/umap.ts). */
const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;
const SIGMA_SEARCH_STEPS = 64;
/** UMAP defaults (umap-learn and umap-js): negative samples per positive, gradient clip, repulsion, learning rate. */
const NEGATIVE_SAMPLE_RATE = 5;
const GRAD_CLIP = 4;
const REPULSION = 1;
const LEARNING_RATE = 1;
/** Keeps the repulsive gradient finite at distance 0 (umap-learn's 0.001). */
const REPULSION_EPS = 0.001;

/**
 * UMAP from a precomputed kNN graph, on typed arrays. Same algorithm and constants as umap-js 1.4.0
 * (fuzzy simplicial set with local connectivity 1, fuzzy union, edge sampling by membership strength,
 * negative sampling, linearly decaying learning rate), minus its string-keyed sparse matrices and
 * number[][] rows, which made 35k points take ~24 s of synchronous set-up and ~0.4 s per epoch.
 * Randomness (negative samples only; the start is the PCA layout) comes from makeRng(seed).
 */
async function runUmapFromKnn(
  graph: KnnGraph,
  init: { x: Float32Array; y: Float32Array },
  nNeighbors: number,
  minDist: number,
  opts: MapOptions,
): Promise<{ x: Float32Array; y: Float32Array }> {
  const n = graph.n;
  const nEpochs = opts.nEpochs ?? defaultEpochs(n);
  const checkCancel = () => {
    if (opts.isCancelled?.()) throw new CancelledError();
  };
  checkCancel();
  const { head, tail, epochsPerSample } = fuzzyEdges(graph, nNeighbors, nEpochs);
  checkCancel();

  const { a, b } = findABParams(1, minDist);
  const rng = makeRng(opts.seed);
  const emb = new Float32Array(2 * n);
  const { x: ix, y: iy } = normalise(init.x, init.y);
  for (let i = 0; i < n; i++) {
    emb[2 * i] = ix[i] * INIT_HALF_WIDTH;
    emb[2 * i + 1] = iy[i] * INIT_HALF_WIDTH;
  }
  const m = head.length;
  const epochOfNextSample = Float64Array.from(epochsPerSample);
  const epochsPerNegSample = Float64Array.from(epochsPerSample, (e) => e / NEGATIVE_SAMPLE_RATE);
  const epochOfNextNegSample = Float64Array.from(epochsPerNegSample);
  const clip = (v: number) => (v > GRAD_CLIP ? GRAD_CLIP : v < -GRAD_CLIP ? -GRAD_CLIP : v);

  // Resumable loop: (epoch, e) survive yields, and the clock is read every EDGES_PER_CLOCK_CHECK
  // edges, so one long epoch on a large set cannot block the event loop either.
  let epoch = 0;
  let e = 0;
  while (epoch < nEpochs) {
    const started = Date.now();
    do {
      const alpha = LEARNING_RATE * (1 - epoch / nEpochs);
      const stop = Math.min(m, e + EDGES_PER_CLOCK_CHECK);
      for (; e < stop; e++) {
        if (epochOfNextSample[e] > epoch) continue;
        const j = head[e], k = tail[e];
        const jx = 2 * j, kx = 2 * k;
        let dx = emb[jx] - emb[kx], dy = emb[jx + 1] - emb[kx + 1];
        let d2 = dx * dx + dy * dy;
        if (d2 > 0) {
          const pw = Math.pow(d2, b);
          const coeff = (-2 * a * b * (pw / d2)) / (a * pw + 1);
          const gx = clip(coeff * dx) * alpha, gy = clip(coeff * dy) * alpha;
          emb[jx] += gx; emb[jx + 1] += gy;
          emb[kx] -= gx; emb[kx + 1] -= gy;
        }
        epochOfNextSample[e] += epochsPerSample[e];
        const nNeg = Math.floor((epoch - epochOfNextNegSample[e]) / epochsPerNegSample[e]);
        for (let p = 0; p < nNeg; p++) {
          const o = Math.floor(rng() * n);
          const ox = 2 * o;
          dx = emb[jx] - emb[ox]; dy = emb[jx + 1] - emb[ox + 1];
          d2 = dx * dx + dy * dy;
          if (d2 > 0) {
            const coeff = (2 * REPULSION * b) / ((REPULSION_EPS + d2) * (a * Math.pow(d2, b) + 1));
            emb[jx] += clip(coeff * dx) * alpha;
            emb[jx + 1] += clip(coeff * dy) * alpha;
          } else if (j !== o) {
            emb[jx] += GRAD_CLIP * alpha;
            emb[jx + 1] += GRAD_CLIP * alpha;
          }
        }
        if (nNeg > 0) epochOfNextNegSample[e] += nNeg * epochsPerNegSample[e];
      }
      if (e === m) {
        e = 0;
        epoch++;
      }
    } while (epoch < nEpochs && Date.now() - started < YIELD_EVERY_MS);
    opts.onProgress?.('map', epoch, nEpochs);
    await new Promise<void>((resolve) => setImmediate(resolve));
    checkCancel();
  }
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = emb[2 * i];
    y[i] = emb[2 * i + 1];
  }
  return { x, y };
}

/**
 * UMAP's fuzzy simplicial set from a kNN graph (self excluded; the first nNeighbors-1 neighbours are
 * used, as umap-learn counts the point itself as a neighbour), as a symmetric edge list (both
 * directions) with epochs-per-sample, edges weaker than max/nEpochs dropped.
 */
export function fuzzyEdges(graph: KnnGraph, nNeighbors: number, nEpochs: number): { head: Int32Array; tail: Int32Array; epochsPerSample: Float64Array } {
  const n = graph.n;
  const cols = Math.min(nNeighbors - 1, graph.k);
  const target = Math.log2(cols + 1);
  const dist = new Float64Array(cols);
  // Directed memberships, keyed i*n+j.
  const w = new Map<number, number>();
  let meanAll = -1;
  for (let i = 0; i < n; i++) {
    let cnt = 0, rho = 0, sum = 0;
    for (let c = 0; c < cols; c++) {
      const nb = graph.indices[i * graph.k + c];
      if (nb < 0 || nb === i) continue;
      const d = Math.max(0, 1 - graph.similarities[i * graph.k + c]);
      dist[cnt++] = d;
      sum += d;
      if (rho === 0 && d > 0) rho = d; // first non-zero distance: local connectivity 1
    }
    if (cnt === 0) continue;
    let lo = 0, hi = Infinity, sigma = 1;
    for (let it = 0; it < SIGMA_SEARCH_STEPS; it++) {
      let psum = 0;
      for (let c = 0; c < cnt; c++) {
        const dd = dist[c] - rho;
        psum += dd > 0 ? Math.exp(-dd / sigma) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) { hi = sigma; sigma = (lo + hi) / 2; }
      else { lo = sigma; sigma = hi === Infinity ? sigma * 2 : (lo + hi) / 2; }
    }
    if (rho > 0) {
      sigma = Math.max(sigma, MIN_K_DIST_SCALE * (sum / cnt));
    } else {
      if (meanAll < 0) meanAll = meanKnnDistance(graph, cols);
      sigma = Math.max(sigma, MIN_K_DIST_SCALE * meanAll);
    }
    let c = 0;
    for (let col = 0; col < cols; col++) {
      const nb = graph.indices[i * graph.k + col];
      if (nb < 0 || nb === i) continue;
      const dd = dist[c++] - rho;
      w.set(i * n + nb, dd <= 0 ? 1 : Math.exp(-dd / sigma));
    }
  }
  // Fuzzy union a + b - ab over both directions; each undirected edge emitted as (i,j) and (j,i).
  const hs: number[] = [], ts: number[] = [], ws: number[] = [];
  let wMax = 0;
  for (const [key, a] of w) {
    const i = Math.floor(key / n), j = key - i * n;
    const back = w.get(j * n + i);
    if (back !== undefined && j < i) continue; // the pair is emitted from its (min, max) side
    const v = back === undefined ? a : a + back - a * back;
    hs.push(i, j); ts.push(j, i); ws.push(v, v);
    if (v > wMax) wMax = v;
  }
  // Sort edges by (head, tail) so the result does not depend on Map insertion order.
  const order = Array.from(hs.keys()).filter((e) => ws[e] >= wMax / nEpochs).sort((p, q) => hs[p] - hs[q] || ts[p] - ts[q]);
  const head = Int32Array.from(order, (e) => hs[e]);
  const tail = Int32Array.from(order, (e) => ts[e]);
  const epochsPerSample = Float64Array.from(order, (e) => wMax / ws[e]);
  return { head, tail, epochsPerSample };
}

function meanKnnDistance(graph: KnnGraph, cols: number): number {
  let s = 0, c = 0;
  for (let i = 0; i < graph.n; i++) {
    for (let j = 0; j < cols; j++) {
      if (graph.indices[i * graph.k + j] < 0) continue;
      s += Math.max(0, 1 - graph.similarities[i * graph.k + j]);
      c++;
    }
  }
  return c > 0 ? s / c : 0;
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

  const nEpochs = opts.nEpochs ?? defaultEpochs(n);
  const umap = new UMAP({ nComponents: 2, nNeighbors, minDist, nEpochs, random: makeRng(opts.seed) });
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
