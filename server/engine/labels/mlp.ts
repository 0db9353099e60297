/**
 * A small MLP head on frozen embeddings: one hidden layer (ReLU), softmax output, AdamW (decoupled weight decay),
 * mini-batches, early stopping on a stratified inner validation split (best-validation-loss weights are kept).
 * `crossValPredictProbsMlp` gives out-of-fold probabilities exactly like `classifier.crossValPredictProbs`, so the
 * two heads can be compared and swapped.
 *
 * Backend: plain Float32Array loops (no TensorFlow.js), for the same reason as ./classifier.ts: on 2 CPU cores
 * tfjs-cpu/wasm add a tensor round trip per mini-batch that costs more than these small products.
 * Deterministic: all randomness (init, shuffles, inner split) comes from `makeRng(seed)`.
 */
import { CancelledError, IsCancelled, Matrix, ProgressFn } from '../types';
import { makeRng } from '../numerics/rng';
import { assertFiniteRows } from '../numerics/linalg';
import { columnStats, prepareFeatures, standardise } from './classifier';
import { stratifiedFolds } from './folds';

export const MLP_DEFAULTS = {
  hidden: 256,
  /** AdamW decoupled weight decay (per step, scaled by the learning rate). */
  weightDecay: 1e-2,
  learningRate: 1e-3,
  batchSize: 32,
  maxEpochs: 200,
  /** Epochs without a validation-loss improvement before stopping. */
  patience: 15,
  /** Share of each training fold held out for early stopping. */
  validationShare: 0.15,
  /** Inputs are used as they are (standardised); set > 0 to PCA-reduce first. */
  pcaDims: 0,
} as const;

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
/** Adam's denominator guard. */
const ADAM_EPSILON = 1e-8;
/** Added inside log() of the validation loss so a zero probability does not give Infinity. */
const LOG_EPSILON = 1e-12;

export interface MlpOptions {
  readonly seed: number;
  readonly folds?: number;
  readonly hidden?: number;
  readonly weightDecay?: number;
  readonly learningRate?: number;
  readonly batchSize?: number;
  readonly maxEpochs?: number;
  readonly patience?: number;
  readonly validationShare?: number;
  readonly pcaDims?: number;
  readonly foldOf?: Int32Array;
  readonly onProgress?: ProgressFn;
  readonly isCancelled?: IsCancelled;
}

export interface MlpCrossValResult {
  /** N×K out-of-fold probabilities, rows sum to 1. */
  readonly predProbs: Float32Array;
  readonly foldOf: Int32Array;
  /** Share of examples whose out-of-fold argmax equals the given label. */
  readonly cvAccuracy: number;
  /** Epochs trained in each fold (including the patience tail). */
  readonly epochs: readonly number[];
}

/** Trained weights: W1 D×H (row = input), b1 H, W2 H×K (row = hidden unit), b2 K. */
export interface MlpModel {
  readonly D: number;
  readonly H: number;
  readonly K: number;
  readonly W1: Float32Array;
  readonly b1: Float32Array;
  readonly W2: Float32Array;
  readonly b2: Float32Array;
  readonly epochs: number;
}

export function crossValPredictProbsMlp(X: Matrix, labels: Int32Array, K: number, opts: MlpOptions): MlpCrossValResult {
  validate(X, labels, K);
  const N = X.rows;
  const folds = Math.min(opts.folds ?? 5, N);
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`folds must be an integer ≥ 2, got ${opts.folds}`);
  const feats = prepare(X, opts.pcaDims ?? MLP_DEFAULTS.pcaDims, opts.seed);
  const foldOf = opts.foldOf ? Int32Array.from(opts.foldOf) : stratifiedFolds(labels, K, folds, opts.seed);
  const predProbs = new Float32Array(N * K);
  const epochs: number[] = [];
  for (let f = 0; f < folds; f++) {
    if (opts.isCancelled?.()) throw new CancelledError();
    opts.onProgress?.('classify', f, folds);
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < N; i++) (foldOf[i] === f ? test : train).push(i);
    const model = trainMlp(feats, labels, K, Int32Array.from(train), { ...opts, seed: opts.seed + 7919 * (f + 1) });
    epochs.push(model.epochs);
    const p = predictRows(model, feats, Int32Array.from(test));
    test.forEach((i, r) => predProbs.set(p.subarray(r * K, (r + 1) * K), i * K));
  }
  opts.onProgress?.('classify', folds, folds);
  let correct = 0;
  for (let i = 0; i < N; i++) if (argmax(predProbs, i * K, K) === labels[i]) correct++;
  return { predProbs, foldOf, cvAccuracy: correct / N, epochs };
}

