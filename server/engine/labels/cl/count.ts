/**
 * Confident learning, counting half (Northcutt, Jiang, Chuang, JAIR 2021): confident thresholds,
 * the confident joint, its calibration, and the latent estimates derived from it.
 * Numbers match cleanlab 2.x `cleanlab/count.py` on the same inputs (see test/fixtures/cl/).
 *
 * Shapes: labels N (0..K-1); predProbs N×K row-major; K×K matrices row-major Float64Array.
 * confidentJoint[given * K + true] counts examples with given label `given` confidently predicted as `true`.
 */

import {
  CONFIDENT_THRESHOLDS_LOWER_BOUND,
  CLIPPING_LOWER_BOUND,
  EPSILON,
  FLOATING_POINT_COMPARISON,
  MAX_NOISE_RATE,
  MISSING_CLASS_THRESHOLD,
  TINY_VALUE,
} from './constants';
import { identity, pairwiseSum, roundHalfEven, roundPreservingRowTotals, rounderFor, rowArgmax, type PredProbs } from './numeric';
import { validateInputs, validateLabels, validateSquare } from './validate';

export type { PredProbs } from './numeric';

export interface ConfidentJointOptions {
  /**
   * Per-class thresholds (K). Default: `getConfidentThresholds`. A Float32Array is treated as float32
   * (as NumPy would), anything else as float64.
   */
  readonly thresholds?: ArrayLike<number>;
  /** Calibrate so row sums equal the given-label counts and the total equals N (default true). */
  readonly calibrate?: boolean;
  /** Only single-label classification is supported. */
  readonly multiLabel?: false;
}

export interface LatentEstimates {
  /** P(true = j), K, sums to 1 (cleanlab `py`, method 'cnt'). */
  readonly priorTrue: Float64Array;
  /** P(given = i | true = j) at [i*K + j]; columns sum to 1. */
  readonly noiseMatrix: Float64Array;
  /** P(true = j | given = i) at [j*K + i]; columns sum to 1. */
  readonly inverseNoiseMatrix: Float64Array;
}

export interface PerClassNoise {
  /** P(true ≠ k | given = k), K ("Label Noise" in cleanlab `rank_classes_by_label_quality`). */
  readonly labelNoise: Float64Array;
  /** P(given ≠ k | true = k), K ("Inverse Label Noise"). */
  readonly inverseLabelNoise: Float64Array;
}

export type NumLabelIssuesMethod = 'off_diagonal' | 'off_diagonal_calibrated';
const NUM_LABEL_ISSUES_METHODS: readonly NumLabelIssuesMethod[] = ['off_diagonal', 'off_diagonal_calibrated'];

// ---------------------------------------------------------------------------------------------
// Public API (validates, then calls the private compute functions)
// ---------------------------------------------------------------------------------------------

/**
 * Per-class confident thresholds t_k = mean of predProbs[:, k] over examples labelled k (K values).
 * A class with no examples gets MISSING_CLASS_THRESHOLD (2): nothing is confidently counted into it.
 * Values are clipped from below at CONFIDENT_THRESHOLDS_LOWER_BOUND.
 */
export function getConfidentThresholds(labels: Int32Array, predProbs: PredProbs, K: number): Float64Array {
  const { n, k } = validateInputs('getConfidentThresholds', labels, predProbs, K);
  return Float64Array.from(confidentThresholds(labels, predProbs, n, k).values);
}

/**
 * The confident joint C (K×K, row = given label, column = confidently-predicted true label), counts.
 * An example is confident in class j when p_j ≥ t_j − 1e-6; with 2+ confident classes the argmax of the
 * whole row wins (first on ties), with none the example is not counted. The diagonal is raised to ≥ 1,
 * then (calibrate, default) rows are rescaled to the given-label counts and rounded preserving row totals.
 */
export function computeConfidentJoint(
  labels: Int32Array,
  predProbs: PredProbs,
  K: number,
  opts: ConfidentJointOptions = {},
): Float64Array {
  const { n, k } = validateInputs('computeConfidentJoint', labels, predProbs, K);
  if (opts.multiLabel) throw new Error('computeConfidentJoint: multiLabel is not supported');
  const thr = thresholdsFromOption('computeConfidentJoint', opts.thresholds, labels, predProbs, n, k);
  return confidentJointWithIndices(labels, predProbs, n, k, thr, opts.calibrate ?? true).confidentJoint;
}

