/**
 * Pure text helpers for the extension (status bar, export). No `vscode` import, so unit tests run without VS Code.
 */
import type { AnalysisProgress } from '../protocol/progress';
import type { ImageResult } from '../protocol/results';
import type { ResultSummary } from '../protocol/lsp';
import { quoteField } from '../protocol/csvQuote';
import { summaryLine } from '../protocol/summary';

/** Phases in order (protocol/progress PHASES), for the share of the whole run done. */
import { PHASES } from '../protocol/progress';

/** Share of the whole run done, 0–100 (the same formula as the server's work-done progress). */
export function overallPercentOf(p: AnalysisProgress): number {
  const i = Math.max(0, PHASES.indexOf(p.phase));
  const within = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  return Math.round(((i + within) / PHASES.length) * 100);
}

/** "embed 1200/5000 · 340 img/s · about 12 s left" for the first-run notification. */
export function progressMessage(p: AnalysisProgress, backend: string | null): string {
  const parts = [`${p.phase} ${p.done}/${p.total}`];
  if (p.imagesPerSecond) parts.push(`${p.imagesPerSecond.toFixed(0)} img/s`);
  if (p.etaSeconds) parts.push(`about ${Math.ceil(p.etaSeconds)} s left`);
  if (backend ?? p.backend) parts.push(String(backend ?? p.backend));
  return parts.join(' · ');
}

/** "LabelLint: done — 12 label issues (17 issues in all) in 1000 images, 7.1 s." */
export function doneMessage(s: ResultSummary): string {
  const l = s.summary.byKind.label;
  const extra = s.summary.total - l;
  const possible = s.summary.possibleLabel ? `, ${s.summary.possibleLabel} possible` : '';
  return `LabelLint: done — ${l} label issue${l === 1 ? '' : 's'}${possible}${extra ? ` and ${extra} other issue${extra === 1 ? '' : 's'}` : ''} in ${s.images} images (${(s.elapsedMs / 1000).toFixed(1)} s).`;
}

export function statusText(p: AnalysisProgress, backend: string | null): string {
  const parts = [`${p.phase} ${p.done}/${p.total}`];
  if (p.imagesPerSecond) parts.push(`${p.imagesPerSecond.toFixed(0)} img/s`);
  if (backend ?? p.backend) parts.push(String(backend ?? p.backend));
  return `$(sync~spin) LabelLint: ${parts.join(' · ')}`;
}

/** The total every view shows (`protocol/summary`): open issues, possible label issues not included. */
export function totalIssues(s: ResultSummary): number {
  return s.summary.total;
}

export function summaryText(s: ResultSummary): string {
  const n = totalIssues(s);
  if (s.images === 0) return '$(circle-slash) LabelLint: no images';
  return n === 0 ? '$(check) LabelLint' : `$(warning) LabelLint: ${n}`;
}

export function summaryTooltip(s: ResultSummary): string {
  return [
    `${s.images} images, ${s.classes.length} classes (${s.layout === 'csv' ? 'labels CSV' : 'ImageFolder'})`,
    summaryLine(s.summary),
    `cross-validated accuracy ${(s.cvAccuracy * 100).toFixed(1)}% (classifier vs. given labels) · estimated share of wrong labels ${(s.estimatedNoiseRate * 100).toFixed(1)}%`,
    `backend ${s.backend} · ${(s.elapsedMs / 1000).toFixed(1)} s`,
  ].join('\n');
}

/** RFC 4180 field: quoted only when needed (the one CSV codec's quoting). */
export function csvField(v: string): string {
  return quoteField(v);
}

/**
 * `path,label` CSV of the dataset as it should be: each image's given label, or the relabel a person
 * accepted (keyed by the image's path in the result; `newPath` when the file was moved).
 */
export function cleanedLabelsCsv(
  images: readonly Pick<ImageResult, 'path' | 'givenLabel'>[],
  accepted: ReadonlyMap<string, { readonly label: string; readonly newPath?: string }>,
  quarantined: ReadonlySet<string> = new Set(),
): string {
  const lines = ['path,label'];
  for (const im of images) {
    if (quarantined.has(im.path)) continue;
    const a = accepted.get(im.path);
    lines.push(`${csvField(a?.newPath ?? im.path)},${csvField(a?.label ?? im.givenLabel)}`);
  }
  return lines.join('\n') + '\n';
}

/** Explorer badge for a set of issue kinds (two characters at most). */
export function badgeFor(kinds: readonly string[]): string {
  if (kinds.includes('label')) return 'L';
  if (kinds.includes('broken')) return '!';
  if (kinds.includes('conflicting-duplicate') || kinds.includes('leakage') || kinds.includes('duplicate')) return 'D';
  if (kinds.includes('outlier')) return 'O';
  return 'Q';
}

/** A count as a badge (VS Code shows at most two characters): 1–99 as is, more as '99' (the tooltip has the exact count). */
export function countBadge(n: number): string {
  return n > 99 ? '99' : String(n);
}
