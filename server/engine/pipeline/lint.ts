/**
 * Engine II: from per-image embeddings and given labels to label issues, duplicates, outliers,
 * quality flags, a confusion matrix and a 2-D map. No I/O: the CLI, the server and the benches call it.
 */
import type { Settings } from '../../../protocol/settings';
import type { DuplicateGroup, Issue, QualityFlag } from '../../../protocol/results';
import type { Matrix, KnnGraph, ProgressFn } from '../types';
import { CancelledError } from '../types';
import type { EmbeddedItem } from './analyze';
import type { AnalysisProgress } from '../../../protocol/progress';
import { buildKnnGraph } from '../numerics/knn';
import { neighbourAgreement } from '../labels/neighbours';
import { estimateProbs } from '../labels/probs';
import type { CrossValState } from '../labels/classifier';
import { pca } from '../numerics/linalg';
import { computeConfidentJoint, estimateLatent, findLabelIssues, getLabelQualityScores } from '../labels/cl';
import { findDuplicateGroups, duplicateIssues } from '../issues/duplicates';
import { outlierScores, findOutliers, outlierIssues } from '../issues/outliers';
import { computeMap2d } from '../numerics/map';
import { qualityFlags, type QualityStats } from '../dataset/quality';

/** The map is computed on this many PCA dimensions (UMAP's usual preprocessing). */
const MAP_PCA_DIMS = 50;

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
}

/**
 * What a relabel leaves unchanged: the kNN graph and the 2-D map depend only on the embeddings, so a
 * long-lived process (the language server) keeps them between runs and reuses them when the set of
 * image contents is the same — a relabel or a move then skips the two slowest phases.
 */
export class LintMemo {
  key = '';
  /** Content hash per row of the remembered graph/map. */
  hashes: string[] = [];
  graph: KnnGraph | null = null;
  mapX: Float32Array | null = null;
  mapY: Float32Array | null = null;
  mapMethod = '';
  /** Classifier state of the remembered run (rows in `hashes` order). */
  clfState: CrossValState | null = null;

  /**
   * For each new row, the old row with the same content (exact duplicates pair up in order), or null
   * when the contents differ from the remembered run.
   */
  match(key: string, hashes: readonly string[]): Int32Array | null {
    if (key !== this.key || hashes.length !== this.hashes.length || !this.graph) return null;
    const old = new Map<string, number[]>();
    this.hashes.forEach((h, r) => {
      const l = old.get(h);
      if (l) l.push(r);
      else old.set(h, [r]);
    });
    const toOld = new Int32Array(hashes.length);
    for (let r = 0; r < hashes.length; r++) {
      const l = old.get(hashes[r]);
      if (!l || l.length === 0) return null;
      toOld[r] = l.shift()!;
    }
    return toOld;
  }
}

/** A classifier state with rows renumbered (`toOld[newRow] = oldRow`); fold weights are per fold, unchanged. */
export function permuteClfState(s: CrossValState, toOld: Int32Array): CrossValState {
  const d = s.features.cols;
  const data = new Float32Array(s.features.data.length);
  const K = s.K;
  const predProbs = new Float32Array(s.result.predProbs.length);
  toOld.forEach((o, r) => {
    data.set(s.features.data.subarray(o * d, (o + 1) * d), r * d);
    predProbs.set(s.result.predProbs.subarray(o * K, (o + 1) * K), r * K);
  });
  const foldOf = Int32Array.from(toOld, (o) => s.foldOf[o]);
  return {
    ...s,
    features: { rows: s.features.rows, cols: d, data },
    labels: Int32Array.from(toOld, (o) => s.labels[o]),
    foldOf,
    result: { ...s.result, predProbs, foldOf },
  };
}

/**
 * A class needs this many images per fold before its folds come from content hashes alone; smaller
 * classes are dealt round-robin in hash order so every fold still sees them.
 */
const HASH_FOLDS_MIN_PER_FOLD = 10;

