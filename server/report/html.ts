/**
 * A single self-contained HTML report (no network, no external files): health header, confusion
 * matrix, noise matrix, the 2-D map on a canvas, and thumbnails of the top issues inlined as data URIs.
 */
import { trustSentence } from './text';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { AnalysisResult, Issue } from '../../protocol/results';
import { ISSUE_KINDS } from '../../protocol/results';

/** Thumbnails shown per issue list: enough to review, small enough to keep the file light. */
const MAX_THUMBS = 60;
const THUMB_PX = 96;
/** Map points beyond this are subsampled (deterministically) to keep the report file small. */
const MAX_MAP_POINTS = 20_000;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe to embed inside a <script> element (no `</script>` or `<!--` break-outs). */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

async function thumb(root: string, path: string): Promise<string | null> {
  try {
    const buf = await sharp(await readFile(join(root, path)), { limitInputPixels: 100_000_000, animated: false })
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize(THUMB_PX, THUMB_PX, { fit: 'inside' })
      .png()
      .toBuffer();
    return `data:image/png;base64,${buf.toString('base64')}`;
  } catch {
    return null;
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function matrixTable(title: string, classes: readonly string[], m: readonly (readonly number[])[], opts: { rowLabel: string; colLabel: string; asPercent: boolean; normaliseRows: boolean }): string {
  const head = classes.map((c) => `<th class="col"><span>${escapeHtml(c)}</span></th>`).join('');
  const body = m
    .map((row, i) => {
      const sum = row.reduce((a, b) => a + b, 0);
      const cells = row
        .map((v, j) => {
          const norm = opts.normaliseRows ? (sum > 0 ? v / sum : 0) : v;
          const hue = i === j ? 140 : 0;
          const alpha = Math.min(1, norm * (i === j ? 1 : 3)).toFixed(3);
          const text = opts.asPercent ? (v > 0 ? pct(v) : '') : String(v);
          return `<td style="background:hsla(${hue},60%,45%,${alpha})" title="${escapeHtml(`${opts.rowLabel} ${classes[i]}, ${opts.colLabel} ${classes[j]}: ${text}`)}">${text}</td>`;
        })
        .join('');
      return `<tr><th class="row">${escapeHtml(classes[i])}</th>${cells}</tr>`;
    })
    .join('');
  return `<section><h2>${escapeHtml(title)}</h2><p class="axis">rows: ${escapeHtml(opts.rowLabel)} · columns: ${escapeHtml(opts.colLabel)}</p><div class="scroll"><table class="matrix"><tr><th></th>${head}</tr>${body}</table></div></section>`;
}

async function issueGrid(result: AnalysisResult, issues: readonly Issue[], title: string): Promise<string> {
  if (issues.length === 0) return '';
  const shown = issues.slice(0, MAX_THUMBS);
  const thumbs = await Promise.all(shown.map((i) => thumb(result.root, i.path)));
  const cards = shown
    .map((is, k) => {
      const src = thumbs[k];
      const img = src ? `<img src="${src}" alt="">` : '<div class="noimg">no preview</div>';
      return `<figure>${img}<figcaption><b>${escapeHtml(is.path)}</b><br>${escapeHtml(is.message)}</figcaption></figure>`;
    })
    .join('');
  const more = issues.length > shown.length ? `<p>… and ${issues.length - shown.length} more (see the CSV/JSON report).</p>` : '';
  return `<section><h2>${escapeHtml(title)} (${issues.length})</h2><div class="grid">${cards}</div>${more}</section>`;
}

/** "Labels or model?": the four cross-validated accuracies and the sentence that compares them. */
function diagnosisCard(r: AnalysisResult): string {
  const d = r.diagnosis;
  if (!d) return '';
  const row = (k: string, v: number | null): string => `<tr><td>${escapeHtml(k)}</td><td>${v === null ? 'not measured' : pct(v)}</td></tr>`;
  return `<div><div>Labels or model? (cross-validated accuracy)</div><table>${row('(a) linear head, given labels', d.linear)}${row(`(b) without the ${d.dropped} label issues (images kept)`, d.linearCleaned)}${row('(c) deeper head (MLP)', d.mlp)}${row('(d) kNN vote', d.knn)}</table><p>${escapeHtml(d.summary)}</p></div>`;
}

export async function toHtml(result: AnalysisResult): Promise<string> {
  const r = result;
  const byKind = (k: string): Issue[] => r.issues.filter((i) => i.kind === k).sort((a, b) => b.score - a.score);
  const counts = ISSUE_KINDS.map((k) => `<li><b>${r.counts[k]}</b> ${escapeHtml(k)}${k === 'label' ? ` (+${r.possibleLabelIssues} possible)` : ''}</li>`).join('');
  const perClass = r.classes
    .map((c, i) => `<tr><td>${escapeHtml(c)}</td><td>${pct(r.perClassNoiseRate[i] ?? 0)}</td></tr>`)
    .join('');
  const step = Math.max(1, Math.ceil(r.images.length / MAX_MAP_POINTS));
  const classIdx = new Map(r.classes.map((c, i) => [c, i]));
  const points = r.images
    .filter((_, i) => i % step === 0 || r.images[i].isLabelIssue)
    .map((im) => [im.x, im.y, classIdx.get(im.givenLabel) ?? 0, im.isLabelIssue ? 1 : 0]);
  const sections = [
    matrixTable('Confusion matrix (given × predicted, out-of-fold)', r.classes, r.confusion, {
      rowLabel: 'given label',
      colLabel: 'predicted',
      asPercent: false,
      normaliseRows: true,
    }),
    matrixTable('Estimated noise matrix P(given | true)', r.classes, r.noiseMatrix, {
      rowLabel: 'given label',
      colLabel: 'true label',
      asPercent: true,
      normaliseRows: false,
    }),
    await issueGrid(r, byKind('label').filter((i) => i.verdict !== 'possible'), `Wrong labels (P(label wrong) ≥ ${pct(Number(r.settings.minConfidence ?? 0.5))})`),
    await issueGrid(r, byKind('label').filter((i) => i.verdict === 'possible'), 'Possible wrong labels (review queue)'),
    await issueGrid(r, [...byKind('conflicting-duplicate'), ...byKind('leakage'), ...byKind('duplicate')], 'Duplicates'),
    await issueGrid(r, byKind('outlier'), 'Outliers'),
    await issueGrid(r, byKind('broken'), 'Broken files'),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="generator" content="LabelLint">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>LabelLint report — ${escapeHtml(r.root)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
.meta{color:#555}.cards{display:flex;gap:24px;flex-wrap:wrap}.cards>div{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px}
.big{font-size:26px;font-weight:600} ul{margin:0;padding-left:18px}
.scroll{overflow:auto;max-width:100%} table.matrix{border-collapse:collapse;font-size:12px}
table.matrix td{min-width:34px;height:26px;text-align:center;border:1px solid #e4e4e4}
th.row{text-align:right;padding-right:6px;white-space:nowrap;font-weight:500}
th.col{height:110px;vertical-align:bottom;font-weight:500}th.col span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.axis{color:#666;margin:0 0 6px}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:6px;font-size:12px;overflow-wrap:anywhere}
figure img{display:block;margin:0 auto 4px;image-rendering:pixelated;width:96px;height:96px;object-fit:contain}
.noimg{width:96px;height:96px;margin:0 auto;background:#eee;color:#888;display:flex;align-items:center;justify-content:center}
canvas{background:#fff;border:1px solid #ddd;border-radius:6px;max-width:100%}
</style></head><body>
<h1>LabelLint report</h1>
<div class="meta">${escapeHtml(r.root)} · ${r.images.length} images · ${r.classes.length} classes · model ${escapeHtml(r.model.id)} (${r.model.dim}-d) on ${escapeHtml(r.backend)} · ${escapeHtml(r.createdAt)}</div>
<div class="cards">
<div><div>Estimated share of wrong labels</div><div class="big">${pct(r.estimatedNoiseRate)}</div><div>90% interval ${pct(r.noiseInterval[0])}–${pct(r.noiseInterval[1])}</div></div>
<div><div>Cross-validated accuracy (against the given labels)</div><div class="big">${pct(r.cvAccuracy)}</div><div>${escapeHtml(trustSentence(r))}</div></div>
${diagnosisCard(r)}
<div><div>Issues</div><ul>${counts}</ul></div>
<div><div>Estimated wrong labels per class</div><table>${perClass}</table></div>
</div>
<section><h2>Map of the embeddings (colour = given label, ringed = suspected wrong label)</h2><canvas id="map" width="720" height="520"></canvas></section>
${sections.join('\n')}
<script>
const P=${scriptJson(points)};const C=${r.classes.length};
const cv=document.getElementById('map'),g=cv.getContext('2d'),W=cv.width,H=cv.height,m=12;
for(const p of P){const x=m+(p[0]+1)/2*(W-2*m),y=m+(1-(p[1]+1)/2)*(H-2*m);
g.fillStyle='hsl('+Math.round(360*p[2]/Math.max(1,C))+',65%,50%)';g.beginPath();g.arc(x,y,p[3]?3.5:2,0,7);g.fill();
if(p[3]){g.strokeStyle='#000';g.lineWidth=1.2;g.stroke();}}
</script>
</body></html>
`;
}
