/**
 * The virtualised image grid: only the rows in view (plus a little overscan) are in the DOM, tiles
 * are absolutely positioned inside a spacer as tall as all rows. Keyboard review lives here too.
 */
import type { Dataset } from './model.js';
import { baseName } from './model.js';
import { h, pct } from './dom.js';
import { formatPLabelWrong } from '../protocol/format.js';
import { columnsFor, rowWindow, scrollToShow, type GridGeometry } from './virtual.js';
import { keyAction, NO_TYPE_AHEAD, shortcutHints, type KeyAction, type TypeAhead } from './keys.js';

export const TILE_WIDTH = 172;
export const TILE_HEIGHT = 226;
export const GAP = 8;

/** What happened to an image in this session. */
export type Decision =
  | { readonly state: 'pending'; readonly what: string }
  | { readonly state: 'done'; readonly what: string }
  | { readonly state: 'failed'; readonly what: string };

export interface GridEvents {
  relabel(paths: string[], label: string): void;
  markCorrect(paths: string[]): void;
  quarantine(paths: string[]): void;
  openFile(path: string): void;
  undo(): void;
  onCursor(index: number): void;
  thumbnail(path: string): Promise<string | null>;
  decision(path: string): Decision | undefined;
  onTyping(text: string): void;
}

/** Broken (undecodable) images have no prediction and are not offered Relabel or Mark correct. */
export function canRelabel(im: { readonly suggestedLabel: string | null; readonly issueKinds: readonly string[] }): boolean {
  return im.suggestedLabel !== null && !im.issueKinds.includes('broken');
}

export class GridView {
  readonly scroller = h('div', { class: 'grid-scroll', tabindex: 0, role: 'grid', 'aria-label': 'Images: arrows move, digits or first letters relabel, Enter accepts the suggestion, c marks correct, u undoes' });
  private readonly spacer = h('div', { class: 'grid-spacer' });
  private readonly empty = h('div', { class: 'grid-empty muted', hidden: true });
  private d: Dataset | undefined;
  private items: number[] = [];
  private tiles = new Map<number, HTMLElement>();
  private columns = 1;
  private cursorPos = 0;
  private typeAhead: TypeAhead = NO_TYPE_AHEAD;
  private frame = 0;

