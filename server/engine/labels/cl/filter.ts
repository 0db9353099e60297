/**
 * Which examples have label issues (cleanlab 2.x `cleanlab/filter.py` `find_label_issues`).
 * Returns a mask (Uint8Array N, 1 = label issue) or, with `rankedBy`, indices ranked most-likely-wrong first.
 */

import {
  bucketByClass,
  confidentJointWithIndices,
  confidentThresholds,
  countLabelIssues,
  labelCounts,
  predictionMatchesGiven,
  type ClassBuckets,
} from './count';
import { identity, pairwiseSum, roundPreservingRowTotals, rounderFor, rowArgmax, smallestStable, type PredProbs } from './numeric';
import { checkMethod, labelQualityScores, orderIssues, type RankMethod } from './rank';
import { validateInputs, validateSquare } from './validate';

export type FilterBy =
  | 'prune_by_noise_rate'
  | 'prune_by_class'
  | 'both'
  | 'confident_learning'
  | 'predicted_neq_given'
  | 'low_normalized_margin'
  | 'low_self_confidence';

export const FILTER_BY: readonly FilterBy[] = [
  'prune_by_noise_rate',
  'prune_by_class',
  'both',
  'confident_learning',
  'predicted_neq_given',
  'low_normalized_margin',
  'low_self_confidence',
];

/** Methods that prune a count per class and so honour fracNoise / numToRemovePerClass / minExamplesPerClass. */
const PRUNING: readonly FilterBy[] = ['prune_by_noise_rate', 'prune_by_class', 'both'];

export interface FindLabelIssuesOptions {
  /**
   * - 'prune_by_noise_rate' (default): for every off-diagonal cell (given k, true j) of the confident joint,
   *   flag that many examples labelled k with the largest margin p[j] − p[k].
   * - 'prune_by_class': per class k, flag the (count_k − C[k][k]) examples with the lowest p[k].
   * - 'both': flagged by both of the above.
   * - 'confident_learning': examples counted off the diagonal of the confident joint.
   * - 'predicted_neq_given': argmax ≠ given label.
   * - 'low_normalized_margin' / 'low_self_confidence': the numLabelIssues lowest-scoring examples.
   * All but the 'low_*' methods never flag an example whose argmax is (within 1e-6) its given label.
   */
  readonly filterBy?: FilterBy;
  /** Flag only this share of the pruning counts (pruning methods only). Default 1. */
  readonly fracNoise?: number;
  /** Flag exactly this many per class (K non-negative integers; 'prune_by_class' exact, 'prune_by_noise_rate' ±1). */
  readonly numToRemovePerClass?: ArrayLike<number>;
  /** Classes with at most this many examples are never pruned, and pruning leaves at least this many. Default 1. */
  readonly minExamplesPerClass?: number;
  /** Precomputed confident joint (K×K); ignored by 'confident_learning' (as in cleanlab). */
  readonly confidentJoint?: ArrayLike<number>;
}

/** Mask of label issues: Uint8Array N, 1 = likely mislabelled. */
export function findLabelIssues(labels: Int32Array, predProbs: PredProbs, opts?: FindLabelIssuesOptions): Uint8Array;
/** With `rankedBy`: indices of label issues, most likely mislabelled first (ascending quality score). */
export function findLabelIssues(
  labels: Int32Array,
  predProbs: PredProbs,
  opts: FindLabelIssuesOptions & { readonly rankedBy: RankMethod },
): Int32Array;
export function findLabelIssues(
  labels: Int32Array,
  predProbs: PredProbs,
  opts: FindLabelIssuesOptions & { readonly rankedBy?: RankMethod } = {},
): Uint8Array | Int32Array {
  const fn = 'findLabelIssues';
  const filterBy = opts.filterBy ?? 'prune_by_noise_rate';
  if (!FILTER_BY.includes(filterBy)) {
    throw new Error(`${fn}: unknown filterBy '${String(filterBy)}'; valid: ${FILTER_BY.join(', ')}`);
  }
  if (opts.rankedBy !== undefined) checkMethod(fn, opts.rankedBy);
  const { n, k } = validateInputs(fn, labels, predProbs);
  const fracNoise = opts.fracNoise ?? 1;
  if (!(fracNoise >= 0 && fracNoise <= 1)) throw new RangeError(`${fn}: fracNoise must be in [0, 1], got ${fracNoise}`);
  const minExamples = opts.minExamplesPerClass ?? 1;
  if (!Number.isInteger(minExamples) || minExamples < 0) {
    throw new RangeError(`${fn}: minExamplesPerClass must be an integer ≥ 0, got ${minExamples}`);
  }
  let numToRemove: Float64Array | undefined;
  if (opts.numToRemovePerClass !== undefined) {
    if (!PRUNING.includes(filterBy)) {
      throw new Error(`${fn}: numToRemovePerClass is only supported for filterBy ${PRUNING.join(', ')}`);
    }
    numToRemove = Float64Array.from(opts.numToRemovePerClass);
    if (numToRemove.length !== k || numToRemove.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new RangeError(`${fn}: numToRemovePerClass must be K = ${k} non-negative integers`);
    }
  }
  let cj: Float64Array | undefined;
  if (opts.confidentJoint !== undefined && filterBy !== 'confident_learning') {
    validateSquare(fn, 'confidentJoint', opts.confidentJoint, k);
    cj = Float64Array.from(opts.confidentJoint);
  }
  const mask = labelIssuesMask(labels, predProbs, n, k, { filterBy, fracNoise, minExamples, numToRemove, cj });
  if (opts.rankedBy === undefined) return mask;
  return orderIssues(mask, labels, predProbs, n, k, opts.rankedBy, undefined);
}

