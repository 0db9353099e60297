/**
 * A small RFC 4180 CSV reader that keeps byte offsets, so a label can be replaced in place:
 * quoting style, delimiters and line endings (CRLF stays CRLF) of everything else are untouched.
 */
import type { Position } from '../../protocol/lsp';
import { detectDelimiter as engineDetectDelimiter, parseLabelsCsv } from '../engine/dataset/csv';

export interface CsvField {
  /** Unquoted value. */
  readonly value: string;
  /** Offsets of the raw field text (quotes included) in the document: [start, end). */
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
}

export interface CsvRecord {
  readonly fields: readonly CsvField[];
  /** Offsets of the record without its line terminator: [start, end). */
  readonly start: number;
  readonly end: number;
}

export function detectDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 0 ? counts[0][0] : ',';
}

export function parseCsv(text: string, delimiter?: string): CsvRecord[] {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const firstEol = text.search(/\r|\n/);
  const delim = delimiter ?? detectDelimiter(text.slice(i, firstEol < 0 ? undefined : firstEol));
  const records: CsvRecord[] = [];
  const n = text.length;
  while (i < n) {
    const recStart = i;
    const fields: CsvField[] = [];
    for (;;) {
      const fStart = i;
      let value = '';
      let quoted = false;
      if (text[i] === '"') {
        quoted = true;
        i++;
        for (;;) {
          if (i >= n) break;
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          value += text[i++];
        }
        // Tolerate junk after the closing quote up to the delimiter.
        while (i < n && text[i] !== delim && text[i] !== '\n' && text[i] !== '\r') value += text[i++];
      } else {
        while (i < n && text[i] !== delim && text[i] !== '\n' && text[i] !== '\r') value += text[i++];
      }
      fields.push({ value, start: fStart, end: i, quoted });
      if (i < n && text[i] === delim) {
        i++;
        continue;
      }
      break;
    }
    const recEnd = i;
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    const blank = fields.length === 1 && fields[0].value === '' && !fields[0].quoted;
    if (!blank) records.push({ fields, start: recStart, end: recEnd });
  }
  return records;
}

/** Text for a CSV field holding `value`: quoted when the original was quoted or the value needs it. */
export function fieldText(value: string, wasQuoted: boolean, delimiter = ','): string {
  const needs = value.includes(delimiter) || /["\r\n]/.test(value) || value !== value.trim();
  return wasQuoted || needs ? `"${value.replace(/"/g, '""')}"` : value;
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
  readonly rows: ReadonlyMap<string, CsvRow>;
}

/**
 * Indexes a labels CSV by image path, with the same columns, header rule and path resolution as the
 * engine's scanner (`parseLabelsCsv`), plus the offsets an in-place edit needs. Null when no row is usable.
 */
export function readCsvTable(root: string, csvPath: string, rawText: string): CsvTable | null {
  // Positions must match the editor's document, and VS Code documents never contain the BOM (it is kept
  // aside and written back on save): a file read from disk drops it here, or every edit on line 1 lands
  // one character off.
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const labels = parseLabelsCsv(text, csvPath, root);
  if (labels.rows.length === 0) return null;
  const delimiter = engineDetectDelimiter(text);
  const records = parseCsv(text, delimiter);
  const starts = lineStarts(text);
  const byLine = new Map<number, CsvRecord>();
  for (const r of records) byLine.set(positionAt(starts, r.start).line + 1, r);
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
  return { csvPath, delimiter, rows };
}
