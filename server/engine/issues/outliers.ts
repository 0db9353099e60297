/**
 * Outliers: images far from every other image in embedding space.
 *
 * Raw measure: mean cosine distance (1 - similarity) to the k nearest neighbours.
 * Score: a robust z of that distance against the dataset's own distribution
 * (z = (d - median) / (1.4826 · MAD)), squashed by a logistic so that
 *   z = 0 (typical) → ≈ 0.05, z = 2 → 0.5, z = 4 → ≈ 0.95, z = 5 → ≈ 0.99.
 * Unlike a rank, this leaves a clean dataset with no high scores; unlike a fixed distance cut, it
 * adapts to how spread out a given embedding model is.
 * Shape: N scores in [0, 1], higher = more unusual.
 */
import type { Issue } from '../../../protocol/results';
import type { KnnGraph } from '../types';

/** Robust z at which the score is 0.5: two robust standard deviations above the median mean distance. */
export const OUTLIER_Z_CENTER = 2;
/** Logistic slope per unit of z: makes z = 0 score ≈ 0.05 and z = 4 score ≈ 0.95. */
const OUTLIER_Z_SLOPE = 1.5;
/** MAD → standard deviation for normal data. */
const MAD_TO_SD = 1.4826;
/** Mean absolute deviation → standard deviation for normal data (√(π/2)); fallback when MAD is 0. */
const MEANAD_TO_SD = 1.2533;
/** Spread (cosine distance units) below which the distances are treated as all equal (float32 noise). */
const MIN_SPREAD = 1e-6;
/** Default score above which `findOutliers` flags an image: logistic(1.5·(z-2)) = 0.9 ⇔ z ≈ 3.46. */
export const DEFAULT_OUTLIER_THRESHOLD = 0.9;

export interface OutlierScoreOptions {
  /** Neighbours to average over (the first k of each row); default and maximum: graph.k. */
  readonly k?: number;
}

/** N×1 mean cosine distance to the first k neighbours; 1 (orthogonal) for an image with no neighbours. */
export function getMeanKnnDistance(graph: KnnGraph, k: number = graph.k): Float32Array {
  const kk = Math.min(k, graph.k);
  const out = new Float32Array(graph.n);
  for (let i = 0; i < graph.n; i++) {
    let sum = 0;
    let cnt = 0;
    for (let j = 0; j < kk; j++) {
      if (graph.indices[i * graph.k + j] < 0) continue;
      sum += 1 - graph.similarities[i * graph.k + j];
      cnt++;
    }
    out[i] = cnt > 0 ? sum / cnt : 1;
  }
  return out;
}

/** N outlier scores in [0,1], higher = more unusual. See the module comment for the scale. */
export function outlierScores(graph: KnnGraph, opts: OutlierScoreOptions = {}): Float32Array {
  const k = opts.k ?? graph.k;
  if (!Number.isInteger(k) || k < 1) throw new Error(`outlierScores: k must be a positive integer, got ${k}`);
  if (graph.indices.length !== graph.n * graph.k || graph.similarities.length !== graph.n * graph.k) {
    throw new Error(`outlierScores: graph arrays must be n×k = ${graph.n * graph.k} long`);
  }
  return scoresFromDistances(getMeanKnnDistance(graph, k));
}

/** The private half of `outlierScores`: robust z → logistic, given precomputed mean kNN distances. */
export function scoresFromDistances(dist: Float32Array): Float32Array {
  const n = dist.length;
  const scores = new Float32Array(n);
  if (n === 0) return scores;
  const med = median(Float64Array.from(dist));
  const absDev = Float64Array.from(dist, (d) => Math.abs(d - med));
  let sd = MAD_TO_SD * median(absDev);
  if (!(sd > MIN_SPREAD)) {
    let s = 0;
    for (const v of absDev) s += v;
    sd = MEANAD_TO_SD * (s / n);
  }
  for (let i = 0; i < n; i++) {
    const z = sd > MIN_SPREAD ? (dist[i] - med) / sd : 0;
    scores[i] = 1 / (1 + Math.exp(-OUTLIER_Z_SLOPE * (z - OUTLIER_Z_CENTER)));
  }
  return scores;
}

/** Median of a copy-safe array (sorts it in place). */
function median(a: Float64Array): number {
  a.sort();
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

export interface FindOutlierOptions {
  /** Flag scores ≥ threshold. Default DEFAULT_OUTLIER_THRESHOLD when neither option is given. */
  readonly threshold?: number;
  /** Flag the images above this quantile of the scores, e.g. 0.99 → the most unusual 1%. */
  readonly quantile?: number;
}

/** Indices of outliers, most unusual first (ties by index). Give `threshold` or `quantile`, not both. */
export function findOutliers(scores: Float32Array, opts: FindOutlierOptions = {}): Int32Array {
  if (opts.threshold !== undefined && opts.quantile !== undefined) {
    throw new Error('findOutliers: give either threshold or quantile, not both');
  }
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  let count: number;
  if (opts.quantile !== undefined) {
    const q = opts.quantile;
    if (!(q >= 0 && q <= 1)) throw new Error(`findOutliers: quantile must be in [0, 1], got ${q}`);
    count = Math.floor(scores.length * (1 - q) + 1e-9);
  } else {
    const t = opts.threshold ?? DEFAULT_OUTLIER_THRESHOLD;
    if (!(t >= 0 && t <= 1)) throw new Error(`findOutliers: threshold must be in [0, 1], got ${t}`);
    count = 0;
    while (count < order.length && scores[order[count]] >= t) count++;
  }
  return Int32Array.from(order.slice(0, count));
}

export interface OutlierIssueInput {
  readonly scores: Float32Array;
  /** From `findOutliers`. */
  readonly indices: Int32Array;
  readonly paths: readonly string[];
  /** When given, messages name the closest image and its similarity. */
  readonly graph?: KnnGraph;
}

/** One 'outlier' issue per flagged index, e.g. "Unlike the rest of the dataset: more unusual than 99.8% of images (closest: a.png, similarity 0.41)". */
export function outlierIssues(input: OutlierIssueInput): Issue[] {
  const { scores, indices, paths, graph } = input;
  if (paths.length !== scores.length) throw new Error(`outlierIssues: ${paths.length} paths for ${scores.length} scores`);
  const n = scores.length;
  const sorted = Float32Array.from(scores).sort();
  return Array.from(indices, (i) => {
    // Share of other images with a strictly lower score.
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < scores[i]) lo = mid + 1;
      else hi = mid;
    }
    const pct = n > 1 ? (100 * lo) / (n - 1) : 0;
    let closest = '';
    if (graph && graph.k > 0) {
      const nb = graph.indices[i * graph.k];
      if (nb >= 0) closest = ` (closest image: ${paths[nb]}, similarity ${graph.similarities[i * graph.k].toFixed(2)})`;
      else closest = ' (no neighbours found)';
    }
    return {
      kind: 'outlier' as const,
      path: paths[i],
      score: Math.round(scores[i] * 1000) / 1000,
      message: `Unlike the rest of the dataset: more unusual than ${pct.toFixed(1)}% of images${closest}. Check it belongs here.`,
    };
  });
}
