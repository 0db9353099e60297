import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellAlpha, matrixLayout, MAX_ALPHA, MIN_ALPHA, mostConfused, rowNormalise, shareText } from '../../webview/matrix';
import { columnsFor, rowWindow, scrollToShow } from '../../webview/virtual';
import { fitTransform, GridIndex, pan, project, selectInBox, zoomAt, boundsOf } from '../../webview/mapModel';
import { keyAction, NO_TYPE_AHEAD, shortcutHints, TYPE_AHEAD_MS } from '../../webview/keys';
import { buildDataset, selectImages } from '../../webview/model';
import { classColours, themeKindOf } from '../../webview/palette';
import { renderPage } from '../../extension/page';
import type { AnalysisResult, ImageResult } from '../../protocol/results';

test('rowNormalise: rows sum to 1, an all-zero row stays zero', () => {
  assert.deepEqual(rowNormalise([[1, 3], [0, 0]]), [[0.25, 0.75], [0, 0]]);
});

test('mostConfused: largest off-diagonal cell, first on ties, null without confusion', () => {
  assert.deepEqual(mostConfused([[9, 2, 5], [5, 9, 0], [0, 0, 9]]), { row: 0, col: 2, count: 5 });
  assert.equal(mostConfused([[3, 0], [0, 4]]), null);
  assert.equal(mostConfused([]), null);
});

test('cellAlpha: zero is blank, small shares visible, capped for readable text', () => {
  assert.equal(cellAlpha(0, false), 0);
  assert.equal(cellAlpha(NaN, true), 0);
  assert.equal(cellAlpha(0.001, false), MIN_ALPHA);
  assert.equal(cellAlpha(1, true), MAX_ALPHA);
  assert.ok(cellAlpha(0.1, false) > cellAlpha(0.1, true), 'off-diagonal shares are boosted');
  assert.equal(shareText(0), '');
  assert.equal(shareText(0.004), '<1%');
  assert.equal(shareText(0.236), '24%');
});

test('matrixLayout: headers rotate when names do not fit, cells shrink at 50+ classes', () => {
  const small = matrixLayout(3, 3, 10);
  assert.equal(small.rotateHeaders, false);
  assert.equal(small.cell, 40);
  const big = matrixLayout(60, 12, 150);
  assert.equal(big.rotateHeaders, true);
  assert.equal(big.cell, 26);
  assert.ok(big.headerHeight >= 12 * 7, 'room for the rotated names');
  assert.equal(matrixLayout(60, 12, 12_000).font, 0, 'five-digit counts do not fit a 26 px cell: tooltip only');
});

test('rowWindow: visible rows plus overscan, clamped at both ends', () => {
  const g = { count: 5000, columns: 7, rowHeight: 234 };
  assert.deepEqual(rowWindow(g, 0, 700, 2), { first: 0, end: 5, rows: 715, totalHeight: 715 * 234 });
  const mid = rowWindow(g, 234 * 100 + 10, 700, 2);
  assert.equal(mid.first, 98);
  assert.equal(mid.end, 100 + 4 + 2);
  const past = rowWindow(g, 1e9, 700, 2);
  assert.equal(past.end, 715);
  assert.ok(past.first >= 715 - 3 - 2 - 1);
  assert.deepEqual(rowWindow({ count: 0, columns: 4, rowHeight: 100 }, 0, 500), { first: 0, end: 0, rows: 0, totalHeight: 0 });
  assert.equal(rowWindow({ count: 3, columns: 0, rowHeight: 100 }, 0, 500).rows, 3, 'columns < 1 is treated as 1');
  assert.equal(rowWindow({ count: 10, columns: 4, rowHeight: 100 }, 0, 0).end, 3, 'a zero-height viewport still renders one row (+overscan)');
});

test('columnsFor and scrollToShow', () => {
  assert.equal(columnsFor(100, 172, 8), 1);
  assert.equal(columnsFor(172 * 3 + 16, 172, 8), 3);
  const g = { count: 100, columns: 5, rowHeight: 100 };
  assert.equal(scrollToShow(g, 0, 500, 300), 0, 'scrolls up to a row above');
  assert.equal(scrollToShow(g, 49, 0, 300), 1000 - 300, 'scrolls down until the row bottom shows');
  assert.equal(scrollToShow(g, 12, 150, 300), 150, 'already visible: unchanged');
});

