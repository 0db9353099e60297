/**
 * From embeddings and given labels to calibrated label verdicts: the classifier's regularisation chosen on
 * the given labels, out-of-fold probabilities, the noise model and each image's probability of being wrong.
 */
import type { Settings } from '../../../protocol/settings';
import type { KnnGraph, Matrix, ProgressFn } from '../types';
import { estimateProbs, type ProbEstimates } from './probs';
import { crossValFit, type CrossValState } from './classifier';
import { cleanPosterior, estimateTransition, labelWrongProbability, noiseShareInterval } from './verdict';

/**
 * L2 strengths tried for the linear head (mean cross-entropy + l2/2‖W‖² on centred, globally scaled PCA
 * features, classifier.ts); sklearn's C ≈ 1/(l2·N_train), so 1e-1…1e-3 spans C ≈ 0.003…0.3 at N = 4,000 on
 * these unit-mean-variance columns. Chosen by bench/pca-probe.ts: on clean labels the log-loss optimum fell inside
 * this range on every set measured (flowers, stamps, Fashion-MNIST and its upper-body classes). With 20% uniform
 * noise it moves to the strong end (flowers: 1e-1); a stronger value was not measured in bench/quality.
 */
export const L2_GRID = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3] as const;
/** Probability floor inside the log-loss used to compare regularisations (keeps one confident miss finite). */
const LOG_LOSS_FLOOR = 1e-6;

export interface Judgement {
  /** N: P(given label is wrong) in [0,1], higher = more likely wrong. */
  readonly pLabelWrong: Float32Array;
  /** N×K: probabilities of the true class (noise removed), rows sum to 1; argmax = suggested label. */
  readonly truePosterior: Float32Array;
  /** N×K out-of-fold probabilities of the classifier alone (the confusion matrix's predictions). */
  readonly clfProbs: Float32Array;
  /** N×K kNN vote probabilities. */
  readonly knnProbs: Float32Array;
  /** K×K row-major: P(given = j | true = i). */
  readonly transition: Float64Array;
  /** Mean of pLabelWrong, and its 90% bootstrap interval. */
  readonly noiseShare: number;
  readonly noiseInterval: readonly [number, number];
  /** K: mean pLabelWrong per given class. */
  readonly perClassNoise: number[];
  readonly cvAccuracy: number;
  readonly l2: number;
  readonly graph: KnnGraph;
  readonly clfState?: CrossValState;
  /** N×K out-of-fold probabilities the verdicts read (classifier mixed with the kNN vote), rows sum to 1. */
  readonly predProbs: Float32Array;
}

export interface JudgeOptions {
  readonly graph?: KnnGraph;
  readonly foldOf?: Int32Array;
  readonly clfState?: CrossValState;
  readonly userProbs?: readonly (Float32Array | null)[];
  readonly onProgress?: ProgressFn;
  readonly isCancelled?: () => boolean;
  /** Weight of the classifier against the kNN vote in the verdicts' probabilities (default probs.ts CLASSIFIER_WEIGHT). */
  readonly classifierWeight?: number;
}

/** Out-of-fold mean log-loss of N×K probabilities against labels (lower = better fit). */
function logLoss(probs: Float32Array, labels: Int32Array, K: number): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= Math.log(Math.max(LOG_LOSS_FLOOR, probs[i * K + labels[i]]));
  return s / Math.max(1, labels.length);
}

/** The L2 strength from `L2_GRID` with the lowest out-of-fold log-loss on the given labels, with its fit. */
export function chooseL2(X: Matrix, labels: Int32Array, K: number, opts: { folds: number; seed: number; foldOf?: Int32Array; isCancelled?: () => boolean }): CrossValState {
  let best: CrossValState | null = null;
  let bestLoss = Infinity;
  let prepared: Matrix | undefined;
  for (const l2 of L2_GRID) {
    // The PCA is the same for every l2: computed by the first fit, reused by the rest (same features, same fits).
    const s = crossValFit(X, labels, K, { folds: opts.folds, seed: opts.seed, foldOf: opts.foldOf, l2, prepared, isCancelled: opts.isCancelled });
    prepared = s.features;
    const loss = logLoss(s.result.predProbs, labels, K);
    if (loss < bestLoss) {
      bestLoss = loss;
      best = s;
    }
  }
  return best!;
}

export async function judgeLabels(X: Matrix, labels: Int32Array, K: number, settings: Settings, opts: JudgeOptions): Promise<Judgement> {
  const reuse = opts.clfState && opts.clfState.labels.length === X.rows && opts.clfState.K === K;
  const clfState = reuse || opts.userProbs?.every((p) => p) ? opts.clfState : chooseL2(X, labels, K, { folds: settings.folds, seed: settings.seed, foldOf: opts.foldOf, isCancelled: opts.isCancelled });
  const est: ProbEstimates = await estimateProbs(X, labels, K, { folds: settings.folds, seed: settings.seed, k: settings.k, graph: opts.graph, foldOf: opts.foldOf, clfState, userProbs: opts.userProbs, classifierWeight: opts.classifierWeight, onProgress: opts.onProgress, isCancelled: opts.isCancelled });
  const probs = est.probs;
  // Anchors from the classifier alone (purest), verdicts from the mixed probabilities (best ranking); the
  // interval also spans the noise model whose anchors read the mixed probabilities (see verdict.ts).
  const T = estimateTransition(labels, est.clfProbs, K);
  const pLabelWrong = labelWrongProbability(labels, probs, T, K);
  const interval = noiseShareInterval(labels, probs, [est.clfProbs, probs], K, { seed: settings.seed });
  const perClassNoise = new Array<number>(K).fill(0);
  const perClassCount = new Array<number>(K).fill(0);
  labels.forEach((y, i) => {
    perClassNoise[y] += pLabelWrong[i];
    perClassCount[y]++;
  });
  return {
    pLabelWrong,
    truePosterior: posteriorGivenLabel(labels, probs, T, K),
    clfProbs: est.clfProbs,
    knnProbs: est.knnProbs,
    transition: T,
    noiseShare: interval.share,
    noiseInterval: [interval.low, interval.high],
    perClassNoise: perClassNoise.map((s, k) => (perClassCount[k] ? s / perClassCount[k] : 0)),
    cvAccuracy: est.cvAccuracy,
    l2: est.clfState?.l2 ?? clfState?.l2 ?? Number.NaN,
    graph: est.graph,
    clfState: est.clfState,
    predProbs: probs,
  };
}

/** N×K: P(true = i | image, given label) — the noise-free posterior weighted by how labels get flipped. */
function posteriorGivenLabel(labels: Int32Array, probs: Float32Array, T: Float64Array, K: number): Float32Array {
  const out = new Float32Array(probs.length);
  const pi = cleanPosterior(probs, T, K);
  labels.forEach((y, n) => {
    let s = 0;
    for (let i = 0; i < K; i++) s += out[n * K + i] = pi[n * K + i] * T[i * K + y];
    if (s > 0) for (let i = 0; i < K; i++) out[n * K + i] /= s;
  });
  return out;
}