/**
 * Stratified folds that depend on the images, not on file order: moving or renaming one file (a
 * relabel) leaves every other image in its fold, so the next run's scores move only where the labels did.
 * Large classes: fold = a 32-bit hash of the content hash, mod `folds` (balanced in expectation);
 * small classes: ranked by hash, dealt round-robin (exactly balanced).
 */
/** FNV-1a, 32-bit: a well-mixed number from any string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function hashFolds(hashes: readonly string[], labels: Int32Array, K: number, folds: number): Int32Array {
  const f = Math.max(1, Math.min(folds, hashes.length));
  const out = new Int32Array(hashes.length);
  const byClass: number[][] = Array.from({ length: K }, () => []);
  labels.forEach((y, i) => byClass[y].push(i));
  for (const members of byClass) {
    if (members.length >= HASH_FOLDS_MIN_PER_FOLD * f) {
      for (const i of members) out[i] = fnv1a(hashes[i]) % f;
    } else {
      members.sort((a, b) => (hashes[a] < hashes[b] ? -1 : hashes[a] > hashes[b] ? 1 : a - b));
      members.forEach((i, r) => (out[i] = r % f));
    }
  }
  return out;
}

/** The remembered graph with rows renumbered: `toOld[newRow] = oldRow`. */
export function permuteGraph(g: KnnGraph, toOld: Int32Array): KnnGraph {
  const toNew = new Int32Array(toOld.length);
  toOld.forEach((o, r) => (toNew[o] = r));
  const indices = new Int32Array(g.indices.length);
  const similarities = new Float32Array(g.similarities.length);
  for (let r = 0; r < toOld.length; r++) {
    const o = toOld[r];
    for (let j = 0; j < g.k; j++) {
      const nb = g.indices[o * g.k + j];
      indices[r * g.k + j] = nb < 0 ? -1 : toNew[nb];
      similarities[r * g.k + j] = g.similarities[o * g.k + j];
    }
  }
  return { n: g.n, k: g.k, indices, similarities };
}

export interface LintOutput {
  /** Indices into `items` of the images that were analysed (decoded and embedded). */
  readonly analysed: Int32Array;
  /** Per item (length = items.length); NaN/-1 for items not analysed. */
  readonly predicted: Int32Array;
  readonly predictedProb: Float32Array;
  readonly labelQuality: Float32Array;
  readonly isLabelIssue: Uint8Array;
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
  readonly perClassNoiseRate: number[];
  readonly cvAccuracy: number;
  readonly mapMethod: string;
}

interface Hooks {
  onProgress?: (p: AnalysisProgress) => void;
  isCancelled?: () => boolean;
}

function pct(p: number): string {
  return `${Math.round(p * 100)}%`;
}

function rows(m: Float64Array | Float32Array, k: number): number[][] {
  return Array.from({ length: k }, (_, i) => Array.from(m.subarray(i * k, (i + 1) * k)));
}

