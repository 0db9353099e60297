/**
 * The issues duplicate groups raise: plain duplicates, duplicates with conflicting labels, and duplicates
 * leaking across splits (see duplicates.ts for how the groups are found).
 */
import type { DuplicateGroup, Issue } from '../../../protocol/results';
import { DEFAULT_NEAR_THRESHOLD, splitRank } from './duplicates';

export interface DuplicateIssueOptions {
  /** Content hash per path; lets messages say "Same image as" (not "Near-identical to") for exact copies inside a near group. */
  readonly hashOf?: ReadonlyMap<string, string>;
  /** The threshold the groups were made with; maps near similarity to a score in [0.5, 1]. */
  readonly nearThreshold?: number;
}

/** Score for an exact copy. */
const EXACT_SCORE = 1;
/** Near copies score from NEAR_SCORE_FLOOR (at the threshold) up to 1 (identical embeddings). */
const NEAR_SCORE_FLOOR = 0.5;

/**
 * Issues from duplicate groups, at most one per (path, kind) per group:
 *  - 'conflicting-duplicate' on every member whose label differs from another member's (we cannot tell which label is right);
 *  - 'leakage' on every member in a later split (val/test) than the group's earliest split
 *    (train < val < test; images without a split never leak);
 *  - 'duplicate' on every member except the group's first path that got neither of the above.
 * Messages name the closest counterpart, e.g. "Same image as train/cat/12.png (labelled 'dog' there)".
 */
export function duplicateIssues(groups: readonly DuplicateGroup[], opts: DuplicateIssueOptions = {}): Issue[] {
  const threshold = opts.nearThreshold ?? DEFAULT_NEAR_THRESHOLD;
  const issues: Issue[] = [];
  for (const g of groups) {
    const m = g.paths.length;
    if (m < 2) continue;
    const sameContent = (a: number, b: number): boolean => {
      if (g.exact) return true;
      const ha = opts.hashOf?.get(g.paths[a]);
      return ha !== undefined && ha !== '' && ha === opts.hashOf?.get(g.paths[b]);
    };
    const score = (a: number, b: number): number =>
      sameContent(a, b) ? EXACT_SCORE : round3(NEAR_SCORE_FLOOR + (1 - NEAR_SCORE_FLOOR) * clamp01((g.similarity - threshold) / (1 - threshold || 1)));
    const relation = (a: number, b: number): string =>
      sameContent(a, b) ? `Same image as ${g.paths[b]}` : `Near-identical to ${g.paths[b]} (similarity ≥ ${g.similarity.toFixed(3)})`;
    const others = (a: number) => g.paths.filter((_, i) => i !== a);
    const more = (count: number) => (count > 0 ? ` and ${count} other file${count === 1 ? '' : 's'}` : '');

    let earliest = Infinity;
    for (const s of g.splits) if (s !== null) earliest = Math.min(earliest, splitRank(s));

    for (let a = 0; a < m; a++) {
      let flagged = false;
      // Conflicting labels: point at the first member carrying a different label.
      const b = g.labels.findIndex((l, i) => i !== a && l !== g.labels[a]);
      if (b >= 0) {
        const nDiff = g.labels.filter((l, i) => i !== a && l !== g.labels[a]).length;
        issues.push({
          kind: 'conflicting-duplicate',
          path: g.paths[a],
          score: score(a, b),
          message: `${relation(a, b)} (labelled '${g.labels[b]}' there, '${g.labels[a]}' here)${more(nDiff - 1)}: one of the labels is probably wrong.`,
          related: others(a),
        });
        flagged = true;
      }
      // Leakage: this member sits in a later split than some copy of it.
      const sa = g.splits[a];
      if (sa !== null && splitRank(sa) > earliest) {
        const c = g.splits.findIndex((s) => s !== null && splitRank(s) === earliest);
        issues.push({
          kind: 'leakage',
          path: g.paths[a],
          score: score(a, c),
          message: `${relation(a, c)} in the ${g.splits[c]} split: this ${sa} image leaks into ${g.splits[c]}, so ${sa} scores are optimistic.`,
          related: others(a),
        });
        flagged = true;
      }
      if (!flagged && a > 0) {
        issues.push({
          kind: 'duplicate',
          path: g.paths[a],
          score: score(a, 0),
          message: `${relation(a, 0)}${more(m - 2)}.`,
          related: others(a),
        });
      }
    }
  }
  return issues;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
