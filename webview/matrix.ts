/**
 * Confusion / noise matrix layout: pure numbers for the DOM view. Rows = given label, columns =
 * predicted label. Colour strength is row-normalised (share of the row), so a small class with many
 * confusions stands out as much as a big one.
 */

/** Row-normalised copy: each row divided by its sum; an all-zero row stays zero (no NaN). */
export function rowNormalise(m: readonly (readonly number[])[]): number[][] {
  return m.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum > 0 ? v / sum : 0));
  });
}

/** The off-diagonal cell with the most images (ties: first in row-major order); null when all are 0. */
export function mostConfused(m: readonly (readonly number[])[]): { row: number; col: number; count: number } | null {
  let best: { row: number; col: number; count: number } | null = null;
  m.forEach((row, i) =>
    row.forEach((v, j) => {
      if (i !== j && v > 0 && (best === null || v > best.count)) best = { row: i, col: j, count: v };
    }),
  );
  return best;
}

/**
 * Visual weight of a cell in [0, MAX_ALPHA]. Diagonal cells show their share directly; off-diagonal
 * shares are usually small, so they are boosted (×OFF_DIAGONAL_GAIN) to be visible at a few percent.
 */
export const OFF_DIAGONAL_GAIN = 3;
/** Cap so the cell's text (editor foreground) stays readable on the strongest colour. */
export const MAX_ALPHA = 0.75;

/** Floor for a non-zero cell, so one image in a big row is still distinguishable from none. */
export const MIN_ALPHA = 0.06;

export function cellAlpha(share: number, diagonal: boolean): number {
  if (!(share > 0)) return 0;
  return Math.max(MIN_ALPHA, Math.min(MAX_ALPHA, share * (diagonal ? 1 : OFF_DIAGONAL_GAIN) * MAX_ALPHA));
}

export interface MatrixLayout {
  /** Side of a cell in CSS px. */
  readonly cell: number;
  /** Font size of the counts in CSS px; 0 hides them (tooltips still tell). */
  readonly font: number;
  /** Height reserved for the rotated column headers. */
  readonly headerHeight: number;
  /** Width reserved for the row headers. */
  readonly rowHeaderWidth: number;
  /** Column headers are rotated when the names would not fit horizontally. */
  readonly rotateHeaders: boolean;
}

/** Approximate width of a character of the UI font, px (13 px font). */
const CHAR_PX = 7;

/** Cell size and header space for K classes whose longest name is `maxNameLength` characters. */
export function matrixLayout(k: number, maxNameLength: number, maxCount: number): MatrixLayout {
  const cell = k <= 12 ? 40 : k <= 25 ? 32 : 26;
  const digits = String(Math.max(0, Math.round(maxCount))).length;
  const font = cell >= 32 ? 12 : digits <= 3 ? 10 : 0;
  const name = Math.min(maxNameLength, 28) * CHAR_PX + 12;
  const rotateHeaders = name > cell;
  // Rotated headers run vertically (bottom to top), one column wide each, so they never overlap.
  const headerHeight = rotateHeaders ? name + 8 : 24;
  return { cell, font, headerHeight, rowHeaderWidth: Math.min(name, 220), rotateHeaders };
}

/** Human text for a share: '' for 0, '<1%' below 1%, else whole percent. */
export function shareText(share: number): string {
  if (!(share > 0)) return '';
  if (share < 0.01) return '<1%';
  return `${Math.round(share * 100)}%`;
}
