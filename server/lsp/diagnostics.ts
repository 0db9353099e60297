/**
 * Engine issues → LSP diagnostics: a pure conversion (vscode-eslint `Diagnostics.create`).
 *
 * Where a diagnostic lives:
 * - CSV datasets: on the image's CSV row (range = the row), so quick fixes edit the row.
 * - ImageFolder datasets (and CSV issues without a row): on the issue's line of the `labellint-issues:`
 *   document. Nothing is published on the image files themselves: VS Code cannot offer quick fixes on
 *   binary files, and a second copy there would double every count in the Problems panel. Explorer
 *   badges on flagged files come from the extension's FileDecorationProvider instead.
 *
 * `data` records what the quick fix needs (path, kind, labels); the server also keeps the same record
 * under `diagnosticKey` for lookup in `onCodeAction` (vscode-eslint `CodeActions.record`).
 */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import type { AnalysisResult, Issue, IssueKind } from '../../protocol/results';
import type { Settings, Severity } from '../../protocol/settings';
import { labelLevel } from '../../protocol/summary';
import type { CsvTable } from './csv';
import { labelEvidence, type IssuesDocument } from './issuesDocument';

export const SOURCE = 'labellint';

/** README sections, one per issue kind (`#issue-<kind>` anchors). */
export const README_URL = 'https://github.com/labellint/labellint/blob/main/README.md';

/** Label issues whose suggested class has less than this probability are shown one severity lower: the model is unsure. */
export const LOW_CONFIDENCE = 0.5;

export interface DiagnosticData {
  readonly root: string;
  readonly path: string;
  readonly kind: IssueKind;
  readonly givenLabel: string | null;
  readonly suggestedLabel: string | null;
  readonly suggestedProb: number | null;
}

export function isDiagnosticData(x: unknown): x is DiagnosticData {
  const d = x as DiagnosticData;
  return !!d && typeof d === 'object' && typeof d.root === 'string' && typeof d.path === 'string' && typeof d.kind === 'string';
}

const LSP_SEVERITY: Record<Exclude<Severity, 'off'>, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/**
 * LSP severity for an issue, or null when its kind is 'off'. A 'possible' label issue (the verdict's review
 * queue) is at most information level (hint when the kind is set to information or lower); a label issue
 * without a calibrated verdict whose suggested class is unsure drops one level. Never below hint.
 */
export function severityFor(issue: Issue, settings: Settings): DiagnosticSeverity | null {
  const s = settings.severities[issue.kind];
  if (s === 'off') return null;
  let sev = LSP_SEVERITY[s];
  if (labelLevel(issue) === 'possible') {
    sev = Math.max(sev, sev >= DiagnosticSeverity.Information ? DiagnosticSeverity.Hint : DiagnosticSeverity.Information) as DiagnosticSeverity;
  } else if (issue.kind === 'label' && issue.verdict === undefined && typeof issue.suggestedProb === 'number' && issue.suggestedProb < LOW_CONFIDENCE) {
    sev = Math.min(DiagnosticSeverity.Hint, sev + 1) as DiagnosticSeverity;
  }
  return sev;
}

/** The Problems-panel message: starts with the image's path (so the Problems filter finds it by file name), every percentage says what it is. */
export function messageFor(issue: Issue, givenLabel: string | null): string {
  if (issue.kind === 'label' && issue.suggestedLabel) {
    const what = labelLevel(issue) === 'possible' ? 'possibly mislabelled' : 'probably mislabelled';
    return `${issue.path}: ${what}: labelled '${givenLabel ?? '?'}', looks like '${issue.suggestedLabel}' (${labelEvidence(issue)})`;
  }
  return issue.message.startsWith(issue.path) ? issue.message : `${issue.path}: ${issue.message}`;
}

export function diagnosticKey(uri: string, d: Pick<Diagnostic, 'range' | 'code'>): string {
  return `${uri}#${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}#${String(d.code)}`;
}

export interface DiagnosticsInput {
  readonly result: AnalysisResult;
  readonly settings: Settings;
  /** The issues document already formatted for this result and settings. */
  readonly doc: IssuesDocument;
  readonly issuesUri: string;
  /** CSV datasets: the labels table and its URI. */
  readonly csv?: CsvTable | null;
  readonly csvUri?: string;
}

/**
 * Diagnostics per URI. The issues document's URI (and the CSV's, for CSV datasets) is always present,
 * possibly with an empty list, so publishing the map clears what a previous run showed.
 */
export function toDiagnostics(input: DiagnosticsInput): Map<string, Diagnostic[]> {
  const { result, settings, doc, issuesUri, csv, csvUri } = input;
  const out = new Map<string, Diagnostic[]>();
  out.set(issuesUri, []);
  if (result.layout === 'csv' && csvUri) out.set(csvUri, []);
  for (const { line, length, issue, givenLabel } of doc.lines) {
    const severity = severityFor(issue, settings);
    if (severity === null) continue;
    const row = result.layout === 'csv' && csvUri ? csv?.rows.get(issue.path) : undefined;
    const uri = row ? csvUri! : issuesUri;
    const range = row ? row.range : { start: { line, character: 0 }, end: { line, character: length } };
    const data: DiagnosticData = {
      root: result.root,
      path: issue.path,
      kind: issue.kind,
      givenLabel,
      suggestedLabel: issue.suggestedLabel ?? null,
      suggestedProb: issue.suggestedProb ?? null,
    };
    const d: Diagnostic = {
      range,
      severity,
      source: SOURCE,
      code: issue.kind,
      codeDescription: { href: `${README_URL}#issue-${issue.kind}` },
      message: messageFor(issue, givenLabel),
      data,
    };
    out.get(uri)!.push(d);
  }
  return out;
}
