/**
 * CSV quoting (RFC 4180), the one quoter: pure string functions every layer may use (the reports, the language
 * server's edits, the extension's export). Reading, encodings and byte-exact edits are in
 * server/engine/dataset/csvCodec.ts, which re-exports these.
 */

export type CsvDelimiter = ',' | ';' | '\t';

/** True when a value must be quoted: it holds the delimiter, a quote or a line break, or starts/ends with space. */
export function needsQuotes(value: string, delimiter: CsvDelimiter = ','): boolean {
  return value.includes(delimiter) || /["\r\n]/.test(value) || /^\s|\s$/.test(value);
}

/** The field text for `value`: quoted when it needs it or when `quote` asks (to keep an existing style). */
export function quoteField(value: string, delimiter: CsvDelimiter = ',', quote = false): string {
  return quote || needsQuotes(value, delimiter) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line (no line break). */
export function formatRow(values: readonly string[], delimiter: CsvDelimiter = ','): string {
  let s = '';
  for (let k = 0; k < values.length; k++) s += (k === 0 ? '' : delimiter) + quoteField(values[k], delimiter);
  return s;
}
