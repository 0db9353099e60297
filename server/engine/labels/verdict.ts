/**
 * Calibrated label verdicts: the probability that each image's given label is wrong.
 *
 * Confident learning counts an image as mislabelled when its out-of-fold probability for another class
 * clears that class's average confidence. With weak features (cross-validated accuracy 50–70%) hard images
 * clear such a bar: on clean real photos it flagged 7–18% of the images (bench/quality). Here the noise process is
 * modelled instead (Patrini et al., CVPR 2017; Xia et al., NeurIPS 2019):
 *
 * 1. `estimateTransition`: T (K×K, row i = P(given = j | true = i), rows sum to 1) from anchor points — the
 *    images a classifier trained on the given labels is most sure belong to class i. At such an image the
 *    true class is i, so its noisy-label probabilities are T's row i. Averaging the top share of the
 *    class, not taking the maximum, keeps single over-confident images from deciding (Xia et al.).
 * 2. `cleanPosterior`: the classifier's probabilities are for the *given* labels, p = Tᵀ·π; solving for π
 *    (the probabilities of the true class) undoes the noise the classifier learnt. Projected onto the simplex.
 * 3. `labelWrongProbability`: Bayes with the given label as evidence,
 *    P(true = ỹ | x, given = ỹ) = π_ỹ·T[ỹ][ỹ] / Σᵢ πᵢ·T[i][ỹ]; the verdict is 1 minus that.
 *
 * T's anchors are read from the classifier's probabilities alone (its anchors are the purest: the kNN vote
 * of a core image still sees its neighbours' overlap), the verdicts from the classifier mixed with the kNN
 * vote (the better ranking); both measured in bench/quality.
 *
 * On a clean set T comes out near the identity, so a hard image that the classifier gets wrong is still
 * "probably labelled right": the given label is strong evidence when labellers rarely err. Noise shows up as
 * anchors whose rows put mass off the diagonal.
 */
import { makeRng } from '../numerics/rng';

/**
 * Anchors of class i: the images with the highest P(given = i | x), as many as this share of the images
 * labelled i. Relative to the class, so a small class's anchors stay inside it.
 */
export const ANCHOR_SHARE = 0.2;
/** At least this many anchors per class (small classes), so one image never defines a row of T. */
export const MIN_ANCHORS = 5;
/** Floor on every entry of T before normalising: no confusion is treated as impossible. */
export const TRANSITION_FLOOR = 1e-4;
/**
 * Least share of each class's labels assumed wrong, spread over the other classes: even curated sets carry
 * label errors (Northcutt et al., NeurIPS 2021: 0.15–10% in ten benchmark test sets, 3.3% on average), and a
 * classifier that fits an almost-separable set leaves its anchors no room to show a rare flip. 1% keeps a
 * single confidently contradicted label detectable without inventing noise in a clean set.
 */
export const MIN_ROW_NOISE = 0.01;
/** Bootstrap resamples for the interval of the noise share. */
export const BOOTSTRAP_SAMPLES = 200;
/** The interval reported: the central 90% of bootstrap means. */
export const INTERVAL_MASS = 0.9;

/**
 * T (K×K, row-major; row i = P(given = j | true = i), rows sum to 1) from anchor points.
 * `predProbs`: N×K out-of-fold probabilities of a classifier trained on the given labels (rows sum to 1).
 */
