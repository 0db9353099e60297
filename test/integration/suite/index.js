// Extension-host tests (run inside VS Code by test/integration/run.js). No mocha: a tiny runner.
// `run()` resolves when every test passed and rejects otherwise (the workbench turns that into the exit code).
'use strict';
const vscode = require('vscode');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const EXTENSION_ID = 'labellint.labellint';
/** The sample's 1,000 images are analysed on a small CPU machine: be patient. */
const ANALYSIS_TIMEOUT_MS = 480_000;

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

function log(line) {
  console.log(line);
}

async function waitFor(what, fn, ms, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const state = {};

function codeOf(d) {
  return d.code && typeof d.code === 'object' ? d.code.value : d.code;
}

test('the extension activates and its server starts', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
  const installed = process.env.LABELLINT_IT_INSTALLED;
  if (installed) assert.equal(fs.realpathSync(ext.extensionPath), fs.realpathSync(installed), 'the installed VSIX is the one under test');
  log(`extension under test: ${ext.extensionPath}`);
  const t0 = Date.now();
  state.api = await ext.activate();
  log(`activate() returned in ${Date.now() - t0} ms`);
  await Promise.race([state.api.ready, new Promise((_, rej) => setTimeout(() => rej(new Error('server not ready in 60 s')), 60_000))]);
});

test('an analysis of the sample publishes diagnostics on the issues document', async () => {
  const api = state.api;
  const summary = api.summary() ?? (await Promise.race([
    new Promise((r) => api.onDidAnalyze(r)),
    api.analyze(),
    new Promise((_, rej) => setTimeout(() => rej(new Error('analysis timed out')), ANALYSIS_TIMEOUT_MS)),
  ]));
  assert.ok(summary, 'a result');
  log(`analysed ${summary.images} images (${summary.layout}): ${JSON.stringify(summary.counts)} in ${summary.elapsedMs} ms (${summary.backend})`);
  assert.ok(summary.counts.label > 0, 'the sample has wrong labels');
  state.summary = summary;
  state.csv = summary.layout === 'csv';
  // ImageFolder: diagnostics live on the issues document; CSV: on the labels.csv rows.
  state.uri = state.csv ? vscode.Uri.file(path.join(summary.root, 'labels.csv')) : vscode.Uri.parse(summary.issuesUri);
  const diags = await waitFor('label diagnostics', () => {
    // With a codeDescription, VS Code gives `code` as { value, target }.
    const d = vscode.languages.getDiagnostics(state.uri).filter((x) => x.source === 'labellint' && codeOf(x) === 'label');
    return d.length > 0 && d;
  }, 30_000);
  const doc = await vscode.workspace.openTextDocument(state.uri);
  await vscode.window.showTextDocument(doc);
  const first = diags[0];
  assert.match(first.message, /^\S+\.\w+: (probably|possibly) mislabelled: labelled '.+', looks like '.+' \(P\(label wrong\) (≥95|\d{1,2})% · '.+' \d+% likely.*\)$/);
  assert.equal(String(first.code.target), 'https://github.com/labellint/labellint/blob/main/README.md#issue-label');
  // Nothing on the image files themselves: the Problems panel counts each issue once.
  const onImages = vscode.languages.getDiagnostics().filter(([u, ds]) => u.scheme === 'file' && /\.png$/.test(u.path) && ds.some((x) => x.source === 'labellint'));
  assert.equal(onImages.length, 0);
  for (const d of diags.slice(0, 20)) {
    const line = doc.lineAt(d.range.start.line).text;
    if (state.csv) assert.match(line, /^images\/\d+\.png,/, `diagnostic line ${d.range.start.line} is a CSV row: ${line}`);
    else assert.ok(line.includes(' → '), `diagnostic line ${d.range.start.line} is an issue line: ${line}`);
  }
  state.labelDiagnostics = diags;
});

