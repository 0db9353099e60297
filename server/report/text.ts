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
  'p_label_wrong',
  'label_verdict',
  'suggested_prob',
  'neighbour_agreement',
  'outlier_score',
  'split',
  'issues',
  'reviewed',
  'hash',
] as const;

/**
 * One row per image; `label_quality` in [0,1], lower = more likely mislabelled (= 1 − p_label_wrong);
 * `p_label_wrong`: calibrated probability that the given label is wrong; `is_label_issue` = p_label_wrong ≥ minConfidence.
 */
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
      im.pLabelWrong.toFixed(6),
      im.verdict,
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

/** Accuracy below which the features count as weak (bench/RESULTS.md: flag precision 56–91%, median 78%, below it). */
const WEAK_FEATURES_ACCURACY = 0.7;

/** How much to trust the flags, in one sentence. */
export function trustSentence(r: Pick<AnalysisResult, 'cvAccuracy' | 'noiseInterval' | 'counts'>): string {
  if (r.noiseInterval[1] < 0.05 && r.counts.label === 0) return 'No evidence of label noise: no label reaches the bar for a confident flag.';
  const acc = `cross-validated accuracy ${pct(r.cvAccuracy)}`;
  if (r.cvAccuracy < WEAK_FEATURES_ACCURACY) {
    return `With ${acc} the features are weak: on our benchmarks about 3 in 4 confident flags were truly wrong labels (fewer when two classes are often swapped) and many wrong labels stayed in the review queue; a stronger backbone helps (--model-path).`;
  }
  return `With ${acc}, on our benchmarks about 4 in 5 confident flags were truly wrong labels; p_label_wrong says how sure each one is.`;
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
  out.push(`Estimated share of wrong labels: ${pct(r.estimatedNoiseRate)} (90% interval ${pct(r.noiseInterval[0])}–${pct(r.noiseInterval[1])})`);
  out.push(`  ${trustSentence(r)}`);
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
  if (r.diagnosis) {
    const d = r.diagnosis;
    out.push('Labels or model? (cross-validated accuracy against the given labels)');
    out.push(`  (a) linear head (the retrained last layer): ${pct(d.linear)}`);
    out.push(`  (b) same head without the ${d.dropped} confident label issues, on the images kept: ${pct(d.linearCleaned)}`);
    out.push(`  (c) deeper head (one hidden layer): ${d.mlp === null ? 'not measured (too few images)' : pct(d.mlp)}`);
    out.push(`  (d) k-nearest-neighbour vote: ${pct(d.knn)}`);
    out.push(`  ${d.summary}`);
  }
  out.push('Issues:');
  for (const k of ISSUE_KINDS) {
    out.push(`  ${String(r.counts[k]).padStart(6)}  ${KIND_TITLES[k]}`);
    if (k === 'label') out.push(`  ${String(r.possibleLabelIssues).padStart(6)}  possible wrong labels (review queue, below the ${pct(Number(r.settings.minConfidence ?? 0.5))} bar)`);
  }
  if (r.scanProblems.length > 0) out.push(`  ${String(r.scanProblems.length).padStart(6)}  files skipped while scanning`);
  for (const n of r.scanNotes ?? []) out.push(`  note: ${n}`);
  const labelIssues = r.issues.filter((i) => i.kind === 'label' && i.verdict !== 'possible').sort((a, b) => b.score - a.score);
  if (labelIssues.length > 0) {
    out.push(`Top ${Math.min(top, labelIssues.length)} suspected wrong labels:`);
    // Messages start with the file name; prefix the folder so the line names the file exactly.
    for (const i of labelIssues.slice(0, top)) {
      const dir = i.path.slice(0, i.path.lastIndexOf('/') + 1);
      out.push(i.message.startsWith(`${i.path.slice(dir.length)}: `) ? `  ${dir}${i.message}` : `  ${i.path}: ${i.message}`);
    }
  }
  const t = Object.entries(r.timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`)
    .join(', ');
  if (t) out.push(`Time: ${t}`);
  return out.join('\n');
}
