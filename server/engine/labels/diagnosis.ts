/**
 * "Is retraining only the last layer the limit, or are my labels the problem?" — measured on the user's
 * own data: cross-validated accuracy of (a) the linear head on the given labels, (b) the same head after
 * dropping the confident label issues, (c) a deeper head (one hidden layer), (d) a kNN vote; and one
 * sentence saying which lever is bigger.
 */
import type { Diagnosis } from '../../../protocol/results';
import type { Matrix } from '../types';
import { makeRng } from '../numerics/rng';
import { crossValFit, DEFAULT_PCA_DIMS, PCA_WHEN_COLS_ABOVE } from './classifier';
import { crossValPredictProbsMlp } from './mlp';

/** The deeper head is measured on at most this many images (seeded sample): it costs ~50× the linear head. */
export const MLP_MAX_ROWS = 2000;
/** Folds for the deeper head (fewer than the linear head's: it is a comparison, not a verdict). */
const MLP_FOLDS = 3;
/** Epoch cap for the deeper head (early stopping usually ends sooner). */
const MLP_MAX_EPOCHS = 60;
/** Below this many kept images per class the cleaned refit is not measured. */
const MIN_KEPT_PER_CLASS = 2;
/** A lever is "bigger" only when its gain exceeds the other's by this many accuracy points. */
const LEVER_MARGIN = 0.02;

function argmaxAccuracy(probs: Float32Array, labels: Int32Array, K: number, rows?: readonly number[]): number {
  const idx = rows ?? Array.from(labels.keys());
  let ok = 0;
  for (const i of idx) {
    let b = 0;
    for (let c = 1; c < K; c++) if (probs[i * K + c] > probs[i * K + b]) b = c;
    if (b === labels[i]) ok++;
  }
  return idx.length ? ok / idx.length : 0;
}

function subset(X: Matrix, rows: readonly number[]): Matrix {
  const data = new Float32Array(rows.length * X.cols);
  rows.forEach((i, r) => data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), r * X.cols));
  return { rows: rows.length, cols: X.cols, data };
}

export interface DiagnoseInput {
  readonly X: Matrix;
  readonly labels: Int32Array;
  readonly K: number;
  /** Out-of-fold accuracy of the linear head on the given labels (already measured by the verdicts). */
  readonly linear: number;
  /** N×K kNN vote probabilities. */
  readonly knnProbs: Float32Array;
  /** N: 1 = confident label issue (dropped for (b)). */
  readonly flagged: Uint8Array;
  readonly l2: number;
  readonly folds: number;
  readonly seed: number;
  /** Estimated share of wrong labels and its interval. */
  readonly noiseShare: number;
  readonly noiseInterval: readonly [number, number];
}

export function diagnose(d: DiagnoseInput): Diagnosis {
  const { X, labels, K } = d;
  const kept = [...labels.keys()].filter((i) => !d.flagged[i]);
  const perClass = new Array<number>(K).fill(0);
  for (const i of kept) perClass[labels[i]]++;
  let linearCleaned = d.linear;
  if (kept.length < labels.length && perClass.every((c) => c >= MIN_KEPT_PER_CLASS)) {
    const y = Int32Array.from(kept, (i) => labels[i]);
    linearCleaned = crossValFit(subset(X, kept), y, K, { folds: d.folds, seed: d.seed, l2: d.l2 }).result.cvAccuracy;
  }
  const mlp = measureMlp(X, labels, K, d.seed);
  const knn = argmaxAccuracy(d.knnProbs, labels, K);
  return { linear: d.linear, linearCleaned, dropped: labels.length - kept.length, mlp, knn, summary: summarise(d, linearCleaned, mlp, knn) };
}

function measureMlp(X: Matrix, labels: Int32Array, K: number, seed: number): number | null {
  const N = labels.length;
  if (N < MLP_FOLDS * K * 2) return null;
  let rows = [...labels.keys()];
  if (N > MLP_MAX_ROWS) {
    const rng = makeRng(seed);
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    rows = rows.slice(0, MLP_MAX_ROWS);
  }
  const y = Int32Array.from(rows, (i) => labels[i]);
  // The same PCA width as the linear head: on 816-d features the full-width MLP took 42 s of a 69 s sample run.
  const pcaDims = X.cols > PCA_WHEN_COLS_ABOVE ? DEFAULT_PCA_DIMS : 0;
  const r = crossValPredictProbsMlp(subset(X, rows), y, K, { folds: MLP_FOLDS, seed, maxEpochs: MLP_MAX_EPOCHS, pcaDims });
  return r.cvAccuracy;
}

const pc = (x: number): string => `${Math.round(x * 100)}%`;

/** The other heads against the linear head, as measured: a gain only when there is one. */
function otherHeads(linear: number, mlp: number | null, knn: number, best: string, gain: number): string {
  if (gain > 0) return `${best} gains only ${pc(gain)} over the linear head (${pc(linear)})`;
  if (mlp === null) return `a kNN vote (${pc(knn)}) does not beat the linear head (${pc(linear)})`;
  return `neither a deeper head (${pc(mlp)}) nor a kNN vote (${pc(knn)}) beats the linear head (${pc(linear)})`;
}

/** One sentence: which lever — the labels or the model — is bigger, with the numbers it rests on. */
export function summarise(d: Pick<DiagnoseInput, 'linear' | 'noiseShare' | 'noiseInterval'>, linearCleaned: number, mlp: number | null, knn: number): string {
  const modelBest = Math.max(mlp ?? 0, knn);
  const modelGain = modelBest - d.linear;
  const which = mlp !== null && mlp >= knn ? `a deeper head (${pc(mlp)})` : `a kNN vote (${pc(knn)})`;
  const noise = `about ${pc(d.noiseShare)} of labels look wrong (90% interval ${pc(d.noiseInterval[0])}–${pc(d.noiseInterval[1])})`;
  if (d.noiseInterval[1] < 0.05) {
    return `No evidence that the labels are the limit: ${noise}. The linear head reaches ${pc(d.linear)} and ${which} ${modelGain > LEVER_MARGIN ? 'does better' : 'no better'}: the features are the limit — a stronger backbone (see models) or fine-tuning more than the last layer helps more than relabelling.`;
  }
  const labelGain = d.noiseShare;
  if (labelGain > modelGain + LEVER_MARGIN) {
    return `The labels are the bigger lever: ${noise}, while ${otherHeads(d.linear, mlp, knn, which, modelGain)}. Review the label issues first.`;
  }
  if (modelGain > labelGain + LEVER_MARGIN) {
    return `The model is the bigger lever: ${which} beats the linear head (${pc(d.linear)}) by ${pc(modelGain)}, more than the ${pc(d.noiseShare)} of labels that look wrong (interval ${pc(d.noiseInterval[0])}–${pc(d.noiseInterval[1])}).`;
  }
  return `Both levers are about equal: ${noise}; ${which} vs the linear head's ${pc(d.linear)}. Without the confident label issues the linear head scores ${pc(linearCleaned)} on the images kept.`;
}
