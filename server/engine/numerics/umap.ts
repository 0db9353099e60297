/**
 * UMAP layout from a precomputed kNN graph, on typed arrays: the engine's one UMAP. A port of umap-js 1.4.0
 * (same algorithm and constants), kept hand-written because umap-js's string-keyed sparse matrices took
 * ~24 s of synchronous set-up and ~0.4 s CPU per epoch at 35k points (bench/analyze.ts).
 */
import { findABParams } from 'umap-js/dist/umap';
import { CancelledError } from '../types';
import type { IsCancelled, KnnGraph, ProgressFn } from '../types';
import { makeRng } from './rng';

export interface UmapOptions {
  /** Neighbourhood size, self included (umap-learn's convention). */
  readonly nNeighbors: number;
  readonly minDist: number;
  readonly nEpochs: number;
  /** Seed of the negative sampling (the only randomness; the start is the caller's). */
  readonly seed: number;
  readonly onProgress?: ProgressFn;
  readonly isCancelled?: IsCancelled;
}

/** Yield to the event loop after at most this much synchronous optimisation (ms) so a server stays responsive. */
const YIELD_EVERY_MS = 30;
/** umap-js's own random start spans [-10, 10]; the caller's start (in [-1, 1]) is scaled to the same box. */
const INIT_HALF_WIDTH = 10;
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
export async function runUmapFromKnn(
  graph: KnnGraph,
  start: { x: Float32Array; y: Float32Array },
  opts: UmapOptions,
): Promise<{ x: Float32Array; y: Float32Array }> {
  const n = graph.n;
  const { nEpochs, nNeighbors, minDist } = opts;
  const checkCancel = () => {
    if (opts.isCancelled?.()) throw new CancelledError();
  };
  checkCancel();
  const { head, tail, epochsPerSample } = fuzzyEdges(graph, nNeighbors, nEpochs);
  checkCancel();

  const { a, b } = findABParams(1, minDist);
  const emb = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    emb[2 * i] = start.x[i] * INIT_HALF_WIDTH;
    emb[2 * i + 1] = start.y[i] * INIT_HALF_WIDTH;
  }
  const m = head.length;
  const epochsPerNegSample = Float64Array.from(epochsPerSample, (e) => e / NEGATIVE_SAMPLE_RATE);
  const sgd: Sgd = {
    emb, head, tail, a, b, n, rng: makeRng(opts.seed), epochsPerSample, epochsPerNegSample,
    epochOfNextSample: Float64Array.from(epochsPerSample), epochOfNextNegSample: Float64Array.from(epochsPerNegSample),
  };

  // Resumable loop: (epoch, e) survive yields, and the clock is read every EDGES_PER_CLOCK_CHECK
  // edges, so one long epoch on a large set cannot block the event loop either.
  let epoch = 0;
  let e = 0;
  while (epoch < nEpochs) {
    const started = Date.now();
    do {
      const alpha = LEARNING_RATE * (1 - epoch / nEpochs);
      const stop = Math.min(m, e + EDGES_PER_CLOCK_CHECK);
      sgdEdges(sgd, e, stop, epoch, alpha);
      e = stop;
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

/** The optimiser's state: 2-D positions (interleaved x, y), the sampled edges and when each is next due. */
interface Sgd {
  readonly emb: Float32Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly a: number;
  readonly b: number;
  readonly n: number;
  readonly rng: () => number;
  readonly epochsPerSample: Float64Array;
  readonly epochsPerNegSample: Float64Array;
  readonly epochOfNextSample: Float64Array;
  readonly epochOfNextNegSample: Float64Array;
}

function clip(v: number): number {
  return v > GRAD_CLIP ? GRAD_CLIP : v < -GRAD_CLIP ? -GRAD_CLIP : v;
}

/** One pass of attraction along the due edges in [from, to) and repulsion from negative samples (umap-js's optimizeLayoutStep). */
function sgdEdges(s: Sgd, from: number, to: number, epoch: number, alpha: number): void {
  const { emb, head, tail, a, b, n, rng, epochsPerSample, epochsPerNegSample, epochOfNextSample, epochOfNextNegSample } = s;
  for (let e = from; e < to; e++) {
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
}