export function estimateTransition(labels: Int32Array, predProbs: Float32Array, K: number, opts: { share?: number; rows?: Int32Array } = {}): Float64Array {
  const share = opts.share ?? ANCHOR_SHARE;
  if (!(share > 0 && share <= 1)) throw new Error(`anchor share must be in (0, 1], got ${share}`);
  const N = predProbs.length / K;
  if (!Number.isInteger(N) || N < 1) throw new Error(`predProbs length ${predProbs.length} is not N×K for K=${K}`);
  const rows = opts.rows ?? Int32Array.from({ length: N }, (_, i) => i);
  const T = new Float64Array(K * K);
  const col = new Float64Array(rows.length);
  const count = new Array<number>(K).fill(0);
  for (const r of rows) count[labels[r]]++;
  for (let i = 0; i < K; i++) {
    for (let r = 0; r < rows.length; r++) col[r] = predProbs[rows[r] * K + i];
    const order = Array.from(col.keys()).sort((a, b) => col[b] - col[a]);
    const m = Math.min(rows.length, Math.max(MIN_ANCHORS, Math.ceil(share * count[i])));
    for (let a = 0; a < m; a++) {
      const n = rows[order[a]];
      for (let j = 0; j < K; j++) T[i * K + j] += predProbs[n * K + j] / m;
    }
    normaliseRow(T, i, K);
  }
  return T;
}

function normaliseRow(T: Float64Array, i: number, K: number): void {
  let s = 0;
  for (let j = 0; j < K; j++) s += (T[i * K + j] = Math.max(T[i * K + j], TRANSITION_FLOOR));
  for (let j = 0; j < K; j++) T[i * K + j] /= s;
  const off = 1 - T[i * K + i];
  if (K < 2 || off >= MIN_ROW_NOISE) return;
  // Mix in uniform flips until the row's off-diagonal mass is MIN_ROW_NOISE.
  const mix = (MIN_ROW_NOISE - off) / (1 - off);
  for (let j = 0; j < K; j++) T[i * K + j] = (1 - mix) * T[i * K + j] + (j === i ? 0 : mix / (K - 1));
}

/**
 * π (N×K, rows sum to 1): probabilities of the true class, from the noisy-label probabilities p (N×K) by
 * solving p = Tᵀ·π per image and projecting onto the simplex (negative parts clipped, renormalised).
 */
export function cleanPosterior(predProbs: Float32Array, T: Float64Array, K: number): Float32Array {
  const inv = invertNearIdentity(transpose(T, K), K);
  const N = predProbs.length / K;
  const out = new Float32Array(predProbs.length);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let i = 0; i < K; i++) {
      let v = 0;
      for (let j = 0; j < K; j++) v += inv[i * K + j] * predProbs[n * K + j];
      out[n * K + i] = v > 0 ? v : 0;
      s += out[n * K + i];
    }
    if (s > 0) for (let i = 0; i < K; i++) out[n * K + i] /= s;
    else for (let i = 0; i < K; i++) out[n * K + i] = predProbs[n * K + i];
  }
  return out;
}

/**
 * Per image: P(given label is wrong | image, given label) in [0,1], higher = more likely wrong.
 * `labels`: N given labels; `predProbs`: N×K noisy-label probabilities; `T`: from `estimateTransition`.
 */
export function labelWrongProbability(labels: Int32Array, predProbs: Float32Array, T: Float64Array, K: number): Float32Array {
  const pi = cleanPosterior(predProbs, T, K);
  const out = new Float32Array(labels.length);
  for (let n = 0; n < labels.length; n++) {
    const y = labels[n];
    let num = 0;
    let den = 0;
    for (let i = 0; i < K; i++) {
      const v = pi[n * K + i] * T[i * K + y];
      den += v;
      if (i === y) num = v;
    }
    out[n] = den > 0 ? 1 - num / den : 0;
  }
  return out;
}

/**
 * The share of wrong labels (mean of pLabelWrong) with an interval that carries both kinds of uncertainty:
 * images are resampled with replacement (bootstrap) and T is re-estimated from each resample's anchors, once
 * per entry of `anchorSources` (N×K probabilities whose anchors define T — e.g. the classifier alone and
 * the classifier mixed with the kNN vote, two defensible noise models that disagree most when features are
 * weak). `share` uses the first source; the interval spans the central `INTERVAL_MASS` of every source's
 * bootstrap means. `predProbs` (N×K) is what the verdicts read. Seeded.
 */
