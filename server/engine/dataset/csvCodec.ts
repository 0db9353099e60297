/**
 * The one CSV codec: bytes ⇄ text (encoding detected and kept), text → records with field offsets (RFC 4180,
 * lenient), values → quoted fields, and a byte-exact cell edit. The labels rules (engine/csv.ts), the predicted
 * probabilities reader, the language server's edits and the report writers all go through it.
 *
 * Encodings: UTF-8 with or without a BOM, UTF-16 LE/BE with a BOM, and Latin-1 (any file that is not valid UTF-8
 * and has no UTF-16 BOM). Decoding then re-encoding gives back the same bytes for every file of these kinds
 * except malformed UTF-16 (an odd byte count); `editCell` checks that and refuses rather than change a byte
 * outside the edited cell.
 */

import type { CsvDelimiter } from '../../../protocol/csvQuote';

export type { CsvDelimiter } from '../../../protocol/csvQuote';
export type CsvEncoding = 'utf8' | 'utf8-bom' | 'utf16le' | 'utf16be' | 'latin1';
const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t'];

/** Readable name of an encoding for messages. */
export const ENCODING_NAMES: { readonly [E in CsvEncoding]: string } = {
  utf8: 'UTF-8',
  'utf8-bom': 'UTF-8 with BOM',
  utf16le: 'UTF-16 LE',
  utf16be: 'UTF-16 BE',
  latin1: 'Latin-1 (not valid UTF-8)',
};

export interface DecodedCsv {
  /** The text without its BOM. Offsets in records refer to this string (UTF-16 code units). */
  readonly text: string;
  readonly encoding: CsvEncoding;
}

/** True when `b` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
export function isValidUtf8(b: Uint8Array): boolean {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else return false;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/** The encoding of a CSV file's bytes (see the module comment). */
export function detectEncoding(b: Uint8Array): CsvEncoding {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf8-bom';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'utf16le';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'utf16be';
  return isValidUtf8(b) ? 'utf8' : 'latin1';
}

function swap16(b: Uint8Array): Buffer {
  const out = Buffer.alloc(b.length);
  for (let i = 0; i + 1 < b.length; i += 2) {
    out[i] = b[i + 1];
    out[i + 1] = b[i];
  }
  if (b.length % 2 === 1) out[b.length - 1] = b[b.length - 1];
  return out;
}

/** Bytes of the byte-order mark that `e` implies (0 without one). */
export function bomLength(e: CsvEncoding): number {
  return e === 'utf8-bom' ? 3 : e === 'utf16le' || e === 'utf16be' ? 2 : 0;
}

/** Decodes a CSV file's bytes; the BOM is dropped from the text and remembered in `encoding`. */
export function decodeCsv(bytes: Uint8Array): DecodedCsv {
  const encoding = detectEncoding(bytes);
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(bomLength(encoding));
  let text: string;
  switch (encoding) {
    case 'utf8':
    case 'utf8-bom':
      text = body.toString('utf8');
      break;
    case 'latin1':
      text = body.toString('latin1');
      break;
    case 'utf16le':
      text = body.subarray(0, body.length - (body.length % 2)).toString('utf16le');
      break;
    case 'utf16be':
      text = swap16(body.subarray(0, body.length - (body.length % 2))).toString('utf16le');
      break;
  }
  return { text, encoding };
}

/** Why `text` cannot be written in `encoding` without loss, or null. */
export function unencodable(text: string, encoding: CsvEncoding): string | null {
  if (encoding === 'latin1') {
    for (const ch of text) {
      if (ch.codePointAt(0)! > 0xff) return `'${ch}' cannot be written in a ${ENCODING_NAMES.latin1} file`;
    }
  }
  // Lone surrogates do not survive UTF-8 or UTF-16 encoding either.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) return 'the text holds a lone surrogate';
  return null;
}

/** Encodes text (no BOM in it) in `encoding`, BOM included when the encoding has one. */
export function encodeCsv(text: string, encoding: CsvEncoding, withBom = true): Buffer {
  const bom =
    !withBom ? [] : encoding === 'utf8-bom' ? [0xef, 0xbb, 0xbf] : encoding === 'utf16le' ? [0xff, 0xfe] : encoding === 'utf16be' ? [0xfe, 0xff] : [];
  let body: Buffer;
  switch (encoding) {
    case 'utf8':
    case 'utf8-bom':
      body = Buffer.from(text, 'utf8');
      break;
    case 'latin1':
      body = Buffer.from(text, 'latin1');
      break;
    case 'utf16le':
      body = Buffer.from(text, 'utf16le');
      break;
    case 'utf16be':
      body = swap16(Buffer.from(text, 'utf16le'));
      break;
  }
  return bom.length > 0 ? Buffer.concat([Buffer.from(bom), body]) : body;
}

// ---------------------------------------------------------------------------------------------
// Records

/** One field: its value (quotes removed, `""` → `"`) and where its raw text lies in the decoded text. */
export interface CsvField {
  readonly value: string;
  /** [start, end) of the raw field text, quotes included, in the decoded text (UTF-16 code units). */
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
}

