/**
 * The label stage: out-of-fold probabilities (classifier + neighbour vote, or the user's own model), then the
 * calibrated verdicts (labels/judge.ts: P(label wrong) per image, the noise model and its interval), one
 * 'label' issue per confident or possible verdict (labels/issues.ts), and the "labels or model?" diagnosis.
 * Everything label-dependent happens here; the stages after it (duplicates, outliers, map, quality) only
 * use the kNN graph it returns.
 */
import type { Settings } from '../../../protocol/settings';
import type { Diagnosis, Issue, LabelVerdict } from '../../../protocol/results';
import type { KnnGraph, ProgressFn, IsCancelled } from '../types';
import type { CrossValState } from '../labels/classifier';
import { hashFolds } from '../labels/folds';
import { neighbourAgreement } from '../labels/neighbours';
import { judgeLabels } from '../labels/judge';
import { labelVerdicts, argmaxRow } from '../labels/issues';
import { diagnose } from '../labels/diagnosis';
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
  /** From the memo: the diagnosis of a run over the same images, reused as is. */
  readonly diagnosis?: Diagnosis;
  readonly skipDiagnosis?: boolean;
}

/** Per item (length = items.length) label results, plus the dataset-level noise estimates. */
export interface LabelStageOutput {
  /** Suggested class per item (the most likely true class), -1 when not analysed. */
  readonly predicted: Int32Array;
  /** P(true = predicted | image, given label). */
  readonly predictedProb: Float32Array;
  /** In [0, 1], lower = more likely mislabelled (= 1 − pLabelWrong); 1 when not analysed. */
  readonly labelQuality: Float32Array;
  /** 1 where the verdict is 'confident'. */
  readonly isLabelIssue: Uint8Array;
  /** Calibrated P(given label is wrong); 0 when not analysed or confirmed by a person. */
  readonly pLabelWrong: Float32Array;
  readonly verdicts: LabelVerdict[];
  /** Share of neighbours agreeing with the given label; 1 when not analysed. */
  readonly agreement: Float32Array;
  /** The 'label' issues (confident and possible), in item order. */
  readonly issues: Issue[];
  /** K×K given × classifier-predicted counts. */
  readonly confusion: number[][];
  /** K×K P(given=i | true=j). */
  readonly noiseMatrix: number[][];
  readonly estimatedNoiseRate: number;
  readonly noiseInterval: readonly [number, number];
  readonly perClassNoiseRate: number[];
  readonly cvAccuracy: number;
  readonly diagnosis: Diagnosis | null;
  /** The kNN graph the probabilities used (null when the stage did not run). */
  readonly graph: KnnGraph | null;
  readonly clfState?: CrossValState;
}

/** The output when there is nothing to compare (fewer than 2 images or 2 classes). */
function emptyLabelOutput(n: number, K: number): { -readonly [P in keyof LabelStageOutput]: LabelStageOutput[P] } {
  return {
    predicted: new Int32Array(n).fill(-1),
    predictedProb: new Float32Array(n),
    labelQuality: new Float32Array(n).fill(1),
    isLabelIssue: new Uint8Array(n),
    pLabelWrong: new Float32Array(n),
    verdicts: new Array<LabelVerdict>(n).fill('none'),
    agreement: new Float32Array(n).fill(1),
    issues: [],
    confusion: Array.from({ length: K }, () => new Array<number>(K).fill(0)),
    noiseMatrix: Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 1 : 0))),
    estimatedNoiseRate: 0,
    noiseInterval: [0, 0],
    perClassNoiseRate: new Array<number>(K).fill(0),
    cvAccuracy: 1,
    diagnosis: null,
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

  let t = Date.now();
  const userProbs = input.userProbs ? Array.from(analysed, (i) => input.userProbs![i]) : undefined;
  const foldOf = hashFolds(rows.hashes, labels, K, settings.folds);
  const j = await judgeLabels(X, labels, K, settings, { graph: input.graph, clfState: input.clfState, foldOf, userProbs, onProgress: hooks.onPhase, isCancelled: hooks.isCancelled });
  timings.classify = Date.now() - t;
  out.clfState = j.clfState;
  out.cvAccuracy = j.cvAccuracy;
  out.graph = j.graph;

  t = Date.now();
  hooks.onProgress?.({ phase: 'label-issues', done: 0, total: 1 });
  const v = labelVerdicts({ j, labels, analysed, items, classes, trusted: input.trusted, minConfidence: settings.minConfidence });
  out.issues = v.issues;
  const agree = neighbourAgreement(j.graph, labels, K);
  analysed.forEach((i, r) => {
    out.confusion[labels[r]][argmaxRow(j.clfProbs, r, K)]++;
    out.predicted[i] = v.suggested[r];
    out.predictedProb[i] = v.suggestedProb[r];
    out.pLabelWrong[i] = v.pLabelWrong[r];
    out.labelQuality[i] = 1 - v.pLabelWrong[r];
    out.verdicts[i] = v.verdicts[r];
    out.isLabelIssue[i] = v.verdicts[r] === 'confident' ? 1 : 0;
    out.agreement[i] = agree[r];
  });
  // Protocol shape: noiseMatrix[given][true] = P(given | true) = T[true][given].
  out.noiseMatrix = Array.from({ length: K }, (_, g) => Array.from({ length: K }, (_, tr) => j.transition[tr * K + g]));
  out.estimatedNoiseRate = j.noiseShare;
  out.noiseInterval = j.noiseInterval;
  out.perClassNoiseRate = j.perClassNoise;
  timings.labelIssues = Date.now() - t;

  if (input.diagnosis) out.diagnosis = input.diagnosis;
  else if (!input.skipDiagnosis) {
    t = Date.now();
    const flagged = Uint8Array.from(v.verdicts, (x) => (x === 'confident' ? 1 : 0));
    out.diagnosis = diagnose({ X, labels, K, linear: j.cvAccuracy, knnProbs: j.knnProbs, flagged, l2: j.l2, folds: settings.folds, seed: settings.seed, noiseShare: j.noiseShare, noiseInterval: j.noiseInterval });
    timings.diagnosis = Date.now() - t;
  }
  return out;
}
