/**
 * Per-example label quality scores (cleanlab 2.x `cleanlab/rank.py`). Lower score = more likely mislabelled.
 * Scores are computed in the precision of predProbs (float32 inputs follow NumPy's float32 arithmetic).
 */

import { CLIPPING_LOWER_BOUND } from './constants';
import { thresholdsFromOption, type TypedThresholds } from './count';
import { argsortStable, pairwiseSum, rounderFor, type PredProbs, type Rounder } from './numeric';
import { validateInputs } from './validate';

export type RankMethod = 'self_confidence' | 'normalized_margin' | 'confidence_weighted_entropy';
export const RANK_METHODS: readonly RankMethod[] = ['self_confidence', 'normalized_margin', 'confidence_weighted_entropy'];

export interface LabelQualityOptions {
  /**
   * Subtract the per-class confident thresholds from predProbs and re-normalise before scoring
   * (cleanlab `adjust_pred_probs`; not supported for 'confidence_weighted_entropy'). Default false.
   */
  readonly adjustPredProbs?: boolean;
  /** Precomputed confident thresholds (K) for `adjustPredProbs`; default `getConfidentThresholds`. */
  readonly confidentThresholds?: ArrayLike<number>;
}

/**
 * Label quality score per example (N), lower = more likely mislabelled:
 * - 'self_confidence': p[label]
 * - 'normalized_margin': (p[label] − max_{j≠label} p[j] + 1) / 2
 * - 'confidence_weighted_entropy': log(1 + H/p[label]) / max(H/p[label], 1e-6), H = entropy / log K.
 *   (As in cleanlab, a one-hot prediction has H = 0 and scores 0.) Needs K ≥ 2.
 * With K = 1, normalized_margin treats the missing competitor as probability 0.
 */
export function getLabelQualityScores(
  labels: Int32Array,
  predProbs: PredProbs,
  method: RankMethod = 'self_confidence',
  opts: LabelQualityOptions = {},
): Float64Array {
  checkMethod('getLabelQualityScores', method);
  const { n, k } = validateInputs('getLabelQualityScores', labels, predProbs);
  checkMethodInputs('getLabelQualityScores', method, predProbs, k, opts);
  const thr = opts.adjustPredProbs
    ? thresholdsFromOption('getLabelQualityScores', opts.confidentThresholds, labels, predProbs, n, k)
    : undefined;
  return labelQualityScores(labels, predProbs, n, k, method, thr);
}

/**
 * Indices where `mask` is set, most likely mislabelled first (ascending label quality score under
 * `rankBy`; ties by index).
 */
export function orderLabelIssues(
  mask: Uint8Array,
  labels: Int32Array,
  predProbs: PredProbs,
  rankBy: RankMethod = 'self_confidence',
  opts: LabelQualityOptions = {},
): Int32Array {
  checkMethod('orderLabelIssues', rankBy);
  const { n, k } = validateInputs('orderLabelIssues', labels, predProbs);
  if (!(mask instanceof Uint8Array) || mask.length !== n) {
    throw new RangeError(`orderLabelIssues: mask must be a Uint8Array of length N = ${n}`);
  }
  checkMethodInputs('orderLabelIssues', rankBy, predProbs, k, opts);
  const thr = opts.adjustPredProbs
    ? thresholdsFromOption('orderLabelIssues', opts.confidentThresholds, labels, predProbs, n, k)
    : undefined;
  return orderIssues(mask, labels, predProbs, n, k, rankBy, thr);
}

// ---------------------------------------------------------------------------------------------
// Private
// ---------------------------------------------------------------------------------------------

export function checkMethod(fn: string, method: string): asserts method is RankMethod {
  if (!(RANK_METHODS as readonly string[]).includes(method)) {
    throw new Error(`${fn}: unknown ranking method '${method}'; valid: ${RANK_METHODS.join(', ')}`);
  }
}

