/**
 * The labels CSV as the editor sees it: rows indexed by image path with the ranges an in-place edit needs.
 * Reading and quoting go through the one CSV codec (engine/dataset/csvCodec.ts); the columns, header rule and path
 * resolution are the engine's (`parseLabelsCsv`), so the editor and the scanner point at the same cells.
 */
import type { Position } from '../../protocol/lsp';
import { parseLabelsCsv } from '../engine/dataset/csv';
import {
  ENCODING_NAMES,
  detectDelimiter,
  quoteField,
  readCsv,
  type CsvDelimiter,
  type CsvEncoding,
  type CsvField,
  type CsvRecord,
} from '../engine/dataset/csvCodec';

export type { CsvField, CsvRecord } from '../engine/dataset/csvCodec';

/** Text for a CSV field holding `value`: quoted when the original was quoted or the value needs it. */
export function fieldText(value: string, wasQuoted: boolean, delimiter: string = ','): string {
  return quoteField(value, delimiter as CsvDelimiter, wasQuoted);
}

/** Line starts of a document under LSP rules (`\n`, `\r\n` and `\r` end a line). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\r') {
      if (text[i + 1] === '\n') i++;
      starts.push(i + 1);
    } else if (c === '\n') starts.push(i + 1);
  }
  return starts;
}

export function positionAt(starts: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}

export interface CsvRow {
  readonly record: CsvRecord;
  readonly pathField: CsvField;
  readonly labelField: CsvField;
  readonly range: { readonly start: Position; readonly end: Position };
  readonly labelRange: { readonly start: Position; readonly end: Position };
  readonly pathRange: { readonly start: Position; readonly end: Position };
}

/** The labels CSV of a dataset, indexed by root-relative image path. */
export interface CsvTable {
  readonly csvPath: string;
  readonly delimiter: string;
  /** The file's encoding on disk (detected from its bytes); 'utf8' when only text was given. */
  readonly encoding: CsvEncoding;
  readonly rows: ReadonlyMap<string, CsvRow>;
}

/**
 * Why the editor must not edit this CSV, or null. VS Code opens a file that is not valid UTF-8 as UTF-8 (unless the
 * user picked another encoding) and writes U+FFFD for every byte it could not read when it saves: a relabel would
 * destroy every non-ASCII label or path in the file, and Undo cannot bring them back.
 */
export function csvEditRefusal(table: CsvTable): string | null {
  if (table.encoding === 'latin1') {
    return (
      `${table.csvPath} is not UTF-8 (read as ${ENCODING_NAMES.latin1}); editing it in VS Code would replace its ` +
      'non-ASCII characters on save, so LabelLint does not edit it. Convert the file to UTF-8 (or fix the label by hand with the right encoding).'
    );
  }
  return null;
}

/**
 * Indexes a labels CSV by image path, with the same columns, header rule and path resolution as the
 * engine's scanner (`parseLabelsCsv`), plus the offsets an in-place edit needs. Null when no row is usable.
 * `rawText` is the decoded text (a BOM, if still there, is dropped: editor documents never hold it).
 */
export function readCsvTable(root: string, csvPath: string, rawText: string, encoding: CsvEncoding = 'utf8'): CsvTable | null {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const labels = parseLabelsCsv(text, csvPath, root);
  if (labels.rows.length === 0) return null;
  const delimiter = detectDelimiter(text);
  const byLine = new Map<number, CsvRecord>();
  for (const r of readCsv(text, delimiter)) byLine.set(r.line, r);
  const starts = lineStarts(text);
  const rows = new Map<string, CsvRow>();
  for (const lr of labels.rows) {
    const record = byLine.get(lr.line);
    const pathField = record?.fields[labels.pathColumn];
    const labelField = record?.fields[labels.labelColumn];
    if (!record || !pathField || !labelField || rows.has(lr.path)) continue;
    rows.set(lr.path, {
      record,
      pathField,
      labelField,
      range: { start: positionAt(starts, record.start), end: positionAt(starts, record.end) },
      labelRange: { start: positionAt(starts, labelField.start), end: positionAt(starts, labelField.end) },
      pathRange: { start: positionAt(starts, pathField.start), end: positionAt(starts, pathField.end) },
    });
  }
  return { csvPath, delimiter, encoding, rows };
}
