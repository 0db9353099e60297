#!/usr/bin/env node
/**
 * Real-browser test of the report webview (not part of `npm test`; needs Debian's /usr/bin/chromium).
 *
 *   npx tsc -p . && npx tsc -p webview/tsconfig.json
 *   node bin/labellint.js analyze sample/fashion-mnist-mini --quiet
 *   node test/ui/webview.ui.js            # screenshots into artifacts/ui/
 *
 * A tiny HTTP server on 127.0.0.1 serves the page exactly as the host builds it (`extension/page.ts`,
 * same CSP with a nonce), the compiled ES modules, and thumbnails from the real thumbnail cache
 * (`server/engine/dataset/thumbs.ts`). A stub `acquireVsCodeApi` records every posted message and forwards it
 * to a Node-side fake host that validates it with the real `validateWebviewMessage` and answers like
 * `extension/panel.ts` does (result on `ready`, thumbnails on request, `didApply` after actions).
 */
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { chromium } = require('playwright-core');
const themes = require('./themes');

const REPO = path.resolve(__dirname, '..', '..');
const OUT = path.join(REPO, 'out');
const DATASET = path.join(REPO, 'sample', 'fashion-mnist-mini');
const REPORT = path.join(DATASET, '.labellint', 'labellint-report.json');
const ARTIFACTS = path.join(REPO, 'artifacts', 'ui');
const XSS_NAME = '<img src=x onerror=alert(1)>.png';

function need(file, hint) {
  if (!fs.existsSync(file)) {
    console.error(`missing ${path.relative(REPO, file)}: ${hint}`);
    process.exit(2);
  }
}
need(path.join(OUT, 'webview', 'webview', 'main.js'), 'run `npx tsc -p webview/tsconfig.json`');
need(path.join(OUT, 'extension', 'page.js'), 'run `npx tsc -p .`');
need(REPORT, 'run `node bin/labellint.js analyze sample/fashion-mnist-mini --quiet`');

const { renderPage } = require(path.join(OUT, 'extension', 'page.js'));
const wv = require(path.join(OUT, 'protocol', 'webview.js'));
const { ThumbnailCache, thumbDir, resolveInsideRoot } = require(path.join(OUT, 'server', 'engine', 'dataset', 'thumbs.js'));
const { mostConfused } = require(path.join(OUT, 'webview', 'matrix.js'));

/** The matrix the report shows: given × suggested counts over the images (a cell = the grid it opens). */
function confusionOf(r) {
  const idx = new Map(r.classes.map((c, i) => [c, i]));
  const m = r.classes.map(() => r.classes.map(() => 0));
  for (const im of r.images) if (idx.has(im.givenLabel) && idx.has(im.suggestedLabel)) m[idx.get(im.givenLabel)][idx.get(im.suggestedLabel)]++;
  return m;
}

/** The real result plus one hostile file name (it must render as text). */
function loadResult() {
  const r = JSON.parse(fs.readFileSync(REPORT, 'utf8'));
  const cls = r.classes[0];
  r.images = [...r.images, {
    path: `${cls}/${XSS_NAME}`, hash: 'f'.repeat(64), split: null, givenLabel: cls, suggestedLabel: r.classes[1], suggestedProb: 0.51,
    labelQuality: 0.0001, isLabelIssue: true, neighbourAgreement: 0, outlierScore: 0, x: r.images[0].x, y: r.images[0].y, issueKinds: ['label'], reviewed: false,
  }];
  r.issues = [...r.issues, { kind: 'label', path: `${cls}/${XSS_NAME}`, score: 0.9, message: 'looks like another class', suggestedLabel: r.classes[1], suggestedProb: 0.51, verdict: 'confident' }];
  return r;
}