/** argmax(predProbs) ≠ labels, as a mask (Uint8Array N). */
export function findPredictedNeqGiven(labels: Int32Array, predProbs: PredProbs): Uint8Array {
  const { n, k } = validateInputs('findPredictedNeqGiven', labels, predProbs);
  return predictedNeqGiven(labels, predProbs, n, k);
}


// ---------------------------------------------------------------------------------------------
// Private
// ---------------------------------------------------------------------------------------------

interface MaskParams {
  readonly filterBy: FilterBy;
  readonly fracNoise: number;
  readonly minExamples: number;
  readonly numToRemove: Float64Array | undefined;
  readonly cj: Float64Array | undefined;
}

function predictedNeqGiven(labels: Int32Array, pp: PredProbs, n: number, k: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rowArgmax(pp, i, k) !== labels[i] ? 1 : 0;
  return out;
}

function labelIssuesMask(labels: Int32Array, pp: PredProbs, n: number, k: number, prm: MaskParams): Uint8Array {
  const { filterBy } = prm;
  let cj = prm.cj;
  let offDiagonal: Int32Array | undefined;
  if (cj === undefined) {
    const res = confidentJointWithIndices(labels, pp, n, k, confidentThresholds(labels, pp, n, k), true);
    cj = res.confidentJoint;
    offDiagonal = res.offDiagonal;
  }
  let mask = new Uint8Array(n);
  switch (filterBy) {
    case 'low_normalized_margin':
    case 'low_self_confidence': {
      const scores = labelQualityScores(labels, pp, n, k, filterBy === 'low_self_confidence' ? 'self_confidence' : 'normalized_margin', undefined);
      const numErrors = countLabelIssues(labels, pp, n, k, 'off_diagonal');
      for (const i of smallestStable(scores, numErrors)) mask[i] = 1;
      return mask; // no _reduce_issues for these two
    }
    case 'confident_learning': {
      // cleanlab always re-estimates the confident joint here; offDiagonal is set because prm.cj is undefined.
      for (const i of offDiagonal as Int32Array) mask[i] = 1;
      break;
    }
    case 'predicted_neq_given':
      mask = predictedNeqGiven(labels, pp, n, k);
      break;
    default: {
      const counts = labelCounts(labels, k);
      let pcm = keepAtLeastNPerClass(transpose(cj, k), k, prm.minExamples, prm.fracNoise);
      if (prm.numToRemove) pcm = pruneCountsForRemoval(pcm, k, counts, prm.numToRemove);
      const buckets = bucketByClass(labels, k);
      let byClass: Uint8Array | undefined;
      if (filterBy === 'prune_by_class' || filterBy === 'both') {
        byClass = pruneByClass(pp, k, pcm, buckets, prm.minExamples, n);
        mask = byClass;
      }
      if (filterBy === 'prune_by_noise_rate' || filterBy === 'both') {
        mask = pruneByNoiseRate(pp, k, pcm, buckets, prm.minExamples, n);
      }
      if (filterBy === 'both' && byClass) for (let i = 0; i < n; i++) mask[i] &= byClass[i];
    }
  }
  const keep = predictionMatchesGiven(labels, pp, n, k);
  for (let i = 0; i < n; i++) if (keep[i]) mask[i] = 0;
  return mask;
}

function transpose(m: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[j * k + i] = m[i * k + j];
  return out;
}

