/**
 * Two independent estimates of each image's class, and their combination:
 * out-of-fold classifier probabilities and the similarity-weighted vote of its nearest neighbours.
 */
import type { KnnGraph, Matrix, ProgressFn } from '../types';
import { CancelledError } from '../types';
import { crossValFit, rescoreAfterRelabel, type CrossValState } from './classifier';
import { buildKnnGraph } from '../numerics/knn';
import { knnPredictProbs } from './neighbours';

/** Weight of the classifier's probabilities against the kNN vote (measured in bench/quality). */
export const CLASSIFIER_WEIGHT = 0.5;

export interface ProbEstimates {
  /** N×K out-of-fold classifier probabilities. */
  readonly clfProbs: Float32Array;
  /** N×K kNN vote probabilities. */
  readonly knnProbs: Float32Array;
  /** N×K combined probabilities, rows sum to 1. */
  readonly probs: Float32Array;
  readonly graph: KnnGraph;
  /** Out-of-fold accuracy of the classifier against the given labels. */
  readonly cvAccuracy: number;
  /** The classifier's state, for a warm re-score after a relabel (absent when the user's probabilities replaced it). */
  readonly clfState?: CrossValState;
  readonly timings: { classify: number; knn: number };
}

/** Element-wise `w·a + (1−w)·b` of two N×K probability matrices. */
export function mixProbs(a: Float32Array, b: Float32Array, w: number): Float32Array {
  if (a.length !== b.length) throw new Error(`mixProbs: shapes differ (${a.length} vs ${b.length})`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = w * a[i] + (1 - w) * b[i];
  return out;
}

export async function estimateProbs(
  X: Matrix,
  labels: Int32Array,
  K: number,
  opts: {
    folds: number;
    seed: number;
    k: number;
    classifierWeight?: number;
    /** A kNN graph over the same rows of X, computed earlier (its k is used as is). */
    graph?: KnnGraph;
    /** Fold (0..folds−1) per row; default: the classifier's seeded stratified split. */
    foldOf?: Int32Array;
    /** The classifier state of an earlier run over the same rows (other labels allowed): refit warm, only the folds a relabel touched. */
    clfState?: CrossValState;
    /** Per row of X: the user's own model's probabilities (K), or null. Rows given here replace the classifier's. */
    userProbs?: readonly (Float32Array | null)[];
    onProgress?: ProgressFn;
    isCancelled?: () => boolean;
  },
): Promise<ProbEstimates> {
  const isCancelled = opts.isCancelled ?? (() => false);
  let t = Date.now();
  const user = opts.userProbs;
  const allUser = user !== undefined && user.length === X.rows && user.every((p) => p !== null);
  let state: CrossValState | undefined;
  if (!allUser) {
    const prev = opts.clfState;
    if (prev && prev.labels.length === X.rows && prev.K === K && prev.folds === Math.min(opts.folds, X.rows)) {
      const changed: number[] = [];
      for (let i = 0; i < X.rows; i++) if (prev.labels[i] !== labels[i]) changed.push(i);
      state = rescoreAfterRelabel(prev, changed, changed.map((i) => labels[i]));
    } else {
      state = crossValFit(X, labels, K, { folds: opts.folds, seed: opts.seed, foldOf: opts.foldOf, onProgress: opts.onProgress, isCancelled });
    }
  }
  const clf: { predProbs: Float32Array; cvAccuracy: number } = state
    ? { predProbs: new Float32Array(state.result.predProbs), cvAccuracy: state.result.cvAccuracy }
    : { predProbs: new Float32Array(X.rows * K), cvAccuracy: 0 };
  if (user) {
    let ok = 0;
    user.forEach((p, r) => {
      if (!p) return;
      clf.predProbs.set(p, r * K);
      let b = 0;
      for (let c = 1; c < K; c++) if (p[c] > p[b]) b = c;
      if (b === labels[r]) ok++;
    });
    if (allUser) clf.cvAccuracy = ok / Math.max(1, X.rows);
  }
  const classify = Date.now() - t;
  if (isCancelled()) throw new CancelledError();
  t = Date.now();
  const graph = opts.graph ?? (await buildKnnGraph(X, Math.min(opts.k, X.rows - 1), { onProgress: opts.onProgress, isCancelled }));
  const knn = Date.now() - t;
  const knnProbs = knnPredictProbs(graph, labels, K, {});
  const probs = mixProbs(clf.predProbs, knnProbs, opts.classifierWeight ?? CLASSIFIER_WEIGHT);
  return { clfProbs: clf.predProbs, knnProbs, probs, graph, cvAccuracy: clf.cvAccuracy, clfState: state, timings: { classify, knn } };
}
