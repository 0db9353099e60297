/** Duplicate groups as a list: thumbnails, labels (conflicts highlighted), splits; a click opens the group in the grid. */
import type { Dataset } from './model.js';
import { baseName } from './model.js';
import { clear, h, pct } from './dom.js';

/** Groups rendered before "Show more": each has up to 8 thumbnails. */
const PAGE = 40;
const THUMBS_PER_GROUP = 8;

export interface DuplicateEvents {
  onGroup(group: number): void;
  thumbnail(path: string): Promise<string | null>;
}

export function renderDuplicates(el: HTMLElement, d: Dataset, ev: DuplicateEvents, shown = PAGE): void {
  clear(el);
  const groups = d.result.duplicates;
  if (groups.length === 0) {
    el.append(h('div', { class: 'muted pad', text: 'No duplicate groups.' }));
    return;
  }
  const list = h('div', { class: 'dup-list', role: 'list' });
  groups.slice(0, shown).forEach((g, gi) => {
    const labels = new Set(g.labels);
    const splits = new Set(g.splits.filter((s) => s !== null));
    const thumbs = h('div', { class: 'dup-thumbs' });
    g.paths.slice(0, THUMBS_PER_GROUP).forEach((p, k) => {
      const img = h('img', { alt: '', title: `${p} (${g.labels[k]})` });
      void ev.thumbnail(p).then((u) => {
        if (u) {
          img.src = u;
          img.addEventListener('load', () => img.classList.toggle('pixelated', img.naturalWidth < 64), { once: true });
        }
      });
      thumbs.append(h('figure', {}, img, h('figcaption', { text: g.labels[k] ?? '', class: labels.size > 1 ? 'conflict' : '' })));
    });
    if (g.paths.length > THUMBS_PER_GROUP) thumbs.append(h('span', { class: 'muted more', text: `+${g.paths.length - THUMBS_PER_GROUP}` }));
    const tags = [
      g.exact ? 'exact' : `near, ${pct(g.similarity, 1)}`,
      labels.size > 1 ? `conflicting labels: ${[...labels].join(', ')}` : `label ${g.labels[0] ?? ''}`,
      splits.size > 1 ? `across splits: ${[...splits].join(', ')}` : '',
    ].filter(Boolean);
    const item = h('button', { class: `dup${labels.size > 1 ? ' conflicting' : ''}`, role: 'listitem', title: g.paths.join('\n') },
      h('div', { class: 'dup-head' }, h('strong', { text: `${g.paths.length} images` }), h('span', { class: 'muted', text: ` · ${tags.join(' · ')}` })),
      thumbs,
      h('div', { class: 'dup-names muted', text: g.paths.slice(0, 3).map(baseName).join(', ') + (g.paths.length > 3 ? ', …' : '') }));
    item.addEventListener('click', () => ev.onGroup(gi));
    list.append(item);
  });
  el.append(list);
  if (groups.length > shown) {
    const more = h('button', { class: 'link', text: `Show ${Math.min(PAGE, groups.length - shown)} more of ${groups.length - shown}` });
    more.addEventListener('click', () => renderDuplicates(el, d, ev, shown + PAGE));
    el.append(more);
  }
}