/** One record with the 1-based line it starts on. */
export interface CsvRecord {
  readonly fields: readonly CsvField[];
  readonly line: number;
  /** [start, end) of the record without its line terminator. */
  readonly start: number;
  readonly end: number;
  /** True when the record ends inside a quoted field (the text ended first). */
  readonly unterminated?: boolean;
}

/**
 * The delimiter of a CSV: the most frequent of `,` `;` `\t` outside quotes in the first record.
 * Ties and none give `,`. A leading BOM is skipped.
 */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts = new Map<string, number>();
  let inQuotes = false;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) break;
    else if (!inQuotes && (c === ',' || c === ';' || c === '\t')) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let best: CsvDelimiter = ',';
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const n = counts.get(d) ?? 0;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/**
 * Reads CSV text into records with field offsets and starting lines (RFC 4180).
 * Quoted fields may hold delimiters, doubled quotes and line breaks; a leading U+FEFF is skipped; CRLF, LF and a
 * lone CR end a record; one trailing line break makes no extra record. Lenient where the RFC is silent: a quote
 * inside an unquoted field is kept literally, text after a closing quote is appended, an unterminated quote runs to
 * the end (`unterminated`). An empty line gives a record with one empty field.
 * Iterative, no recursion and no spread: millions of rows are fine.
 */
export function readCsv(text: string, delimiter: CsvDelimiter = detectDelimiter(text)): CsvRecord[] {
  return parse(text, delimiter, true) as CsvRecord[];
}

/** `readCsv` without the offsets (values only, less garbage on million-row files). */
export function readCsvValues(text: string, delimiter: CsvDelimiter = detectDelimiter(text)): CsvValuesRecord[] {
  return parse(text, delimiter, false) as CsvValuesRecord[];
}

/** A record as `readCsvValues` gives it. */
export interface CsvValuesRecord {
  readonly fields: string[];
  readonly line: number;
  readonly unterminated?: boolean;
}

function parse(text: string, delimiter: CsvDelimiter, spans: boolean): (CsvRecord | CsvValuesRecord)[] {
  const records: (CsvRecord | CsvValuesRecord)[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const recStart = i;
    const recLine = line;
    const fields: (CsvField | string)[] = [];
    let unterminated = false;
    for (;;) {
      const fStart = i;
      let value = '';
      let quoted = false;
      if (text[i] === '"') {
        quoted = true;
        i++;
        let closed = false;
        let chunk = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === 34 /* " */) {
            if (text.charCodeAt(i + 1) === 34) {
              value += text.slice(chunk, i + 1);
              i += 2;
              chunk = i;
              continue;
            }
            value += text.slice(chunk, i);
            i++;
            closed = true;
            break;
          }
          if (c === 13 /* \r */) {
            line++;
            if (text.charCodeAt(i + 1) === 10) i++;
          } else if (c === 10) line++;
          i++;
        }
        if (!closed) {
          value += text.slice(chunk, i);
          unterminated = true;
        }
      }
      const tail = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 10 || c === 13 || text[i] === delimiter) break;
        i++;
      }
      if (i > tail) value += text.slice(tail, i);
      fields.push(spans ? { value, start: fStart, end: i, quoted } : value);
      if (!unterminated && i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      break;
    }
    const recEnd = i;
    if (text.charCodeAt(i) === 13) i++;
    if (text.charCodeAt(i) === 10) i++;
    if (i > recEnd) line++;
    if (spans) {
      const f = fields as CsvField[];
      records.push(unterminated ? { fields: f, line: recLine, start: recStart, end: recEnd, unterminated } : { fields: f, line: recLine, start: recStart, end: recEnd });
    } else {
      const f = fields as string[];
      records.push(unterminated ? { fields: f, line: recLine, unterminated } : { fields: f, line: recLine });
    }
  }
  return records;
}

export { formatRow, needsQuotes, quoteField } from '../../../protocol/csvQuote';

// ---------------------------------------------------------------------------------------------
// Byte-exact edits

export type CellEdit = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: string };

/**
 * Replaces the decoded-text range [start, end) of a CSV file's `bytes` with `newText`, keeping every other byte
 * exactly (encoding, BOM, line endings, other cells' quoting). Refuses, with a reason, a file whose bytes do not
 * survive decoding (malformed UTF-16) and a new text its encoding cannot hold.
 */
export function editCell(bytes: Uint8Array, start: number, end: number, newText: string): CellEdit {
  const { text, encoding } = decodeCsv(bytes);
  const original = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!(start >= 0 && start <= end && end <= text.length)) return { ok: false, reason: 'the cell is no longer where it was (the file changed)' };
  if (!encodeCsv(text, encoding).equals(original)) {
    return { ok: false, reason: `the file's bytes do not read back exactly as ${ENCODING_NAMES[encoding]}; LabelLint will not edit it` };
  }
  const bad = unencodable(newText, encoding);
  if (bad) return { ok: false, reason: bad };
  const head = bomLength(encoding) + encodeCsv(text.slice(0, start), encoding, false).length;
  const cellBytes = encodeCsv(text.slice(start, end), encoding, false).length;
  return {
    ok: true,
    bytes: Buffer.concat([original.subarray(0, head), encodeCsv(newText, encoding, false), original.subarray(head + cellBytes)]),
  };
}