test('map: fit, project, zoom keeps the cursor point fixed, pan shifts', () => {
  const x = Float32Array.from([0, 10, 5]);
  const y = Float32Array.from([0, 10, 5]);
  const fit = fitTransform(boundsOf(x, y), 220, 120, 10);
  const sx = new Float32Array(3);
  const sy = new Float32Array(3);
  project(x, y, fit, sx, sy);
  assert.deepEqual([sx[2], sy[2]], [110, 60], 'centre maps to the canvas centre');
  assert.ok(sy[0] >= 10 && sy[1] <= 110, 'fits inside the padding');
  const z = zoomAt(fit, fit, 2, sx[1], sy[1]);
  project(x, y, z, sx, sy);
  assert.ok(Math.abs(sx[1] - 160) < 1e-3 && Math.abs(sy[1] - 110) < 1e-3, 'the point under the cursor stays');
  assert.ok(zoomAt(fit, fit, 1e9, 0, 0).scale <= fit.scale * 200, 'zoom is clamped');
  const p = pan(fit, 5, -3);
  assert.deepEqual([p.ox, p.oy], [fit.ox + 5, fit.oy - 3]);
  assert.deepEqual(boundsOf(new Float32Array(0), new Float32Array(0)), { minX: -1, minY: -1, maxX: 1, maxY: 1 });
});

test('GridIndex.nearest matches brute force on random points; off-screen points are never hit', () => {
  let s = 7;
  const rnd = (): number => ((s = (s * 16807) % 2147483647) / 2147483647);
  const n = 5000;
  const sx = Float32Array.from({ length: n }, () => rnd() * 900 - 50);
  const sy = Float32Array.from({ length: n }, () => rnd() * 700 - 50);
  const idx = GridIndex.build(sx, sy, 800, 600, 24);
  for (let q = 0; q < 300; q++) {
    const px = rnd() * 800;
    const py = rnd() * 600;
    let best = -1;
    let bestD = 10 * 10;
    for (let i = 0; i < n; i++) {
      if (sx[i] < 0 || sy[i] < 0 || sx[i] >= 800 || sy[i] >= 600) continue;
      const d = (sx[i] - px) ** 2 + (sy[i] - py) ** 2;
      if (d < bestD || (d === bestD && i > best)) {
        bestD = d;
        best = i;
      }
    }
    assert.equal(idx.nearest(px, py, 10), best);
  }
  assert.equal(GridIndex.build(Float32Array.from([-5]), Float32Array.from([5]), 100, 100, 10).nearest(0, 5, 20), -1);
});

test('selectInBox: corners in any order, inclusive edges', () => {
  const sx = Float32Array.from([0, 5, 10, 15]);
  const sy = Float32Array.from([0, 5, 10, 15]);
  assert.deepEqual(selectInBox(sx, sy, 10, 10, 5, 5), [1, 2]);
  assert.deepEqual(selectInBox(sx, sy, 100, 100, 200, 200), []);
});

const classes = ['ankle_boot', 'bag', 'coat', 'sandal', 'shirt', 'sneaker', 'trouser', 'tshirt_top', 'dress', 'pullover'];

test('keys: arrows, digits (0 = 10th), Enter, c, u, Ctrl/Cmd+Z', () => {
  const k = (key: string, mods: object = {}): unknown => keyAction({ key, ...mods }, classes, 7, NO_TYPE_AHEAD, 10_000).action;
  assert.deepEqual(k('ArrowDown'), { kind: 'move', delta: 7 });
  assert.deepEqual(k('ArrowUp'), { kind: 'move', delta: -7 });
  assert.deepEqual(k('ArrowLeft'), { kind: 'move', delta: -1 });
  assert.deepEqual(k('1'), { kind: 'relabel', label: 'ankle_boot' });
  assert.deepEqual(k('9'), { kind: 'relabel', label: 'dress' });
  assert.deepEqual(k('0'), { kind: 'relabel', label: 'pullover' });
  assert.deepEqual(k('Enter'), { kind: 'accept' });
  assert.deepEqual(k('c'), { kind: 'correct' });
  assert.deepEqual(k('u'), { kind: 'undo' });
  assert.deepEqual(k('z', { ctrlKey: true }), { kind: 'none' }, "Ctrl+Z is VS Code's keybinding (LabelLint: Undo), not handled twice");
  assert.deepEqual(k('Z', { metaKey: true }), { kind: 'none' });
  assert.deepEqual(k('p', { ctrlKey: true }), { kind: 'none' }, 'other shortcuts stay with VS Code');
  assert.equal(keyAction({ key: '5' }, ['a', 'b'], 3, NO_TYPE_AHEAD, 0).action.kind, 'none', 'no 5th class');
  assert.equal(keyAction({ key: 'Tab' }, classes, 3, NO_TYPE_AHEAD, 0).handled, false, 'Tab keeps moving focus');
});

