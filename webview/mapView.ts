/**
 * The cluster map on one <canvas>: no DOM node per point. Screen coordinates are projected into
 * reused typed arrays when the view changes, each class is drawn as one path (one fill per colour),
 * flagged images get one stroked path of rings, and hover hit-tests go through a uniform grid index.
 * Wheel zooms at the cursor, drag pans, shift+drag selects a box, a click reveals the file.
 */
import type { Dataset } from './model.js';
import { baseName } from './model.js';
import { boundsOf, fitTransform, GridIndex, pan, project, selectInBox, zoomAt, type ViewTransform } from './mapModel.js';
import type { Theme } from './theme.js';
import { clear, h, pct } from './dom.js';

export interface MapEvents {
  onSelect(indices: number[]): void;
  onClickPoint(index: number): void;
  onViewChange(t: ViewTransform | null): void;
  thumbnail(path: string): Promise<string | null>;
}

/** Moves shorter than this (px) are clicks, not drags. */
const CLICK_SLOP = 4;
const PAD = 16;
/** Hover radius in px. */
const HIT_RADIUS = 8;

export class MapView {
  readonly canvas = h('canvas', { class: 'map-canvas', 'aria-label': 'Cluster map: one point per image, coloured by given label' });
  private readonly ctx = this.canvas.getContext('2d', { alpha: false })!;
  private readonly tooltip = h('div', { class: 'map-tooltip', role: 'tooltip', hidden: true });
  private readonly boxEl = h('div', { class: 'map-box', hidden: true });
  private readonly legend = h('div', { class: 'legend' });
  private d: Dataset | undefined;
  private theme: Theme | undefined;
  private sx = new Float32Array(0);
  private sy = new Float32Array(0);
  private fit: ViewTransform | undefined;
  private t: ViewTransform | undefined;
  private index: GridIndex | undefined;
  private width = 0;
  private height = 0;
  private frame = 0;
  private highlight: Int32Array = new Int32Array(0);
  private cursor = -1;
  private hover = -1;
  /** Milliseconds the last draw took (read by the UI test). */
  lastDrawMs = 0;

  constructor(readonly root: HTMLElement, private readonly ev: MapEvents) {
    const wrap = h('div', { class: 'map-wrap' }, this.canvas, this.boxEl, this.tooltip);
    root.append(wrap, this.legend);
    new ResizeObserver(() => this.schedule()).observe(wrap);
    this.wireInput();
  }

  setData(d: Dataset, theme: Theme, keepView: ViewTransform | null): void {
    this.d = d;
    this.theme = theme;
    this.sx = new Float32Array(d.n);
    this.sy = new Float32Array(d.n);
    this.fit = undefined;
    this.t = keepView ?? undefined;
    this.hover = -1;
    this.renderLegend();
    this.schedule();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.renderLegend();
    this.schedule();
  }

  /** Images the grid shows now (ringed in the focus colour) and its cursor. */
  setHighlight(indices: readonly number[], cursor: number): void {
    this.highlight = Int32Array.from(indices.length > 20_000 ? [] : indices);
    this.cursor = cursor;
    this.schedule();
  }

  resetView(): void {
    this.t = this.fit;
    this.ev.onViewChange(null);
    this.index = undefined;
    this.schedule();
  }

