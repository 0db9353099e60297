/**
 * Engine II: from per-image embeddings and given labels to label issues, duplicates, outliers,
 * quality flags, a confusion matrix and a 2-D map. No I/O: the CLI, the server and the benches call it.
 *
 * The stages, in order: embedding rows → memo recall → label stage (probabilities, label issues, noise;
 * builds the kNN graph) → duplicates and outliers → 2-D map → memo update → quality flags → broken files.
 */
import type { Settings } from '../../../protocol/settings';
import type { Diagnosis, DuplicateGroup, Issue, LabelVerdict, QualityFlag } from '../../../protocol/results';
import type { ProgressFn } from '../types';
import { buildKnnGraph } from '../numerics/knn';
import type { EmbeddedItem } from './embeddedItem';
import type { StageHooks } from './hooks';
import { embeddingRows } from './rows';
import { LintMemo, memoKey, recall, remember } from './memo';
import { labelStage } from './labelStage';
import { mapStage, type MapPoints, type MapSource, type MapStore } from './mapStage';
import { duplicateAndOutlierStage, qualityStage, brokenIssues } from './issueStages';

export { LintMemo } from './memo';

export interface LintInput {
  readonly classes: readonly string[];
  readonly items: readonly EmbeddedItem[];
  /** Per item: a person confirmed this label; never flag it. */
  readonly trusted: readonly boolean[];
  /** Per item: probabilities from the user's own model (K, in `classes` order), or null. */
  readonly userProbs?: readonly (Float32Array | null)[];
  /** Label-independent results of the previous run in a long-lived process, reused when the images are the same. */
  readonly memo?: LintMemo;
  /** Identifies the embedding model; a memo made with another model is not reused. */
  readonly modelKey?: string;
  /** Map layouts kept between processes (the dataset's state folder); without it the map is computed unless memoised. */
  readonly mapStore?: MapStore;
  /** Skip the "labels or model?" diagnosis (benches and tests that only need the verdicts). */
  readonly skipDiagnosis?: boolean;
}

export interface LintOutput {
  /** Indices into `items` of the images that were analysed (decoded and embedded). */
  readonly analysed: Int32Array;
  /** Per item (length = items.length); NaN/-1 for items not analysed. */
  readonly predicted: Int32Array;
  readonly predictedProb: Float32Array;
  readonly labelQuality: Float32Array;
  readonly isLabelIssue: Uint8Array;
  /** Per item: calibrated P(given label is wrong); 0 for items not analysed. */
  readonly pLabelWrong: Float32Array;
  readonly verdicts: LabelVerdict[];
  readonly agreement: Float32Array;
  readonly outlier: Float32Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly qualityFlags: (readonly QualityFlag[])[];
  readonly issues: Issue[];
  readonly duplicates: DuplicateGroup[];
  /** K×K given × predicted counts. */
  readonly confusion: number[][];
  /** K×K P(given=i | true=j). */
  readonly noiseMatrix: number[][];
  readonly estimatedNoiseRate: number;
  /** 90% interval of estimatedNoiseRate. */
  readonly noiseInterval: readonly [number, number];
  readonly perClassNoiseRate: number[];
  readonly diagnosis: Diagnosis | null;
  readonly cvAccuracy: number;
  readonly mapMethod: string;
  /** Where the map came from: the memo, the map store, computed now; 'none' without a map. */
  readonly mapSource: MapSource | 'none';
}

/** Per item (length n) map coordinates from per-row ones; 0 for items not analysed. */
function spread(analysed: Int32Array, n: number, map: MapPoints | null): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  if (map) {
    analysed.forEach((i, r) => {
      x[i] = map.x[r];
      y[i] = map.y[r];
    });
  }
  return { x, y };
}

export async function lintEmbeddings(input: LintInput, settings: Settings, hooks: StageHooks, timings: Record<string, number>): Promise<LintOutput> {
  const { classes, items } = input;
  const isCancelled = hooks.isCancelled ?? (() => false);
  const onPhase: ProgressFn = (phase, done, total) => hooks.onProgress?.({ phase, done, total });

  const rows = embeddingRows(items, classes);
  const m = rows.analysed.length;
  const recalled = recall(input.memo, memoKey(input.modelKey, settings, rows.X.cols), rows.hashes);

  const label = await labelStage(
    { classes, items, trusted: input.trusted, userProbs: input.userProbs, rows, graph: recalled.graph, clfState: recalled.clfState, diagnosis: recalled.diagnosis, skipDiagnosis: input.skipDiagnosis },
    settings,
    { ...hooks, onPhase, isCancelled },
    timings,
  );
  const issues: Issue[] = [...label.issues];

  // Duplicates and outliers need the neighbour graph; for a single class build it now.
  const graph = label.graph ?? (m >= 2 ? recalled.graph ?? (await buildKnnGraph(rows.X, Math.min(settings.k, m - 1), { isCancelled })) : null);
  let duplicates: DuplicateGroup[] = [];
  let outlier = new Float32Array(items.length);
  let map: (MapPoints & { readonly source: MapSource }) | null = null;
  if (graph) {
    let t = Date.now();
    const found = duplicateAndOutlierStage(items, rows, graph, classes, settings.nearDuplicateThreshold);
    ({ duplicates, outlier } = found);
    for (const i of found.issues) issues.push(i); // no spread: 100k+ issues overflow the stack
    timings.duplicates = Date.now() - t;

    t = Date.now();
    hooks.onProgress?.({ phase: 'map', done: 0, total: 1 });
    map = await mapStage(rows.X, graph, { seed: settings.seed, k: settings.k, rowHashes: rows.hashes, remembered: recalled.map, store: input.mapStore, onProgress: onPhase, isCancelled });
    if (input.memo) remember(input.memo, recalled.key, rows.hashes, { graph, map, clfState: label.clfState, diagnosis: label.diagnosis });
    timings.map = Date.now() - t;
  }

  const quality = qualityStage(items);
  issues.push(...quality.issues, ...brokenIssues(items));

  const { x, y } = spread(rows.analysed, items.length, map);
  return {
    analysed: rows.analysed,
    predicted: label.predicted,
    predictedProb: label.predictedProb,
    labelQuality: label.labelQuality,
    isLabelIssue: label.isLabelIssue,
    pLabelWrong: label.pLabelWrong,
    verdicts: label.verdicts,
    agreement: label.agreement,
    outlier,
    x,
    y,
    qualityFlags: quality.flags,
    issues,
    duplicates,
    confusion: label.confusion,
    noiseMatrix: label.noiseMatrix,
    estimatedNoiseRate: label.estimatedNoiseRate,
    noiseInterval: label.noiseInterval,
    diagnosis: label.diagnosis,
    perClassNoiseRate: label.perClassNoiseRate,
    cvAccuracy: label.cvAccuracy,
    mapMethod: map?.method ?? 'none',
    mapSource: map?.source ?? 'none',
  };
}
