/**
 * Predicted probabilities supplied by the user's own model: a CSV with a `path` column and one column
 * per class (header = class names, any order). Paths are relative to the dataset root, `/` separators.
 * Used instead of LabelLint's own out-of-fold classifier for the images it covers.
 */
import { parseCsv } from '../dataset/csv';

/** Rows may sum to 1 ± this much; larger deviations are reported (the row is renormalised anyway). */
const ROW_SUM_TOLERANCE = 1e-3;

export interface UserProbs {
  /** path → K probabilities in `classes` order, rows renormalised to sum to 1. */
  readonly byPath: Map<string, Float32Array>;
  /** One sentence per problem (naming the CSV line), for the log. */
  readonly problems: string[];
}

export function parseUserProbs(text: string, csvName: string, classes: readonly string[]): UserProbs {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new Error(`${csvName}: empty predicted-probabilities file`);
  const header = rows[0].map((h) => h.trim());
  const pathCol = header.findIndex((h) => /^(path|file|filename|image)$/i.test(h));
  if (pathCol < 0) throw new Error(`${csvName}: header needs a 'path' column (found: ${header.join(', ')})`);
  const cols = classes.map((c) => header.indexOf(c));
  const missing = classes.filter((_, i) => cols[i] < 0);
  if (missing.length > 0) throw new Error(`${csvName}: no column for class(es) ${missing.map((m) => `'${m}'`).join(', ')}`);
  const byPath = new Map<string, Float32Array>();
  const problems: string[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    if (row.length === 1 && row[0].trim() === '') continue;
    const path = (row[pathCol] ?? '').trim().replace(/\\/g, '/').replace(/^\.\//, '');
    const p = new Float32Array(classes.length);
    let sum = 0;
    let bad = path === '';
    for (let k = 0; k < classes.length && !bad; k++) {
      const v = Number(row[cols[k]]);
      if (!Number.isFinite(v) || v < 0) bad = true;
      else {
        p[k] = v;
        sum += v;
      }
    }
    if (bad || sum <= 0) {
      problems.push(`${csvName}:${r + 1}: row skipped (needs a path and a non-negative number per class)`);
      continue;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) problems.push(`${csvName}:${r + 1}: probabilities sum to ${sum.toFixed(4)}; renormalised`);
    for (let k = 0; k < p.length; k++) p[k] /= sum;
    if (byPath.has(path)) problems.push(`${csvName}:${r + 1}: duplicate row for ${path}; the first is used`);
    else byPath.set(path, p);
  }
  return { byPath, problems };
}
