/**
 * A K×K matrix as a table: sticky headers, rotated column names when they do not fit, scrolling for
 * 50+ classes, counts in the cells and row-normalised colours. Used for the confusion matrix
 * (clickable cells) and the noise matrix (read only).
 */
import { clear, h } from './dom.js';
import { cellAlpha, matrixLayout, rowNormalise, shareText } from './matrix.js';

export interface MatrixOptions {
  readonly classes: readonly string[];
  readonly values: readonly (readonly number[])[];
  /** 'count' shows values as integers, shading by row share; 'share' shows values as percentages and shades by value. */
  readonly mode: 'count' | 'share';
  readonly rowTitle: string;
  readonly colTitle: string;
  readonly describe: (row: number, col: number, value: number, share: number) => string;
  readonly onCell?: (row: number, col: number) => void;
  readonly selected?: { row: number; col: number } | null;
}

export function renderMatrix(el: HTMLElement, o: MatrixOptions): void {
  clear(el);
  const k = o.classes.length;
  const shares = o.mode === 'count' ? rowNormalise(o.values) : o.values.map((r) => r.slice());
  const maxCount = Math.max(0, ...o.values.flat());
  const L = matrixLayout(k, Math.max(0, ...o.classes.map((c) => c.length)), o.mode === 'count' ? maxCount : 100);
  el.style.setProperty('--cell', `${L.cell}px`);
  el.style.setProperty('--cell-font', `${L.font}px`);
  el.style.setProperty('--col-head', `${L.headerHeight}px`);
  el.style.setProperty('--row-head', `${L.rowHeaderWidth}px`);

  const table = h('table', { class: `matrix${L.rotateHeaders ? ' rotated' : ''}${o.onCell ? ' clickable' : ''}`, role: 'grid' });
  const headRow = h('tr', {}, h('th', { class: 'corner', scope: 'col' }, h('span', { class: 'axis-col', text: `${o.colTitle} →` }), h('span', { class: 'axis-row', text: `${o.rowTitle} ↓` })));
  o.classes.forEach((c) => headRow.append(h('th', { class: 'col-head', scope: 'col', title: `${o.colTitle}: ${c}` }, h('span', { text: c }))));
  const thead = h('thead', {}, headRow);
  const tbody = h('tbody');
  o.values.forEach((row, i) => {
    const tr = h('tr', {}, h('th', { class: 'row-head', scope: 'row', title: `${o.rowTitle}: ${o.classes[i]}`, text: o.classes[i] }));
    row.forEach((v, j) => {
      const share = shares[i]?.[j] ?? 0;
      const a = cellAlpha(share, i === j);
      const text = o.mode === 'count' ? (v > 0 ? String(v) : '') : shareText(v);
      const td = h('td', {
        class: `cell${i === j ? ' diag' : ''}${v > 0 ? '' : ' empty'}`,
        'data-row': i,
        'data-col': j,
        title: o.describe(i, j, v, share),
        tabindex: o.onCell && v > 0 && o.mode === 'count' ? 0 : undefined,
        'aria-label': o.describe(i, j, v, share),
        text: L.font > 0 ? text : '',
      });
      if (a > 0) {
        const colour = i === j ? 'var(--vscode-charts-green, #388a34)' : 'var(--vscode-charts-red, #e51400)';
        td.style.backgroundColor = `color-mix(in srgb, ${colour} ${(a * 100).toFixed(1)}%, transparent)`;
      }
      if (o.selected && o.selected.row === i && o.selected.col === j) td.classList.add('selected');
      tr.append(td);
    });
    tbody.append(tr);
  });
  table.append(thead, tbody);
  if (o.onCell) {
    const fire = (t: EventTarget | null): void => {
      const td = (t as HTMLElement | null)?.closest?.('td.cell') as HTMLElement | null;
      if (!td || td.classList.contains('empty')) return;
      o.onCell!(Number(td.dataset.row), Number(td.dataset.col));
    };
    table.addEventListener('click', (e) => fire(e.target));
    table.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        fire(e.target);
      }
    });
  }
  el.append(table);
}

/** Marks one cell as selected without re-rendering. */
export function selectCell(el: HTMLElement, sel: { row: number; col: number } | null): void {
  el.querySelectorAll('td.selected').forEach((td) => td.classList.remove('selected'));
  if (sel) el.querySelector(`td[data-row="${sel.row}"][data-col="${sel.col}"]`)?.classList.add('selected');
}
