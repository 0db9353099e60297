/**
 * CSV reading and writing for labels files (RFC 4180), and the rules that turn a labels CSV
 * into rows of (path, label, split). Pure apart from one bounded existence check during header
 * detection; the scanner (scan.ts) does the file-system work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScanProblem, Split } from '../../../protocol/dataset';
import { detectDelimiter, formatRow, quoteField, readCsvValues, type CsvDelimiter } from './csvCodec';
import { lexicallyInside, relativeInside } from './safePath';
import { isImageFile } from './imageFiles';

export type { CsvDelimiter } from './csvCodec';
export { detectDelimiter } from './csvCodec';

/** One parsed record with the 1-based line it starts on (field values only; `readCsv` has the offsets too). */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
  /** True when the record ends inside a quoted field (the file ended first). */
  readonly unterminated?: boolean;
}

/**
 * Parses CSV text into records with their starting line numbers: the one reader (`csvCodec.readCsv`), values only.
 * Quoted fields may hold delimiters, doubled quotes (`""` → `"`) and line breaks; a leading BOM is stripped;
 * CRLF, LF and lone CR all end a record; one trailing line break does not make an extra record.
 * Lenient where the RFC is silent: a quote inside an unquoted field is kept literally, text after a closing quote
 * is appended, and an unterminated quote runs to the end of the text (the record is marked `unterminated`).
 * An empty line gives a record with one empty field.
 */
export function parseCsvRecords(text: string, delimiter: CsvDelimiter = ','): CsvRecord[] {
  return readCsvValues(text, delimiter);
}

/** Parses CSV text into rows of fields (see `parseCsvRecords` for the rules). Delimiter defaults to `,`. */
export function parseCsv(text: string, delimiter: CsvDelimiter = ','): string[][] {
  return parseCsvRecords(text, delimiter).map((r) => r.fields);
}

/** Quotes a field when it needs it: it holds the delimiter, a quote, a line break, or leading/trailing spaces. */
export function serializeCsvField(s: string, delimiter: CsvDelimiter = ','): string {
  return quoteField(s, delimiter);
}

/** Joins fields into one CSV line (no line break). */
export function serializeCsvRow(fields: readonly string[], delimiter: CsvDelimiter = ','): string {
  return formatRow(fields, delimiter);
}

// ---------------------------------------------------------------------------------------------
// Labels CSV

/** One usable row of a labels CSV. */
export interface LabelRow {
  /** Path relative to the dataset root, `/` separators. */
  readonly path: string;
  /** Absolute path (platform separators). */
  readonly absPath: string;
  readonly label: string;
  readonly split: Split | null;
  /** 1-based line of the row in the CSV. */
  readonly line: number;
}

export interface LabelsCsv {
  readonly rows: LabelRow[];
  readonly problems: ScanProblem[];
  /** Whether the first record was taken as a header. */
  readonly header: boolean;
  /** 0-based column indices. */
  readonly pathColumn: number;
  readonly labelColumn: number;
  readonly splitColumn?: number;
}

/** Header names (lowercase, after removing spaces, `-` and `_`) that mark each column. */
const PATH_HEADERS: ReadonlySet<string> = new Set([
  'path', 'file', 'filename', 'filepath', 'image', 'imagepath', 'imagefile', 'imagename', 'img', 'imgpath', 'relpath', 'relativepath', 'name',
]);
const LABEL_HEADERS: ReadonlySet<string> = new Set([
  'label', 'labels', 'class', 'classname', 'category', 'target', 'labelname', 'y', 'tag', 'annotation',
]);
const SPLIT_HEADERS: ReadonlySet<string> = new Set(['split', 'subset', 'set', 'partition']);

/** Split names as they appear in folders or CSV cells, lowercase, mapped to the canonical split. */
export const SPLIT_NAMES: ReadonlyMap<string, Split> = new Map<string, Split>([
  ['train', 'train'],
  ['training', 'train'],
  ['val', 'val'],
  ['valid', 'val'],
  ['validation', 'val'],
  ['dev', 'val'],
  ['test', 'test'],
  ['testing', 'test'],
]);

/** The canonical split for a folder name or CSV cell, or null. Case-insensitive. */
export function toSplit(name: string): Split | null {
  return SPLIT_NAMES.get(name.trim().toLowerCase()) ?? null;
}

function headerKey(cell: string): string {
  return cell.trim().toLowerCase().replace(/[\s_-]/g, '');
}

/** Column indices a header row names (path, label, split), -1 where none is named. */
export function namedColumns(headerRow: readonly string[]): { path: number; label: number; split: number } {
  const keys = headerRow.map(headerKey);
  const p = keys.findIndex((k) => PATH_HEADERS.has(k));
  const label = keys.findIndex((k, i) => LABEL_HEADERS.has(k) && i !== p);
  const split = keys.findIndex((k, i) => SPLIT_HEADERS.has(k) && i !== p && i !== label);
  return { path: p, label, split };
}

/** Shows a path in a message; paths with control characters (e.g. newlines) are JSON-quoted. */
export function showPath(p: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(p) ? JSON.stringify(p) : p;
}

/** The CSV path as problems name it: relative to root when inside it, else absolute. */
function csvDisplayPath(csvPath: string, root: string): string {
  return relativeInside(root, csvPath) ?? csvPath;
}

/**
 * Turns the text of a labels CSV into rows. Paths are relative to the CSV's folder and must stay inside `root`.
 *
 * Columns: a header row is recognised when it names a path column (path, file, filename, image, filepath, …) and a
 * label column (label, class, category, target, …); an optional split column (split, subset, set, …) is used too.
 * Without such names the first row is still a header when none of its cells is an existing file and its first cell
 * has no image extension; headerless files use column 0 = path, 1 = label, and column 2 = split when every row's third
 * cell is a split name.
 *
 * Refused with a problem, never followed: absolute paths and paths that leave `root` (`outside-root`); rows with
 * missing or empty cells, or an unterminated quote (`bad-csv-row`); a second row for the same path (`duplicate-row`,
 * the first wins). Leading/trailing spaces of cells are trimmed; `\` in paths is read as `/`.
 */
