/**
 * Virtualisation window of the image grid: which rows to put in the DOM for a scroll position.
 * Pure, so unit tests pin the edge cases (empty grid, scrolled past the end, partial rows).
 */

export interface GridGeometry {
  /** Number of items. */
  readonly count: number;
  /** Tiles per row (≥ 1). */
  readonly columns: number;
  /** Row height in px (tile + gap). */
  readonly rowHeight: number;
}

export interface RowWindow {
  /** First row to render (inclusive). */
  readonly first: number;
  /** Last row to render (exclusive). */
  readonly end: number;
  /** Total rows. */
  readonly rows: number;
  /** Height of the scrollable content. */
  readonly totalHeight: number;
}

/** Tiles per row for a container width: at least one. */
export function columnsFor(width: number, tileWidth: number, gap: number): number {
  return Math.max(1, Math.floor((width + gap) / (tileWidth + gap)));
}

/** Rows intersecting [scrollTop, scrollTop + viewport), widened by `overscan` rows each side. */
export function rowWindow(g: GridGeometry, scrollTop: number, viewportHeight: number, overscan = 2): RowWindow {
  const columns = Math.max(1, Math.floor(g.columns));
  const rows = Math.ceil(Math.max(0, g.count) / columns);
  const totalHeight = rows * g.rowHeight;
  if (rows === 0 || g.rowHeight <= 0) return { first: 0, end: 0, rows, totalHeight };
  const top = Math.min(Math.max(0, scrollTop), Math.max(0, totalHeight - viewportHeight));
  const firstVisible = Math.floor(top / g.rowHeight);
  const lastVisible = Math.ceil((top + Math.max(0, viewportHeight)) / g.rowHeight);
  return {
    first: Math.max(0, firstVisible - overscan),
    end: Math.min(rows, Math.max(lastVisible, firstVisible + 1) + overscan),
    rows,
    totalHeight,
  };
}

/** scrollTop that brings item `index` fully into view (unchanged when it already is). */
export function scrollToShow(g: GridGeometry, index: number, scrollTop: number, viewportHeight: number): number {
  const row = Math.floor(index / Math.max(1, g.columns));
  const top = row * g.rowHeight;
  const bottom = top + g.rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}