/** Fits on (Xtrain, ytrain) — standardised with Xtrain's statistics — and returns Xtest's probabilities (rows×K). */
export function fitPredictMlp(Xtrain: Matrix, ytrain: Int32Array, Xtest: Matrix, K: number, opts: MlpOptions): Float32Array {
  validate(Xtrain, ytrain, K);
  assertFiniteRows(Xtest, 'Xtest');
  if (Xtest.cols !== Xtrain.cols) throw new Error(`Xtest has ${Xtest.cols} columns, Xtrain ${Xtrain.cols}`);
  const { mean, scale } = columnStats(Xtrain);
  const both: Matrix = { rows: Xtrain.rows + Xtest.rows, cols: Xtrain.cols, data: new Float32Array(Xtrain.data.length + Xtest.data.length) };
  both.data.set(Xtrain.data);
  both.data.set(Xtest.data, Xtrain.data.length);
  const feats = standardise(both, mean, scale);
  const train = Int32Array.from({ length: Xtrain.rows }, (_, i) => i);
  const labels = new Int32Array(both.rows);
  labels.set(ytrain);
  const model = trainMlp(feats, labels, K, train, opts);
  return predictRows(model, feats, Int32Array.from({ length: Xtest.rows }, (_, i) => Xtrain.rows + i));
}

// ---- internals -----------------------------------------------------------------------------------------------------

function validate(X: Matrix, labels: Int32Array, K: number): void {
  if (!Number.isInteger(K) || K < 2) throw new Error(`K must be an integer ≥ 2, got ${K}`);
  if (labels.length !== X.rows) throw new Error(`labels.length ${labels.length} != X.rows ${X.rows}`);
  if (X.rows === 0) throw new Error('no examples');
  for (let i = 0; i < labels.length; i++) {
    if (!(labels[i] >= 0 && labels[i] < K)) throw new Error(`label ${labels[i]} at row ${i} out of range 0..${K - 1}`);
  }
  assertFiniteRows(X, 'mlp input');
}

/**
 * Inputs as the MLP sees them. Raw features: each column standardised. PCA components: centred and divided by
 * one common scale (classifier.ts prepareFeatures, scaling 'global'), never per column — standardising each component
 * blows the weakest ones (noise, or exactly zero variance when there are fewer images than components) up to
 * the strongest's size, and the MLP fitted that noise: 17% out-of-fold accuracy on 30 Fashion-MNIST images
 * (10 classes) and 63% on 400 where the linear head reached 57% and 81%.
 */
function prepare(X: Matrix, pcaDims: number, seed: number): Matrix {
  const reduce = pcaDims > 0 && pcaDims < X.cols;
  return prepareFeatures(X, { seed, pcaDims, scaling: reduce ? 'global' : 'column' });
}


function argmax(p: ArrayLike<number>, off: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (p[off + k] > p[off + best]) best = k;
  return best;
}

/** Stratified inner split of `rows`: about `share` of each class (at least one when the class has ≥ 2) to validation. */
function innerSplit(rows: Int32Array, labels: Int32Array, K: number, share: number, rng: () => number): { fit: Int32Array; val: Int32Array } {
  const byClass: number[][] = Array.from({ length: K }, () => []);
  for (const i of rows) byClass[labels[i]].push(i);
  const fit: number[] = [];
  const val: number[] = [];
  for (const members of byClass) {
    shuffle(members, rng);
    const nVal = members.length >= 2 ? Math.max(1, Math.round(share * members.length)) : 0;
    members.forEach((i, r) => (r < nVal ? val : fit).push(i));
  }
  return { fit: Int32Array.from(fit), val: Int32Array.from(val) };
}

function shuffle(a: number[] | Int32Array, rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i]; a[i] = a[j]; a[j] = t;
  }
}

