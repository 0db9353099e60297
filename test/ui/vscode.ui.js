#!/usr/bin/env node
/**
 * Real-browser UI test of LabelLint inside a real VS Code (code-server 4.100.3 + Debian Chromium through
 * playwright-core; offline, see /work/shared/testing.md). Not part of `npm test`.
 *
 *   npm run build && node test/integration/install.js && node test/ui/vscode.ui.js
 *
 * Opens a scratch copy of sample/fashion-mnist-mini with the extension loaded from a staged folder
 * (extensionDevelopmentPath in the workbench URL payload) and drives the workbench with mouse and keyboard:
 *   1. the analysis finishes (status-bar item), Ctrl+Shift+M shows "<path>: probably mislabelled: labelled '…', looks like '…'" problems;
 *   2. a click on such a problem opens the issues document at its line, Ctrl+. → "Relabel as '…'" moves the
 *      file into the suggested class folder, the Problems count drops, the incremental re-run no longer flags it;
 *   3. F1 → "LabelLint: Show Report": the most confused matrix cell fills the grid, a digit key relabels the
 *      first image (file moved), the Problems count drops and the matrix updates after the re-run;
 *   2u. Ctrl+Z in the issues document runs LabelLint: Undo (the file is back, a message says what was undone),
 *      Ctrl+Shift+Z redoes it;
 *   2h. hovering an issue line shows the image's thumbnail, its file name and labels;
 *   3u. `u` in the report grid undoes the relabel, Ctrl+Shift+Z in the report redoes it (VS Code keybinding);
 *   3p. Ctrl+Z with a problem focused in the Problems panel undoes the last decision, Ctrl+Shift+Z redoes it;
 *   4. hovering a map point shows the tooltip with a thumbnail;
 *   6. a folder that is not a dataset: Analyze says "No images found …; expected root/<class>/<image> …",
 *      the status item says "no images", and nothing is written (no .labellint/);
 *   5. every step is captured in Default Dark Modern and Default Light Modern: the fresh user-data-dir's
 *      settings.json names both (workbench.colorTheme + preferred dark/light themes with
 *      window.autoDetectColorScheme) and the test flips the browser's colour scheme, so the workbench and the
 *      webview switch live without closing menus or tooltips; each screenshot's pixels are checked.
 * Ctrl+. is pressed on the focused problem in the Problems panel (its quick-fix menu). In the issues document's
 * editor Ctrl+. does nothing: the document is read-only and VS Code's Quick Fix command requires a writable editor.
 * Screenshots: artifacts/ui/vscode-{dark,light}-<step>.png (and vscode-failure-*.png on a failure).
 * Prints `ui: N passed, M failed` and exits non-zero when a step failed.
 * LABELLINT_UI_FAIL=1 adds a deliberately wrong assertion (to check that a failure turns the run red).
 *
 * The scratch copy is seeded with the embedding cache of sample/fashion-mnist-mini/.labellint/cache.db when one
 * exists (CI's demo step writes it), else with the one a previous UI run kept in the install cache dir, so only
 * the embeddings are reused: scan, classifier, kNN, label issues and map still run in the extension's server.
 */
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { install } = require('../integration/install');
const h = require('../integration/harness');

const REPO = h.REPO;
const ARTIFACTS = path.join(REPO, 'artifacts', 'ui');
const TOTAL_BUDGET_MS = Number(process.env.LABELLINT_UI_TIMEOUT_MS || 420_000);
/** Steps 1, 2, 2u, 2h, 3, 3u, 3p, 4, 5, 6. */
const STEPS = 10;
const ANALYSIS_TIMEOUT_MS = 240_000;
const RERUN_TIMEOUT_MS = 120_000;
const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern' };
const WRONG = process.env.LABELLINT_UI_FAIL === '1';
const VIEWPORT = { width: 1600, height: 1000 };

