/**
 * One number per thing: the counts every view shows (status bar, Problems, issues document, report header,
 * grid, Fix Next, CLI) come from `summarize` over the same result and the same filter, so they agree.
 * Pure, no runtime imports (the webview loads it as an ES module too).
 *
 * Vocabulary:
 * - a *label issue* is a `label` issue with verdict 'confident' (or no verdict: results from before the
 *   verdict contract); a *possible label issue* has verdict 'possible' — shown at information/hint level and
 *   counted apart, never added to the label issue count;
 * - *visible* = its kind is not 'off' in the severities and its image was not decided since the last run.
 */
import type { AnalysisResult, Issue, IssueKind } from './results';

/** The same ISSUE_KINDS order as results.ts (repeated: this module has no runtime imports). */
const KINDS: readonly IssueKind[] = ['label', 'duplicate', 'conflicting-duplicate', 'leakage', 'outlier', 'broken', 'quality'];

export interface SummaryFilter {
  /** Kinds set to 'off' are left out everywhere. */
  readonly off?: ReadonlySet<IssueKind> | readonly IssueKind[];
  /** Paths decided since the result was made (journal decisions in force): not counted as open. */
  readonly decided?: ReadonlySet<string> | readonly string[];
}

export type LabelLevel = 'confident' | 'possible';

/** 'possible' for label issues the verdict put in the review queue; 'confident' for every other label issue. */
export function labelLevel(issue: Pick<Issue, 'kind' | 'verdict'>): LabelLevel | null {
  if (issue.kind !== 'label') return null;
  return issue.verdict === 'possible' ? 'possible' : 'confident';
}

export interface IssueSummary {
  readonly images: number;
  readonly classes: number;
  /** Images with an open issue of each kind (one per image and kind); `label` counts confident label issues only. */
  readonly byKind: { readonly [K in IssueKind]: number };
  /** Open possible label issues (review queue), counted apart from `byKind.label`. */
  readonly possibleLabel: number;
  /** Sum of `byKind` (possible label issues not included). */
  readonly total: number;
  /** Distinct images with at least one counted issue. */
  readonly flaggedImages: number;
  /** Images decided (relabelled, marked correct, quarantined) since the result was made. */
  readonly decided: number;
}

function toSet<T>(x: ReadonlySet<T> | readonly T[] | undefined): ReadonlySet<T> {
  return x instanceof Set ? x : new Set((x as readonly T[] | undefined) ?? []);
}

/** The issues a view lists (open, kind not off), in result order. `possible` label issues are included; use `labelLevel` to tell them apart. */
export function openIssues(result: Pick<AnalysisResult, 'issues'>, filter: SummaryFilter = {}): Issue[] {
  const off = toSet(filter.off);
  const decided = toSet(filter.decided);
  return result.issues.filter((i) => !off.has(i.kind) && !decided.has(i.path));
}

export function summarize(result: Pick<AnalysisResult, 'issues' | 'images' | 'classes'>, filter: SummaryFilter = {}): IssueSummary {
  const byKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as { [K in IssueKind]: number };
  let possibleLabel = 0;
  const flagged = new Set<string>();
  const seen = new Set<string>();
  for (const i of openIssues(result, filter)) {
    const key = `${i.kind}\u0000${i.path}`;
    if (seen.has(key)) continue; // one count per image and kind, as the grid shows it
    seen.add(key);
    if (labelLevel(i) === 'possible') {
      possibleLabel++;
      continue;
    }
    byKind[i.kind]++;
    flagged.add(i.path);
  }
  const decidedPaths = toSet(filter.decided);
  const known = new Set(result.images.map((im) => im.path));
  let decided = 0;
  for (const p of decidedPaths) if (known.has(p)) decided++;
  return {
    images: result.images.length,
    classes: result.classes.length,
    byKind,
    possibleLabel,
    total: KINDS.reduce((a, k) => a + byKind[k], 0),
    flaggedImages: flagged.size,
    decided,
  };
}

/** What Fix Next walks through: the open (confident) label issues, most certain first; its length is `byKind.label`. */
export function fixQueue(result: Pick<AnalysisResult, 'issues'>, filter: SummaryFilter = {}): Issue[] {
  const seen = new Set<string>();
  return openIssues(result, filter)
    .filter((i) => labelLevel(i) === 'confident' && !seen.has(i.path) && seen.add(i.path) !== undefined)
    .sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** "270 issues (248 label issues, 12 possible, …)": the one-line form every view may use. */
export function summaryLine(s: IssueSummary): string {
  const parts = KINDS.filter((k) => s.byKind[k] > 0).map((k) => `${s.byKind[k]} ${k === 'label' ? 'label issue' : k}${s.byKind[k] === 1 ? '' : 's'}`);
  if (s.possibleLabel > 0) parts.push(`${s.possibleLabel} possible label issue${s.possibleLabel === 1 ? '' : 's'} (review queue, not counted)`);
  return `${s.total} issue${s.total === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}${s.decided > 0 ? ` · ${s.decided} decided since the last analysis` : ''}`;
}
