/**
 * Out-of-fold predicted probabilities from a multinomial logistic-regression head ("retrain the last layer").
 *
 * - Stratified K-fold (seeded). Every example's `predProbs` row comes from a model that never saw it.
 * - Features: optional PCA reduction (fitted without labels, so no leakage), centred, then scaled by one factor
 *   for all columns ('global', default: keeps the PCA spectrum, so the L2 penalty shrinks weak directions most)
 *   or per column ('column': whitening).
 * - Model: softmax regression, mean cross-entropy + (l2/2)·‖W‖² (bias not penalised), full-batch L-BFGS.
 *
 * Backend: plain Float32/Float64 loops, not TensorFlow.js. Measured on this box (see ./linalg header): tfjs-cpu and
 * tfjs-wasm matMul were 10–60× slower than the JS kernel for these shapes, and an L-BFGS loop would add a
 * tensor round-trip per iteration on top. The model is exactly the "last layer" a tfjs head would train.
 */
import { CancelledError, IsCancelled, Matrix, ProgressFn } from '../types';
import { stratifiedFolds } from './folds';
import { lbfgs, type LbfgsMemory } from '../numerics/lbfgs';

export { GRADIENT_TOLERANCE, type LbfgsMemory } from '../numerics/lbfgs';
import { assertFiniteRows, pca } from '../numerics/linalg';

/** L2 penalty on the weights for standardised features; mild, because 1–20 % label noise is expected. */
export const DEFAULT_L2 = 1e-3;
export const DEFAULT_FOLDS = 5;
export const DEFAULT_MAX_ITER = 100;
/** Inputs wider than this are PCA-reduced to `DEFAULT_PCA_DIMS` before training (see bench/analyze.ts). */
export const PCA_WHEN_COLS_ABOVE = 128;
/**
 * 128 components, globally scaled: linear-probe accuracy (5-fold, best L2 by log-loss, bench/pca-probe.ts) on
 * centernet+ssdlite features vs 64 whitened components: flowers .796 → .826, Tux Paint stamps .679 → .771,
 * Fashion-MNIST upper body .792 → .801, Fashion-MNIST .846 → .858 (no PCA: .826 / .769 / – / –).
 */
export const DEFAULT_PCA_DIMS = 128;
/** How features are scaled after centring: one factor for all columns, or each column to unit variance. */
export type FeatureScaling = 'global' | 'column';
export const DEFAULT_SCALING: FeatureScaling = 'global';
/** Columns with standard deviation below this are left centred but unscaled (constant columns). */
const STD_EPSILON = 1e-8;
/**
 * Iterations for warm-started re-fits after a relabel; the optimum moves very little. Measured on 35k×64, 7 classes
 * (max |Δ predProbs| vs a 300-iteration refit; stale = not refitting at all: 4.6e-3): 1 → 4.1e-3, 3 → 2.8e-3,
 * 5 → 2.7e-3, 10 → 1.6e-3, at 0.41 / 0.58 / 0.83 / 1.49 CPU-s. The remaining gap is the base fit's own tolerance.
 */
export const RESCORE_MAX_ITER = 3;

export interface ClassifierOptions {
  folds?: number;
  seed: number;
  l2?: number;
  maxIter?: number;
  /** PCA dims before training; 0 = none. Default: DEFAULT_PCA_DIMS when X has more than PCA_WHEN_COLS_ABOVE columns. */
  pcaDims?: number;
  /** Default `DEFAULT_SCALING`. */
  scaling?: FeatureScaling;
  /** Precomputed fold of each example (0..folds−1), e.g. to refit on the same folds; default: `stratifiedFolds` (labels/folds.ts). */
  foldOf?: Int32Array;
  /**
   * The prepared features (N×d, after PCA and scaling) of an earlier fit on the same X with the same pcaDims and
   * scaling — e.g. `CrossValState.features` — so a sweep over l2 runs the PCA once. Used as given.
   */
  prepared?: Matrix;
  onProgress?: ProgressFn;
  isCancelled?: IsCancelled;
}

export interface CrossValResult {
  /** N×K out-of-fold probabilities, rows sum to 1. */
  readonly predProbs: Float32Array;
  /** Fold (0..folds−1) that held each example out. */
  readonly foldOf: Int32Array;
  /** Share of examples whose out-of-fold argmax equals the given label. */
  readonly cvAccuracy: number;
}