test('keys: first letters relabel once one class matches; the prefix expires', () => {
  let t = NO_TYPE_AHEAD;
  let out = keyAction({ key: 't' }, classes, 7, t, 1000);
  assert.deepEqual(out.action, { kind: 'typing', prefix: 't', candidates: ['trouser', 'tshirt_top'] });
  t = out.typeAhead;
  out = keyAction({ key: 's' }, classes, 7, t, 1500);
  assert.deepEqual(out.action, { kind: 'relabel', label: 'tshirt_top' });
  assert.deepEqual(keyAction({ key: 'P' }, classes, 7, NO_TYPE_AHEAD, 0).action, { kind: 'relabel', label: 'pullover' }, 'case-insensitive');
  out = keyAction({ key: 's' }, classes, 7, NO_TYPE_AHEAD, 0);
  assert.equal(out.action.kind, 'typing');
  // After the timeout 'c' is a command again, not a continuation.
  assert.deepEqual(keyAction({ key: 'c' }, classes, 7, out.typeAhead, TYPE_AHEAD_MS + 1).action, { kind: 'correct' });
  // Within the timeout, 'a' continues "s" → "sa" → sandal.
  assert.deepEqual(keyAction({ key: 'a' }, classes, 7, out.typeAhead, 10).action, { kind: 'relabel', label: 'sandal' });
  assert.equal(keyAction({ key: 'x' }, classes, 7, NO_TYPE_AHEAD, 0).action.kind, 'none');
});

test('shortcutHints: digits for the first ten, shortest unique prefix, none for reserved first letters', () => {
  const h = new Map(shortcutHints(classes).map((x) => [x.label, x]));
  assert.deepEqual(h.get('ankle_boot'), { label: 'ankle_boot', digit: '1', letters: 'a' });
  assert.equal(h.get('coat')!.letters, undefined, "'c' marks correct");
  assert.equal(h.get('tshirt_top')!.letters, 'ts');
  assert.equal(h.get('shirt')!.letters, 'sh');
  assert.equal(h.get('pullover')!.digit, '0');
  assert.equal(shortcutHints(['cat', 'catamaran'])[1].letters, undefined);
});

function image(path: string, given: string, suggested: string | null, q: number, kinds: ImageResult['issueKinds'] = []): ImageResult {
  return { path, hash: 'a'.repeat(64), split: null, givenLabel: given, suggestedLabel: suggested, suggestedProb: 0.9, labelQuality: q,
    isLabelIssue: kinds.includes('label'), pLabelWrong: kinds.includes('label') ? 0.9 : 0, verdict: kinds.includes('label') ? 'confident' : 'none', neighbourAgreement: 0.5, outlierScore: 0, x: q, y: -q, issueKinds: kinds, reviewed: false };
}

