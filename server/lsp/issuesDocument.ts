/**
 * The issues document: a plain-text view of a dataset's issues (one line per issue), served under a
 * `labellint-issues:` URI. It is the text home of ImageFolder diagnostics, because VS Code asks for
 * code actions only on text documents. Line numbers here are the diagnostics' line numbers.
 */
import * as path from 'node:path';
import { ISSUE_KINDS, type AnalysisResult, type Issue, type IssueKind } from '../../protocol/results';
import type { Settings } from '../../protocol/settings';
import { labelLevel, openIssues, summarize, summaryLine, type SummaryFilter } from '../../protocol/summary';
import { formatPLabelWrong } from '../../protocol/format';

export interface IssueLine {
  /** 0-based line in the document. */
  readonly line: number;
  /** Length of the line's text (the diagnostic covers the whole line). */
  readonly length: number;
  readonly issue: Issue;
  /** The image's given label, when the image was analysed. */
  readonly givenLabel: string | null;
}

export interface IssuesDocument {
  readonly text: string;
  /** Issue lines, sorted by line. */
  readonly lines: readonly IssueLine[];
}

/** Rendered share, e.g. 0.914 → '91%'. */
export function percent(p: number | undefined): string {
  return typeof p === 'number' && Number.isFinite(p) ? `${Math.round(p * 100)}%` : '?';
}

/**
 * What a label issue's numbers mean, in words: the classifier's probability for the suggested class, and
 * (when the verdict is calibrated) the probability that the given label is wrong.
 */
export function labelEvidence(issue: Issue): string {
  // With a calibrated verdict, suggestedProb is P(true class = suggestion | image, given label); without one
  // (a user's own predicted probabilities from an older report), the classifier's probability.
  const parts =
    typeof issue.pLabelWrong === 'number'
      ? [`P(label wrong) ${formatPLabelWrong(issue.pLabelWrong)}`, `'${issue.suggestedLabel ?? '?'}' ${percent(issue.suggestedProb)} likely`]
      : [`classifier: ${percent(issue.suggestedProb)} '${issue.suggestedLabel ?? '?'}'`];
  if (labelLevel(issue) === 'possible') parts.push('possible, review queue');
  return parts.join(' · ');
}

/** The line text for one issue (also used as the diagnostic's anchor text). Starts with the path, so a filter on the file name finds it. */
export function issueLineText(issue: Issue, givenLabel: string | null): string {
  if (issue.kind === 'label') {
    return `${issue.path}  ${givenLabel ?? '?'} → ${issue.suggestedLabel ?? '?'}  (${labelEvidence(issue)})`;
  }
  return `${issue.path}  [${issue.kind}] ${issue.message.replace(/\s*[\r\n]+\s*/g, ' ')}`;
}

/** Issue order: kinds in `ISSUE_KINDS` order, then most certain first, then path. */
export function compareIssues(a: Issue, b: Issue): number {
  return (
    ISSUE_KINDS.indexOf(a.kind) - ISSUE_KINDS.indexOf(b.kind) ||
    b.score - a.score ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
}

/** A stable key for one issue, used to suppress issues fixed or confirmed since the last run. */
export function issueKey(issue: Pick<Issue, 'kind' | 'path'>): string {
  return `${issue.kind}\u0000${issue.path}`;
}

export interface FormatOptions {
  /** Paths to leave out (fixed or marked correct since the last run). */
  readonly suppressed?: ReadonlySet<string>;
}

/** The summary filter for these settings and decided paths: the one filter every count uses. */
export function summaryFilter(settings: Settings, suppressed?: ReadonlySet<string>): SummaryFilter {
  const off = (Object.keys(settings.severities) as IssueKind[]).filter((k) => settings.severities[k] === 'off');
  return { off, decided: suppressed ?? new Set() };
}

/** Issues that are shown: kind not 'off', path not suppressed (`protocol/summary` openIssues). Sorted by `compareIssues`. */
export function visibleIssues(result: AnalysisResult, settings: Settings, opts: FormatOptions = {}): Issue[] {
  return openIssues(result, summaryFilter(settings, opts.suppressed)).sort(compareIssues);
}

export function formatIssuesDocument(result: AnalysisResult, settings: Settings, opts: FormatOptions = {}): IssuesDocument {
  const given = new Map(result.images.map((im) => [im.path, im.givenLabel]));
  const issues = visibleIssues(result, settings, opts);
  const name = path.basename(result.root) || result.root;
  const layout = result.layout === 'csv' ? 'labels CSV' : 'ImageFolder';
  const summary = summarize(result, summaryFilter(settings, opts.suppressed));
  const header = [
    `# LabelLint: ${summaryLine(summary)} in ${name} (${layout}, ${result.images.length} images, ${result.classes.length} classes)`,
    `# cross-validated accuracy ${percent(result.cvAccuracy)} (classifier vs. given labels) · estimated share of wrong labels ${percent(result.estimatedNoiseRate)} · backend ${result.backend}`,
    issues.length > 0
      ? "# One line per issue; hover a line to see the image. Fixes: in the Problems panel (Ctrl+Shift+M) use a problem's lightbulb or Ctrl+. on it, or run 'LabelLint: Fix Next Label Issue'. Ctrl+Z here: LabelLint: Undo."
      : '# No issues to show.',
    '',
  ];
  const out = header.slice();
  const lines: IssueLine[] = [];
  for (const issue of issues) {
    const g = given.get(issue.path) ?? null;
    const text = issueLineText(issue, g);
    lines.push({ line: out.length, length: text.length, issue, givenLabel: g });
    out.push(text);
  }
  return { text: out.join('\n') + '\n', lines };
}

/** The issue on a 0-based line, or undefined. */
export function issueAtLine(doc: IssuesDocument, line: number): IssueLine | undefined {
  let lo = 0;
  let hi = doc.lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = doc.lines[mid].line;
    if (l === line) return doc.lines[mid];
    if (l < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** The 0-based line of the first issue of `kind` on `path`, or -1. */
export function lineOfIssue(doc: IssuesDocument, p: string, kind?: Issue['kind']): number {
  const hit = doc.lines.find((l) => l.issue.path === p && (kind === undefined || l.issue.kind === kind));
  return hit ? hit.line : -1;
}
