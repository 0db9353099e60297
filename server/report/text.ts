/**
 * Report writers that need no images: CSV (one row per image), JSON, and the terminal summary.
 */
import type { AnalysisResult, IssueKind } from '../../protocol/results';
import { ISSUE_KINDS } from '../../protocol/results';
import { quoteField } from '../engine/dataset/csvCodec';

/** Quote a CSV field when it needs it (RFC 4180; the one CSV codec's quoting). */
export function csvField(s: string): string {
  return quoteField(s);
}

export const CSV_COLUMNS = [
  'path',
  'given_label',
  'suggested_label',
  'label_quality',
  'is_label_issue',
  'suggested_prob',
  'neighbour_agreement',
  'outlier_score',
  'split',
  'issues',
  'reviewed',
  'hash',
] as const;

/** One row per image; `label_quality` in [0,1], lower = more likely mislabelled. */
export function toCsv(result: AnalysisResult): string {
  return [...toCsvChunks(result)].join('');
}

/** `toCsv` line by line, for writing a million-image report without building one string. */
export function* toCsvChunks(result: AnalysisResult): Generator<string> {
  yield CSV_COLUMNS.join(',') + '\n';
  for (const im of result.images) {
    yield [
      csvField(im.path),
      csvField(im.givenLabel),
      csvField(im.suggestedLabel ?? ''),
      im.labelQuality.toFixed(6),
      im.isLabelIssue ? '1' : '0',
      im.suggestedProb.toFixed(6),
      im.neighbourAgreement.toFixed(6),
      im.outlierScore.toFixed(6),
      im.split ?? '',
      csvField(im.issueKinds.join(';')),
      im.reviewed ? '1' : '0',
      im.hash,
    ].join(',') + '\n';
  }
}

export function toJson(result: AnalysisResult): string {
  return JSON.stringify(result, null, 1);
}

/**
 * The same text as `toJson`, in pieces: the top-level fields one by one and the elements of top-level arrays one by
 * one, so a result with millions of images or scan problems is written without a string over V8's length limit.
 */
export function* toJsonChunks(result: AnalysisResult): Generator<string> {
  const indented = (v: unknown, pad: string): string => JSON.stringify(v, null, 1).replace(/\n/g, '\n' + pad);
  const entries = Object.entries(result as unknown as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol',
  );
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{\n';
  for (let e = 0; e < entries.length; e++) {
    const [key, value] = entries[e];
    const tail = e === entries.length - 1 ? '\n' : ',\n';
    if (Array.isArray(value) && value.length > 0) {
      yield ` ${JSON.stringify(key)}: [\n`;
      for (let i = 0; i < value.length; i++) {
        const v = value[i];
        const item = v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : indented(v, '  ');
        yield `  ${item}${i === value.length - 1 ? '\n' : ',\n'}`;
      }
      yield ` ]${tail}`;
    } else {
      yield ` ${JSON.stringify(key)}: ${indented(value, ' ')}${tail}`;
    }
  }
  yield '}';
}

const KIND_TITLES: { [K in IssueKind]: string } = {
  label: 'likely wrong labels',
  duplicate: 'duplicates',
  'conflicting-duplicate': 'duplicates with different labels',
  leakage: 'duplicates across splits (leakage)',
  outlier: 'outliers',
  broken: 'broken files',
  quality: 'image-quality issues',
};

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** The dataset health summary printed by the CLI. */
export function formatSummary(r: AnalysisResult, opts: { topIssues?: number } = {}): string {
  const top = opts.topIssues ?? 10;
  const out: string[] = [];
  const K = r.classes.length;
  out.push(`LabelLint — ${r.root}`);
  out.push(
    `${r.images.length} images, ${K} classes (${r.layout}); model ${r.model.id} (${r.model.dim}-d) on ${r.backend}`,
  );
  out.push(`Cross-validated accuracy against the given labels: ${pct(r.cvAccuracy)}`);
  out.push(`Estimated share of wrong labels: ${pct(r.estimatedNoiseRate)}`);
  if (K > 0 && r.perClassNoiseRate.length === K) {
    const w = Math.max(...r.classes.map((c) => c.length), 5);
    out.push('  per class:');
    r.classes.forEach((c, i) => out.push(`    ${c.padEnd(w)}  ${pct(r.perClassNoiseRate[i]).padStart(6)}`));
  }
  // The largest off-diagonal cells of the noise matrix: which classes get labelled as which.
  const cells: { given: number; truth: number; v: number }[] = [];
  r.noiseMatrix.forEach((row, i) => row.forEach((v, j) => i !== j && v > 0 && cells.push({ given: i, truth: j, v })));
  cells.sort((a, b) => b.v - a.v);
  if (cells.length > 0) {
    out.push('  most confused (true → labelled as, share of the true class):');
    for (const c of cells.slice(0, 5)) {
      out.push(`    ${r.classes[c.truth]} → ${r.classes[c.given]}: ${pct(c.v)}`);
    }
  }
  out.push('Issues:');
  for (const k of ISSUE_KINDS) out.push(`  ${String(r.counts[k]).padStart(6)}  ${KIND_TITLES[k]}`);
  if (r.scanProblems.length > 0) out.push(`  ${String(r.scanProblems.length).padStart(6)}  files skipped while scanning`);
  for (const n of r.scanNotes ?? []) out.push(`  note: ${n}`);
  const labelIssues = r.issues.filter((i) => i.kind === 'label').sort((a, b) => b.score - a.score);
  if (labelIssues.length > 0) {
    out.push(`Top ${Math.min(top, labelIssues.length)} suspected wrong labels:`);
    for (const i of labelIssues.slice(0, top)) out.push(`  ${i.path}: ${i.message}`);
  }
  const t = Object.entries(r.timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`)
    .join(', ');
  if (t) out.push(`Time: ${t}`);
  return out.join('\n');
}