/** Rescales a confident joint so row i sums to the count of label i and the total is N; integer counts. */
export function calibrateConfidentJoint(confidentJoint: ArrayLike<number>, labels: Int32Array): Float64Array {
  const k = validateSquare('calibrateConfidentJoint', 'confidentJoint', confidentJoint);
  validateLabels('calibrateConfidentJoint', labels, k);
  return calibrate(Float64Array.from(confidentJoint), labelCounts(labels, k), k);
}

/**
 * Estimated joint P(given = i, true = j), K×K, sums to 1. Uses `opts.confidentJoint` (re-calibrated
 * against `labels`, as cleanlab does) or computes a calibrated confident joint.
 */
export function estimateJoint(
  labels: Int32Array,
  predProbs: PredProbs,
  opts: { readonly confidentJoint?: ArrayLike<number> } = {},
): Float64Array {
  const { n, k } = validateInputs('estimateJoint', labels, predProbs);
  let cal: Float64Array;
  if (opts.confidentJoint) {
    validateSquare('estimateJoint', 'confidentJoint', opts.confidentJoint, k);
    cal = calibrate(Float64Array.from(opts.confidentJoint), labelCounts(labels, k), k);
  } else {
    const thr = confidentThresholds(labels, predProbs, n, k);
    cal = confidentJointWithIndices(labels, predProbs, n, k, thr, true).confidentJoint;
  }
  return normalizeJoint(cal);
}

/**
 * Latent estimates from a confident joint (cleanlab `estimate_latent`, py_method 'cnt', no convergence):
 * prior of true labels, noise matrix P(given|true) and inverse noise matrix P(true|given), noise rates clipped ≤ 0.9999.
 */
export function estimateLatent(confidentJoint: ArrayLike<number>, labels: Int32Array): LatentEstimates {
  const k = validateSquare('estimateLatent', 'confidentJoint', confidentJoint);
  const n = validateLabels('estimateLatent', labels, k);
  return latent(Float64Array.from(confidentJoint), labelCounts(labels, k), n, k);
}

/** Overall estimated share of wrong labels: 1 − trace(joint) (the joint from `estimateJoint`, sums to 1). */
export function estimateNoiseRate(joint: ArrayLike<number>): number {
  const k = validateSquare('estimateNoiseRate', 'joint', joint);
  return 1 - pairwiseSum(joint, 0, k, k + 1, identity);
}

/** Per-class noise rates from the joint (cleanlab `rank_classes_by_label_quality`). */
export function estimatePerClassNoiseRates(joint: ArrayLike<number>): PerClassNoise {
  const k = validateSquare('estimatePerClassNoiseRates', 'joint', joint);
  const labelNoise = new Float64Array(k);
  const inverseLabelNoise = new Float64Array(k);
  const colSums = columnSums(joint, k);
  for (let c = 0; c < k; c++) {
    const rowSum = pairwiseSum(joint, c * k, k, 1, identity);
    const d = joint[c * k + c];
    labelNoise[c] = (rowSum - d) / Math.max(rowSum, EPSILON);
    inverseLabelNoise[c] = (colSums[c] - d) / Math.max(colSums[c], EPSILON);
  }
  return { labelNoise, inverseLabelNoise };
}

/**
 * Estimated number of label issues (cleanlab `num_label_issues`): 'off_diagonal' (default) counts
 * off-diagonal examples of the uncalibrated confident joint whose argmax is not already (within 1e-6)
 * the given label; 'off_diagonal_calibrated' is round(N × (1 − trace(joint))).
 */
export function numLabelIssues(
  labels: Int32Array,
  predProbs: PredProbs,
  opts: { readonly estimationMethod?: NumLabelIssuesMethod } = {},
): number {
  const method = opts.estimationMethod ?? 'off_diagonal';
  if (!NUM_LABEL_ISSUES_METHODS.includes(method)) {
    throw new Error(`numLabelIssues: unknown estimationMethod '${method}'; valid: ${NUM_LABEL_ISSUES_METHODS.join(', ')}`);
  }
  const { n, k } = validateInputs('numLabelIssues', labels, predProbs);
  return countLabelIssues(labels, predProbs, n, k, method);
}

// ---------------------------------------------------------------------------------------------
// Private computation (inputs already validated). Exported for filter.ts / rank.ts, not from index.ts.
// ---------------------------------------------------------------------------------------------

/** Thresholds plus the precision NumPy would hold them in (float32 only when predProbs is float32 and no class is missing). */
export interface TypedThresholds {
  readonly values: Float64Array;
  readonly f32: boolean;
}