test('the preferred quick fix relabels (ImageFolder: the image moves to the class folder; CSV: the row is edited and saved)', async () => {
  const d = state.labelDiagnostics[0];
  const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', state.uri, d.range);
  const titles = actions.map((a) => a.title);
  log(`quick fixes: ${titles.slice(0, 4).join(' | ')} … (${titles.length})`);
  const relabel = actions.find((a) => a.isPreferred && a.title.startsWith('Relabel as'));
  assert.ok(relabel, 'a preferred "Relabel as" action');
  assert.ok(titles.some((t) => t.startsWith('Label is correct')));
  const arg = relabel.command.arguments[0];
  const { path: rel, newLabel } = arg.items[0];
  const root = state.summary.root;
  const from = path.join(root, ...rel.split('/'));
  assert.ok(fs.existsSync(from));
  const csvPath = path.join(root, 'labels.csv');
  const before = vscode.languages.getDiagnostics(state.uri).length;
  state.nextRun = new Promise((r) => {
    const sub = state.api.onDidAnalyze((s) => {
      sub.dispose();
      r(s);
    });
  });
  await vscode.commands.executeCommand(relabel.command.command, ...relabel.command.arguments);
  state.relabelled = rel;
  if (state.csv) {
    const text = fs.readFileSync(csvPath, 'utf8');
    assert.ok(text.includes(`\r\n${rel},${newLabel}\r\n`), 'the row now carries the new label (saved to disk)');
    assert.ok(!/[^\r]\n/.test(text), 'the CSV still uses CRLF everywhere');
    assert.ok(fs.existsSync(from), 'CSV relabels move nothing');
    await waitFor('one diagnostic fewer', () => vscode.languages.getDiagnostics(state.uri).length < before, 10_000);
    return;
  }
  assert.ok(!fs.existsSync(from), 'the file left its old class folder');
  const target = path.join(root, newLabel, path.basename(from));
  assert.ok(fs.existsSync(target) || fs.readdirSync(path.join(root, newLabel)).some((n) => n.startsWith(path.parse(from).name)), 'the file is in the new class folder');
  await waitFor('one diagnostic fewer', () => vscode.languages.getDiagnostics(state.uri).length < before, 10_000);
});

test("'Label is correct' stores a review in the engine cache and hides the issue", async () => {
  // The relabel's incremental re-run can republish while we ask (lines shift): ask again until the
  // diagnostic and its quick fixes come from the same publication.
  let correct;
  await waitFor("a 'Label is correct' quick fix on a label diagnostic", async () => {
    const d = vscode.languages.getDiagnostics(state.uri).find((x) => codeOf(x) === 'label');
    if (!d) return false;
    const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', state.uri, d.range);
    correct = (actions || []).find((a) => a.title.startsWith('Label is correct'));
    return !!correct;
  }, 15_000);
  const rel = correct.command.arguments[0].paths[0];
  state.confirmed = rel;
  const before = vscode.languages.getDiagnostics(state.uri).length;
  await vscode.commands.executeCommand(correct.command.command, ...correct.command.arguments);
  const reviews = path.join(state.summary.root, '.labellint', 'reviews.json');
  await waitFor('reviews.json naming the image', () => fs.existsSync(reviews) && fs.readFileSync(reviews, 'utf8').includes(rel), 10_000);
  await waitFor('one diagnostic fewer', () => vscode.languages.getDiagnostics(state.uri).length < before, 10_000);
});

test('the file changes trigger one incremental re-run that no longer flags the fixed and confirmed images', async () => {
  const s = await Promise.race([state.nextRun, new Promise((_, rej) => setTimeout(() => rej(new Error('no re-run within 180 s')), 180_000))]);
  log(`re-run: ${s.images} images in ${s.elapsedMs} ms (first run ${state.summary.elapsedMs} ms)`);
  const flagged = new Set(s.flagged.filter((f) => f.kinds.includes('label')).map((f) => f.path));
  assert.ok(!flagged.has(state.relabelled), 'the relabelled file is not flagged under its old path');
  assert.ok(!flagged.has(state.confirmed), 'the confirmed file is not flagged again');
});

if (process.env.LABELLINT_IT_FAIL === '1') {
  test('deliberately failing (checks that failures reach the exit code)', () => assert.fail('on purpose'));
}

async function run() {
  let failed = 0;
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await t.fn();
      log(`ok - ${t.name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      log(`not ok - ${t.name}\n${err && err.stack ? err.stack : err}`);
    }
  }
  log(`${tests.length - failed}/${tests.length} passed`);
  if (failed > 0) throw new Error(`${failed} test(s) failed`);
}

module.exports = { run };