/** Everything `rescoreAfterRelabel` needs to retrain only the affected folds, warm-started. */
export interface CrossValState {
  readonly features: Matrix; // N×d standardised (after optional PCA)
  readonly labels: Int32Array;
  readonly K: number;
  readonly folds: number;
  readonly foldOf: Int32Array;
  /** Per fold: K×(d+1) weights (bias last), or null where the fold fell back to the class prior. */
  readonly weights: (Float64Array | null)[];
  /** Per fold: the L-BFGS curvature pairs at the end of its fit, so a warm re-fit starts with a quasi-Newton step. */
  readonly memory?: (LbfgsMemory | null)[];
  readonly l2: number;
  readonly result: CrossValResult;
}

export function crossValPredictProbs(X: Matrix, labels: Int32Array, K: number, opts: ClassifierOptions): CrossValResult {
  return crossValFit(X, labels, K, opts).result;
}

/** As `crossValPredictProbs`, also returning the state for cheap re-scoring. */
export function crossValFit(X: Matrix, labels: Int32Array, K: number, opts: ClassifierOptions): CrossValState {
  validateInputs(X, labels, K);
  const N = X.rows;
  const foldsWanted = opts.folds ?? DEFAULT_FOLDS;
  if (!Number.isInteger(foldsWanted) || foldsWanted < 2) throw new Error(`folds must be an integer ≥ 2, got ${foldsWanted}`);
  const folds = Math.max(1, Math.min(foldsWanted, N));
  const l2 = opts.l2 ?? DEFAULT_L2;
  const maxIter = opts.maxIter ?? DEFAULT_MAX_ITER;
  if (opts.prepared && opts.prepared.rows !== N) throw new Error(`prepared features have ${opts.prepared.rows} rows, X has ${N}`);
  const features = opts.prepared ?? prepareFeatures(X, opts);
  const foldOf = opts.foldOf ? Int32Array.from(opts.foldOf) : stratifiedFolds(labels, K, folds, opts.seed);
  if (foldOf.length !== N) throw new Error(`foldOf.length ${foldOf.length} != N ${N}`);
  for (let i = 0; i < N; i++) if (!(foldOf[i] >= 0 && foldOf[i] < folds)) throw new Error(`foldOf[${i}] = ${foldOf[i]} out of range 0..${folds - 1}`);
  const predProbs = new Float32Array(N * K);
  const weights: (Float64Array | null)[] = [];
  const memory: (LbfgsMemory | null)[] = [];
  for (let f = 0; f < folds; f++) {
    if (opts.isCancelled?.()) throw new CancelledError();
    opts.onProgress?.('classify', f, folds);
    const fit = trainFold(features, labels, K, foldOf, f, l2, maxIter, null, null, opts.isCancelled);
    weights.push(fit?.w ?? null);
    memory.push(fit?.memory ?? null);
    predictFold(features, labels, K, foldOf, f, weights[f], predProbs);
  }
  opts.onProgress?.('classify', folds, folds);
  const result = { predProbs, foldOf, cvAccuracy: accuracy(predProbs, labels, K) };
  return { features, labels: Int32Array.from(labels), K, folds, foldOf, weights, memory, l2, result };
}

/**
 * Re-scores after labels changed: `newLabels[j]` is the new label of example `changedIndices[j]`. Only folds whose
 * training set contains a changed example are refitted, warm-started from their previous weights. Returns a new
 * state (the old one is not modified; features are shared).
 */
