/**
 * The issue stages after the label stage: duplicates and outliers (over the kNN graph), dataset-relative
 * quality flags (over the decoded statistics) and broken files. Each adapts the pipeline's per-image
 * records to a pure function in `issues/` and returns its issues; lint.ts concatenates them in this order.
 */
import type { DuplicateGroup, Issue, QualityFlag } from '../../../protocol/results';
import type { KnnGraph } from '../types';
import { findDuplicateGroups } from '../issues/duplicates';
import { duplicateIssues } from '../issues/duplicateIssues';
import { outlierScores, findOutliers, outlierIssues } from '../issues/outliers';
import { qualityFlags } from '../issues/quality';
import type { QualityStats } from '../dataset/quality';
import type { EmbeddedItem } from './embeddedItem';
import type { EmbeddingRows } from './rows';

/** Duplicate groups (with their issues) and per-item outlier scores (with theirs). */
export function duplicateAndOutlierStage(
  items: readonly EmbeddedItem[],
  rows: EmbeddingRows,
  graph: KnnGraph,
  classes: readonly string[],
  nearDuplicateThreshold: number,
): { duplicates: DuplicateGroup[]; outlier: Float32Array; issues: Issue[] } {
  const { analysed, labels } = rows;
  const hashes = Array.from(analysed, (i) => items[i].hash);
  const paths = Array.from(analysed, (i) => items[i].item.path);
  const splits = Array.from(analysed, (i) => items[i].item.split);
  // Near duplicates: kNN candidates at or above `nearDuplicateThreshold` cosine count on their own; below it
  // they also need a perceptual-hash match (see issues/duplicates.ts). A null hash (decode info cached before
  // hashes existed) falls back to the embedding-only threshold.
  const phashes = Array.from(analysed, (i) => items[i].quality?.phash ?? null);
  const phashesFlip = Array.from(analysed, (i) => items[i].quality?.phashFlip ?? null);
  const duplicates = findDuplicateGroups(
    { hashes, graph, labels, splits, paths, classNames: [...classes], phashes, phashesFlip },
    { embeddingThreshold: nearDuplicateThreshold },
  );
  const issues = duplicateIssues(duplicates, { hashOf: new Map(paths.map((p, r) => [p, hashes[r]])) });
  const scores = outlierScores(graph, {});
  const outlier = new Float32Array(items.length);
  analysed.forEach((i, r) => (outlier[i] = scores[r]));
  issues.push(...outlierIssues({ scores, indices: findOutliers(scores, {}), paths, graph }));
  return { duplicates, outlier, issues };
}

/** Image quality: dataset-relative flags over the decoded statistics, per item, and one issue per flagged image. */
export function qualityStage(items: readonly EmbeddedItem[]): { flags: (readonly QualityFlag[])[]; issues: Issue[] } {
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
  const issues: Issue[] = [];
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
  return { flags: flagsPer, issues };
}

/** One 'broken' issue per image that could not be read or decoded. */
export function brokenIssues(items: readonly EmbeddedItem[]): Issue[] {
  return items.filter((e) => !e.vector).map((e): Issue => ({ kind: 'broken', path: e.item.path, score: 1, message: e.error ?? `${e.item.path}: broken` }));
}