/** A synthetic result with `n` images for the performance check (no thumbnails). */
function syntheticResult(n, k) {
  const classes = Array.from({ length: k }, (_, i) => `class_${String(i).padStart(2, '0')}_${'abcdefghij'[i % 10]}`);
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const images = [];
  for (let i = 0; i < n; i++) {
    const c = i % k;
    const a = (c / k) * 2 * Math.PI;
    const g = classes[c];
    const flagged = rnd() < 0.05;
    images.push({ path: `${g}/${String(i).padStart(6, '0')}.png`, hash: i.toString(16).padStart(64, '0'), split: null, givenLabel: g,
      suggestedLabel: flagged ? classes[(c + 1) % k] : g, suggestedProb: 0.8, labelQuality: rnd(), isLabelIssue: flagged, neighbourAgreement: 0.5,
      outlierScore: 0, x: Math.cos(a) * 10 + (rnd() - 0.5) * 6, y: Math.sin(a) * 10 + (rnd() - 0.5) * 6, issueKinds: flagged ? ['label'] : [], reviewed: false });
  }
  const confusion = classes.map((_, i) => classes.map((__, j) => (i === j ? Math.round(n / k * 0.9) : Math.round(rnd() * n / k * 0.02))));
  const noiseMatrix = classes.map((_, i) => classes.map((__, j) => (i === j ? 0.9 : 0.1 / (k - 1))));
  return { schemaVersion: 1, tool: 'labellint', createdAt: new Date().toISOString(), root: '/synthetic', layout: 'imagefolder',
    model: { id: 'm', name: 'synthetic', dim: 2, inputSize: 2 }, backend: 'none', classes, images,
    issues: images.filter((x) => x.isLabelIssue).map((x) => ({ kind: 'label', path: x.path, score: 1 - x.labelQuality, message: 'looks like another class', suggestedLabel: x.suggestedLabel, suggestedProb: x.suggestedProb, verdict: 'confident' })),
    scanProblems: [], duplicates: [],
    confusion, noiseMatrix, estimatedNoiseRate: 0.05, perClassNoiseRate: classes.map(() => 0.05), cvAccuracy: 0.9,
    counts: { label: images.filter((x) => x.isLabelIssue).length, duplicate: 0, 'conflicting-duplicate': 0, leakage: 0, outlier: 0, broken: 0, quality: 0 },
    timings: { total: 1234 }, settings: {} };
}

