/**
 * Entry of the report webview. Builds the layout, listens to the host, and wires the parts:
 * health header, confusion matrix → grid, cluster map ⇄ grid, noise matrix and duplicate groups.
 * View state (grid source, cursor, map view) survives reloads through getState/setState; the
 * result itself is re-sent by the host.
 */
import * as wv from '../protocol/webview.js';
import type { IssueKind } from '../protocol/results.js';
import { summarize } from '../protocol/summary.js';
import { h, clear, pct } from './dom.js';
import { HostConnection, Thumbnails } from './ipc.js';
import { buildDataset, confusionFromImages, describeSource, selectImages, stableOrder, type Dataset, type GridSource } from './model.js';
import { renderHeader } from './header.js';
import { renderMatrix, selectCell } from './matrixView.js';
import { mostConfused } from './matrix.js';
import { MapView } from './mapView.js';
import { GridView, type Decision } from './gridView.js';
import { renderDuplicates } from './duplicatesView.js';
import { onThemeChange, readTheme } from './theme.js';
import { shortcutHints } from './keys.js';
import type { ViewTransform } from './mapModel.js';

interface ViewState {
  readonly v: 1;
  /** Dataset root, read by the host's serializer after a reload (and checked against its own roots). */
  readonly root?: string;
  readonly source: GridSource;
  readonly cursorPath?: string;
  readonly view: ViewTransform | null;
}

/** Map selections bigger than this are not persisted (state is serialised on every change). */
const MAX_PERSISTED_SELECTION = 5_000;

function isViewState(x: unknown): x is ViewState {
  return wv.isRecord(x) && x.v === 1 && wv.isRecord(x.source) && typeof x.source.kind === 'string';
}

class App {
  private readonly host = new HostConnection();
  private readonly thumbs = new Thumbnails(this.host);
  private state: ViewState;
  private d: Dataset | undefined;
  private last: wv.ResultParams | undefined;
  /** Decisions on their way (pending) or refused (failed), keyed by path; done ones come from the journal. */
  private readonly decisions = new Map<string, Decision>();
  /** The journal's decisions in force, by the path the image had when decided and by its new path. */
  private journal = new Map<string, wv.DecidedImage>();
  private undoText: string | undefined;
  /** Paths the grid shows, in order: a re-run of the same source keeps this order (review stays put). */
  private shownPaths: string[] = [];
  private hideDecided = false;
  private gridPanel!: HTMLElement;
  private readonly strictness = h('input', { type: 'range', min: '0.2', max: '1', step: '0.05', value: '0.5', class: 'strictness', 'aria-label': 'Review queue threshold: P(label wrong)' }) as HTMLInputElement;
  private readonly strictnessText = h('span', { class: 'muted strictness-text' });

  private readonly banner = h('div', { class: 'banner', hidden: true, role: 'status' });
  private readonly headerEl = h('header', { class: 'health-header' });
  private readonly confusionEl = h('div', { class: 'matrix-scroll' });
  private readonly noiseEl = h('div', { class: 'matrix-scroll' });
  private readonly dupEl = h('div', { class: 'dup-scroll' });
  private readonly sourceTitle = h('h2', { class: 'grid-title', 'aria-live': 'polite' });
  private readonly typing = h('span', { class: 'typing muted', 'aria-live': 'polite' });
  private readonly hints = h('div', { class: 'key-hints muted' });
  private readonly map: MapView;
  private readonly grid: GridView;
  private readonly body = h('main', { class: 'report', hidden: true });
  private readonly placeholder = h('div', { class: 'placeholder muted', text: 'Loading the analysis…' });

  constructor(app: HTMLElement) {
    const saved = this.host.api.getState();
    this.state = isViewState(saved) ? saved : { v: 1, source: { kind: 'flagged' }, view: null };

    const mapPanel = h('section', { class: 'panel map-panel' });
    const gridPanel = h('section', { class: 'panel grid-panel' });
    this.gridPanel = gridPanel;
    this.buildPanelHeads(mapPanel, gridPanel);
    this.map = this.createMap(mapPanel);
    this.grid = this.createGrid(gridPanel);
    this.layOut(app, gridPanel, mapPanel);
    this.listen();
    this.host.command(wv.ready, {});
  }

