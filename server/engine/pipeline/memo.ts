/**
 * What a relabel leaves unchanged: the kNN graph and the 2-D map depend only on the embeddings, so a
 * long-lived process (the language server) keeps them between runs and reuses them when the set of
 * image contents is the same — a relabel or a move then skips the two slowest phases.
 */
import type { Settings } from '../../../protocol/settings';
import type { KnnGraph } from '../types';
import { permuteGraph } from '../numerics/knn';
import type { CrossValState } from '../labels/classifier';
import type { MapPoints } from './mapStage';
import type { Diagnosis } from '../../../protocol/results';

export { permuteGraph };

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
   * The "labels or model?" diagnosis of the remembered run. A relabel moves it by a fraction of a point and
   * it costs more than the rest of a re-run, so re-runs over the same images keep it until a full run.
   */
  diagnosis: Diagnosis | null = null;

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

/** What the memo gives this run, rows already renumbered to this run's order (all absent when nothing matched). */
export interface Recalled {
  readonly key: string;
  readonly toOld: Int32Array | null;
  readonly graph?: KnnGraph;
  readonly clfState?: CrossValState;
  readonly map?: MapPoints;
  readonly diagnosis?: Diagnosis;
}

/** The memo key: a memo made with another model, k, seed or dimension is not reused. */
export function memoKey(modelKey: string | undefined, settings: Pick<Settings, 'k' | 'seed'>, dim: number): string {
  return `${modelKey ?? ''}|k=${settings.k}|seed=${settings.seed}|dim=${dim}`;
}

/** Looks the rows up in the memo and renumbers what it remembers to this run's rows. */
export function recall(memo: LintMemo | undefined, key: string, rowHashes: readonly string[]): Recalled {
  const toOld = memo?.match(key, rowHashes) ?? null;
  if (!memo || !toOld) return { key, toOld: null };
  return {
    key,
    toOld,
    graph: memo.graph ? permuteGraph(memo.graph, toOld) : undefined,
    clfState: memo.clfState ? permuteClfState(memo.clfState, toOld) : undefined,
    map:
      memo.mapX && memo.mapY
        ? { x: Float32Array.from(toOld, (o) => memo.mapX![o]), y: Float32Array.from(toOld, (o) => memo.mapY![o]), method: memo.mapMethod }
        : undefined,
    diagnosis: memo.diagnosis ?? undefined,
  };
}

/** Stores this run's label-independent results for the next run. */
export function remember(
  memo: LintMemo,
  key: string,
  rowHashes: string[],
  run: { graph: KnnGraph; map: MapPoints; clfState?: CrossValState; diagnosis: Diagnosis | null },
): void {
  memo.key = key;
  memo.hashes = rowHashes;
  memo.graph = run.graph;
  memo.mapX = run.map.x;
  memo.mapY = run.map.y;
  memo.mapMethod = run.map.method;
  memo.clfState = run.clfState ?? null;
  memo.diagnosis = run.diagnosis;
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