function stubScript(nonce, theme) {
  const vars = JSON.stringify(themes[theme]);
  return `<script nonce="${nonce}">
(() => {
  const vars = ${vars};
  for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
  document.addEventListener('DOMContentLoaded', () => { document.body.className = 'vscode-${theme}'; });
  window.__posted = [];
  let state = JSON.parse(sessionStorage.getItem('vscodeState') || 'null');
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); window.hostReceive(m); },
    getState: () => state,
    setState: (s) => { state = s; sessionStorage.setItem('vscodeState', JSON.stringify(s)); },
  });
})();
</script>`;
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const result = loadResult();
  const cache = new ThumbnailCache(DATASET);
  let origin = '';
  let theme = 'dark';

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/') {
      const nonce = randomBytes(16).toString('hex');
      const html = renderPage({ cspSource: origin, nonce, scriptUri: `${origin}/out/webview/webview/main.js` })
        .replace('<script type="module"', `${stubScript(nonce, theme)}\n<script type="module"`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(html);
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    let file = null;
    let type = 'application/octet-stream';
    if (url.pathname.startsWith('/out/webview/')) {
      file = path.join(OUT, ...url.pathname.slice('/out/'.length).split('/'));
      if (!file.startsWith(path.join(OUT, 'webview') + path.sep)) file = null;
      type = file && file.endsWith('.js') ? 'text/javascript' : 'application/json';
    } else if (url.pathname.startsWith('/thumbs/')) {
      const name = url.pathname.slice('/thumbs/'.length);
      if (/^[0-9a-f]{64}\.webp$/.test(name)) file = path.join(thumbDir(DATASET), name);
      type = 'image/webp';
    }
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-ui-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1500, height: 1100 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  const refused = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    errors.push(`dialog opened: ${d.message()}`);
    void d.dismiss();
  });

  // --- the fake host: same validation and answers as extension/panel.ts ---------------------------
  let current = result;
  const scopeOf = (r) => ({ paths: new Set(r.images.map((i) => i.path)), classes: new Set(r.classes) });
  let scope;
  const post = (msg) => page.evaluate((m) => window.postMessage(m, '*'), msg);
  await page.exposeFunction('hostReceive', async (raw) => {
    const v = wv.validateWebviewMessage(raw, scope);
    if (!v.ok) {
      refused.push(v.reason);
      if (v.id !== undefined && raw.method === 'thumbnails') await post(wv.thumbnails.fail(v.id, v.reason));
      return;
    }
    const m = v.message;
    if (m.method === 'ready') {
      scope = scopeOf(current);
      await post(wv.didChangeResult.create({ root: current === result ? DATASET : '/synthetic', result: current }));
    } else if (m.method === 'thumbnails') {
      const uris = {};
      await Promise.all(m.params.paths.map(async (p) => {
        const im = current.images.find((i) => i.path === p);
        const abs = resolveInsideRoot(DATASET, p);
        const file = current === result && im && abs && fs.existsSync(abs) ? await cache.ensure({ absPath: abs, hash: im.hash }) : null;
        uris[p] = file ? `${origin}/thumbs/${path.basename(file)}` : null;
      }));
      await post(wv.thumbnails.respond(m.id, { uris }));
    } else if (m.method === 'relabel' || m.method === 'markCorrect' || m.method === 'quarantine') {
      await post(wv.didApply.create({ action: m.method, applied: m.params.paths, notApplied: [], label: m.params.label }));
    }
  });
  const posted = () => page.evaluate(() => window.__posted);
  const shot = async (name) => {
    const file = path.join(ARTIFACTS, name);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`  screenshot ${path.relative(REPO, file)}`);
  };
  const step = (s) => console.log(`- ${s}`);

  try {
    step('load the page (dark theme) with the sample result');
    await page.goto(origin + '/');
    await page.waitForSelector('main.report:not([hidden]) table.matrix td.cell', { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('.grid-scroll .tile img[src]').length > 3, null, { timeout: 20_000 });
    assert.equal(await page.textContent('.health-header .stat .stat-value'), result.images.length.toLocaleString('en-US'));
    assert.deepEqual(errors, [], 'no errors on load (CSP, modules)');

    step('a hostile file name renders as text');
    await page.click('text=All images');
    await page.waitForSelector(`.tile[data-path="${result.classes[0]}/${XSS_NAME.replace(/"/g, '\\"')}"]`);
    const nameText = await page.textContent(`.tile[data-path="${result.classes[0]}/${XSS_NAME}"] .name`);
    assert.equal(nameText, XSS_NAME);
    assert.equal(await page.locator('.tile .name img').count(), 0, 'no <img> injected from a file name');

    step('click the most confused cell: its images fill the grid, lowest label quality first');
    const worst = mostConfused(confusionOf(result));
    const g = result.classes[worst.row];
    const p = result.classes[worst.col];
    await page.click(`td.cell[data-row="${worst.row}"][data-col="${worst.col}"]`);
    await page.waitForFunction((t) => document.querySelector('.grid-title')?.textContent?.startsWith(t), `Given ${g} → suggested ${p}`);
    const expected = result.images.filter((i) => i.givenLabel === g && i.suggestedLabel === p).sort((a, b) => a.labelQuality - b.labelQuality);
    assert.match(await page.textContent('.grid-title'), new RegExp(`\\(${expected.length}\\)$`));
    const shownPaths = await page.$$eval('.grid-scroll .tile', (els) => els.map((e) => [Number(e.dataset.pos), e.dataset.path]).sort((a, b) => a[0] - b[0]).map((x) => x[1]));
    assert.ok(shownPaths.length > 0 && shownPaths.length <= expected.length);
    assert.deepEqual(shownPaths, expected.slice(0, shownPaths.length).map((i) => i.path));
    await page.waitForFunction(() => [...document.querySelectorAll('.grid-scroll .tile img')].slice(0, 6).every((i) => i.complete && i.naturalWidth > 0));
    assert.equal(await page.locator('td.cell.selected').count(), 1);

    step('relabel the first image by keyboard: digit, then Enter on the next, then typed letters, c and u');
    const first = expected[0];
    await page.click('.grid-scroll .tile[data-pos="0"] .thumb');
    const digit = result.classes.indexOf(p) + 1;
    await page.keyboard.press(digit === 10 ? '0' : String(digit));
    await page.waitForFunction(() => window.__posted.some((m) => m.method === 'relabel'));
    let relabels = (await posted()).filter((m) => m.method === 'relabel');
    assert.deepEqual(relabels[0], { kind: 'command', method: 'relabel', params: { paths: [first.path], label: p } });
    await page.waitForSelector(`.tile[data-path="${first.path}"] .decision.done`);
    assert.match(await page.textContent(`.tile[data-path="${first.path}"] .decision`), new RegExp(`relabelled → ${p}`));
    assert.equal(await page.getAttribute('.tile.cursor', 'data-pos'), '1', 'the cursor moved on');
    if (expected.length > 1) {
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.__posted.filter((m) => m.method === 'relabel').length === 2);
      relabels = (await posted()).filter((m) => m.method === 'relabel');
      assert.deepEqual(relabels[1].params, { paths: [expected[1].path], label: expected[1].suggestedLabel });
    }
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('c');
    await page.keyboard.press('u');
    await page.keyboard.press('Control+z'); // VS Code's keybinding (LabelLint: Undo) in the real editor: not posted by the page
    const tail = (await posted()).slice(-2).map((m) => m.method);
    assert.deepEqual(tail, ['markCorrect', 'undo']);
    await shot('report-dark.png');

    step('hover a map point: tooltip with thumbnail, file name, given and suggested label');
    const target = expected[Math.min(2, expected.length - 1)];
    const pt = await page.evaluate((path) => window.labelLintDebug.pointOf(path), target.path);
    assert.ok(pt, 'point on screen');
    await page.locator('.map-canvas').scrollIntoViewIfNeeded();
    const pt2 = await page.evaluate((path) => window.labelLintDebug.pointOf(path), target.path);
    await page.mouse.move(pt2.x, pt2.y);
    await page.waitForSelector('.map-tooltip:not([hidden]) .tt-name');
    await page.waitForFunction(() => {
      const i = document.querySelector('.map-tooltip:not([hidden]) img.tt-thumb');
      return i && i.complete && i.naturalWidth > 0;
    });
    const tipName = await page.textContent('.map-tooltip .tt-name');
    const hovered = result.images.find((i) => i.path.endsWith('/' + tipName));
    assert.ok(hovered, `tooltip names an image (${tipName})`);
    const tip = await page.textContent('.map-tooltip');
    assert.ok(tip.includes(`given ${hovered.givenLabel}`) && tip.includes(`suggested ${hovered.suggestedLabel}`), tip);
    const mapBox = await page.locator('.map-panel').boundingBox();
    await page.screenshot({ path: path.join(ARTIFACTS, 'map-tooltip-dark.png'), clip: mapBox });
    console.log('  screenshot artifacts/ui/map-tooltip-dark.png');

    step('click the point: the host is asked to reveal the file');
    await page.mouse.click(pt2.x, pt2.y);
    await page.waitForFunction(() => window.__posted.some((m) => m.method === 'revealFile'));
    assert.equal((await posted()).filter((m) => m.method === 'revealFile').pop().params.path, hovered.path);

    step('wheel zoom, drag pan, shift+drag box selection → grid');
    const canvas = await page.locator('.map-canvas').boundingBox();
    const cx = canvas.x + canvas.width / 2;
    const cy = canvas.y + canvas.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.wheel(0, -400);
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 60, cy + 30, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.down('Shift');
    await page.mouse.move(canvas.x + 20, canvas.y + 20);
    await page.mouse.down();
    await page.mouse.move(canvas.x + canvas.width - 20, canvas.y + canvas.height - 20, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await page.waitForFunction(() => document.querySelector('.grid-title')?.textContent?.startsWith('Map selection'));
    const sel = Number(/\((\d+)\)/.exec(await page.textContent('.grid-title'))[1]);
    assert.ok(sel > 0 && sel <= result.images.length, `selection size ${sel}`);
    await page.dblclick('.map-canvas', { position: { x: 5, y: 5 } });

    step('refused messages: paths outside the root and unknown labels never reach the host');
    await page.evaluate(() => {
      const api = window.acquireVsCodeApi();
      api.postMessage({ kind: 'command', method: 'relabel', params: { paths: ['../../etc/passwd'], label: 'x' } });
      api.postMessage({ kind: 'command', method: 'relabel', params: { paths: [document.querySelector('.tile').dataset.path], label: 'not-a-class' } });
      api.postMessage({ kind: 'command', method: 'rm', params: {} });
    });
    await page.waitForFunction(() => true);
    assert.equal(refused.length, 3, refused.join('; '));

    step('switch to the light theme: CSS and canvas follow');
    theme = 'light';
    await page.evaluate((vars) => {
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      document.body.className = 'vscode-light';
    }, themes.light);
    await page.waitForTimeout(150);
    const px = await page.evaluate(() => {
      const c = document.querySelector('.map-canvas');
      const d = c.getContext('2d').getImageData(2, 2, 1, 1).data;
      return [d[0], d[1], d[2]];
    });
    assert.deepEqual(px, [255, 255, 255], 'canvas background redrawn from --vscode-editor-background');
    await page.click('text=Flagged');
    await page.waitForFunction(() => [...document.querySelectorAll('.grid-scroll .tile img')].slice(0, 6).every((i) => i.complete && i.naturalWidth > 0));
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('report-light.png');
    await page.locator('.map-canvas').scrollIntoViewIfNeeded();
    const pt3 = await page.evaluate((path) => window.labelLintDebug.pointOf(path), result.images.find((i) => i.isLabelIssue).path);
    await page.mouse.move(pt3.x, pt3.y);
    await page.waitForFunction(() => {
      const i = document.querySelector('.map-tooltip:not([hidden]) img.tt-thumb');
      return i && i.complete && i.naturalWidth > 0;
    });
    await page.screenshot({ path: path.join(ARTIFACTS, 'map-tooltip-light.png'), clip: await page.locator('.map-panel').boundingBox() });
    console.log('  screenshot artifacts/ui/map-tooltip-light.png');

    step('state survives a reload (getState/setState)');
    await page.click(`td.cell[data-row="${worst.row}"][data-col="${worst.col}"]`);
    await page.reload();
    await page.waitForFunction((t) => document.querySelector('.grid-title')?.textContent?.startsWith(t), `Given ${g} → suggested ${p}`, { timeout: 15_000 });

    step('100,000 points / 60 classes: map draw time, grid keeps only visible rows in the DOM');
    current = syntheticResult(100_000, 60);
    scope = scopeOf(current);
    await post(wv.didChangeResult.create({ root: '/synthetic', result: current }));
    await page.waitForFunction(() => document.querySelectorAll('table.matrix.rotated').length > 0);
    await page.click('text=All images');
    await page.waitForFunction(() => /\(100000\)/.test(document.querySelector('.grid-title')?.textContent ?? ''));
    const draws = [];
    const c2 = await page.locator('.map-canvas').boundingBox();
    await page.mouse.move(c2.x + c2.width / 2, c2.y + c2.height / 2);
    for (let i = 0; i < 8; i++) {
      await page.mouse.wheel(0, i < 4 ? -120 : 120);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      draws.push(await page.evaluate(() => window.labelLintDebug.lastDrawMs()));
    }
    const tiles = await page.locator('.grid-scroll .tile').count();
    await page.evaluate(() => {
      const s = document.querySelector('.grid-scroll');
      s.scrollTop = s.scrollHeight / 2;
    });
    await page.waitForFunction(() => [...document.querySelectorAll('.grid-scroll .tile')].some((t) => Number(t.dataset.pos) > 40000));
    const tilesMid = await page.locator('.grid-scroll .tile').count();
    const median = draws.sort((a, b) => a - b)[Math.floor(draws.length / 2)];
    console.log(`  map draw with 100k points: median ${median.toFixed(1)} ms (max ${draws[draws.length - 1].toFixed(1)} ms, software rendering); grid tiles in DOM: ${tiles} at top, ${tilesMid} mid-scroll`);
    assert.ok(tiles < 200 && tilesMid < 200, 'virtualised');
    assert.ok(median < 100, `map draw ${median} ms`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('report-100k-60-classes-light.png');

    assert.deepEqual(errors.filter((e) => !/thumbnails: no answer/.test(e)), [], 'no page errors');
    console.log('webview UI test: all checks passed');
  } catch (err) {
    await shot('failure.png').catch(() => undefined);
    console.error(errors.join('\n'));
    throw err;
  } finally {
    await context.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