/**
 * cleanlab `_keep_at_least_n_per_class` + `_reduce_prune_counts`. `pcm` is the transposed joint
 * (row = true, column = given). Raises each diagonal to ≥ n taking the increase uniformly from the
 * column's non-zero off-diagonals, scales off-diagonals by fracNoise (moving the rest to the diagonal),
 * and truncates to integer counts.
 */
function keepAtLeastNPerClass(pcm: Float64Array, k: number, n: number, fracNoise: number): Float64Array {
  const m = new Float64Array(k * k);
  for (let c = 0; c < k; c++) {
    const d = pcm[c * k + c];
    const newDiag = Math.max(d, n);
    let nonZero = 0;
    for (let i = 0; i < k; i++) if (pcm[i * k + c] !== 0) nonZero++;
    const share = (newDiag - d) / Math.max(nonZero - 1, 1);
    for (let i = 0; i < k; i++) m[i * k + c] = i === c ? newDiag : Math.max(pcm[i * k + c] - share, 0);
  }
  const out = new Float64Array(k * k);
  const moved = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let c = 0; c < k; c++) {
      if (i === c) continue;
      const v = m[i * k + c] * fracNoise;
      out[i * k + c] = v;
      moved[c] += m[i * k + c] - v;
    }
  }
  for (let c = 0; c < k; c++) out[c * k + c] = m[c * k + c] + moved[c];
  for (let t = 0; t < k * k; t++) out[t] = Math.trunc(out[t]); // astype(int)
  return out;
}

/**
 * cleanlab's `num_to_remove_per_class` re-weighting of the prune counts, including its broadcasting
 * (each entry divided by the row total of its column index). A row with no off-diagonal mass
 * (where cleanlab divides 0 by 0) gets no off-diagonal prune counts.
 */
function pruneCountsForRemoval(pcm: Float64Array, k: number, counts: Float64Array, numToRemove: Float64Array): Float64Array {
  const rowTotals = new Float64Array(k);
  for (let i = 0; i < k; i++) rowTotals[i] = pairwiseSum(pcm, i * k, k, 1, identity);
  const psy = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) psy[i * k + j] = pcm[i * k + j] / rowTotals[j];
  const tmp = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const noise = pairwiseSum(psy, i * k, k, 1, identity) - psy[i * k + i];
    for (let j = 0; j < k; j++) {
      const v = (psy[i * k + j] * numToRemove[i]) / noise;
      tmp[i * k + j] = Number.isFinite(v) ? v : 0;
    }
    tmp[i * k + i] = counts[i] - numToRemove[i];
  }
  return roundPreservingRowTotals(tmp, k);
}

/** cleanlab `_prune_by_class`: per class k flag the (count_k − pcm[k][k]) members with the lowest p[k]. */
function pruneByClass(pp: PredProbs, k: number, pcm: Float64Array, b: ClassBuckets, minExamples: number, n: number): Uint8Array {
  const mask = new Uint8Array(n);
  for (let c = 0; c < k; c++) {
    const count = b.start[c + 1] - b.start[c];
    if (count <= minExamples || count <= 1) continue; // too few to prune (cleanlab also drops 1-example class masks)
    const numIssues = count - pcm[c * k + c];
    if (numIssues < 1) continue;
    const members = b.index.subarray(b.start[c], b.start[c + 1]);
    const key = new Float64Array(count);
    for (let t = 0; t < count; t++) key[t] = pp[members[t] * k + c];
    for (const t of smallestStable(key, numIssues)) mask[members[t]] = 1;
  }
  return mask;
}

/**
 * cleanlab `_prune_by_count`: for each class k (given) and each other class j with pcm[j][k] > 0,
 * flag the pcm[j][k] members of k with the largest margin p[j] − p[k].
 */
function pruneByNoiseRate(pp: PredProbs, k: number, pcm: Float64Array, b: ClassBuckets, minExamples: number, n: number): Uint8Array {
  const r = rounderFor(pp);
  const mask = new Uint8Array(n);
  for (let c = 0; c < k; c++) {
    const count = b.start[c + 1] - b.start[c];
    if (count <= minExamples || count <= 1) continue;
    const members = b.index.subarray(b.start[c], b.start[c + 1]);
    const negMargin = new Float64Array(count);
    for (let j = 0; j < k; j++) {
      const num = pcm[j * k + c];
      if (j === c || num <= 0) continue;
      for (let t = 0; t < count; t++) {
        const base = members[t] * k;
        negMargin[t] = -r(pp[base + j] - pp[base + c]);
      }
      for (const t of smallestStable(negMargin, num)) mask[members[t]] = 1;
    }
  }
  return mask;
}
