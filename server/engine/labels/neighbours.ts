/**
 * Label evidence from a cosine kNN graph, and its combination with the classifier's out-of-fold probabilities.
 * All per-example scores here are in [0, 1], lower = more likely mislabelled.
 */
import { KnnGraph } from '../types';

/** Added to every neighbour weight max(sim, 0) so all-orthogonal neighbourhoods fall back to an unweighted vote. */
export const NEIGHBOUR_WEIGHT_FLOOR = 1e-6;
/** Laplace pseudo-count per class for `knnPredictProbs`, in units of similarity weight (k neighbours give ≤ k). */
export const DEFAULT_KNN_SMOOTHING = 0.1;
/** Weight of the classifier in `combinePredProbs` / `combineLabelQuality`; from bench/analyze.ts (AUROC sweep). */
export const DEFAULT_CLASSIFIER_WEIGHT = 0.5;

function checkLabels(graph: KnnGraph, labels: Int32Array, K: number): void {
  if (labels.length !== graph.n) throw new Error(`labels.length ${labels.length} != graph.n ${graph.n}`);
  if (!Number.isInteger(K) || K < 1) throw new Error(`K must be a positive integer, got ${K}`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] >= K) throw new Error(`label ${labels[i]} at row ${i} out of range 0..${K - 1}`);
  }
}

/**
 * Similarity-weighted share of each example's neighbours that carry its given label (N, in [0, 1]).
 * Weights are max(similarity, 0) + NEIGHBOUR_WEIGHT_FLOOR; an example with no neighbours gets 1/K (no evidence).
 */
export function neighbourAgreement(graph: KnnGraph, labels: Int32Array, K: number): Float32Array {
  checkLabels(graph, labels, K);
  const { n, k, indices, similarities } = graph;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let same = 0, total = 0;
    for (let c = 0; c < k; c++) {
      const j = indices[i * k + c];
      if (j < 0) continue;
      const w = Math.max(similarities[i * k + c], 0) + NEIGHBOUR_WEIGHT_FLOOR;
      total += w;
      if (labels[j] === labels[i]) same += w;
    }
    out[i] = total > 0 ? same / total : 1 / K;
  }
  return out;
}

/**
 * Similarity-weighted neighbour vote per class, Laplace-smoothed: (Σ w·[y_j = c] + α) / (Σ w + α·K).
 * N×K, rows sum to 1. The example's own label is never counted (self is not in the graph).
 */
export function knnPredictProbs(graph: KnnGraph, labels: Int32Array, K: number, opts: { smoothing?: number } = {}): Float32Array {
  checkLabels(graph, labels, K);
  const alpha = opts.smoothing ?? DEFAULT_KNN_SMOOTHING;
  if (!(alpha >= 0)) throw new Error(`smoothing must be ≥ 0, got ${alpha}`);
  const { n, k, indices, similarities } = graph;
  const out = new Float32Array(n * K);
  const votes = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    votes.fill(0);
    let total = 0;
    for (let c = 0; c < k; c++) {
      const j = indices[i * k + c];
      if (j < 0) continue;
      const w = Math.max(similarities[i * k + c], 0) + NEIGHBOUR_WEIGHT_FLOOR;
      votes[labels[j]] += w; total += w;
    }
    const denom = total + alpha * K;
    for (let c = 0; c < K; c++) out[i * K + c] = denom > 0 ? (votes[c] + alpha) / denom : 1 / K;
  }
  return out;
}

/**
 * Mixes two N×K probability matrices: w·predProbs + (1 − w)·knnProbs (rows still sum to 1). Pass the result to
 * confident learning as its `predProbs` to let neighbour evidence shape thresholds and the confident joint.
 */
export function combinePredProbs(predProbs: Float32Array, knnProbs: Float32Array, classifierWeight = DEFAULT_CLASSIFIER_WEIGHT): Float32Array {
  if (predProbs.length !== knnProbs.length) throw new Error(`predProbs (${predProbs.length}) and knnProbs (${knnProbs.length}) differ in size`);
  checkWeight(classifierWeight);
  const out = new Float32Array(predProbs.length);
  for (let t = 0; t < out.length; t++) out[t] = classifierWeight * predProbs[t] + (1 - classifierWeight) * knnProbs[t];
  return out;
}

export type LabelQualityMethod = 'self_confidence' | 'normalized_margin';
const METHODS: readonly LabelQualityMethod[] = ['self_confidence', 'normalized_margin'];

/**
 * Per-example label quality from N×K probabilities (N, in [0, 1], lower = more likely mislabelled).
 * self_confidence: p[y]. normalized_margin: (p[y] − max_{c≠y} p[c] + 1) / 2.
 */
export function getLabelQualityScores(probs: Float32Array, labels: Int32Array, K: number, method: LabelQualityMethod = 'self_confidence'): Float32Array {
  if (!METHODS.includes(method)) throw new Error(`unknown method '${String(method)}'; valid: ${METHODS.join(', ')}`);
  const n = labels.length;
  if (probs.length !== n * K) throw new Error(`probs has ${probs.length} values, expected N×K = ${n * K}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const y = labels[i], py = probs[i * K + y];
    if (method === 'self_confidence') { out[i] = py; continue; }
    let other = 0;
    for (let c = 0; c < K; c++) if (c !== y && probs[i * K + c] > other) other = probs[i * K + c];
    out[i] = (py - other + 1) / 2;
  }
  return out;
}

/**
 * One label-quality score per example (N, in [0, 1], lower = more likely mislabelled):
 * w·clQuality[i] + (1 − w)·knnProbs[i, labels[i]], where clQuality is the classifier's per-example quality
 * (e.g. `getLabelQualityScores(predProbs, labels, K)` or the confident-learning module's score).
 */
export function combineLabelQuality(
  clQuality: Float32Array, knnProbs: Float32Array, labels: Int32Array,
  weights: { classifier?: number } = {},
): Float32Array {
  const n = labels.length;
  if (clQuality.length !== n) throw new Error(`clQuality.length ${clQuality.length} != labels.length ${n}`);
  if (n === 0) return new Float32Array(0);
  const K = knnProbs.length / n;
  if (!Number.isInteger(K)) throw new Error(`knnProbs length ${knnProbs.length} is not a multiple of N = ${n}`);
  const w = weights.classifier ?? DEFAULT_CLASSIFIER_WEIGHT;
  checkWeight(w);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(1, Math.max(0, w * clQuality[i] + (1 - w) * knnProbs[i * K + labels[i]]));
  return out;
}

function checkWeight(w: number): void {
  if (!(w >= 0 && w <= 1)) throw new Error(`classifier weight must be in [0, 1], got ${w}`);
}