export function rescoreAfterRelabel(
  state: CrossValState, changedIndices: ArrayLike<number>, newLabels: ArrayLike<number>,
  maxIter = RESCORE_MAX_ITER,
): CrossValState {
  if (changedIndices.length !== newLabels.length) throw new Error('changedIndices and newLabels must have the same length');
  const { K, folds, foldOf, features } = state;
  const labels = Int32Array.from(state.labels);
  const touchedFolds = new Set<number>();
  for (let j = 0; j < changedIndices.length; j++) {
    const i = changedIndices[j], y = newLabels[j];
    if (!(i >= 0 && i < labels.length && Number.isInteger(i))) throw new Error(`changed index ${i} out of range`);
    if (!(y >= 0 && y < K && Number.isInteger(y))) throw new Error(`new label ${y} for row ${i} out of range 0..${K - 1}`);
    if (labels[i] === y) continue;
    labels[i] = y;
    for (let f = 0; f < folds; f++) if (f !== foldOf[i]) touchedFolds.add(f);
  }
  const predProbs = new Float32Array(state.result.predProbs);
  const weights = state.weights.slice();
  const memory = state.memory?.slice() ?? state.weights.map(() => null);
  for (const f of [...touchedFolds].sort((a, b) => a - b)) {
    const fit = trainFold(features, labels, K, foldOf, f, state.l2, maxIter, state.weights[f], memory[f], undefined);
    weights[f] = fit?.w ?? null;
    memory[f] = fit?.memory ?? null;
    predictFold(features, labels, K, foldOf, f, weights[f], predProbs);
  }
  const result = { predProbs, foldOf, cvAccuracy: accuracy(predProbs, labels, K) };
  return { ...state, labels, weights, memory, result };
}

/** Fits on (Xtrain, ytrain) and returns Xtest's probabilities (rows×K). Same preprocessing as cross-validation. */
export function fitPredict(
  Xtrain: Matrix, ytrain: Int32Array, Xtest: Matrix, K: number,
  opts: { l2?: number; maxIter?: number; scaling?: FeatureScaling } = {},
): Float32Array {
  validateInputs(Xtrain, ytrain, K);
  assertFiniteRows(Xtest, 'Xtest');
  if (Xtest.cols !== Xtrain.cols) throw new Error(`Xtest has ${Xtest.cols} columns, Xtrain ${Xtrain.cols}`);
  const both: Matrix = { rows: Xtrain.rows + Xtest.rows, cols: Xtrain.cols, data: new Float32Array(Xtrain.data.length + Xtest.data.length) };
  both.data.set(Xtrain.data); both.data.set(Xtest.data, Xtrain.data.length);
  const { mean, scale } = scalingStats(Xtrain, opts.scaling ?? DEFAULT_SCALING);
  const feats = standardise(both, mean, scale);
  const labels = new Int32Array(both.rows);
  labels.set(ytrain);
  const foldOf = new Int32Array(both.rows);
  foldOf.fill(1, Xtrain.rows); // fold 1 = test rows
  const fit = trainFold(feats, labels, K, foldOf, 1, opts.l2 ?? DEFAULT_L2, opts.maxIter ?? DEFAULT_MAX_ITER, null, null, undefined);
  const probs = new Float32Array(both.rows * K);
  predictFold(feats, labels, K, foldOf, 1, fit?.w ?? null, probs);
  return probs.slice(Xtrain.rows * K);
}

// ---- internals -----------------------------------------------------------------------------------------------------

function validateInputs(X: Matrix, labels: Int32Array, K: number): void {
  if (!Number.isInteger(K) || K < 1) throw new Error(`K must be a positive integer, got ${K}`);
  if (labels.length !== X.rows) throw new Error(`labels.length ${labels.length} != X.rows ${X.rows}`);
  if (X.rows === 0) throw new Error('no examples');
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] >= K) throw new Error(`label ${labels[i]} at row ${i} out of range 0..${K - 1}`);
  }
  assertFiniteRows(X, 'classifier input');
}

/** X → the features a head trains on: PCA to `pcaDims` (default by width) when narrower than X, then centred and scaled. */
export function prepareFeatures(X: Matrix, opts: Pick<ClassifierOptions, 'seed' | 'pcaDims' | 'scaling'>): Matrix {
  const dims = opts.pcaDims ?? (X.cols > PCA_WHEN_COLS_ABOVE ? DEFAULT_PCA_DIMS : 0);
  const base = dims > 0 && dims < X.cols ? pca(X, dims, { seed: opts.seed }).projected : X;
  const { mean, scale } = scalingStats(base, opts.scaling ?? DEFAULT_SCALING);
  return standardise(base, mean, scale);
}

/**
 * Column means and the scale factors of `scaling`: 'column' = `columnStats`; 'global' = one factor,
 * 1/√(mean column variance), so the columns' variances average 1 and keep their ratios.
 */