  constructor(root: HTMLElement, private readonly ev: GridEvents) {
    this.scroller.append(this.spacer, this.empty);
    root.append(this.scroller);
    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => {
      const cols = columnsFor(this.scroller.clientWidth - 2 * GAP, TILE_WIDTH, GAP);
      if (cols !== this.columns) {
        this.columns = cols;
        this.clearTiles();
      }
      this.schedule();
    }).observe(this.scroller);
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('click', (e) => {
      const tile = (e.target as HTMLElement).closest('.tile') as HTMLElement | null;
      if (tile && !(e.target as HTMLElement).closest('button, select')) this.setCursor(Number(tile.dataset.pos), false);
    });
    this.scroller.addEventListener('dblclick', (e) => {
      const tile = (e.target as HTMLElement).closest('.tile') as HTMLElement | null;
      if (tile && !(e.target as HTMLElement).closest('button, select')) this.ev.openFile(this.pathAt(Number(tile.dataset.pos)));
    });
  }

  get geometry(): GridGeometry {
    return { count: this.items.length, columns: this.columns, rowHeight: TILE_HEIGHT + GAP };
  }

  get cursorIndex(): number {
    return this.items[this.cursorPos] ?? -1;
  }

  get shown(): readonly number[] {
    return this.items;
  }

  /** Show these images (already sorted); the cursor goes to `cursorPath` when present. */
  setItems(d: Dataset, items: number[], cursorPath: string | undefined, emptyText: string): void {
    this.d = d;
    this.items = items;
    const at = cursorPath === undefined ? -1 : items.findIndex((i) => d.images[i].path === cursorPath);
    this.cursorPos = at >= 0 ? at : 0;
    this.empty.textContent = emptyText;
    this.empty.hidden = items.length > 0;
    this.clearTiles();
    this.scroller.scrollTop = at >= 0 ? scrollToShow(this.geometry, this.cursorPos, 0, this.scroller.clientHeight) : 0;
    this.renderNow();
    this.ev.onCursor(this.cursorIndex);
  }

  /** Re-render tiles (e.g. a decision changed). */
  refresh(): void {
    this.clearTiles();
    this.renderNow();
  }

  focus(): void {
    this.scroller.focus({ preventScroll: true });
  }

  setCursor(pos: number, scroll = true): void {
    if (this.items.length === 0) return;
    const p = Math.max(0, Math.min(this.items.length - 1, pos));
    const old = this.tiles.get(this.cursorPos);
    old?.classList.remove('cursor');
    old?.setAttribute('aria-selected', 'false');
    this.cursorPos = p;
    if (scroll) this.scroller.scrollTop = scrollToShow(this.geometry, p, this.scroller.scrollTop, this.scroller.clientHeight);
    this.renderNow();
    this.ev.onCursor(this.cursorIndex);
  }

  private pathAt(pos: number): string {
    return this.d!.images[this.items[pos]].path;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderNow();
    });
  }

  private clearTiles(): void {
    for (const t of this.tiles.values()) t.remove();
    this.tiles.clear();
  }

  private renderNow(): void {
    const d = this.d;
    if (!d) return;
    this.columns = columnsFor(this.scroller.clientWidth - 2 * GAP, TILE_WIDTH, GAP);
    const g = this.geometry;
    const win = rowWindow(g, this.scroller.scrollTop, this.scroller.clientHeight, 2);
    this.spacer.style.height = `${win.totalHeight + GAP}px`;
    const from = win.first * g.columns;
    const to = Math.min(this.items.length, win.end * g.columns);
    for (const [pos, el] of this.tiles) {
      if (pos < from || pos >= to) {
        el.remove();
        this.tiles.delete(pos);
      }
    }
    for (let pos = from; pos < to; pos++) {
      let el = this.tiles.get(pos);
      if (!el) {
        el = this.tile(pos);
        this.tiles.set(pos, el);
        this.spacer.append(el);
      }
      const row = Math.floor(pos / g.columns);
      const col = pos % g.columns;
      el.style.transform = `translate(${GAP + col * (TILE_WIDTH + GAP)}px, ${GAP + row * g.rowHeight}px)`;
      const isCursor = pos === this.cursorPos;
      el.classList.toggle('cursor', isCursor);
      el.setAttribute('aria-selected', String(isCursor));
    }
  }

  private tile(pos: number): HTMLElement {
    const d = this.d!;
    const i = this.items[pos];
    const im = d.images[i];
    const sugg = im.suggestedLabel;
    const differs = sugg !== null && sugg !== im.givenLabel;
    const img = h('img', { alt: '', loading: 'lazy', draggable: 'false' });
    void this.ev.thumbnail(im.path).then((u) => {
      if (u) {
        img.src = u;
        img.addEventListener('load', () => img.classList.toggle('pixelated', img.naturalWidth < 64), { once: true });
      } else img.replaceWith(h('span', { class: 'no-thumb muted', text: 'no preview' }));
    });
    // A file that could not be decoded has no prediction: it can be quarantined or opened, not relabelled.
    const broken = !canRelabel(im);
    const select = h('select', { class: 'relabel', title: 'Relabel (digits / first letters)', 'aria-label': `Relabel ${im.path}` });
    select.append(h('option', { value: '', text: 'Relabel…' }));
    const hints = new Map(shortcutHints(d.classes).map((x) => [x.label, x]));
    const keyText = (c: string): string => {
      const x = hints.get(c);
      return [x?.digit, x?.letters].filter(Boolean).join(' / ');
    };
    const order = sugg && differs ? [sugg, ...d.classes.filter((c) => c !== sugg)] : d.classes;
    for (const c of order) {
      if (c === im.givenLabel) continue;
      const k = keyText(c);
      select.append(h('option', { value: c, text: `${c === sugg ? '★ ' : ''}${c}${c === sugg ? ` (classifier ${pct(im.suggestedProb, 0)})` : ''}${k ? `  [${k}]` : ''}` }));
    }
    select.addEventListener('change', () => {
      if (select.value) this.ev.relabel([im.path], select.value);
      select.value = '';
    });
    const btn = (text: string, title: string, fn: () => void, cls = ''): HTMLButtonElement => {
      const b = h('button', { class: `tool ${cls}`, title, text, 'aria-label': title });
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        fn();
      });
      return b;
    };
    const dec = this.ev.decision(im.path);
    const el = h('div', { class: `tile${im.issueKinds.includes('label') ? ' has-label-issue' : ''}${dec ? ` decided ${dec.state}` : ''}`, 'data-pos': pos, 'data-path': im.path, role: 'gridcell' },
      h('div', { class: 'thumb' }, img),
      h('div', { class: 'name', title: im.path, text: baseName(im.path) }),
      h('div', { class: 'labels', title: `given ${im.givenLabel}${sugg ? `, suggested ${sugg} (classifier probability ${pct(im.suggestedProb, 0)})` : ''} · P(label wrong) ${formatPLabelWrong(im.pLabelWrong)} · label quality ${pct(im.labelQuality, 0)} (lower = more likely mislabelled)` },
        h('span', { class: 'label-given', text: im.givenLabel }),
        differs ? h('span', { class: 'arrow', text: ' → ' }) : null,
        differs ? h('span', { class: 'label-suggested', text: sugg }) : null,
        broken ? null : h('span', { class: 'quality muted', text: ` P(wrong) ${formatPLabelWrong(im.pLabelWrong)}` })),
      h('div', { class: 'kinds' }, ...im.issueKinds.map((k) => h('span', { class: `kind kind-${k}`, text: k }))),
      dec ? h('div', { class: `decision ${dec.state}`, text: dec.what }) : null,
      h('div', { class: 'actions' },
        broken ? h('span', { class: 'muted no-relabel', text: 'unreadable file' }) : select,
        broken ? null : btn('✓', `Mark '${im.givenLabel}' correct (c)`, () => this.ev.markCorrect([im.path])),
        btn('⊘', 'Move to quarantine', () => this.ev.quarantine([im.path])),
        btn('↗', 'Open file', () => this.ev.openFile(im.path)),
      ),
    );
    return el;
  }

  private onKey(e: KeyboardEvent): void {
    if ((e.target as HTMLElement).closest('select, button, input, textarea')) return;
    const d = this.d;
    if (!d) return;
    const out = keyAction(e, d.classes, this.columns, this.typeAhead, performance.now());
    this.typeAhead = out.typeAhead;
    if (out.handled) e.preventDefault();
    this.ev.onTyping(out.action.kind === 'typing' ? `${out.action.prefix}… ${out.action.candidates.join(' / ')}` : '');
    this.run(out.action);
  }

  private run(a: KeyAction): void {
    const d = this.d!;
    const i = this.cursorIndex;
    const im = i >= 0 ? d.images[i] : undefined;
    switch (a.kind) {
      case 'move':
        return this.setCursor(this.cursorPos + a.delta);
      case 'moveTo':
        return this.setCursor(a.index === 'first' ? 0 : this.items.length - 1);
      case 'undo':
        return this.ev.undo();
      case 'relabel':
        if (im && canRelabel(im) && a.label !== im.givenLabel) {
          this.ev.relabel([im.path], a.label);
          this.setCursor(this.cursorPos + 1);
        }
        return;
      case 'accept':
        if (im && im.suggestedLabel !== null && im.suggestedLabel !== im.givenLabel) {
          this.ev.relabel([im.path], im.suggestedLabel);
          this.setCursor(this.cursorPos + 1);
        }
        return;
      case 'correct':
        if (im && canRelabel(im)) {
          this.ev.markCorrect([im.path]);
          this.setCursor(this.cursorPos + 1);
        }
        return;
      case 'typing':
      case 'none':
        return;
    }
  }
}

