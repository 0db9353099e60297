/** The health header: size, noise estimate with per-class breakdown, accuracy, issue counts, backend, time. */
import { ISSUE_KINDS, type AnalysisResult, type IssueKind } from '../protocol/results.js';
import { clear, h, pct, seconds } from './dom.js';

export interface HeaderEvents {
  /** A person clicked an issue-kind count. */
  onIssue(kind: IssueKind): void;
}

/** The backend string can be a paragraph ("wasm (SIMD) × 2 workers; skipped: …"): show its first clause. */
export function shortBackend(backend: string): string {
  const first = backend.split(/;\s*skipped:|;/)[0].trim();
  return first.length > 60 ? `${first.slice(0, 57)}…` : first;
}

export function totalMs(r: AnalysisResult): number {
  if (typeof r.timings.total === 'number') return r.timings.total;
  return Object.values(r.timings).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
}

export function renderHeader(el: HTMLElement, r: AnalysisResult, root: string, ev: HeaderEvents): void {
  clear(el);
  const n = r.images.length;
  const wrong = Math.round(r.estimatedNoiseRate * n);
  const stat = (label: string, value: string, title?: string, cls = ''): HTMLElement =>
    h('div', { class: `stat ${cls}`, title }, h('div', { class: 'stat-value', text: value }), h('div', { class: 'stat-label', text: label }));

  const chips = h('div', { class: 'chips' });
  for (const k of ISSUE_KINDS) {
    const c = r.counts[k] ?? 0;
    const b = h('button', { class: `chip kind-${k}${c === 0 ? ' zero' : ''}`, title: `Show images with '${k}' issues in the grid`, disabled: c === 0 },
      h('span', { class: 'chip-count', text: String(c) }), ` ${k}`);
    b.addEventListener('click', () => ev.onIssue(k));
    chips.append(b);
  }

  const rates = r.classes.map((c, i) => ({ c, rate: r.perClassNoiseRate[i] ?? 0 })).sort((a, b) => b.rate - a.rate || (a.c < b.c ? -1 : 1));
  const maxRate = Math.max(1e-9, ...rates.map((x) => x.rate));
  const bars = h('div', { class: 'class-rates', role: 'list', 'aria-label': 'Estimated wrong-label share per given class' });
  for (const { c, rate } of rates) {
    const bar = h('span', { class: 'rate-bar' });
    bar.style.width = `${(rate / maxRate) * 100}%`;
    bars.append(h('div', { class: 'rate-row', role: 'listitem', title: `${c}: ${pct(rate)} of its images are estimated to be mislabelled` },
      h('span', { class: 'rate-name', text: c }), h('span', { class: 'rate-track' }, bar), h('span', { class: 'rate-value', text: pct(rate) })));
  }

  const rootName = root.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || root;
  el.append(
    h('div', { class: 'title-row' },
      h('h1', { text: `LabelLint · ${rootName}`, title: root }),
      h('span', { class: 'muted', text: `${r.layout === 'csv' ? 'labels CSV' : 'ImageFolder'} · ${r.model.name} · analysed ${new Date(r.createdAt).toLocaleString()}` })),
    h('div', { class: 'health' },
      h('div', { class: 'stats' },
        stat('images', n.toLocaleString()),
        stat('classes', String(r.classes.length)),
        stat('estimated wrong labels', pct(r.estimatedNoiseRate), `About ${wrong.toLocaleString()} of ${n.toLocaleString()} images (confident learning estimate)`, 'accent'),
        stat('cross-validated accuracy', pct(r.cvAccuracy), 'Out-of-fold accuracy of the classifier against the given labels'),
        stat('backend', shortBackend(r.backend), r.backend, 'small'),
        stat('time taken', seconds(totalMs(r)), Object.entries(r.timings).map(([k, v]) => `${k}: ${seconds(v)}`).join('\n'), 'small'),
        h('div', { class: 'stat issues' }, chips, h('div', { class: 'stat-label', text: 'issues by kind (click to review)' })),
      ),
      h('div', { class: 'rates-box' }, h('div', { class: 'box-title', text: 'Estimated wrong-label share per class' }), bars),
    ),
  );
}