export function scalingStats(X: Matrix, scaling: FeatureScaling): { mean: Float64Array; scale: Float64Array } {
  const stats = columnStats(X);
  if (scaling === 'column') return stats;
  let meanVar = 0;
  for (let j = 0; j < X.cols; j++) {
    const sd = stats.scale[j] === 1 ? 0 : 1 / stats.scale[j]; // columnStats gives 1 for (near-)constant columns
    meanVar += (sd * sd) / X.cols;
  }
  const factor = meanVar > STD_EPSILON * STD_EPSILON ? 1 / Math.sqrt(meanVar) : 1;
  return { mean: stats.mean, scale: new Float64Array(X.cols).fill(factor) };
}

/** Per-column mean and 1/standard deviation (1 for constant columns). */
export function columnStats(X: Matrix): { mean: Float64Array; scale: Float64Array } {
  const { rows, cols, data } = X;
  const mean = new Float64Array(cols), sq = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) { const v = data[i * cols + j] - mean[j]; sq[j] += v * v; }
  const scale = new Float64Array(cols);
  for (let j = 0; j < cols; j++) { const sd = Math.sqrt(sq[j] / rows); scale[j] = sd > STD_EPSILON ? 1 / sd : 1; }
  return { mean, scale };
}

/** (X − mean) · scale, column-wise, as a new matrix. */
export function standardise(X: Matrix, mean: Float64Array, scale: Float64Array): Matrix {
  const { rows, cols, data } = X;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = (data[i * cols + j] - mean[j]) * scale[j];
  return { rows, cols, data: out };
}

/** Trains on rows with foldOf !== f. Returns null when the training set has fewer than two classes (then the
 * fold predicts the class prior of its training labels, uniform if it has none). */
function trainFold(
  features: Matrix, labels: Int32Array, K: number, foldOf: Int32Array, f: number, l2: number, maxIter: number,
  warm: Float64Array | null, warmMemory: LbfgsMemory | null, isCancelled: IsCancelled | undefined,
): { w: Float64Array; memory: LbfgsMemory } | null {
  const { rows: N, cols: d } = features;
  const seen = new Set<number>();
  let n = 0;
  for (let i = 0; i < N; i++) if (foldOf[i] !== f) { n++; seen.add(labels[i]); }
  if (K === 1 || seen.size < 2) return null;
  // Float64 copy of the training rows: saves a float32→float64 conversion per load in the hot loop.
  const Xt = new Float64Array(n * d), y = new Int32Array(n);
  for (let i = 0, r = 0; i < N; i++) {
    if (foldOf[i] === f) continue;
    Xt.set(features.data.subarray(i * d, (i + 1) * d), r * d); y[r++] = labels[i];
  }
  const dim = K * (d + 1);
  const w0 = warm && warm.length === dim ? Float64Array.from(warm) : new Float64Array(dim);
  const mem = warm && warmMemory && warmMemory.S.every((v) => v.length === dim) ? warmMemory : null;
  return lbfgs((w, g) => softmaxLossGrad(Xt, y, n, d, K, l2, w, g), w0, maxIter, mem, isCancelled);
}

/**
 * Mean cross-entropy + (l2/2)‖W‖² and its gradient into g. w is K×(d+1), bias last in each row.
 * Rows are processed four at a time: each weight load serves four logits, and each gradient entry is updated once
 * per four rows (≈2.5× fewer memory operations per multiply-add than row by row).
 */