export function noiseShareInterval(
  labels: Int32Array, predProbs: Float32Array, anchorSources: readonly Float32Array[], K: number, opts: { seed: number; samples?: number },
): { share: number; low: number; high: number } {
  if (anchorSources.length === 0) throw new Error('noiseShareInterval needs at least one anchor source');
  const N = labels.length;
  const share = mean(labelWrongProbability(labels, predProbs, estimateTransition(labels, anchorSources[0], K), K));
  const B = opts.samples ?? BOOTSTRAP_SAMPLES;
  if (N < 2 || B < 1) return { share, low: share, high: share };
  const tail = (1 - INTERVAL_MASS) / 2;
  let low = Infinity;
  let high = -Infinity;
  for (const source of anchorSources) {
    const rng = makeRng(opts.seed);
    const means = new Float64Array(B);
    const rows = new Int32Array(N);
    const sub = new Float32Array(N * K);
    const lab = new Int32Array(N);
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < N; r++) rows[r] = Math.floor(rng() * N);
      const Tb = estimateTransition(labels, source, K, { rows });
      for (let r = 0; r < N; r++) {
        sub.set(predProbs.subarray(rows[r] * K, rows[r] * K + K), r * K);
        lab[r] = labels[rows[r]];
      }
      means[b] = mean(labelWrongProbability(lab, sub, Tb, K));
    }
    means.sort();
    low = Math.min(low, means[Math.floor(tail * (B - 1))]);
    high = Math.max(high, means[Math.ceil((1 - tail) * (B - 1))]);
  }
  return { share, low: Math.min(low, share), high: Math.max(high, share) };
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return a.length ? s / a.length : 0;
}

/** Pivot below which a matrix counts as singular (entries of T are probabilities, at least TRANSITION_FLOOR). */
const SINGULAR_PIVOT = 1e-9;
/** Share of the identity mixed into a singular T per retry (tiny sets can give two classes the same anchors). */
const SINGULAR_SHRINK = 0.1;

/** The inverse of A, or of A shrunk towards the identity until it is invertible (λ·I + (1 − λ)·A). */
function invertNearIdentity(A: Float64Array, K: number): Float64Array {
  for (let lambda = 0; lambda < 1; lambda += SINGULAR_SHRINK) {
    const B = A.map((v, k) => (1 - lambda) * v + (k % (K + 1) === 0 ? lambda : 0));
    const inv = invert(B, K);
    if (inv) return inv;
  }
  return invert(A.map((_, k) => (k % (K + 1) === 0 ? 1 : 0)), K)!;
}

function transpose(A: Float64Array, K: number): Float64Array {
  const out = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) out[j * K + i] = A[i * K + j];
  return out;
}

/** Gauss–Jordan inverse with partial pivoting, or null when A is (numerically) singular. */
function invert(A: Float64Array, K: number): Float64Array | null {
  const a = Float64Array.from(A);
  const inv = new Float64Array(K * K);
  for (let i = 0; i < K; i++) inv[i * K + i] = 1;
  for (let c = 0; c < K; c++) {
    let p = c;
    for (let r = c + 1; r < K; r++) if (Math.abs(a[r * K + c]) > Math.abs(a[p * K + c])) p = r;
    if (Math.abs(a[p * K + c]) < SINGULAR_PIVOT) return null;
    if (p !== c) for (let j = 0; j < K; j++) {
      [a[p * K + j], a[c * K + j]] = [a[c * K + j], a[p * K + j]];
      [inv[p * K + j], inv[c * K + j]] = [inv[c * K + j], inv[p * K + j]];
    }
    const d = a[c * K + c];
    for (let j = 0; j < K; j++) {
      a[c * K + j] /= d;
      inv[c * K + j] /= d;
    }
    for (let r = 0; r < K; r++) {
      if (r === c) continue;
      const f = a[r * K + c];
      if (f === 0) continue;
      for (let j = 0; j < K; j++) {
        a[r * K + j] -= f * a[c * K + j];
        inv[r * K + j] -= f * inv[c * K + j];
      }
    }
  }
  return inv;
}