function result(images: ImageResult[]): AnalysisResult {
  return {
    schemaVersion: 1, tool: 'labellint', createdAt: '2026-01-01T00:00:00Z', root: '/r', layout: 'imagefolder',
    model: { id: 'm', name: 'M', dim: 4, inputSize: 224 }, backend: 'wasm', classes: ['cat', 'dog'], images,
    issues: images.flatMap((im) => im.issueKinds.map((kind) => ({ kind, path: im.path, score: 1 - im.labelQuality, message: kind, verdict: kind === 'label' ? ('confident' as const) : undefined }))), scanProblems: [], noiseInterval: [0, 0], possibleLabelIssues: 0, diagnosis: null,
    duplicates: [{ paths: ['dog/2.png', 'cat/1.png'], exact: true, similarity: 1, labels: ['dog', 'cat'], splits: [null, null] }],
    confusion: [[1, 1], [1, 1]], noiseMatrix: [[1, 0], [0, 1]], estimatedNoiseRate: 0, perClassNoiseRate: [0, 0], cvAccuracy: 1,
    counts: { label: 0, duplicate: 0, 'conflicting-duplicate': 0, leakage: 0, outlier: 0, broken: 0, quality: 0 }, timings: {}, settings: {},
  };
}

test('model: a confusion cell selects given=row & suggested=col, lowest label quality first', () => {
  const d = buildDataset(result([
    image('cat/1.png', 'cat', 'dog', 0.4, ['label']),
    image('cat/2.png', 'cat', 'cat', 0.9),
    image('cat/3.png', 'cat', 'dog', 0.1, ['label']),
    image('dog/1.png', 'dog', null, 0.5, ['broken']),
    image('dog/2.png', 'dog', 'dog', 0.8),
  ]));
  const paths = (ix: number[]): string[] => ix.map((i) => d.images[i].path);
  assert.deepEqual(paths(selectImages(d, { kind: 'cell', given: 'cat', predicted: 'dog' })), ['cat/3.png', 'cat/1.png']);
  assert.deepEqual(paths(selectImages(d, { kind: 'flagged' })), ['cat/3.png', 'cat/1.png', 'dog/1.png']);
  assert.deepEqual(paths(selectImages(d, { kind: 'issue', issue: 'broken' })), ['dog/1.png']);
  assert.deepEqual(paths(selectImages(d, { kind: 'selection', paths: ['dog/2.png', 'gone.png', 'cat/2.png'] })), ['dog/2.png', 'cat/2.png']);
  assert.deepEqual(paths(selectImages(d, { kind: 'duplicates', group: 0 })), ['dog/2.png', 'cat/1.png'], 'group order kept');
  assert.deepEqual(paths(selectImages(d, { kind: 'cell', given: 'nope', predicted: 'dog' })), []);
  assert.deepEqual([...d.byClass[0]], [0, 1, 2]);
  assert.equal(d.suggested[3], -1);
});

test('palette: K distinct colours, lighter on dark themes; theme kind from the body class', () => {
  const dark = classColours(60, 'dark');
  assert.equal(new Set(dark).size, 60);
  assert.notDeepEqual(classColours(10, 'light'), classColours(10, 'dark'));
  for (const kind of ['dark', 'light'] as const) {
    const c20 = classColours(20, kind);
    assert.equal(new Set(c20).size, 20, 'up to 20 classes: Kelly colours, all different');
    const hues = c20.slice(0, 10).map((c) => Number(/hsl\(([\d.]+)/.exec(c)![1]));
    assert.ok(new Set(hues.map((h) => Math.round(h / 10))).size >= 8, `the first 10 colours spread over the hue circle: ${hues.join(', ')}`);
  }
  assert.equal(themeKindOf('vscode-light'), 'light');
  assert.equal(themeKindOf('vscode-high-contrast-light foo'), 'high-contrast-light');
  assert.equal(themeKindOf('vscode-high-contrast'), 'high-contrast');
  assert.equal(themeKindOf(''), 'dark');
});

test('page: strict CSP with the nonce, no data in the page, escaped script URI', () => {
  const html = renderPage({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abcdefabcdefabcdef01', scriptUri: 'https://x/a"b.js' });
  assert.match(html, /default-src 'none'/);
  assert.match(html, /script-src 'nonce-abcdefabcdefabcdef01'/);
  assert.match(html, /style-src 'nonce-abcdefabcdefabcdef01'/);
  assert.match(html, /img-src https:\/\/x\.vscode-cdn\.net data:/);
  assert.ok(html.includes('src="https://x/a&quot;b.js"'));
  assert.ok(!/unsafe-inline|unsafe-eval/.test(html));
  assert.throws(() => renderPage({ cspSource: 'x', nonce: 'short', scriptUri: 'y' }));
});