export function parseLabelsCsv(text: string, csvPath: string, root: string): LabelsCsv {
  const absCsv = path.resolve(csvPath);
  const absRoot = path.resolve(root);
  const csvDir = path.dirname(absCsv);
  const records = parseCsvRecords(text, detectDelimiter(text)).filter(
    (r) => r.unterminated || r.fields.length > 1 || r.fields[0].trim() !== '',
  );
  const problems: ScanProblem[] = [];
  const rows: LabelRow[] = [];
  if (records.length === 0) return { rows, problems, header: false, pathColumn: 0, labelColumn: 1 };
  const columns = chooseColumns(records, csvDir, absRoot);
  const place: RowPlace = { csvShown: csvDisplayPath(absCsv, absRoot), csvDir, absRoot };
  const seen = new Map<string, LabelRow>();
  for (const r of columns.header ? records.slice(1) : records) {
    const row = readRow(r, columns, place, seen, problems);
    if (row === null) continue;
    seen.set(row.path, row);
    rows.push(row);
  }
  return { rows, problems, ...columns };
}

/** Which record is a header and which columns hold path, label and split (the rules of `parseLabelsCsv`). */
function chooseColumns(records: readonly CsvRecord[], csvDir: string, absRoot: string): Omit<LabelsCsv, 'rows' | 'problems'> {
  const first = records[0].fields;
  const { path: namedPath, label: namedLabel, split: namedSplit } = namedColumns(first);
  let header: boolean;
  if (namedPath >= 0 && namedLabel >= 0) header = true;
  else {
    const anyIsFile = first.some((cell) => {
      const c = cell.trim().replace(/\\/g, '/');
      if (c === '' || path.isAbsolute(c) || /^[A-Za-z]:\//.test(c)) return false;
      const abs = path.resolve(csvDir, c);
      if (!lexicallyInside(absRoot, abs)) return false;
      try {
        return fs.statSync(abs).isFile(); // at most one call per column of the first row
      } catch {
        return false;
      }
    });
    header = !anyIsFile && !isImageFile(first[0]?.trim() ?? '');
  }
  const pathColumn = header && namedPath >= 0 ? namedPath : 0;
  let labelColumn = header && namedLabel >= 0 ? namedLabel : pathColumn === 0 ? 1 : 0;
  if (labelColumn === pathColumn) labelColumn = pathColumn + 1;
  let splitColumn: number | undefined = header && namedSplit >= 0 ? namedSplit : undefined;
  const body = header ? records.slice(1) : records;
  if (!header && splitColumn === undefined && body.length > 0 && body.every((r) => r.fields.length >= 3 && toSplit(r.fields[2]) !== null)) {
    splitColumn = 2;
  }
  return { header, pathColumn, labelColumn, ...(splitColumn !== undefined ? { splitColumn } : {}) };
}

/** Where a labels CSV's rows are read: its name in messages, its folder (paths are relative to it) and the root. */
interface RowPlace {
  readonly csvShown: string;
  readonly csvDir: string;
  readonly absRoot: string;
}

/** One body record as a row, or null with a problem (unterminated, empty cell, outside the root, a second row). */
function readRow(
  r: CsvRecord,
  columns: Omit<LabelsCsv, 'rows' | 'problems'>,
  { csvShown, csvDir, absRoot }: RowPlace,
  seen: ReadonlyMap<string, LabelRow>,
  problems: ScanProblem[],
): LabelRow | null {
  const where = `${csvShown} line ${r.line}`;
  const refuse = (kind: ScanProblem['kind'], message: string, at = csvShown): null => {
    problems.push({ path: at, line: r.line, kind, message });
    return null;
  };
  if (r.unterminated) return refuse('bad-csv-row', `${where}: a quoted field is never closed; rest of the file skipped`);
  const rawPath = (r.fields[columns.pathColumn] ?? '').trim();
  const label = (r.fields[columns.labelColumn] ?? '').trim();
  if (rawPath === '' || label === '') {
    const what = rawPath === '' && label === '' ? 'path and label' : rawPath === '' ? 'path' : 'label';
    return refuse('bad-csv-row', `${where}: the ${what} cell is missing or empty; row skipped`);
  }
  const p = rawPath.replace(/\\/g, '/');
  if (path.isAbsolute(p) || path.isAbsolute(rawPath) || /^[A-Za-z]:\//.test(p)) {
    return refuse('outside-root', `${where}: ${showPath(rawPath)} is an absolute path; only paths relative to the CSV's folder are read; row skipped`);
  }
  const absPath = path.resolve(csvDir, p);
  const rel = relativeInside(absRoot, absPath);
  if (rel === null) return refuse('outside-root', `${where}: ${showPath(rawPath)} points outside the dataset root; row skipped`);
  const prev = seen.get(rel);
  if (prev) {
    const message =
      prev.label !== label
        ? `${showPath(rel)}: listed again on ${where} with label '${label}', which conflicts with '${prev.label}' on line ${prev.line}; kept line ${prev.line}`
        : `${showPath(rel)}: listed again on ${where} (same label '${label}' as line ${prev.line}); duplicate ignored`;
    return refuse('duplicate-row', message, rel);
  }
  const split = columns.splitColumn !== undefined ? toSplit(r.fields[columns.splitColumn] ?? '') : null;
  return { path: rel, absPath, label, split, line: r.line };
}