  /** The heads of the map and grid panels: titles, hints, strictness slider and source buttons. */
  private buildPanelHeads(mapPanel: HTMLElement, gridPanel: HTMLElement): void {
    const btn = (text: string, title: string, fn: () => void): HTMLButtonElement => {
      const b = h('button', { class: 'secondary', text, title });
      b.addEventListener('click', fn);
      return b;
    };
    mapPanel.append(h('div', { class: 'panel-head' },
      h('h2', { text: 'Cluster map' }),
      h('span', { class: 'muted hint', text: 'wheel: zoom · drag: pan · shift+drag: select · click: reveal · double-click: fit' }),
      btn('Fit', 'Reset zoom and pan', () => this.map.resetView())));
    gridPanel.append(h('div', { class: 'panel-head' },
      this.sourceTitle,
      this.typing,
      h('span', { class: 'spacer' }),
      h('label', { class: 'strictness-box', title: 'Strictness: list label issues whose calibrated probability of a wrong label is at least this (confident and possible ones); the count updates as you drag' },
        h('span', { class: 'muted', text: 'review P(label wrong) ≥' }), this.strictness, this.strictnessText),
      btn('Flagged', 'Show every flagged image, lowest label quality first', () => this.setSource({ kind: 'flagged' })),
      btn('All images', 'Show every image, lowest label quality first', () => this.setSource({ kind: 'all' })),
      btn('Hide decided', 'Hide images decided since this analysis (relabelled, marked correct, quarantined); they stay visible otherwise, with their decision', () => {
        this.hideDecided = !this.hideDecided;
        this.setSource(this.state.source);
      })),
      this.hints);
    this.strictness.addEventListener('input', () => {
      const minP = Number(this.strictness.value);
      this.strictnessText.textContent = `${Math.round(minP * 100)}%`;
      this.setSource({ kind: 'review', minP });
    });
    this.strictnessText.textContent = '50%';
  }

  private createMap(mapPanel: HTMLElement): MapView {
    return new MapView(mapPanel, {
      onSelect: (idx) => {
        if (!this.d) return;
        if (idx.length === 0) return;
        this.setSource({ kind: 'selection', paths: idx.map((i) => this.d!.images[i].path) });
        this.grid.focus();
      },
      onClickPoint: (i) => {
        const p = this.d?.images[i]?.path;
        if (p === undefined) return;
        this.host.command(wv.revealFile, { path: p });
        const pos = this.grid.shown.indexOf(i);
        if (pos >= 0) this.grid.setCursor(pos);
      },
      onViewChange: (t) => this.save({ view: t }),
      thumbnail: (p) => this.thumbs.get(p),
    });
  }

  private createGrid(gridPanel: HTMLElement): GridView {
    return new GridView(gridPanel, {
      relabel: (paths, label) => this.act('relabel', paths, label),
      markCorrect: (paths) => this.act('markCorrect', paths),
      quarantine: (paths) => this.act('quarantine', paths),
      openFile: (path) => this.host.command(wv.openFile, { path }),
      undo: () => this.host.command(wv.undo, {}),
      onCursor: (i) => {
        if (!this.d) return;
        this.save({ cursorPath: i >= 0 ? this.d.images[i].path : undefined });
        this.map.setHighlight(this.grid.shown, i);
      },
      thumbnail: (p) => this.thumbs.get(p),
      decision: (p) => this.decisionOf(p),
      onTyping: (t) => (this.typing.textContent = t),
    });
  }