export function checkMethodInputs(fn: string, method: RankMethod, pp: PredProbs, k: number, opts: LabelQualityOptions): void {
  if (method !== 'confidence_weighted_entropy') return;
  if (opts.adjustPredProbs) throw new Error(`${fn}: adjustPredProbs is not supported for confidence_weighted_entropy`);
  if (k < 2) throw new RangeError(`${fn}: confidence_weighted_entropy needs K ≥ 2 (entropy is normalised by log K)`);
  // cleanlab's get_normalized_entropy is strict here (no 1e-6 tolerance).
  for (let t = 0; t < pp.length; t++) {
    if (pp[t] < 0 || pp[t] > 1) {
      throw new RangeError(`${fn}: confidence_weighted_entropy needs every probability in [0, 1]; got ${pp[t]}`);
    }
  }
}

export function orderIssues(
  mask: Uint8Array,
  labels: Int32Array,
  pp: PredProbs,
  n: number,
  k: number,
  rankBy: RankMethod,
  thr: TypedThresholds | undefined,
): Int32Array {
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (mask[i]) idx.push(i);
  const scores = labelQualityScores(labels, pp, n, k, rankBy, thr);
  return argsortStable(scores, Int32Array.from(idx));
}

export function labelQualityScores(
  labels: Int32Array,
  pp: PredProbs,
  n: number,
  k: number,
  method: RankMethod,
  thr: TypedThresholds | undefined,
): Float64Array {
  let values: ArrayLike<number> = pp;
  let r: Rounder = rounderFor(pp);
  if (thr) ({ values, r } = subtractConfidentThresholds(pp, n, k, thr));
  switch (method) {
    case 'self_confidence':
      return selfConfidence(labels, values, n, k);
    case 'normalized_margin':
      return normalizedMargin(labels, values, n, k, r);
    case 'confidence_weighted_entropy':
      return confidenceWeightedEntropy(labels, values, n, k, r);
  }
}

/**
 * cleanlab `_subtract_confident_thresholds`: p − t, shifted by max(t) to stay non-negative, rows re-normalised.
 * Result precision: float32 only if both predProbs and thresholds are float32 (NumPy promotion).
 */
function subtractConfidentThresholds(
  pp: PredProbs,
  n: number,
  k: number,
  thr: TypedThresholds,
): { values: Float64Array; r: Rounder } {
  const r: Rounder = pp instanceof Float32Array && thr.f32 ? Math.fround : (x) => x;
  const t = thr.values;
  let tMax = -Infinity;
  for (let c = 0; c < k; c++) tMax = Math.max(tMax, t[c]);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    for (let c = 0; c < k; c++) out[base + c] = r(r(pp[base + c] - t[c]) + tMax);
    const s = pairwiseSum(out, base, k, 1, r);
    for (let c = 0; c < k; c++) out[base + c] = r(out[base + c] / s);
  }
  return { values: out, r };
}

function selfConfidence(labels: Int32Array, p: ArrayLike<number>, n: number, k: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = p[i * k + labels[i]];
  return out;
}

function normalizedMargin(labels: Int32Array, p: ArrayLike<number>, n: number, k: number, r: Rounder): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    const y = labels[i];
    let maxOther = k === 1 ? 0 : -Infinity; // K = 1: no competing class
    for (let c = 0; c < k; c++) if (c !== y && p[base + c] > maxOther) maxOther = p[base + c];
    out[i] = r(r(r(p[base + y] - maxOther) + 1) / 2);
  }
  return out;
}

function confidenceWeightedEntropy(labels: Int32Array, p: ArrayLike<number>, n: number, k: number, r: Rounder): Float64Array {
  const out = new Float64Array(n);
  const terms = new Float64Array(k);
  const logK = r(Math.log(k));
  const floor = r(CLIPPING_LOWER_BOUND);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    for (let c = 0; c < k; c++) {
      const v = p[base + c];
      terms[c] = v === 0 ? 0 : r(v * Math.log(v)); // xlogy(0, 0) = 0
    }
    const entropy = r(r(-pairwiseSum(terms, 0, k, 1, r)) / logK);
    const sc = Math.max(p[base + labels[i]], floor);
    const ratio = r(entropy / sc);
    out[i] = r(r(Math.log(r(ratio + 1))) / Math.max(ratio, floor));
  }
  return out;
}