export async function lintEmbeddings(
  input: LintInput,
  settings: Settings,
  hooks: Hooks,
  timings: Record<string, number>,
): Promise<LintOutput> {
  const { classes, items } = input;
  const n = items.length;
  const K = classes.length;
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const analysedList: number[] = [];
  items.forEach((e, i) => e.vector && analysedList.push(i));
  const analysed = Int32Array.from(analysedList);
  const m = analysed.length;
  const dim = m > 0 ? items[analysed[0]].vector!.length : 0;
  const isCancelled = hooks.isCancelled ?? (() => false);
  const onProgress: ProgressFn = (phase, done, total) =>
    hooks.onProgress?.({ phase: phase as AnalysisProgress['phase'], done, total });

  const X: Matrix = { rows: m, cols: dim, data: new Float32Array(m * dim) };
  const labels = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    const e = items[analysed[r]];
    if (e.vector!.length !== dim) throw new Error(`${e.item.path}: embedding has ${e.vector!.length} dims, expected ${dim}`);
    X.data.set(e.vector!, r * dim);
    labels[r] = classIndex.get(e.item.label) ?? 0;
  }

  const rowHashes = Array.from(analysed, (i) => items[i].hash);
  const memoKey = `${input.modelKey ?? ''}|k=${settings.k}|seed=${settings.seed}|dim=${dim}`;
  const toOld = input.memo?.match(memoKey, rowHashes) ?? null;
  const memoGraph = toOld && input.memo!.graph ? permuteGraph(input.memo!.graph, toOld) : undefined;
  const memoClf = toOld && input.memo!.clfState ? permuteClfState(input.memo!.clfState, toOld) : undefined;
  let clfState: CrossValState | undefined;

  const predicted = new Int32Array(n).fill(-1);
  const predictedProb = new Float32Array(n);
  const labelQuality = new Float32Array(n).fill(1);
  const isLabelIssue = new Uint8Array(n);
  const agreement = new Float32Array(n).fill(1);
  const outlier = new Float32Array(n);
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  const issues: Issue[] = [];
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  let noiseMatrix: number[][] = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 1 : 0)));
  let estimatedNoiseRate = 0;
  let perClassNoiseRate = new Array<number>(K).fill(0);
  let cvAccuracy = 1;
  let mapMethod = 'none';
  let graph: KnnGraph | null = null;

  if (m >= 2 && K >= 2) {
    const userProbs = input.userProbs ? Array.from(analysed, (i) => input.userProbs![i]) : undefined;
    const est = await estimateProbs(X, labels, K, { folds: settings.folds, seed: settings.seed, k: settings.k, graph: memoGraph, clfState: memoClf, foldOf: hashFolds(rowHashes, labels, K, settings.folds), userProbs, onProgress, isCancelled });
    clfState = est.clfState;
    timings.classify = est.timings.classify;
    timings.knn = est.timings.knn;
    cvAccuracy = est.cvAccuracy;
    graph = est.graph;
    const t = Date.now();
    hooks.onProgress?.({ phase: 'label-issues', done: 0, total: 1 });
    const probs = est.probs;
    const agree = neighbourAgreement(graph, labels, K);
    const clf = { predProbs: est.clfProbs };
    const quality = getLabelQualityScores(labels, probs, 'self_confidence');
    const mask = findLabelIssues(labels, probs, { filterBy: settings.labelFilter });
    const cj = computeConfidentJoint(labels, probs, K);
    const latent = estimateLatent(cj, labels);
    noiseMatrix = rows(latent.noiseMatrix, K);
    let off = 0;
    let tot = 0;
    perClassNoiseRate = new Array<number>(K).fill(0);
    for (let i = 0; i < K; i++) {
      let rowSum = 0;
      for (let j = 0; j < K; j++) rowSum += cj[i * K + j];
      tot += rowSum;
      off += rowSum - cj[i * K + i];
      perClassNoiseRate[i] = rowSum > 0 ? 1 - cj[i * K + i] / rowSum : 0;
    }
    estimatedNoiseRate = tot > 0 ? off / tot : 0;

    for (let r = 0; r < m; r++) {
      const i = analysed[r];
      let best = 0;
      for (let c = 1; c < K; c++) if (probs[r * K + c] > probs[r * K + best]) best = c;
      let bestClf = 0;
      for (let c = 1; c < K; c++) if (clf.predProbs[r * K + c] > clf.predProbs[r * K + bestClf]) bestClf = c;
      confusion[labels[r]][bestClf]++;
      predicted[i] = best;
      predictedProb[i] = probs[r * K + best];
      labelQuality[i] = quality[r];
      agreement[i] = agree[r];
      if (mask[r] && !input.trusted[i] && best !== labels[r]) {
        isLabelIssue[i] = 1;
        const it = items[i].item;
        issues.push({
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
  } else if (m > 0 && K <= 1) {
    for (const i of analysed) {
      predicted[i] = 0;
      predictedProb[i] = 1;
    }
  }

  // Duplicates and outliers need the neighbour graph; for a single class build it now.
  if (!graph && m >= 2) graph = memoGraph ?? (await buildKnnGraph(X, Math.min(settings.k, m - 1), { isCancelled }));
  let duplicates: DuplicateGroup[] = [];
  if (graph) {
    let t = Date.now();
    const hashes = Array.from(analysed, (i) => items[i].hash);
    const paths = Array.from(analysed, (i) => items[i].item.path);
    const splits = Array.from(analysed, (i) => items[i].item.split);
    // Near duplicates: kNN candidates confirmed by perceptual hash (null for decode info cached before
    // hashes existed: those pairs fall back to the strict embedding-only threshold). The cosine setting
    // `nearDuplicateThreshold` (default 0.97) is not used: at 0.97 distinct look-alikes pass (see duplicates.ts).
    const phashes = Array.from(analysed, (i) => items[i].quality?.phash ?? null);
    const phashesFlip = Array.from(analysed, (i) => items[i].quality?.phashFlip ?? null);
    duplicates = findDuplicateGroups({ hashes, graph, labels, splits, paths, classNames: [...classes], phashes, phashesFlip }, { embeddingThreshold: settings.nearDuplicateThreshold });
    issues.push(...duplicateIssues(duplicates, { hashOf: new Map(paths.map((p, r) => [p, hashes[r]])) }));
    const scores = outlierScores(graph, {});
    analysed.forEach((i, r) => (outlier[i] = scores[r]));
    issues.push(...outlierIssues({ scores, indices: findOutliers(scores, {}), paths, graph: graph! }));
    timings.duplicates = Date.now() - t;

    t = Date.now();
    hooks.onProgress?.({ phase: 'map', done: 0, total: 1 });
    const memo = input.memo;
    let map: { x: Float32Array; y: Float32Array; method: string };
    if (toOld && memo?.mapX && memo.mapY) {
      map = { x: Float32Array.from(toOld, (o) => memo.mapX![o]), y: Float32Array.from(toOld, (o) => memo.mapY![o]), method: memo.mapMethod };
    } else {
      const reduced = dim > MAP_PCA_DIMS && m > MAP_PCA_DIMS ? pca(X, MAP_PCA_DIMS, { seed: settings.seed }).projected : X;
      map = await computeMap2d(reduced, { seed: settings.seed, knn: graph, onProgress, isCancelled });
    }
    if (memo) {
      memo.key = memoKey;
      memo.hashes = rowHashes;
      memo.graph = graph;
      memo.mapX = map.x;
      memo.mapY = map.y;
      memo.mapMethod = map.method;
      memo.clfState = clfState ?? null;
    }
    analysed.forEach((i, r) => {
      xs[i] = map.x[r];
      ys[i] = map.y[r];
    });
    mapMethod = map.method;
    timings.map = Date.now() - t;
  }

  // Image quality: dataset-relative flags over the decoded statistics.
  const withStats: number[] = [];
  const stats: QualityStats[] = [];
  items.forEach((e, i) => {
    if (e.quality) {
      withStats.push(i);
      stats.push(e.quality);
    }
  });
  const flagsPer: (readonly QualityFlag[])[] = items.map(() => []);
  const flags = qualityFlags(stats);
  withStats.forEach((i, r) => {
    flagsPer[i] = flags[r];
    if (flags[r].length > 0) {
      issues.push({
        kind: 'quality',
        path: items[i].item.path,
        score: Math.min(1, 0.3 + 0.2 * flags[r].length),
        message: `Image quality: ${flags[r].join(', ')}`,
        flags: flags[r],
      });
    }
  });

  for (const e of items) {
    if (!e.vector) issues.push({ kind: 'broken', path: e.item.path, score: 1, message: e.error ?? `${e.item.path}: broken` });
  }

  return {
    analysed,
    predicted,
    predictedProb,
    labelQuality,
    isLabelIssue,
    agreement,
    outlier,
    x: xs,
    y: ys,
    qualityFlags: flagsPer,
    issues,
    duplicates,
    confusion,
    noiseMatrix,
    estimatedNoiseRate,
    perClassNoiseRate,
    cvAccuracy,
    mapMethod,
  };
}