const t0 = Date.now();
const log = (s) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${s}`);

/** Blocks code-server's own service worker (scope /), which otherwise competes with the webviews' one. */
const BLOCK_SERVICE_WORKER = `(() => {
  const sw = navigator.serviceWorker;
  if (!sw || !sw.register) return;
  const register = sw.register.bind(sw);
  sw.register = (url, opts) => String(url).includes('_static/out/browser/serviceWorker.js')
    ? Promise.reject(new Error('blocked by the LabelLint UI test'))
    : register(url, opts);
})();`;

function listImages(root) {
  const out = new Set();
  for (const cls of fs.readdirSync(root)) {
    const dir = path.join(root, cls);
    if (cls.startsWith('.') || !fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir)) out.add(`${cls}/${f}`);
  }
  return out;
}

/** Files that left and arrived between two listings. */
function moved(before, after) {
  return { gone: [...before].filter((p) => !after.has(p)), added: [...after].filter((p) => !before.has(p)) };
}

async function waitFor(what, fn, ms, every = 200) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function main() {
  if (!process.env.LABELLINT_IT_VSIX && (!fs.existsSync(path.join(REPO, 'out', 'extension', 'main.js')) || !fs.existsSync(path.join(REPO, 'out', 'webview', 'webview', 'main.js')))) {
    throw new Error('build first: npm run build');
  }
  const cache = install();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS)) if (/^vscode-.*\.png$/.test(f)) fs.rmSync(path.join(ARTIFACTS, f));
  const { run, dirs } = h.makeRun(cache);
  const seedKept = path.join(cache, 'ui-embedding-cache.db');
  const sampleCache = path.join(h.SAMPLE, '.labellint', 'cache.db');
  const seed = fs.existsSync(sampleCache) ? sampleCache : fs.existsSync(seedKept) ? seedKept : null;
  const root = h.copySample(path.join(run, 'fashion-mnist-mini'), seed);
  log(`dataset copy ${root} (${seed ? `embedding cache from ${seed}` : 'cold: no embedding cache to seed'})`);
  const settingsFile = path.join(dirs.ud, 'User', 'settings.json');
  const writeSettings = (theme) => {
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({
      'workbench.colorTheme': THEMES[theme],
      // Live theme switches follow the browser's colour scheme (page.emulateMedia): code-server does not
      // pick up edits of this file while it runs, and the theme picker would close open menus and tooltips.
      'window.autoDetectColorScheme': true,
      'workbench.preferredDarkColorTheme': THEMES.dark,
      'workbench.preferredLightColorTheme': THEMES.light,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'window.commandCenter': false,
      'chat.commandCenter.enabled': false,
      'workbench.editor.enablePreview': false,
    }, null, 2));
  };
  writeSettings('dark');
  const env = h.isolatedEnv(dirs);
  // LABELLINT_IT_VSIX=<file>: the installed VSIX is under test, not the source folder (harness.prepareExtension).
  const { ext, installed } = h.prepareExtension(cache, run, dirs, env);
  if (installed) log(`testing the installed extension ${installed}`);
  const server = await h.startCodeServer({ cache, run, dirs, env });
  log(`code-server on port ${server.port} (log ${server.log})`);

  const results = [];
  let context;
  let page;
  const shots = [];
  const watchdog = setTimeout(() => {
    console.error(`ui: over the ${TOTAL_BUDGET_MS / 1000} s budget, giving up`);
    console.log(`ui: ${results.filter((r) => r.ok).length} passed, ${Math.max(1, STEPS - results.filter((r) => r.ok).length)} failed`);
    server.stop();
    process.exit(1);
  }, TOTAL_BUDGET_MS);
  watchdog.unref();

  try {
    context = await h.launchBrowser(cache, dirs.profile, env, { viewport: VIEWPORT, colorScheme: 'dark' });
    await context.addInitScript(BLOCK_SERVICE_WORKER);
    // A blank page that decodes screenshots (theme check); opened first so the workbench page keeps the focus.
    const decoder = context.pages()[0] ?? (await context.newPage());
    page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const payload = [['extensionDevelopmentPath', server.remote(ext)], ['skipWelcome', 'true']];
    await page.goto(h.workbenchUrl(server.port, root, payload));

    // ---------------------------------------------------------------- helpers on the page
    const statusItem = page.locator('.statusbar-item').filter({ hasText: /LabelLint/ }).first();
    const statusText = async () => ((await statusItem.textContent({ timeout: 2_000 }).catch(() => '')) || '').trim();
    /** Sum of the status-bar problem counts (errors + warnings + infos). */
    const problemCount = async () => {
      const label = (await page.locator('[id="status.problems"]').getAttribute('aria-label').catch(() => null)) || '';
      const nums = [...label.matchAll(/(\d+)/g)].map((m) => Number(m[1]));
      return nums.reduce((a, b) => a + b, 0);
    };
    let theme = 'dark';
    const frame = () => page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
    let webviewOpen = false;
    const setTheme = async (t) => {
      await page.emulateMedia({ colorScheme: t });
      theme = t;
      const cls = t === 'dark' ? 'vs-dark' : 'vs';
      await page.waitForFunction((c) => document.querySelector('.monaco-workbench')?.classList.contains(c), cls, { timeout: 15_000 });
      if (webviewOpen) await frame().locator(`body.vscode-${t}`).waitFor({ timeout: 10_000 });
    };
    /** Luma (0–255) of screenshot pixels, decoded by Chromium in the blank page. */
    const lumaAt = (png, pts) => decoder.evaluate(async ({ b64, pts }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const g = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
      g.drawImage(bmp, 0, 0);
      return pts.map(([x, y]) => {
        const d = g.getImageData(x, y, 1, 1).data;
        return Math.round(0.2126 * d[0] + 0.7152 * d[1] + 0.0722 * d[2]);
      });
    }, { b64: png.toString('base64'), pts });
    /**
     * A screenshot that really shows theme `t`: pixels of the Explorer side bar and (when open) the report
     * webview are checked, and the shot is retaken while they do not match yet (a repaint still pending).
     */
    const themedShot = async (t, file) => {
      const pts = [[150, 700]];
      if (webviewOpen) {
        const box = await page.locator('iframe.webview.ready >> visible=true').boundingBox();
        if (box) pts.push([Math.round(box.x + 3), Math.round(box.y + box.height - 3)]);
      }
      let lumas = [];
      for (let i = 0; i < 8; i++) {
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        await page.waitForTimeout(250 + 250 * i);
        const png = await page.screenshot();
        lumas = await lumaAt(png, pts);
        if (lumas.every((l) => (t === 'dark' ? l < 90 : l > 160))) {
          fs.writeFileSync(file, png);
          return;
        }
      }
      fs.writeFileSync(file, await page.screenshot());
      throw new Error(`${path.basename(file)} does not show the ${t} theme (luma ${lumas.join(', ')} at ${JSON.stringify(pts)})`);
    };
    /** Screenshot in the dark theme, then in the light one (switched live), then back to dark. */
    const shotBoth = async (name, before) => {
      for (const t of ['dark', 'light']) {
        if (theme !== t) await setTheme(t);
        if (before) await before(t);
        const file = path.join(ARTIFACTS, `vscode-${t}-${name}.png`);
        await themedShot(t, file);
        shots.push(file);
        log(`  screenshot ${path.relative(REPO, file)}`);
      }
      await setTheme('dark');
    };
    const fail = async (name) => {
      const file = path.join(ARTIFACTS, `vscode-failure-${name}.png`);
      await page?.screenshot({ path: file }).catch(() => undefined);
      return file;
    };
    /**
     * Every text the LabelLint status item shows, recorded by a MutationObserver on the status bar (a re-run can
     * take about a second, too short for polling). Installed once the item exists.
     */
    const watchStatus = () => page.evaluate(() => {
      const bar = document.querySelector('.part.statusbar');
      const read = () => ([...bar.querySelectorAll('.statusbar-item')].find((x) => /LabelLint/.test(x.textContent)) || { textContent: '' }).textContent.trim();
      const seen = (window.__labelLintStatus = [read()]);
      new MutationObserver(() => {
        const t = read();
        if (t && t !== seen[seen.length - 1]) seen.push(t);
      }).observe(bar, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const history = () => page.evaluate(() => window.__labelLintStatus || []);
    const isSummary = (s) => /LabelLint: \d+$/.test(s) || s === 'LabelLint';
    const isRunning = (s) => /LabelLint: [a-z-]+ \d+\/\d+/.test(s);
    /**
     * Waits for the incremental re-run after history index `from`: the status item went through a running state
     * and shows a summary again, or (when the extension host coalesced the short progress away) shows a new summary.
     */
    const waitRerun = (from, what) => waitFor(what, async () => {
      const h = await history();
      const before = h[from - 1];
      const tail = h.slice(from);
      const last = h[h.length - 1];
      const ran = tail.findIndex(isRunning);
      return isSummary(last) && ((ran >= 0 && tail.slice(ran + 1).some(isSummary)) || (tail.length > 0 && last !== before));
    }, RERUN_TIMEOUT_MS);
    const problemsRows = () => page.locator('.markers-panel .monaco-list-row').filter({ hasText: /mislabelled: labelled '.+', looks like '.+'/ });

    const state = {};
    const step = async (n, title, fn) => {
      const s0 = Date.now();
      log(`step ${n}: ${title}`);
      try {
        await fn();
        results.push({ n, title, ok: true });
        log(`ok ${n} - ${title} (${((Date.now() - s0) / 1000).toFixed(1)} s)`);
      } catch (err) {
        const file = await fail(String(n));
        results.push({ n, title, ok: false });
        log(`not ok ${n} - ${title}\n${err && err.stack ? err.stack : err}\n  screenshot ${path.relative(REPO, file)}`);
        return false;
      }
      return true;
    };

    // ---------------------------------------------------------------- 1. analysis, Problems panel
    const ok1 = await step(1, "the analysis finishes and the Problems panel lists \"<path>: … mislabelled: labelled '…', looks like '…'\"", async () => {
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await statusItem.waitFor({ timeout: 60_000 });
      await watchStatus();
      log(`  workbench and extension up: "${await statusText()}"`);
      await waitFor('the analysis summary in the status bar', async () => /LabelLint: \d+$/.test(await statusText()), ANALYSIS_TIMEOUT_MS, 500);
      log(`  status bar: "${await statusText()}" after ${(await history()).filter(isRunning).length} progress states`);
      await page.locator('.monaco-workbench').click({ position: { x: VIEWPORT.width / 2, y: VIEWPORT.height / 2 } });
      await page.keyboard.press('Control+Shift+M');
      await page.locator('.markers-panel').waitFor({ state: 'visible', timeout: 15_000 });
      await waitFor('label problems in the Problems panel', async () => (await problemsRows().count()) > 0, 20_000);
      state.count0 = await problemCount();
      const first = (await problemsRows().first().textContent()) || '';
      log(`  ${state.count0} problems; first label row: ${first.trim()}`);
      assert.ok(state.count0 > 0, 'problems are counted in the status bar');
      // One number per thing: the status bar counts the issues the Problems panel lists ('possible' label issues,
      // information level in Problems, are counted apart: Problems ≥ status bar, equal while there are none).
      const statusN = Number((/LabelLint: (\d+)$/.exec(await statusText()) || [])[1]);
      log(`  status bar ${statusN}, Problems ${state.count0}`);
      assert.ok(state.count0 >= statusN, `Problems (${state.count0}) lists every issue the status bar counts (${statusN})`);
      assert.match(first, /\S+: (probably|possibly) mislabelled: labelled '[^']+', looks like '[^']+' \(P\(label wrong\) (≥95|\d{1,2})% · /);
      await shotBoth('1-problems');
    });
    if (!ok1) throw new Error('no analysis / problems: the other steps need them');

    // ---------------------------------------------------------------- 2. quick fix from the Problems panel
    await step(2, "click a problem, Ctrl+. → \"Relabel as '…'\": the file moves, the count drops, the re-run no longer flags it", async () => {
      const row = problemsRows().first();
      const text = (await row.textContent()) || '';
      const [, given, suggested] = /labelled '([^']+)', looks like '([^']+)'/.exec(text);
      await row.click();
      await page.locator('.editor-instance .monaco-editor').first().waitFor({ timeout: 15_000 });
      await waitFor('the issues document tab', async () => ((await page.locator('.tabs-container .tab.active').first().textContent().catch(() => '')) || '').includes('labellint-issues'), 10_000);
      // The click keeps the focus on the problem (Ctrl+. there shows its quick fixes).
      const sel = await page.locator('[id="status.editor.selection"]').textContent({ timeout: 10_000 });
      const line = Number(/Ln (\d+)/.exec(sel)[1]);
      const lineText = await page.evaluate((n) => {
        const ed = document.querySelector('.editor-group-container.active .monaco-editor') || document.querySelector('.monaco-editor');
        const num = [...ed.querySelectorAll('.margin-view-overlays .line-numbers')].find((e) => e.textContent.trim() === String(n));
        if (!num) return null;
        const top = num.parentElement.style.top;
        const vl = [...ed.querySelectorAll('.view-lines .view-line')].find((e) => e.style.top === top);
        return vl ? vl.textContent.replace(/\u00a0/g, ' ') : null;
      }, line);
      log(`  issues document line ${line}: ${lineText}`);
      assert.ok(lineText && lineText.includes(`${given} → ${suggested}`), `the editor shows the issue line (${lineText})`);
      const rel = lineText.trim().split(/\s+/)[0];
      assert.ok(rel.startsWith(`${given}/`), rel);
      await shotBoth('2a-issue-line');
      const before = listImages(root);
      const since = (await history()).length;
      await page.keyboard.press('Control+.');
      // The Problems panel's quick-fix menu (Ctrl+. on a focused problem) is a context menu.
      const item = page.locator('.context-view .monaco-menu .action-item').filter({ hasText: `Relabel as '${suggested}'` }).first();
      await item.waitFor({ timeout: 15_000 });
      await shotBoth('2b-quick-fix', async () => {
        if (!(await item.isVisible())) {
          await page.keyboard.press('Control+.');
          await item.waitFor({ timeout: 10_000 });
        }
      });
      await item.click();
      const to = `${suggested}/${path.basename(rel)}`;
      await waitFor(`${rel} to move to ${suggested}/`, () => !fs.existsSync(path.join(root, rel)), 15_000);
      const m = moved(before, listImages(root));
      log(`  moved on disk: ${m.gone.join(', ')} → ${m.added.join(', ')}`);
      assert.deepEqual(m.gone, [rel], 'only the fixed file left its folder');
      assert.equal(m.added.length, 1);
      assert.ok(m.added[0].startsWith(`${suggested}/`) && path.basename(m.added[0]).startsWith(path.parse(rel).name), `arrived in ${suggested}/: ${m.added[0]}`);
      await waitFor('the Problems count to drop', async () => (await problemCount()) < state.count0, 15_000);
      const count1 = await problemCount();
      log(`  problems ${state.count0} → ${count1} right after the fix; waiting for the incremental re-run`);
      await waitRerun(since, 'the incremental re-run after the quick fix');
      const count2 = await problemCount();
      log(`  status item since the fix: ${JSON.stringify((await history()).slice(since - 1))}`);
      log(`  after the re-run: "${await statusText()}", problems ${count2} (the re-run re-estimates every issue; the total is not asserted)`);
      // The refreshed issues document has no label issue for the image any more, under either path
      // (Ctrl+F in the editor, as a person would).
      const find = page.locator('.find-widget.visible');
      await waitFor('the find widget in the issues document', async () => {
        // force: the editor re-renders while the refreshed issues document arrives ("element is not stable").
        await page.locator('.editor-group-container .monaco-editor .view-lines').first().click({ position: { x: 40, y: 8 }, force: true, timeout: 3_000 }).catch(() => undefined);
        await page.locator('.monaco-editor.focused').waitFor({ timeout: 3_000 }).catch(() => undefined);
        await page.keyboard.press('Control+f');
        return find.waitFor({ timeout: 3_000 }).then(() => true, () => false);
      }, 15_000);
      const findCount = async (needle) => {
        await page.keyboard.press('Control+a');
        await page.keyboard.type(needle);
        await waitFor('the find result', async () => /No results|\d+ of \d+/.test((await find.locator('.matchesCount').textContent()) || ''), 5_000);
        return ((await find.locator('.matchesCount').textContent()) || '').trim();
      };
      const control = await findCount('# LabelLint: ');
      const oldHits = await findCount(`${rel}  `);
      const newHits = await findCount(`${to}  ${suggested} →`);
      log(`  find "# LabelLint: ": ${control}; "${rel}": ${oldHits}; "${to}  ${suggested} →": ${newHits}`);
      assert.equal(control, '1 of 1', 'the find widget searches the issues document');
      assert.equal(oldHits, 'No results', `the re-run does not flag ${rel}`);
      assert.equal(newHits, 'No results', `the re-run accepts '${suggested}' for ${to}`);
      await shotBoth('2c-after-rerun');
      await page.keyboard.press('Escape');
      state.count2 = count2;
      state.fix = { rel, to: m.added[0] };
    });

    // ---------------------------------------------------------------- 2u. undo / redo from the issues document
    const toast = (re) => page.locator('.notifications-toasts .notification-toast').filter({ hasText: re });
    await step('2u', 'Ctrl+Z in the issues document: LabelLint: Undo puts the file back and says so; Ctrl+Shift+Z redoes it', async () => {
      assert.ok(state.fix, 'step 2 relabelled a file');
      const { rel, to } = state.fix;
      await page.keyboard.press('Escape'); // the find widget of step 2
      // Focus the issues document: its tab, then a visible line (the text area must hold the focus).
      const focusDoc = async () => {
        await waitFor('the issues document editor focused', async () => {
          await page.locator('.tabs-container .tab').filter({ hasText: 'labellint-issues' }).first().click().catch(() => undefined);
          await page.locator('.editor-group-container .view-line').nth(4).click({ timeout: 3_000 }).catch(() => undefined);
          return page.evaluate(() => !!document.activeElement?.closest('.editor-group-container .monaco-editor'));
        }, 15_000, 500);
      };
      await focusDoc();
      const since = (await history()).length;
      await page.keyboard.press('Control+z');
      await waitFor(`${rel} back in place`, () => fs.existsSync(path.join(root, rel)) && !fs.existsSync(path.join(root, to)), 15_000);
      const undone = toast(/Undid: Relabelled/);
      await undone.first().waitFor({ timeout: 10_000 });
      log(`  undo: ${((await undone.first().textContent()) || '').trim().slice(0, 160)}`);
      assert.match((await undone.first().textContent()) || '', new RegExp(`file back at ${rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      await shotBoth('2d-undo-issues-doc');
      await waitRerun(since, 'the re-run after the undo').catch(() => undefined);
      await focusDoc();
      const since2 = (await history()).length;
      await page.keyboard.press('Control+Shift+z');
      await waitFor(`${rel} moved again by redo`, () => !fs.existsSync(path.join(root, rel)) && fs.existsSync(path.join(root, to)), 15_000);
      await waitRerun(since2, 'the re-run after the redo').catch(() => undefined);
      await toast(/Redid: Relabelled/).first().waitFor({ timeout: 10_000 });
      const journal = fs.readFileSync(path.join(root, '.labellint', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).type);
      log(`  journal: ${journal.join(' ')}`);
      assert.deepEqual(journal.slice(-6), ['do', 'done', 'undo', 'undone', 'redo', 'redone']);
      await page.keyboard.press('Escape');
    });

    // ---------------------------------------------------------------- 2h. hover with a thumbnail
    await step('2h', 'hovering an issue line shows the thumbnail, the file name and the labels', async () => {
      const line = page.locator('.editor-group-container .view-line').filter({ hasText: /\.png\s+\S+\s+→\s+\S+/ }).nth(2); // \s: the editor renders spaces as U+00A0
      const img = page.locator('.monaco-hover img');
      const hoverText = async () => ((await page.locator('.monaco-hover:has(img)').first().textContent().catch(() => '')) || '').replace(/\s+/g, ' ').trim();
      // The thumbnail part and the problem part must be about the same image. While a re-run republishes, VS Code
      // can briefly show the problem of a neighbouring line (its markers follow the document refresh a moment
      // later), so the hover is asked again until both agree.
      let text = '';
      await waitFor('a hover with a loaded thumbnail of the hovered issue', async () => {
        const box = await line.boundingBox().catch(() => null);
        if (!box) return false;
        await page.mouse.move(5, 500);
        await page.mouse.move(box.x + 30, box.y + box.height / 2);
        await page.mouse.move(box.x + 40, box.y + box.height / 2);
        const loaded = await img.first().evaluate((i) => i.complete && i.naturalWidth > 0, null, { timeout: 3_000 }).catch(() => false);
        if (!loaded) return false;
        text = await hoverText();
        const problemPath = (/^(\S+\.png): /.exec(text) || [])[1];
        return !!problemPath && text.includes(`${path.basename(problemPath)} — labelled`);
      }, 30_000, 1_000);
      log(`  hover: ${text.slice(0, 200)}`);
      assert.match(text, /\.png — labelled \S+/);
      await shotBoth('2e-hover-thumbnail', async () => {
        if (!(await img.first().isVisible().catch(() => false))) {
          const box = await line.boundingBox();
          await page.mouse.move(box.x + 30, box.y + box.height / 2);
          await page.mouse.move(box.x + 40, box.y + box.height / 2);
          await img.first().waitFor({ timeout: 5_000 });
        }
      });
      await page.mouse.move(5, 500);
    });

    // ---------------------------------------------------------------- 3. report webview
    await step(3, 'Show Report: most confused cell → grid, digit key relabels, file moves, the matrix updates', async () => {
      // Make room: close the Problems panel so the report has the window's height.
      await page.keyboard.press('Control+j');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 10_000 });
      await input.fill('>LabelLint: Show Report');
      const cmd = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'LabelLint: Show Report' }).first();
      await cmd.waitFor({ timeout: 15_000 });
      await cmd.click();
      webviewOpen = true;
      const f = frame();
      const cells = f.locator('table.matrix.clickable td.cell');
      await cells.first().waitFor({ timeout: 30_000 });
      await waitFor('thumbnails in the grid', () => f.locator('.grid-scroll .tile img').evaluateAll((imgs) => imgs.length > 0 && imgs.slice(0, 3).every((i) => i.complete && i.naturalWidth > 0)), 30_000);
      await shotBoth('3-report');
      const classes = await f.locator('table.matrix.clickable th.row-head').allTextContents();
      const matrix = await cells.evaluateAll((tds) => tds.map((td) => ({ row: Number(td.dataset.row), col: Number(td.dataset.col), n: Number(td.textContent || 0) })));
      const worst = matrix.filter((c) => c.row !== c.col).sort((a, b) => b.n - a.n || a.row - b.row || a.col - b.col)[0];
      const g = classes[worst.row];
      const p = classes[worst.col];
      log(`  most confused cell: given ${g} → predicted ${p} (${worst.n})`);
      const cell = f.locator(`table.matrix.clickable td.cell[data-row="${worst.row}"][data-col="${worst.col}"]`);
      await cell.click();
      await f.locator('.grid-title', { hasText: `Given ${g} → suggested ${p}` }).waitFor({ timeout: 10_000 });
      await waitFor('thumbnails in the grid', () => f.locator('.grid-scroll .tile img').evaluateAll((imgs) => imgs.length > 0 && imgs.slice(0, 6).every((i) => i.complete && i.naturalWidth > 0)), 30_000);
      const tiles = await f.locator('.grid-scroll .tile').count();
      log(`  ${tiles} tiles, thumbnails loaded`);
      await shotBoth('3a-report-cell');
      // Relabel a flagged image (the grid is in label-quality order; not every image of a confused cell is
      // flagged): fixing it must take one problem away.
      const flagged = f.locator('.grid-scroll .tile.has-label-issue');
      assert.ok((await flagged.count()) > 0, 'the most confused cell holds at least one flagged image');
      const tile = flagged.first();
      const rel = await tile.getAttribute('data-path');
      log(`  relabelling flagged tile ${rel} (position ${await tile.getAttribute('data-pos')})`);
      assert.ok(rel.startsWith(`${g}/`), rel);
      const before = listImages(root);
      const count0 = await problemCount();
      await tile.locator('.thumb').click();
      const digit = classes.indexOf(p) + 1;
      await page.keyboard.press(digit === 10 ? '0' : String(digit));
      await f.locator(`.tile[data-path="${rel}"] .decision.done`).waitFor({ timeout: 15_000 });
      const m = moved(before, listImages(root));
      log(`  digit ${digit}: moved on disk ${m.gone.join(', ')} → ${m.added.join(', ')}`);
      assert.deepEqual(m.gone, [rel]);
      assert.equal(m.added.length, 1);
      assert.ok(m.added[0].startsWith(`${p}/`), m.added[0]);
      await shotBoth('3b-relabelled');
      // The incremental re-run now finishes within about a second and re-estimates every issue, so the
      // transient drop of the total is not reliably observable here (step 2 asserts it on the quick-fix
      // path); what this step asserts is that the re-run saw the relabel (matrix rows below).
      log(`  problems ${count0} → ${await problemCount()}; waiting for the incremental re-run to reach the matrix`);
      // Row sums are the images given each label: the relabelled image leaves row g for row p.
      const rowSums = async () => {
        const cs = await cells.evaluateAll((tds) => tds.map((td) => ({ row: Number(td.dataset.row), n: Number(td.textContent || 0) })));
        return classes.map((_, i) => cs.filter((c) => c.row === i).reduce((a, c) => a + c.n, 0));
      };
      const sums0 = matrix.reduce((acc, c) => ((acc[c.row] += c.n), acc), classes.map(() => 0));
      // The new result reaching the webview is the re-run's signal here (it can finish within a second).
      const sums1 = await waitFor('the matrix to update after the incremental re-run', async () => {
        const x = await rowSums().catch(() => null);
        return x && x[worst.row] !== sums0[worst.row] ? x : null;
      }, RERUN_TIMEOUT_MS);
      const n1 = Number((await cell.textContent()) || 0);
      log(`  matrix: row ${g} ${sums0[worst.row]} → ${sums1[worst.row]}, row ${p} ${sums0[worst.col]} → ${sums1[worst.col]}, cell ${worst.n} → ${n1}; problems ${await problemCount()}`);
      assert.equal(sums1[worst.row], sums0[worst.row] - 1, `row ${g} lost the image`);
      assert.equal(sums1[worst.col], sums0[worst.col] + 1, `row ${p} gained it`);
      await f.locator('.grid-title', { hasText: `Given ${g} → suggested ${p}` }).waitFor({ timeout: 10_000 });
      assert.equal(await f.locator(`.tile[data-path="${rel}"]`).count(), 0, 'the grid no longer shows the relabelled image under its old path');
      state.webview = { classes, g, p, rel, to: m.added[0] };
    });

    // ---------------------------------------------------------------- 3u. undo / redo in the report
    await step('3u', '`u` in the report grid undoes the relabel (file back); Ctrl+Shift+Z in the report redoes it', async () => {
      assert.ok(state.webview, 'step 3 relabelled a file in the report');
      const { rel, to } = state.webview;
      const f = frame();
      await f.locator('.grid-scroll .tile .thumb').first().click();
      await page.keyboard.press('u');
      await waitFor(`${rel} back in place`, () => fs.existsSync(path.join(root, rel)) && !fs.existsSync(path.join(root, to)), 15_000);
      await toast(/Undid: Relabelled/).first().waitFor({ timeout: 10_000 });
      await shotBoth('3c-undo-report');
      await f.locator('.grid-scroll .tile .thumb').first().click();
      await page.keyboard.press('Control+Shift+z');
      await waitFor(`${rel} moved again`, () => !fs.existsSync(path.join(root, rel)) && fs.existsSync(path.join(root, to)), 15_000);
      log(`  u undid and Ctrl+Shift+Z redid ${rel} → ${to} from the report`);
    });

    // ---------------------------------------------------------------- 3p. undo / redo from the Problems panel
    await step('3p', 'Ctrl+Z on a focused problem in the Problems panel undoes the last decision; Ctrl+Shift+Z redoes it', async () => {
      assert.ok(state.webview, 'step 3 relabelled a file');
      const { rel, to } = state.webview;
      await page.keyboard.press('Control+Shift+M');
      await page.locator('.markers-panel').waitFor({ state: 'visible', timeout: 15_000 });
      const focusProblem = async () => {
        await page.locator('.markers-panel .monaco-list-row').filter({ hasText: /mislabelled/ }).first().click();
        await page.locator('.markers-panel .monaco-list-row.focused').first().waitFor({ timeout: 5_000 });
      };
      await focusProblem();
      await page.keyboard.press('Control+z');
      await waitFor(`${rel} back in place`, () => fs.existsSync(path.join(root, rel)) && !fs.existsSync(path.join(root, to)), 15_000);
      await toast(/Undid: Relabelled/).first().waitFor({ timeout: 10_000 });
      await shotBoth('3d-undo-problems');
      await focusProblem();
      await page.keyboard.press('Control+Shift+z');
      await waitFor(`${rel} moved again`, () => !fs.existsSync(path.join(root, rel)) && fs.existsSync(path.join(root, to)), 15_000);
      log(`  Ctrl+Z / Ctrl+Shift+Z on a focused problem undid and redid ${rel} → ${to}`);
      await page.keyboard.press('Control+j'); // give the report its height back for step 4
    });

    // ---------------------------------------------------------------- 4. map tooltip
    await step(4, 'hover a map point: tooltip with a thumbnail', async () => {
      const f = frame();
      const canvas = f.locator('.map-canvas');
      await canvas.scrollIntoViewIfNeeded();
      const tilePath = await f.locator('.grid-scroll .tile').first().getAttribute('data-path').catch(() => null);
      const pos = await canvas.evaluate((c, p) => {
        const dbg = window.labelLintDebug;
        const r = c.getBoundingClientRect();
        const pt = (p && dbg.pointOf(p)) || null;
        return pt ? { x: pt.x - r.left, y: pt.y - r.top } : null;
      }, tilePath);
      assert.ok(pos, `a map point for ${tilePath}`);
      const hover = async () => {
        await canvas.hover({ position: pos });
        await f.locator('.map-tooltip:not([hidden]) .tt-name').waitFor({ timeout: 10_000 });
        await waitFor('the tooltip thumbnail', () => f.locator('.map-tooltip:not([hidden]) img.tt-thumb').evaluate((i) => i.complete && i.naturalWidth > 0).catch(() => false), 15_000);
      };
      await hover();
      const tip = (await f.locator('.map-tooltip').textContent()) || '';
      log(`  tooltip: ${tip.replace(/\s+/g, ' ').trim()}`);
      assert.match(tip, /given \S+/);
      if (WRONG) assert.match(tip, /given no-such-class/, 'deliberately wrong (LABELLINT_UI_FAIL=1)');
      await shotBoth('4-map-tooltip', async () => {
        if (!(await f.locator('.map-tooltip:not([hidden])').count())) await hover();
      });
    });

    // ---------------------------------------------------------------- 5. both themes
    await step(5, 'every step captured in Default Dark Modern and Default Light Modern, nothing blank', async () => {
      const names = shots.map((x) => path.basename(x));
      const expected = { 1: ['1-problems'], 2: ['2a-issue-line', '2b-quick-fix', '2c-after-rerun'], '2u': ['2d-undo-issues-doc'], '2h': ['2e-hover-thumbnail'], 3: ['3-report', '3a-report-cell', '3b-relabelled'], '3u': ['3c-undo-report'], '3p': ['3d-undo-problems'], 4: ['4-map-tooltip'] };
      for (const r of results.filter((x) => x.ok)) {
        for (const n of expected[r.n] ?? []) for (const t of ['dark', 'light']) assert.ok(names.includes(`vscode-${t}-${n}.png`), `vscode-${t}-${n}.png`);
      }
      // (themedShot already checked the side bar and the webview pixels of each screenshot.)
      // The webview follows the theme: its body class and the map background.
      await setTheme('light');
      const bgLight = await frame().locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
      await setTheme('dark');
      const bgDark = await frame().locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
      log(`  webview background: light ${bgLight}, dark ${bgDark}`);
      assert.notEqual(bgLight, bgDark);
      const errs = pageErrors.filter((e) => !/Canceled|ResizeObserver/.test(e));
      if (errs.length) log(`  page errors (not failing): ${errs.slice(0, 5).join(' | ')}`);
    });

    // ---------------------------------------------------------------- 6. a folder that is not a dataset
    await step(6, 'a folder without images: one clear message, status "no images", nothing written', async () => {
      const empty = path.join(run, 'not-a-dataset');
      fs.mkdirSync(empty, { recursive: true });
      fs.writeFileSync(path.join(empty, 'notes.txt'), 'just some notes\n');
      webviewOpen = false;
      await page.goto(h.workbenchUrl(server.port, empty, payload));
      await page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });
      const input = page.locator('.quick-input-widget input');
      await waitFor('the Analyze command in the palette', async () => {
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        await input.waitFor({ timeout: 5_000 }).catch(() => undefined);
        await input.fill('>LabelLint: Analyze Dataset');
        const cmd = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'LabelLint: Analyze Dataset' }).first();
        return cmd.waitFor({ timeout: 5_000 }).then(() => cmd.click().then(() => true), () => false);
      }, 30_000, 500);
      const msg = toast(/No images found/).first();
      await msg.waitFor({ timeout: 30_000 });
      const text = ((await msg.textContent()) || '').trim();
      log(`  message: ${text.slice(0, 200)}`);
      assert.match(text, /No images found in not-a-dataset; expected root\/<class>\/<image> \(ImageFolder\) or images with a labels\.csv/);
      await waitFor('the status item to say "no images"', async () => /LabelLint: no images/.test(await statusText()), 10_000);
      assert.equal(fs.existsSync(path.join(empty, '.labellint')), false, 'nothing written into a folder that is not a dataset');
      await shotBoth('6-empty-folder');
    });
  } catch (err) {
    log(String(err && err.stack ? err.stack : err));
  } finally {
    clearTimeout(watchdog);
    await context?.close().catch(() => undefined);
    server.stop();
  }
  // Keep the embedding cache for the next run when the sample has none (CI's demo step writes one).
  const used = path.join(root, '.labellint', 'cache.db');
  if (!fs.existsSync(sampleCache) && fs.existsSync(used)) fs.copyFileSync(used, seedKept);
  const passed = results.filter((r) => r.ok).length;
  const failed = STEPS - passed;
  if (failed === 0) fs.rmSync(run, { recursive: true, force: true });
  else log(`kept ${run} (code-server.log, dataset copy) for inspection`);
  log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`ui: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  console.log('ui: 0 passed, 5 failed');
  process.exitCode = 1;
});