/** Examples of each class, ascending index (what `labels == k` selects). */
export interface ClassBuckets {
  readonly start: Int32Array; // K + 1 offsets into `index`
  readonly index: Int32Array; // N
}

export function bucketByClass(labels: Int32Array, k: number): ClassBuckets {
  const start = new Int32Array(k + 1);
  for (let i = 0; i < labels.length; i++) start[labels[i] + 1]++;
  for (let c = 0; c < k; c++) start[c + 1] += start[c];
  const fill = start.slice(0, k);
  const index = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) index[fill[labels[i]]++] = i;
  return { start, index };
}

export function labelCounts(labels: Int32Array, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

export function confidentThresholds(labels: Int32Array, pp: PredProbs, n: number, k: number): TypedThresholds {
  const r = rounderFor(pp);
  const { start, index } = bucketByClass(labels, k);
  const values = new Float64Array(k);
  const gathered = new Float64Array(n);
  let anyMissing = false;
  for (let c = 0; c < k; c++) {
    const m = start[c + 1] - start[c];
    if (m === 0) {
      values[c] = MISSING_CLASS_THRESHOLD;
      anyMissing = true;
      continue;
    }
    for (let t = 0; t < m; t++) gathered[t] = pp[index[start[c] + t] * k + c];
    values[c] = r(pairwiseSum(gathered, 0, m, 1, r) / m);
  }
  // With a missing class NumPy builds the array from float32 means and the int 2: it becomes float64.
  const f32 = pp instanceof Float32Array && !anyMissing;
  const lower = f32 ? Math.fround(CONFIDENT_THRESHOLDS_LOWER_BOUND) : CONFIDENT_THRESHOLDS_LOWER_BOUND;
  for (let c = 0; c < k; c++) values[c] = Math.max(values[c], lower);
  return { values, f32 };
}

export function thresholdsFromOption(
  fn: string,
  given: ArrayLike<number> | undefined,
  labels: Int32Array,
  pp: PredProbs,
  n: number,
  k: number,
): TypedThresholds {
  if (given === undefined) return confidentThresholds(labels, pp, n, k);
  if (given.length !== k) throw new RangeError(`${fn}: thresholds has length ${given.length}, expected K = ${k}`);
  for (let c = 0; c < k; c++) {
    if (Number.isNaN(given[c])) throw new RangeError(`${fn}: thresholds[${c}] is NaN`);
  }
  return { values: Float64Array.from(given), f32: given instanceof Float32Array };
}

export interface ConfidentJointResult {
  readonly confidentJoint: Float64Array;
  /** Examples confidently counted off the diagonal (ascending index). */
  readonly offDiagonal: Int32Array;
}

export function confidentJointWithIndices(
  labels: Int32Array,
  pp: PredProbs,
  n: number,
  k: number,
  thr: TypedThresholds,
  doCalibrate: boolean,
): ConfidentJointResult {
  // `pred_probs >= thresholds - 1e-6`, in the thresholds' precision.
  const cut = new Float64Array(k);
  const eps32 = Math.fround(FLOATING_POINT_COMPARISON);
  for (let c = 0; c < k; c++) {
    cut[c] = thr.f32 ? Math.fround(thr.values[c] - eps32) : thr.values[c] - FLOATING_POINT_COMPARISON;
  }
  const cj = new Float64Array(k * k);
  const off: number[] = [];
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let numConfident = 0;
    let firstConfident = -1;
    for (let c = 0; c < k; c++) {
      if (pp[base + c] >= cut[c]) {
        if (numConfident === 0) firstConfident = c;
        numConfident++;
      }
    }
    if (numConfident === 0) continue; // not confident in any class: often an outlier, not counted
    const guess = numConfident > 1 ? rowArgmax(pp, i, k) : firstConfident;
    const given = labels[i];
    cj[given * k + guess]++;
    if (guess !== given) off.push(i);
  }
  // Guarantee at least one correctly labelled example per class.
  for (let c = 0; c < k; c++) cj[c * k + c] = Math.max(cj[c * k + c], 1);
  const confidentJoint = doCalibrate ? calibrate(cj, labelCounts(labels, k), k) : cj;
  return { confidentJoint, offDiagonal: Int32Array.from(off) };
}

