/** The health header: size, noise estimate with per-class breakdown, accuracy, issue counts, backend, time. */
import { ISSUE_KINDS, POSSIBLE_MIN_P, type AnalysisResult, type IssueKind } from '../protocol/results.js';
import type { IssueSummary } from '../protocol/summary.js';
import { clear, h, pct, seconds } from './dom.js';

export interface HeaderEvents {
  /** A person clicked an issue-kind count. */
  onIssue(kind: IssueKind): void;
  /** A person clicked the possible-label-issues count (the review queue from `minP`). */
  onReview(minP: number): void;
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

/** "Labels or model?": the one-sentence answer, with the four cross-validated accuracies on hover. */
function diagnosisLine(r: AnalysisResult): HTMLElement[] {
  const d = r.diagnosis;
  if (!d) return [];
  const detail = [
    `(a) linear head, given labels: ${pct(d.linear)}`,
    `(b) same head without the ${d.dropped} label issues, on the images kept: ${pct(d.linearCleaned)}`,
    `(c) deeper head (MLP): ${d.mlp === null ? 'not measured' : pct(d.mlp)}`,
    `(d) kNN vote: ${pct(d.knn)}`,
  ].join('\n');
  return [h('p', { class: 'diagnosis muted', title: `Cross-validated accuracy against the given labels\n${detail}`, text: `Labels or model? ${d.summary}` })];
}

/**
 * `s` is the one summary (`protocol/summary` summarize over this result with the settings' kinds off and the
 * decisions in force): the chips show the same numbers as the status bar, Problems and the grid.
 */
export function renderHeader(el: HTMLElement, r: AnalysisResult, root: string, s: IssueSummary, ev: HeaderEvents): void {
  clear(el);
  const n = r.images.length;
  const wrong = Math.round(r.estimatedNoiseRate * n);
  const stat = (label: string, value: string, title?: string, cls = ''): HTMLElement =>
    h('div', { class: `stat ${cls}`, title }, h('div', { class: 'stat-value', text: value }), h('div', { class: 'stat-label', text: label }));

  const chips = h('div', { class: 'chips' });
  for (const k of ISSUE_KINDS) {
    const c = s.byKind[k] ?? 0;
    const name = k === 'label' ? 'label issues' : k;
    const b = h('button', { class: `chip kind-${k}${c === 0 ? ' zero' : ''}`, title: `${c} image${c === 1 ? '' : 's'} with an open '${k}' issue: show them in the grid`, disabled: c === 0 },
      h('span', { class: 'chip-count', text: String(c) }), ` ${name}`);
    b.addEventListener('click', () => ev.onIssue(k));
    chips.append(b);
  }
  const pc = s.possibleLabel;
  const pb = h('button', { class: `chip kind-possible${pc === 0 ? ' zero' : ''}`, title: `${pc} possible label issue${pc === 1 ? '' : 's'} (P(label wrong) below the confidence setting): not counted as issues; show the review queue`, disabled: pc === 0 },
    h('span', { class: 'chip-count', text: String(pc) }), ' possible');
  pb.addEventListener('click', () => ev.onReview(POSSIBLE_MIN_P));
  chips.append(pb);

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
        stat(r.noiseInterval ? `estimated share of wrong labels (90% interval ${pct(r.noiseInterval[0])}–${pct(r.noiseInterval[1])})` : 'estimated share of wrong labels', pct(r.estimatedNoiseRate), `About ${wrong.toLocaleString()} of ${n.toLocaleString()} images carry a wrong label (estimate over all images${r.noiseInterval ? `, 90% interval ${pct(r.noiseInterval[0])}–${pct(r.noiseInterval[1])}` : ''}); the label issue count lists the images it is confident about`, 'accent'),
        stat('classifier accuracy (cross-validated)', pct(r.cvAccuracy), 'Share of images whose out-of-fold prediction equals the given label'),
        stat('backend', shortBackend(r.backend), r.backend, 'small'),
        stat('time of this run', seconds(totalMs(r)), `This analysis run (a re-run after a fix is incremental, so it is shorter than the first)\n${Object.entries(r.timings).map(([k, v]) => `${k}: ${seconds(v)}`).join('\n')}`, 'small'),
        h('div', { class: 'stat issues' }, chips, h('div', { class: 'stat-label', text: `open issues by kind, images counted once per kind (click to review)${s.decided ? ` · ${s.decided} decided since this analysis` : ''}` })),
      ),
      h('div', { class: 'rates-box' }, h('div', { class: 'box-title', text: 'Estimated share of wrong labels per given class' }), bars),
    ),
    ...diagnosisLine(r),
  );
}