function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** The network's weights, in AdamW's order: W1 (D×H), b1 (H), W2 (H×K), b2 (K). */
type Params = [Float32Array, Float32Array, Float32Array, Float32Array];
/** Weight decay applies to the weight matrices, not to the biases. */
const DECAYS = [true, false, true, false] as const;

/** He initialisation for the ReLU layer, Glorot-ish for the output layer; biases zero. */
function initParams(D: number, H: number, K: number, rng: () => number): Params {
  const W1 = new Float32Array(D * H);
  const W2 = new Float32Array(H * K);
  const s1 = Math.sqrt(2 / D);
  const s2 = Math.sqrt(1 / H);
  for (let i = 0; i < W1.length; i++) W1[i] = gaussian(rng) * s1;
  for (let i = 0; i < W2.length; i++) W2[i] = gaussian(rng) * s2;
  return [W1, new Float32Array(H), W2, new Float32Array(K)];
}

/**
 * Adds one example's cross-entropy gradient (divided by the batch size `nb`) into `grads`. Scratch: `hr` (H),
 * `p` (K), `dh` (H).
 */
function accumulateGradient(
  x: Float32Array, label: number, nb: number, params: Params, grads: Params,
  D: number, H: number, K: number, hr: Float32Array, p: Float32Array, dh: Float32Array,
): void {
  const [W1, b1, W2, b2] = params;
  const [gW1, gb1, gW2, gb2] = grads;
  forward(x, W1, b1, W2, b2, D, H, K, hr, p);
  // dL/dlogits = p − onehot, averaged over the batch.
  p[label] -= 1;
  for (let k = 0; k < K; k++) p[k] /= nb;
  dh.fill(0);
  for (let j = 0; j < H; j++) {
    const hj = hr[j];
    if (hj <= 0) continue;
    let s = 0;
    const o = j * K;
    for (let k = 0; k < K; k++) { gW2[o + k] += hj * p[k]; s += W2[o + k] * p[k]; }
    dh[j] = s;
  }
  for (let k = 0; k < K; k++) gb2[k] += p[k];
  for (let j = 0; j < H; j++) gb1[j] += dh[j];
  for (let d = 0; d < D; d++) {
    const xd = x[d];
    if (xd === 0) continue;
    const o = d * H;
    for (let j = 0; j < H; j++) gW1[o + j] += xd * dh[j];
  }
}

/** One AdamW step (`step` counts from 1) with decoupled weight decay on the weight matrices. */
function adamwStep(params: Params, grads: Params, m1: Params, m2: Params, step: number, lr: number, wd: number): void {
  const c1 = 1 / (1 - Math.pow(ADAM_BETA1, step));
  const c2 = 1 / (1 - Math.pow(ADAM_BETA2, step));
  for (let t = 0; t < params.length; t++) {
    const w = params[t], g = grads[t], a = m1[t], v = m2[t];
    const decay = DECAYS[t] ? 1 - lr * wd : 1;
    for (let q = 0; q < w.length; q++) {
      const gq = g[q];
      a[q] = ADAM_BETA1 * a[q] + (1 - ADAM_BETA1) * gq;
      v[q] = ADAM_BETA2 * v[q] + (1 - ADAM_BETA2) * gq * gq;
      w[q] = w[q] * decay - (lr * a[q] * c1) / (Math.sqrt(v[q] * c2) + ADAM_EPSILON);
    }
  }
}

/** Mean cross-entropy over the rows `val`. Scratch: `p` (K). */
function validationLoss(X: Matrix, labels: Int32Array, val: Int32Array, params: Params, H: number, K: number, p: Float32Array): number {
  const D = X.cols;
  const [W1, b1, W2, b2] = params;
  let loss = 0;
  const hv = new Float32Array(H);
  for (const i of val) {
    forward(X.data.subarray(i * D, (i + 1) * D), W1, b1, W2, b2, D, H, K, hv, p);
    loss -= Math.log(p[labels[i]] + LOG_EPSILON);
  }
  return loss / val.length;
}

