/**
 * Cluster-map maths, pure and allocation-light for 100,000 points: a view transform (fit, zoom at a
 * point, pan), projection of all points into a reused screen-coordinate buffer, a uniform-grid index
 * for hover hit-tests, and box selection.
 */

export interface Bounds {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

/** screen = (data − centre) × scale + offset; `scale` in px per data unit. */
export interface ViewTransform {
  readonly scale: number;
  readonly cx: number;
  readonly cy: number;
  readonly ox: number;
  readonly oy: number;
}

export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 200;

export function boundsOf(x: Float32Array, y: Float32Array): Bounds {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < minX) minX = x[i];
    if (x[i] > maxX) maxX = x[i];
    if (y[i] < minY) minY = y[i];
    if (y[i] > maxY) maxY = y[i];
  }
  if (!(minX <= maxX)) return { minX: -1, minY: -1, maxX: 1, maxY: 1 };
  return { minX, minY, maxX, maxY };
}

/** The transform that fits `b` into a width×height canvas with `pad` px margins (zoom 1). */
export function fitTransform(b: Bounds, width: number, height: number, pad: number): ViewTransform {
  const w = Math.max(1e-9, b.maxX - b.minX);
  const h = Math.max(1e-9, b.maxY - b.minY);
  const scale = Math.max(1e-9, Math.min((width - 2 * pad) / w, (height - 2 * pad) / h));
  return { scale, cx: (b.minX + b.maxX) / 2, cy: (b.minY + b.maxY) / 2, ox: width / 2, oy: height / 2 };
}

/** Zoom by `factor` keeping the screen point (px, py) fixed; zoom is clamped relative to `fit`. */
export function zoomAt(t: ViewTransform, fit: ViewTransform, factor: number, px: number, py: number): ViewTransform {
  const scale = Math.min(fit.scale * MAX_ZOOM, Math.max(fit.scale * MIN_ZOOM, t.scale * factor));
  const dataX = (px - t.ox) / t.scale + t.cx;
  const dataY = (py - t.oy) / t.scale + t.cy;
  return { scale, cx: dataX, cy: dataY, ox: px, oy: py };
}

export function pan(t: ViewTransform, dx: number, dy: number): ViewTransform {
  return { ...t, ox: t.ox + dx, oy: t.oy + dy };
}

/** Projects every point into `sx`/`sy` (reused buffers of length N). */
export function project(x: Float32Array, y: Float32Array, t: ViewTransform, sx: Float32Array, sy: Float32Array): void {
  const { scale, cx, cy, ox, oy } = t;
  for (let i = 0; i < x.length; i++) {
    sx[i] = (x[i] - cx) * scale + ox;
    sy[i] = (y[i] - cy) * scale + oy;
  }
}

/**
 * Uniform grid over the visible canvas: cell → point indices, stored CSR-style (counting sort) in
 * two Int32Arrays. Points off-screen are left out. Build O(N); a hit test reads ≤ 9 cells.
 */
export class GridIndex {
  private constructor(
    readonly cellSize: number,
    readonly cols: number,
    readonly rows: number,
    private readonly start: Int32Array,
    private readonly items: Int32Array,
    private readonly sx: Float32Array,
    private readonly sy: Float32Array,
  ) {}

  static build(sx: Float32Array, sy: Float32Array, width: number, height: number, cellSize: number, include?: (i: number) => boolean): GridIndex {
    const cols = Math.max(1, Math.ceil(width / cellSize));
    const rows = Math.max(1, Math.ceil(height / cellSize));
    const cellOf = new Int32Array(sx.length);
    const counts = new Int32Array(cols * rows + 1);
    for (let i = 0; i < sx.length; i++) {
      const c = Math.floor(sx[i] / cellSize);
      const r = Math.floor(sy[i] / cellSize);
      if (!(sx[i] >= 0 && sy[i] >= 0 && sx[i] < width && sy[i] < height) || (include && !include(i))) {
        cellOf[i] = -1;
        continue;
      }
      cellOf[i] = r * cols + c;
      counts[cellOf[i] + 1]++;
    }
    for (let k = 1; k < counts.length; k++) counts[k] += counts[k - 1];
    const start = counts.slice();
    const fill = counts.slice(0, cols * rows);
    const items = new Int32Array(start[cols * rows]);
    for (let i = 0; i < sx.length; i++) if (cellOf[i] >= 0) items[fill[cellOf[i]]++] = i;
    return new GridIndex(cellSize, cols, rows, start, items, sx, sy);
  }

  /** The point nearest to (px, py) within `radius` px, or −1. Ties go to the later-drawn (higher) index. */
  nearest(px: number, py: number, radius: number): number {
    const c0 = Math.max(0, Math.floor((px - radius) / this.cellSize));
    const c1 = Math.min(this.cols - 1, Math.floor((px + radius) / this.cellSize));
    const r0 = Math.max(0, Math.floor((py - radius) / this.cellSize));
    const r1 = Math.min(this.rows - 1, Math.floor((py + radius) / this.cellSize));
    let best = -1;
    let bestD = radius * radius;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let k = this.start[cell]; k < this.start[cell + 1]; k++) {
          const i = this.items[k];
          const dx = this.sx[i] - px;
          const dy = this.sy[i] - py;
          const d = dx * dx + dy * dy;
          if (d < bestD || (d === bestD && i > best)) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }
}

/** Indices of points whose screen position lies in the box spanned by two corners (any order), inclusive. */
export function selectInBox(sx: Float32Array, sy: Float32Array, x0: number, y0: number, x1: number, y1: number): number[] {
  const left = Math.min(x0, x1);
  const right = Math.max(x0, x1);
  const top = Math.min(y0, y1);
  const bottom = Math.max(y0, y1);
  const out: number[] = [];
  for (let i = 0; i < sx.length; i++) if (sx[i] >= left && sx[i] <= right && sy[i] >= top && sy[i] <= bottom) out.push(i);
  return out;
}