  /** Screen position (CSS px, relative to the canvas) of an image, for tests and keyboard focus. */
  screenOf(i: number): { x: number; y: number } | null {
    this.drawNow();
    return i >= 0 && i < this.sx.length ? { x: this.sx[i], y: this.sy[i] } : null;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.drawNow();
    });
  }

  private radius(): number {
    const n = this.d?.n ?? 0;
    const base = n <= 2_000 ? 3.2 : n <= 20_000 ? 2.2 : 1.4;
    const zoom = this.t && this.fit ? this.t.scale / this.fit.scale : 1;
    return Math.min(7, base * Math.sqrt(Math.max(1, zoom)) ** 0.8);
  }

  private drawNow(): void {
    const d = this.d;
    const th = this.theme;
    if (!d || !th) return;
    const t0 = performance.now();
    const { w, hgt, dpr, t } = this.fitCanvas(d);
    project(d.x, d.y, t, this.sx, this.sy);
    this.index = undefined;

    const c = this.ctx;
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.fillStyle = th.bg;
    c.fillRect(0, 0, w, hgt);
    const r = this.radius();
    this.drawPoints(d, th, r, w, hgt);
    this.drawFlagged(d, th, r, w, hgt);
    this.drawSelection(d, th, r);
    this.lastDrawMs = performance.now() - t0;
  }

  /** Sizes the canvas to its parent (device pixels) and refits the view when the size changed. */
  private fitCanvas(d: Dataset): { w: number; hgt: number; dpr: number; t: ViewTransform } {
    const rect = this.canvas.parentElement!.getBoundingClientRect();
    const w = Math.max(50, Math.floor(rect.width));
    const hgt = Math.max(50, Math.floor(rect.height));
    const dpr = window.devicePixelRatio || 1;
    if (w !== this.width || hgt !== this.height || this.canvas.width !== Math.round(w * dpr)) {
      const old = this.fit;
      this.width = w;
      this.height = hgt;
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(hgt * dpr);
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${hgt}px`;
      this.fit = fitTransform(boundsOf(d.x, d.y), w, hgt, PAD);
      if (!this.t || this.t === old) this.t = this.fit;
    }
    this.fit ??= fitTransform(boundsOf(d.x, d.y), w, hgt, PAD);
    this.t ??= this.fit;
    return { w, hgt, dpr, t: this.t };
  }

  /** The points, one path and one fill per colour (squares above 20,000 points). */
  private drawPoints(d: Dataset, th: Theme, r: number, w: number, hgt: number): void {
    const c = this.ctx;
    const sx = this.sx;
    const sy = this.sy;
    const big = d.n > 20_000;
    d.byClass.forEach((idx, k) => {
      c.fillStyle = th.classes[k] ?? th.fg;
      c.beginPath();
      for (let q = 0; q < idx.length; q++) {
        const i = idx[q];
        const x = sx[i];
        const y = sy[i];
        if (x < -r || y < -r || x > w + r || y > hgt + r) continue;
        if (big) c.rect(x - r, y - r, 2 * r, 2 * r);
        else {
          c.moveTo(x + r, y);
          c.arc(x, y, r, 0, 2 * Math.PI);
        }
      }
      c.fill();
    });
  }

  /** Flagged images: one stroked path of rings. */
  private drawFlagged(d: Dataset, th: Theme, r: number, w: number, hgt: number): void {
    const c = this.ctx;
    c.strokeStyle = th.fg;
    c.lineWidth = 1.2;
    c.globalAlpha = 0.9;
    c.beginPath();
    const rr = r + 2.2;
    for (let i = 0; i < d.n; i++) {
      if (!d.flagged[i]) continue;
      const x = this.sx[i];
      const y = this.sy[i];
      if (x < -rr || y < -rr || x > w + rr || y > hgt + rr) continue;
      c.moveTo(x + rr, y);
      c.arc(x, y, rr, 0, 2 * Math.PI);
    }
    c.stroke();
    c.globalAlpha = 1;
  }

  /**
   * What the grid shows now. Selection style: rings in the foreground colour (never a class colour), the cursor
   * and the hovered point as double rings.
   */
  private drawSelection(d: Dataset, th: Theme, r: number): void {
    const c = this.ctx;
    const sx = this.sx;
    const sy = this.sy;
    if (this.highlight.length > 0) {
      c.strokeStyle = th.fg;
      c.lineWidth = 1.5;
      c.beginPath();
      const hr = r + 3.5;
      for (const i of this.highlight) {
        if (i >= d.n) continue;
        c.moveTo(sx[i] + hr, sy[i]);
        c.arc(sx[i], sy[i], hr, 0, 2 * Math.PI);
      }
      c.stroke();
    }
    for (const [i, colour, extra] of [[this.cursor, th.fg, 7], [this.hover, th.muted, 5]] as const) {
      if (i < 0 || i >= d.n) continue;
      c.lineWidth = 4.5;
      c.strokeStyle = th.bg;
      c.beginPath();
      c.arc(sx[i], sy[i], r + extra, 0, 2 * Math.PI);
      c.stroke();
      c.strokeStyle = colour;
      c.lineWidth = 2;
      c.stroke();
    }
  }

  private hitTest(px: number, py: number): number {
    if (!this.d) return -1;
    this.index ??= GridIndex.build(this.sx, this.sy, this.width, this.height, 24);
    return this.index.nearest(px, py, HIT_RADIUS + this.radius());
  }

  private wireInput(): void {
    const cv = this.canvas;
    let drag: { x: number; y: number; startT: ViewTransform; box: boolean; moved: boolean; id: number } | null = null;
    const local = (e: MouseEvent): { x: number; y: number } => {
      const b = cv.getBoundingClientRect();
      return { x: e.clientX - b.left, y: e.clientY - b.top };
    };
    cv.addEventListener('wheel', (e) => {
      if (!this.t || !this.fit) return;
      e.preventDefault();
      const p = local(e);
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      this.t = zoomAt(this.t, this.fit, Math.exp(-dy * 0.0015), p.x, p.y);
      this.ev.onViewChange(this.t);
      this.hideTooltip();
      this.schedule();
    }, { passive: false });
    cv.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || !this.t) return;
      const p = local(e);
      drag = { ...p, startT: this.t, box: e.shiftKey, moved: false, id: e.pointerId };
      cv.setPointerCapture(e.pointerId);
      this.hideTooltip();
    });
    cv.addEventListener('pointermove', (e) => {
      const p = local(e);
      if (!drag) {
        const i = this.hitTest(p.x, p.y);
        if (i !== this.hover) {
          this.hover = i;
          this.schedule();
          if (i >= 0) this.showTooltip(i, p.x, p.y);
          else this.hideTooltip();
        } else if (i >= 0) this.placeTooltip(p.x, p.y);
        cv.style.cursor = i >= 0 ? 'pointer' : 'grab';
        return;
      }
      const dx = p.x - drag.x;
      const dy = p.y - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < CLICK_SLOP) return;
      drag.moved = true;
      if (drag.box) {
        this.boxEl.hidden = false;
        this.boxEl.style.left = `${Math.min(p.x, drag.x)}px`;
        this.boxEl.style.top = `${Math.min(p.y, drag.y)}px`;
        this.boxEl.style.width = `${Math.abs(dx)}px`;
        this.boxEl.style.height = `${Math.abs(dy)}px`;
      } else {
        this.t = pan(drag.startT, dx, dy);
        cv.style.cursor = 'grabbing';
        this.schedule();
      }
    });
    const end = (e: PointerEvent, cancelled: boolean): void => {
      if (!drag) return;
      const p = local(e);
      const dr = drag;
      drag = null;
      this.boxEl.hidden = true;
      if (cancelled) return;
      if (dr.box && dr.moved) {
        this.drawNow();
        this.ev.onSelect(selectInBox(this.sx, this.sy, dr.x, dr.y, p.x, p.y));
      } else if (dr.moved) {
        this.ev.onViewChange(this.t ?? null);
      } else {
        const i = this.hitTest(p.x, p.y);
        if (i >= 0) this.ev.onClickPoint(i);
      }
    };
    cv.addEventListener('pointerup', (e) => end(e, false));
    cv.addEventListener('pointercancel', (e) => end(e, true));
    cv.addEventListener('pointerleave', () => {
      if (drag) return;
      this.hover = -1;
      this.hideTooltip();
      this.schedule();
    });
    cv.addEventListener('dblclick', () => this.resetView());
  }

  private showTooltip(i: number, x: number, y: number): void {
    const d = this.d!;
    const im = d.images[i];
    const img = h('img', { alt: '', class: 'tt-thumb' });
    const sugg = im.suggestedLabel;
    const differs = sugg !== null && sugg !== im.givenLabel;
    clear(this.tooltip);
    this.tooltip.append(
      h('div', { class: 'tt-thumb-box' }, img),
      h('div', { class: 'tt-body' },
        h('div', { class: 'tt-name', text: baseName(im.path) }),
        h('div', { class: 'tt-path muted', text: im.path }),
        h('div', {}, h('span', { class: 'muted', text: 'given ' }), h('span', { class: 'label-given', text: im.givenLabel })),
        h('div', {}, h('span', { class: 'muted', text: 'suggested ' }), h('span', { class: differs ? 'label-suggested' : '', text: sugg === null ? '–' : `${sugg} (${pct(im.suggestedProb, 0)})` })),
        im.issueKinds.length > 0 ? h('div', { class: 'tt-kinds', text: im.issueKinds.join(', ') }) : null,
      ),
    );
    this.tooltip.hidden = false;
    this.placeTooltip(x, y);
    void this.ev.thumbnail(im.path).then((u) => {
      if (u && this.hover === i) {
        img.src = u;
        img.addEventListener('load', () => img.classList.toggle('pixelated', img.naturalWidth < 64), { once: true });
      }
    });
  }

  private placeTooltip(x: number, y: number): void {
    const tw = this.tooltip.offsetWidth || 260;
    const tht = this.tooltip.offsetHeight || 110;
    const left = x + 16 + tw > this.width ? Math.max(0, x - 16 - tw) : x + 16;
    const top = y + 16 + tht > this.height ? Math.max(0, y - 16 - tht) : y + 16;
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${top}px`;
  }

  private hideTooltip(): void {
    this.tooltip.hidden = true;
  }

  private renderLegend(): void {
    clear(this.legend);
    const d = this.d;
    const th = this.theme;
    if (!d || !th) return;
    d.classes.forEach((c, k) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.backgroundColor = th.classes[k] ?? th.fg;
      this.legend.append(h('span', { class: 'legend-item', title: `${c}: ${d.byClass[k].length} images` }, sw, c));
    });
    const ring = h('span', { class: 'swatch ring' });
    this.legend.append(h('span', { class: 'legend-item muted' }, ring, 'flagged'));
  }
}