function trainMlp(X: Matrix, labels: Int32Array, K: number, rows: Int32Array, opts: MlpOptions): MlpModel {
  const D = X.cols;
  const H = opts.hidden ?? MLP_DEFAULTS.hidden;
  const lr = opts.learningRate ?? MLP_DEFAULTS.learningRate;
  const wd = opts.weightDecay ?? MLP_DEFAULTS.weightDecay;
  const B = opts.batchSize ?? MLP_DEFAULTS.batchSize;
  const maxEpochs = opts.maxEpochs ?? MLP_DEFAULTS.maxEpochs;
  const patience = opts.patience ?? MLP_DEFAULTS.patience;
  const share = opts.validationShare ?? MLP_DEFAULTS.validationShare;
  if (!(H >= 1 && Number.isInteger(H))) throw new Error(`hidden must be a positive integer, got ${H}`);
  const rng = makeRng(opts.seed);
  const { fit, val } = innerSplit(rows, labels, K, share, rng);
  const fitRows = val.length > 0 ? fit : rows;

  const params = initParams(D, H, K, rng);
  const zeros = (): Params => params.map((w) => new Float32Array(w.length)) as Params;
  const grads = zeros();
  const m1 = zeros();
  const m2 = zeros();
  const best = params.map((w) => Float32Array.from(w)) as Params;

  const h = new Float32Array(B * H);
  const dh = new Float32Array(H);
  const p = new Float32Array(K);
  const order = Int32Array.from(fitRows);
  let step = 0;
  let bestLoss = Infinity;
  let since = 0;
  let epoch: number;
  for (epoch = 1; epoch <= maxEpochs; epoch++) {
    if (opts.isCancelled?.()) throw new CancelledError();
    shuffle(order, rng);
    for (let start = 0; start < order.length; start += B) {
      const nb = Math.min(B, order.length - start);
      for (const g of grads) g.fill(0);
      for (let r = 0; r < nb; r++) {
        const i = order[start + r];
        accumulateGradient(X.data.subarray(i * D, (i + 1) * D), labels[i], nb, params, grads, D, H, K, h.subarray(r * H, (r + 1) * H), p, dh);
      }
      adamwStep(params, grads, m1, m2, ++step, lr, wd);
    }
    if (val.length === 0) continue; // too few examples to hold any out: run all epochs
    const loss = validationLoss(X, labels, val, params, H, K, p);
    if (loss < bestLoss - 1e-6) {
      bestLoss = loss;
      since = 0;
      params.forEach((w, t) => best[t].set(w));
    } else if (++since >= patience) {
      break;
    }
  }
  const keep = val.length > 0 ? best : params;
  return { D, H, K, W1: keep[0], b1: keep[1], W2: keep[2], b2: keep[3], epochs: Math.min(epoch, maxEpochs) };
}

/** Writes the hidden activations into `h` (H) and the softmax into `p` (K). */
function forward(
  x: Float32Array, W1: Float32Array, b1: Float32Array, W2: Float32Array, b2: Float32Array,
  D: number, H: number, K: number, h: Float32Array, p: Float32Array,
): void {
  h.set(b1);
  for (let d = 0; d < D; d++) {
    const xd = x[d];
    if (xd === 0) continue;
    const o = d * H;
    for (let j = 0; j < H; j++) h[j] += xd * W1[o + j];
  }
  p.set(b2);
  for (let j = 0; j < H; j++) {
    if (h[j] < 0) h[j] = 0;
    const hj = h[j];
    if (hj === 0) continue;
    const o = j * K;
    for (let k = 0; k < K; k++) p[k] += hj * W2[o + k];
  }
  let mx = -Infinity;
  for (let k = 0; k < K; k++) if (p[k] > mx) mx = p[k];
  let s = 0;
  for (let k = 0; k < K; k++) { p[k] = Math.exp(p[k] - mx); s += p[k]; }
  for (let k = 0; k < K; k++) p[k] /= s;
}

function predictRows(model: MlpModel, X: Matrix, rows: Int32Array): Float32Array {
  const { D, H, K } = model;
  const out = new Float32Array(rows.length * K);
  const h = new Float32Array(H);
  const p = new Float32Array(K);
  rows.forEach((i, r) => {
    forward(X.data.subarray(i * D, (i + 1) * D), model.W1, model.b1, model.W2, model.b2, D, H, K, h, p);
    out.set(p, r * K);
  });
  return out;
}