  /** The grid is the work area: it takes the main column at full height; matrix and map sit beside it. */
  private layOut(app: HTMLElement, gridPanel: HTMLElement, mapPanel: HTMLElement): void {
    this.body.append(
      this.headerEl,
      h('div', { class: 'workspace' },
        gridPanel,
        h('div', { class: 'side' },
          h('section', { class: 'panel confusion-panel' },
            h('div', { class: 'panel-head' }, h('h2', { text: 'Confusion matrix' }), h('span', { class: 'muted hint', text: 'rows: given label · columns: suggested label · number: images (= the grid a click opens) · colour: share of the row' })),
            this.confusionEl),
          mapPanel)),
      h('div', { class: 'row two' },
        h('section', { class: 'panel' },
          h('div', { class: 'panel-head' }, h('h2', { text: 'Estimated noise matrix' }), h('span', { class: 'muted hint', text: 'P(given = row | true = column); columns sum to 100%' })),
          this.noiseEl),
        h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', { text: 'Duplicate groups' })), this.dupEl)),
    );
    app.append(this.banner, this.placeholder, this.body);
  }

  /** Messages from the host, theme changes, and the debug hooks the UI tests read. */
  private listen(): void {
    this.host.on(wv.didChangeResult, (p) => this.load(p));
    this.host.on(wv.didApply, (p) => this.applied(p));
    this.host.on(wv.didChangeDecisions, (p) => this.onDecisions(p));
    this.host.on(wv.didChangeRunning, (p) => {
      this.banner.hidden = !p.running;
      this.banner.textContent = p.running ? 'Analysis running… the view updates when it finishes.' : '';
    });
    onThemeChange(() => {
      if (this.d) this.map.setTheme(readTheme(this.d.classes.length));
    });
    (window as unknown as { labelLintDebug: unknown }).labelLintDebug = {
      /** Client coordinates of an image's map point (for UI tests). */
      pointOf: (path: string) => {
        const i = this.d?.indexOfPath.get(path);
        const s = i === undefined ? null : this.map.screenOf(i);
        const b = this.map.canvas.getBoundingClientRect();
        return s ? { x: b.left + s.x, y: b.top + s.y } : null;
      },
      lastDrawMs: () => this.map.lastDrawMs,
    };
  }

  private save(patch: Partial<ViewState>): void {
    this.state = { ...this.state, ...patch };
    const s = this.state;
    const persist = s.source.kind === 'selection' && s.source.paths.length > MAX_PERSISTED_SELECTION ? { ...s, source: { kind: 'flagged' } } : s;
    this.host.api.setState(persist);
  }

  private load(p: wv.ResultParams): void {

    this.save({ root: p.root });
    if (!p.result) {
      this.d = undefined;
      this.body.hidden = true;
      this.placeholder.hidden = false;
      this.placeholder.textContent = p.message ?? 'No analysis yet. Run "LabelLint: Analyze Dataset".';
      return;
    }
    const rerun = this.d !== undefined && this.last?.root === p.root;
    const d = buildDataset(p.result, p.off);
    this.d = d;
    this.last = p;
    this.thumbs.reset();
    for (const [path, dec] of this.decisions) if (dec.state !== 'pending') this.decisions.delete(path);
    this.placeholder.hidden = true;
    this.body.hidden = false;
    this.renderHeader();
    const k = d.classes.length;
    const confusion = confusionFromImages(d);
    renderMatrix(this.confusionEl, {
      classes: d.classes,
      values: confusion,
      mode: 'count',
      rowTitle: 'given',
      colTitle: 'suggested',
      describe: (i, j, v, share) => `given ${d.classes[i]}, suggested ${d.classes[j]}: ${v} image${v === 1 ? '' : 's'} (${pct(share)} of the images labelled ${d.classes[i]}); click to show exactly these`,
      onCell: (i, j) => {
        this.setSource({ kind: 'cell', given: d.classes[i], predicted: d.classes[j] });
        this.revealGrid();
      },
    });
    renderMatrix(this.noiseEl, {
      classes: d.classes,
      values: p.result.noiseMatrix,
      mode: 'share',
      rowTitle: 'given',
      colTitle: 'true',
      describe: (i, j, v) => `P(given ${d.classes[i]} | true ${d.classes[j]}) = ${pct(v)}`,
    });
    renderDuplicates(this.dupEl, d, { onGroup: (g) => this.setSource({ kind: 'duplicates', group: g }), thumbnail: (path) => this.thumbs.get(path) });
    this.map.setData(d, readTheme(k), this.state.view);
    this.renderHints(d);
    const worst = mostConfused(confusion);
    this.confusionEl.title = worst ? `Most confused: ${d.classes[worst.row]} → ${d.classes[worst.col]} (${worst.count})` : '';
    // A re-run (after a fix, or a file change) keeps the grid as it was: same order, decided tiles in place,
    // the cursor on the same image; only an explicit choice of source re-sorts.
    this.setSource(this.validSource(this.state.source, d), this.renamed(this.state.cursorPath), rerun);
  }

  private renderHeader(): void {
    const p = this.last;
    if (!p?.result) return;
    const decided = [...new Set([...this.journal.values()].map((x) => x.path))];
    const s = summarize(p.result, { off: p.off, decided });
    renderHeader(this.headerEl, p.result, p.root, s, {
      onIssue: (k: IssueKind) => {
        this.setSource({ kind: 'issue', issue: k });
        this.revealGrid();
      },
      onReview: (minP) => {
        this.strictness.value = String(minP);
        this.strictnessText.textContent = `${Math.round(minP * 100)}%`;
        this.setSource({ kind: 'review', minP });
        this.revealGrid();
      },
    });
  }

  /** A click elsewhere (matrix cell, issue chip) changed the grid: bring it into view when the layout put it off-screen, and focus it. */
  private revealGrid(): void {
    const r = this.gridPanel.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight * 0.5) this.gridPanel.scrollIntoView({ block: 'start' });
    this.grid.focus();
  }

