/**
 * Pure text helpers for the extension (status bar, export). No `vscode` import, so unit tests run without VS Code.
 */
import type { AnalysisProgress } from '../protocol/progress';
import type { ImageResult } from '../protocol/results';
import type { ResultSummary } from '../protocol/lsp';
import { summaryLine } from '../protocol/summary';

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

/** RFC 4180 field: quoted only when needed. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
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

/** A count as a badge: 1–9 as is, more as '9+'. */
export function countBadge(n: number): string {
  return n > 9 ? '9+' : String(n);
}