function softmaxLossGrad(
  X: Float64Array, y: Int32Array, n: number, d: number, K: number, l2: number, w: Float64Array, g: Float64Array,
): number {
  const stride = d + 1;
  g.fill(0);
  const z = new Float64Array(4 * K);
  let loss = 0;
  for (let i0 = 0; i0 < n; i0 += 4) {
    const nb = Math.min(4, n - i0);
    const o0 = i0 * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
    for (let k = 0; k < K; k++) {
      const wo = k * stride;
      if (nb === 4) {
        let s0 = w[wo + d], s1 = s0, s2 = s0, s3 = s0;
        for (let t = 0; t < d; t++) {
          const wv = w[wo + t];
          s0 += wv * X[o0 + t]; s1 += wv * X[o1 + t]; s2 += wv * X[o2 + t]; s3 += wv * X[o3 + t];
        }
        z[k] = s0; z[K + k] = s1; z[2 * K + k] = s2; z[3 * K + k] = s3;
      } else {
        for (let r = 0; r < nb; r++) {
          let s = w[wo + d];
          const o = o0 + r * d;
          for (let t = 0; t < d; t++) s += w[wo + t] * X[o + t];
          z[r * K + k] = s;
        }
      }
    }
    // z ← p − onehot(y) per row; loss += log Σ exp − z_y.
    for (let r = 0; r < 4; r++) {
      const zo = r * K;
      if (r >= nb) { for (let k = 0; k < K; k++) z[zo + k] = 0; continue; }
      let mx = -Infinity;
      for (let k = 0; k < K; k++) if (z[zo + k] > mx) mx = z[zo + k];
      const yi = y[i0 + r];
      const zy = z[zo + yi] - mx;
      let sum = 0;
      for (let k = 0; k < K; k++) { const e = Math.exp(z[zo + k] - mx); z[zo + k] = e; sum += e; }
      loss += Math.log(sum) - zy;
      const inv = 1 / sum;
      for (let k = 0; k < K; k++) z[zo + k] = z[zo + k] * inv - (k === yi ? 1 : 0);
    }
    for (let k = 0; k < K; k++) {
      const r0 = z[k], r1 = z[K + k], r2 = z[2 * K + k], r3 = z[3 * K + k];
      if (r0 === 0 && r1 === 0 && r2 === 0 && r3 === 0) continue;
      const wo = k * stride;
      if (nb === 4) {
        for (let t = 0; t < d; t++) g[wo + t] += r0 * X[o0 + t] + r1 * X[o1 + t] + r2 * X[o2 + t] + r3 * X[o3 + t];
      } else {
        for (let r = 0; r < nb; r++) {
          const rv = z[r * K + k], o = o0 + r * d;
          for (let t = 0; t < d; t++) g[wo + t] += rv * X[o + t];
        }
      }
      g[wo + d] += r0 + r1 + r2 + r3;
    }
  }
  const inv = 1 / n;
  let reg = 0;
  for (let k = 0; k < K; k++) {
    const wo = k * stride;
    for (let t = 0; t < d; t++) { g[wo + t] = g[wo + t] * inv + l2 * w[wo + t]; reg += w[wo + t] * w[wo + t]; }
    g[wo + d] *= inv;
  }
  return loss * inv + 0.5 * l2 * reg;
}

/** Writes the held-out rows of fold f into predProbs (N×K). */
function predictFold(
  features: Matrix, labels: Int32Array, K: number, foldOf: Int32Array, f: number, w: Float64Array | null, predProbs: Float32Array,
): void {
  const { rows: N, cols: d } = features;
  const stride = d + 1;
  if (w === null) {
    const prior = new Float64Array(K);
    let n = 0;
    for (let i = 0; i < N; i++) if (foldOf[i] !== f) { prior[labels[i]]++; n++; }
    for (let k = 0; k < K; k++) prior[k] = n > 0 ? prior[k] / n : 1 / K;
    for (let i = 0; i < N; i++) if (foldOf[i] === f) for (let k = 0; k < K; k++) predProbs[i * K + k] = prior[k];
    return;
  }
  const z = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    if (foldOf[i] !== f) continue;
    const o = i * d;
    let mx = -Infinity;
    for (let k = 0; k < K; k++) {
      const wo = k * stride;
      let s = w[wo + d];
      for (let t = 0; t < d; t++) s += w[wo + t] * features.data[o + t];
      z[k] = s; if (s > mx) mx = s;
    }
    let sum = 0;
    for (let k = 0; k < K; k++) { z[k] = Math.exp(z[k] - mx); sum += z[k]; }
    for (let k = 0; k < K; k++) predProbs[i * K + k] = z[k] / sum;
  }
}

function accuracy(predProbs: Float32Array, labels: Int32Array, K: number): number {
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (predProbs[i * K + k] > predProbs[i * K + best]) best = k;
    if (best === labels[i]) ok++;
  }
  return labels.length ? ok / labels.length : 0;
}