  /** The path an image has now, after a decision moved it. */
  private renamed(p: string | undefined): string | undefined {
    if (p === undefined) return undefined;
    const j = this.journal.get(p);
    return j?.newPath && j.path === p ? j.newPath : p;
  }

  private decisionOf(p: string): Decision | undefined {
    const local = this.decisions.get(p);
    if (local && local.state !== 'done') return local;
    const j = this.journal.get(p);
    if (j) {
      const what = j.action === 'relabel' ? `relabelled → ${j.label ?? '?'}` : j.action === 'correct' ? "marked correct (won't be flagged again)" : `quarantined → ${j.newPath ?? '_quarantine/'}`;
      return { state: 'done', what: `✓ ${what}` };
    }
    return local;
  }

  private onDecisions(p: wv.DecisionsParams): void {
    const m = new Map<string, wv.DecidedImage>();
    for (const x of p.decisions) {
      m.set(x.path, x);
      if (x.newPath) m.set(x.newPath, x);
    }
    this.journal = m;
    this.undoText = p.undo;
    for (const [path, dec] of this.decisions) if (dec.state === 'pending' && !m.has(path)) this.decisions.delete(path);
    this.renderHeader();
    // Same source, same order: only the title's decided count and the tiles' decisions change.
    this.setSource(this.state.source, this.state.cursorPath, true);
  }

  private validSource(s: GridSource, d: Dataset): GridSource {
    if (s.kind === 'cell' && (!d.classes.includes(s.given) || !d.classes.includes(s.predicted))) return { kind: 'flagged' };
    if (s.kind === 'duplicates' && !d.result.duplicates[s.group]) return { kind: 'flagged' };
    return s;
  }

  private setSource(source: GridSource, cursorPath?: string, keepOrder = false): void {
    const d = this.d;
    if (!d) return;
    const fresh = selectImages(d, source);
    const renamed = new Map([...this.journal.values()].filter((x) => x.newPath).map((x) => [x.path, x.newPath!] as const));
    let items = keepOrder ? stableOrder(d, this.shownPaths, fresh, renamed) : fresh;
    const isDecided = (i: number): boolean => this.journal.has(d.images[i].path);
    if (this.hideDecided) items = items.filter((i) => !isDecided(i));
    this.shownPaths = items.map((i) => d.images[i].path);
    this.save({ source, cursorPath });
    const decidedShown = items.filter(isDecided).length;
    this.sourceTitle.textContent = describeSource(d, source, items.length - decidedShown) + (decidedShown ? ` + ${decidedShown} decided` : '');
    selectCell(this.confusionEl, source.kind === 'cell' ? { row: d.classes.indexOf(source.given), col: d.classes.indexOf(source.predicted) } : null);
    this.grid.setItems(d, items, cursorPath, source.kind === 'flagged' ? 'Nothing flagged. 🎉' : 'No images here.');
  }

  private renderHints(d: Dataset): void {
    clear(this.hints);
    const parts = shortcutHints(d.classes).map((x) => [x.digit, x.letters].filter(Boolean).join('/') + ` ${x.label}`);
    this.hints.append(
      h('span', { class: 'keys', text: '←↑→↓ move · Enter accept suggestion, then next · c correct, then next · u or Ctrl+Z undo (LabelLint: Undo) · dbl-click open · the grid never re-sorts by itself' }),
      h('span', { class: 'keys', text: `relabel, then next: ${parts.join(' · ')}` }),
    );
  }

  private act(action: wv.ActionKind, paths: string[], label?: string): void {
    const what = action === 'relabel' ? `relabel → ${label}` : action === 'markCorrect' ? 'mark correct' : 'quarantine';
    for (const p of paths) this.decisions.set(p, { state: 'pending', what: `${what}…` });
    if (action === 'relabel') this.host.command(wv.relabel, { paths, label: label! });
    else if (action === 'markCorrect') this.host.command(wv.markCorrect, { paths });
    else this.host.command(wv.quarantine, { paths });
    this.grid.refresh();
  }

  private applied(p: wv.DidApplyParams): void {
    const done = p.action === 'relabel' ? `relabelled → ${p.label ?? '?'}` : p.action === 'markCorrect' ? 'marked correct' : 'quarantined';
    // Done decisions are shown from the journal (didChangeDecisions), so an undo clears them too.
    for (const path of p.applied) {
      if (this.journal.has(path)) this.decisions.delete(path);
      else this.decisions.set(path, { state: 'done', what: `✓ ${done}` });
    }
    for (const path of p.notApplied) this.decisions.set(path, { state: 'failed', what: 'not changed' });
    this.grid.refresh();
  }
}

const appEl = document.getElementById('app');
if (appEl) new App(appEl);