/** cleanlab `calibrate_confident_joint`: row i scaled to count(label = i), total to N, rows rounded preserving totals. */
export function calibrate(cj: Float64Array, counts: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * k);
  let n = 0;
  for (let c = 0; c < k; c++) n += counts[c];
  for (let i = 0; i < k; i++) {
    const rowSum = Math.max(pairwiseSum(cj, i * k, k, 1, identity), TINY_VALUE);
    for (let j = 0; j < k; j++) out[i * k + j] = (cj[i * k + j] / rowSum) * counts[i];
  }
  const total = Math.max(pairwiseSum(out, 0, k * k, 1, identity), TINY_VALUE);
  for (let t = 0; t < k * k; t++) out[t] = (out[t] / total) * n;
  return roundPreservingRowTotals(out, k);
}

export function normalizeJoint(cal: Float64Array): Float64Array {
  const total = Math.max(pairwiseSum(cal, 0, cal.length, 1, identity), TINY_VALUE);
  return cal.map((v) => v / total);
}

/** Column sums, accumulated row by row (NumPy's order for `sum(axis=0)` of a C-contiguous matrix). */
function columnSums(m: ArrayLike<number>, k: number): Float64Array {
  const s = new Float64Array(k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) s[j] += m[i * k + j];
  return s;
}

/** cleanlab `clip_noise_rates`: off-diagonals into [0, 0.9999], diagonal kept, columns re-normalised. */
function clipNoiseRates(m: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = m[i * k + j];
      out[i * k + j] = i === j ? v : Math.min(Math.max(v, 0), MAX_NOISE_RATE);
    }
  }
  const cs = columnSums(out, k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i * k + j] /= Math.max(cs[j], TINY_VALUE);
  return out;
}

export function latent(cj: Float64Array, counts: Float64Array, n: number, k: number): LatentEstimates {
  const rowSums = new Float64Array(k);
  for (let i = 0; i < k; i++) rowSums[i] = pairwiseSum(cj, i * k, k, 1, identity);
  const colSums = columnSums(cj, k);
  const nm = new Float64Array(k * k);
  const inm = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      nm[i * k + j] = cj[i * k + j] / Math.max(colSums[j], TINY_VALUE);
      inm[j * k + i] = cj[i * k + j] / Math.max(rowSums[i], TINY_VALUE);
    }
  }
  // py (method 'cnt'): P(true=j|given=j) / P(given=j|true=j) * P(given=j), clipped into [1e-6, 1], summing to 1.
  const py = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const ps = counts[j] / n;
    py[j] = Math.min(Math.max((inm[j * k + j] / Math.max(nm[j * k + j], TINY_VALUE)) * ps, CLIPPING_LOWER_BOUND), 1);
  }
  const pySum = Math.max(pairwiseSum(py, 0, k, 1, identity), TINY_VALUE);
  for (let j = 0; j < k; j++) py[j] = (py[j] * 1.0) / pySum;
  return { priorTrue: py, noiseMatrix: clipNoiseRates(nm, k), inverseNoiseMatrix: clipNoiseRates(inm, k) };
}

/**
 * cleanlab `_reduce_issues`: true where the argmax of the row, after adding 1e-6 to the given label's
 * probability, is the given label — such examples are never reported.
 */
export function predictionMatchesGiven(labels: Int32Array, pp: PredProbs, n: number, k: number): Uint8Array {
  const r = rounderFor(pp);
  const bonus = r(FLOATING_POINT_COMPARISON);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    const y = labels[i];
    let best = 0;
    let bestVal = y === 0 ? r(pp[base] + bonus) : pp[base];
    for (let c = 1; c < k; c++) {
      const v = c === y ? r(pp[base + c] + bonus) : pp[base + c];
      if (v > bestVal) { best = c; bestVal = v; }
    }
    out[i] = best === y ? 1 : 0;
  }
  return out;
}

export function countLabelIssues(labels: Int32Array, pp: PredProbs, n: number, k: number, method: NumLabelIssuesMethod): number {
  const thr = confidentThresholds(labels, pp, n, k);
  if (method === 'off_diagonal') {
    const { offDiagonal } = confidentJointWithIndices(labels, pp, n, k, thr, false);
    const keep = predictionMatchesGiven(labels, pp, n, k);
    let count = 0;
    for (const i of offDiagonal) if (!keep[i]) count++;
    return count;
  }
  const joint = normalizeJoint(confidentJointWithIndices(labels, pp, n, k, thr, true).confidentJoint);
  return roundHalfEven((1 - pairwiseSum(joint, 0, k, k + 1, identity)) * n);
}
