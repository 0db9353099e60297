/**
 * The label stage: out-of-fold probabilities (classifier + neighbour vote, or the user's own model), then
 * per-image label quality, the label-issue mask, the confident joint and the noise rates, and one 'label'
 * issue per image whose given label looks wrong. Everything label-dependent happens here; the stages after
 * it (duplicates, outliers, map, quality) only use the kNN graph it returns.
 */
import type { Settings } from '../../../protocol/settings';
import type { Issue } from '../../../protocol/results';
import type { KnnGraph, ProgressFn, IsCancelled } from '../types';
import type { CrossValState } from '../labels/classifier';
import { estimateProbs } from '../labels/probs';
import { hashFolds } from '../labels/folds';
import { neighbourAgreement } from '../labels/neighbours';
import { computeConfidentJoint, estimateLatent, findLabelIssues, getLabelQualityScores } from '../labels/cl';
import type { EmbeddedItem } from './embeddedItem';
import type { EmbeddingRows } from './rows';
import type { StageHooks } from './hooks';

export interface LabelStageInput {
  readonly classes: readonly string[];
  readonly items: readonly EmbeddedItem[];
  /** Per item: a person confirmed this label; never flag it. */
  readonly trusted: readonly boolean[];
  /** Per item: probabilities from the user's own model (K, in `classes` order), or null. */
  readonly userProbs?: readonly (Float32Array | null)[];
  readonly rows: EmbeddingRows;
  /** From the memo, rows renumbered to this run: a kNN graph and a classifier state to refit warm. */
  readonly graph?: KnnGraph;
  readonly clfState?: CrossValState;
}

/** Per item (length = items.length) label results, plus the dataset-level noise estimates. */
export interface LabelStageOutput {
  /** Suggested class per item, -1 when not analysed. */
  readonly predicted: Int32Array;
  readonly predictedProb: Float32Array;
  /** In [0, 1], lower = more likely mislabelled; 1 when not analysed. */
  readonly labelQuality: Float32Array;
  readonly isLabelIssue: Uint8Array;
  /** Share of neighbours agreeing with the given label; 1 when not analysed. */
  readonly agreement: Float32Array;
  /** The 'label' issues, in item order. */
  readonly issues: Issue[];
  /** K×K given × classifier-predicted counts. */
  readonly confusion: number[][];
  /** K×K P(given=i | true=j). */
  readonly noiseMatrix: number[][];
  readonly estimatedNoiseRate: number;
  readonly perClassNoiseRate: number[];
  readonly cvAccuracy: number;
  /** The kNN graph the probabilities used (null when the stage did not run). */
  readonly graph: KnnGraph | null;
  readonly clfState?: CrossValState;
}

function pct(p: number): string {
  return `${Math.round(p * 100)}%`;
}

function rowsOf(m: Float64Array | Float32Array, k: number): number[][] {
  return Array.from({ length: k }, (_, i) => Array.from(m.subarray(i * k, (i + 1) * k)));
}

function argmaxRow(p: Float32Array, r: number, K: number): number {
  let best = 0;
  for (let c = 1; c < K; c++) if (p[r * K + c] > p[r * K + best]) best = c;
  return best;
}

/** Per-class and overall share of the confident joint off its diagonal (K×K, rows = given label). */
function noiseRates(cj: ArrayLike<number>, K: number): { perClass: number[]; overall: number } {
  let off = 0;
  let tot = 0;
  const perClass = new Array<number>(K).fill(0);
  for (let i = 0; i < K; i++) {
    let rowSum = 0;
    for (let j = 0; j < K; j++) rowSum += cj[i * K + j];
    tot += rowSum;
    off += rowSum - cj[i * K + i];
    perClass[i] = rowSum > 0 ? 1 - cj[i * K + i] / rowSum : 0;
  }
  return { perClass, overall: tot > 0 ? off / tot : 0 };
}

/** The output when there is nothing to compare (fewer than 2 images or 2 classes). */
function emptyLabelOutput(n: number, K: number): { -readonly [P in keyof LabelStageOutput]: LabelStageOutput[P] } {
  return {
    predicted: new Int32Array(n).fill(-1),
    predictedProb: new Float32Array(n),
    labelQuality: new Float32Array(n).fill(1),
    isLabelIssue: new Uint8Array(n),
    agreement: new Float32Array(n).fill(1),
    issues: [],
    confusion: Array.from({ length: K }, () => new Array<number>(K).fill(0)),
    noiseMatrix: Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 1 : 0))),
    estimatedNoiseRate: 0,
    perClassNoiseRate: new Array<number>(K).fill(0),
    cvAccuracy: 1,
    graph: null,
  };
}

export async function labelStage(
  input: LabelStageInput,
  settings: Settings,
  hooks: StageHooks & { onPhase: ProgressFn; isCancelled: IsCancelled },
  timings: Record<string, number>,
): Promise<LabelStageOutput> {
  const { classes, items, rows } = input;
  const { analysed, X, labels } = rows;
  const n = items.length;
  const m = analysed.length;
  const K = classes.length;
  const out = emptyLabelOutput(n, K);
  if (m > 0 && K <= 1) {
    for (const i of analysed) {
      out.predicted[i] = 0;
      out.predictedProb[i] = 1;
    }
  }
  if (m < 2 || K < 2) return out;

  const userProbs = input.userProbs ? Array.from(analysed, (i) => input.userProbs![i]) : undefined;
  const foldOf = hashFolds(rows.hashes, labels, K, settings.folds);
  const est = await estimateProbs(X, labels, K, { folds: settings.folds, seed: settings.seed, k: settings.k, graph: input.graph, clfState: input.clfState, foldOf, userProbs, onProgress: hooks.onPhase, isCancelled: hooks.isCancelled });
  out.clfState = est.clfState;
  timings.classify = est.timings.classify;
  timings.knn = est.timings.knn;
  out.cvAccuracy = est.cvAccuracy;
  out.graph = est.graph;
  const t = Date.now();
  hooks.onProgress?.({ phase: 'label-issues', done: 0, total: 1 });
  const probs = est.probs;
  const agree = neighbourAgreement(est.graph, labels, K);
  const quality = getLabelQualityScores(labels, probs, 'self_confidence');
  const mask = findLabelIssues(labels, probs, { filterBy: settings.labelFilter });
  const cj = computeConfidentJoint(labels, probs, K);
  out.noiseMatrix = rowsOf(estimateLatent(cj, labels).noiseMatrix, K);
  const rates = noiseRates(cj, K);
  out.perClassNoiseRate = rates.perClass;
  out.estimatedNoiseRate = rates.overall;

  for (let r = 0; r < m; r++) {
    const i = analysed[r];
    const best = argmaxRow(probs, r, K);
    out.confusion[labels[r]][argmaxRow(est.clfProbs, r, K)]++;
    out.predicted[i] = best;
    out.predictedProb[i] = probs[r * K + best];
    out.labelQuality[i] = quality[r];
    out.agreement[i] = agree[r];
    if (mask[r] && !input.trusted[i] && best !== labels[r]) {
      out.isLabelIssue[i] = 1;
      const it = items[i].item;
      out.issues.push({
        kind: 'label',
        path: it.path,
        score: 1 - quality[r],
        message: `Labelled '${it.label}' but looks like '${classes[best]}' (${pct(probs[r * K + best])})`,
        suggestedLabel: classes[best],
        suggestedProb: probs[r * K + best],
      });
    }
  }
  timings.labelIssues = Date.now() - t;
  return out;
}
