/**
 * The language server's wiring over an in-memory JSON-RPC connection, with a fake engine:
 * initialize → analyze (progress, diagnostics, resultsReady) → code actions → relabel plan →
 * markCorrect → file-change re-runs. No VS Code.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createConnection } from 'vscode-languageserver/node';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { CodeAction } from 'vscode-languageserver-types';
import { WorkDoneProgress, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import * as lsp from '../../protocol/lsp';
import type { AnalysisResult } from '../../protocol/results';
import { sanitizeSettings, type Settings } from '../../protocol/settings';
import { engineDeps, LabelLintServer, type ServerDeps } from '../../server/lsp/server';
import { fashionResult } from './lsp-fixture';

interface Harness {
  client: MessageConnection;
  root: string;
  runs: Settings[];
  diagnostics: Map<string, PublishDiagnosticsParams>;
  notes: { method: string; params: unknown }[];
  reviews: { hash: string; path: string }[];
  close(): void;
}

async function start(opts: { trusted?: boolean; debounceMs?: number; rawSettings?: unknown; countImages?: ServerDeps['countImages'] } = {}): Promise<Harness> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-lsp-'));
  for (const f of ['shirt/a.png', 'shirt/b.png', 'shirt/c.png', 'coat/d.png', 'T-shirt/e.png', 'T-shirt/a.png']) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), 'x');
  }
  const runs: Settings[] = [];
  const reviews: { hash: string; path: string }[] = [];
  const deps: ServerDeps = {
    runAnalysis: async (r, settings, hooks): Promise<AnalysisResult> => {
      runs.push(settings);
      hooks.onProgress?.({ phase: 'embed', done: 3, total: 5, imagesPerSecond: 100, backend: 'cpu' });
      await new Promise((res) => setTimeout(res, 5));
      return fashionResult(r);
    },
    findCsv: async () => undefined,
    countImages: opts.countImages,
    thumbnails: async (_r, items) => items.map((it) => ({ dataUri: `data:image/webp;base64,${Buffer.from(it.hash).toString('base64')}` })),
    thumbnailDir: async (r) => path.join(r, 'state-folder', 'thumbs'),
    reviewStore: () => ({
      setCorrect: (entries) => void reviews.push(...entries.map((e) => ({ hash: e.hash, path: e.path }))),
      clearCorrect: (hashes) => hashes.forEach((h) => reviews.splice(reviews.findIndex((r) => r.hash === h), 1)),
    }),
    exists: (p) => fs.existsSync(p),
    debounceMs: opts.debounceMs ?? 30,
  };
  const up = new PassThrough();
  const down = new PassThrough();
  const server = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
  new LabelLintServer(server, deps).listen();
  const client = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  const diagnostics = new Map<string, PublishDiagnosticsParams>();
  const notes: { method: string; params: unknown }[] = [];
  client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => void diagnostics.set(p.uri, p));
  client.onNotification((method: string, params: unknown) => void notes.push({ method, params }));
  client.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
    client.onProgress(WorkDoneProgress.type, p.token, (v) => void notes.push({ method: `workDone/${v.kind}`, params: v }));
    return null;
  });
  client.listen();
  const init: lsp.InitializationOptions = { settings: opts.rawSettings ?? {}, roots: [root], trusted: opts.trusted ?? true, autoAnalyze: false };
  await client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: { window: { workDoneProgress: true } }, initializationOptions: init, workspaceFolders: null });
  await client.sendNotification('initialized', {});
  return {
    client,
    root,
    runs,
    diagnostics,
    notes,
    reviews,
    close: () => {
      client.dispose();
      server.dispose();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('analyze: progress, diagnostics on the issues document, resultsReady summary', async () => {
  const h = await start();
  try {
    const summary = await h.client.sendRequest(lsp.analyze, { root: h.root });
    assert.ok(summary);
    assert.equal(summary.counts.label, 2);
    assert.equal(summary.issuesUri, lsp.issuesUriFor(h.root));
    assert.deepEqual(summary.flagged.map((f) => f.path).sort(), ['coat/d.png', 'shirt/a.png', 'shirt/b.png']);
    await sleep(20);
    const d = h.diagnostics.get(summary.issuesUri);
    assert.equal(d?.diagnostics.length, 3);
    assert.ok(h.notes.some((n) => n.method === lsp.progress.method));
    assert.ok(h.notes.some((n) => n.method === lsp.resultsReady.method));
    for (const kind of ['begin', 'report', 'end']) assert.ok(h.notes.some((n) => n.method === `workDone/${kind}`), `workDoneProgress ${kind}`);
    const begin = h.notes.find((n) => n.method === 'workDone/begin')!.params as { cancellable?: boolean };
    assert.equal(begin.cancellable, true);
    assert.ok(h.runs[0].exclude.includes('_quarantine'), 'quarantine is never analysed');
    const doc = await h.client.sendRequest(lsp.issuesDocument, { uri: summary.issuesUri });
    assert.match(doc.text, /shirt\/a\.png {2}shirt → T-shirt {2}\(classifier: 91% 'T-shirt'\)/);
  } finally {
    h.close();
  }
});

test('code actions on the issues document, then a relabel plan that never overwrites', async () => {
  const h = await start();
  try {
    const summary = (await h.client.sendRequest(lsp.analyze, { root: h.root }))!;
    await sleep(20);
    const diags = h.diagnostics.get(summary.issuesUri)!.diagnostics;
    const a = diags.find((d) => d.message.startsWith("shirt/a.png: probably mislabelled: labelled 'shirt', looks like 'T-shirt' (classifier: 91% 'T-shirt')"))!;
    const actions = (await h.client.sendRequest('textDocument/codeAction', {
      textDocument: { uri: summary.issuesUri },
      range: a.range,
      context: { diagnostics: [a] },
    })) as CodeAction[];
    const titles = actions.map((x) => x.title);
    assert.equal(titles[0], "Relabel as 'T-shirt'");
    assert.ok(actions[0].isPreferred);
    assert.ok(titles.includes("Relabel as 'coat'"));
    assert.ok(titles.includes("Label is correct — don't flag again"));
    assert.ok(titles.includes("Relabel all 2 issues suggested as 'T-shirt' in class 'shirt'"));
    assert.ok(titles.some((t) => t.startsWith('Move to quarantine')));
    const args = actions[0].command!.arguments![0] as lsp.ApplyRelabelArgs;
    assert.equal(actions[0].command!.command, lsp.Commands.applyRelabel);
    const plan = await h.client.sendRequest(lsp.relabel, args);
    assert.deepEqual(plan.refused, []);
    assert.equal(plan.edits[0].kind, 'move');
    assert.equal((plan.edits[0] as lsp.PlannedMove).newPath, 'T-shirt/a (1).png', 'T-shirt/a.png exists');
    const bad = await h.client.sendRequest(lsp.relabel, { root: h.root, items: [{ path: '../../etc/passwd', newLabel: 'coat' }] });
    assert.equal(bad.edits.length, 0);
    assert.equal(bad.refused.length, 1);
    assert.ok(fs.existsSync(path.join(h.root, 'shirt/a.png')), 'planning changes nothing');
    // A decision is carried out by the server, recorded in the journal and hidden at once, before the re-run.
    const r = await h.client.sendRequest(lsp.decide, { ...args, action: 'relabel' });
    assert.deepEqual(r.applied, ['shirt/a.png']);
    assert.equal(r.message, 'Relabelled a.png → T-shirt');
    assert.equal(r.state.undo, 'Relabelled a.png → T-shirt');
    assert.ok(fs.existsSync(path.join(h.root, 'T-shirt/a (1).png')) && !fs.existsSync(path.join(h.root, 'shirt/a.png')));
    assert.equal(fs.readFileSync(path.join(h.root, 'T-shirt/a.png'), 'utf8'), 'x', 'the existing file is untouched');
    await sleep(30);
    assert.equal(h.diagnostics.get(summary.issuesUri)!.diagnostics.length, 2);
    assert.ok(h.notes.some((n) => n.method === lsp.didChangeJournal.method));
    // Undo puts the file back and the issue returns; redo moves it again.
    const u = await h.client.sendRequest(lsp.undo, { root: h.root });
    assert.equal(u.done, true);
    assert.equal(u.message, 'Undid: Relabelled a.png → T-shirt (file back at shirt/a.png)');
    assert.ok(fs.existsSync(path.join(h.root, 'shirt/a.png')) && !fs.existsSync(path.join(h.root, 'T-shirt/a (1).png')));
    await sleep(30);
    assert.equal(h.diagnostics.get(summary.issuesUri)!.diagnostics.length, 3);
    const again = await h.client.sendRequest(lsp.undo, { root: h.root });
    assert.equal(again.done, false);
    assert.equal(again.message, 'Nothing to undo.');
    const re = await h.client.sendRequest(lsp.redo, { root: h.root });
    assert.equal(re.done, true);
    assert.ok(fs.existsSync(path.join(h.root, 'T-shirt/a (1).png')));
    const bulk = await h.client.sendRequest(lsp.decide, { root: h.root, action: 'quarantine', paths: ['shirt/b.png', 'coat/d.png'] });
    assert.equal(bulk.message, 'Quarantined 2 images');
    const ub = await h.client.sendRequest(lsp.undo, { root: h.root });
    assert.match(ub.message, /^Undid: Quarantined 2 images \(2 files moved back\)/);
    assert.ok(fs.existsSync(path.join(h.root, 'shirt/b.png')) && fs.existsSync(path.join(h.root, 'coat/d.png')));
  } finally {
    h.close();
  }
});

test('mark correct is a journal entry: the review is stored keyed by hash, the issue hidden; undo clears the review', async () => {
  const h = await start();
  try {
    const summary = (await h.client.sendRequest(lsp.analyze, { root: h.root }))!;
    const r = await h.client.sendRequest(lsp.decide, { root: h.root, action: 'correct', paths: ['shirt/b.png', 'nope.png'] });
    assert.deepEqual(r.applied, ['shirt/b.png']);
    assert.equal(r.refused.length, 1);
    assert.equal(r.message, "Marked b.png correct ('shirt')");
    assert.deepEqual(h.reviews, [{ hash: 'hash-shirt/b.png', path: 'shirt/b.png' }]);
    assert.deepEqual(r.state.decisions, [{ path: 'shirt/b.png', action: 'correct', label: undefined, newPath: undefined }].map((d) => JSON.parse(JSON.stringify(d))));
    await sleep(30);
    assert.equal(h.diagnostics.get(summary.issuesUri)!.diagnostics.length, 2);
    const st = await h.client.sendRequest(lsp.journalState, { root: h.root });
    assert.equal(st.undo, "Marked b.png correct ('shirt')");
    await h.client.sendRequest(lsp.undo, { root: h.root });
    assert.deepEqual(h.reviews, []);
  } finally {
    h.close();
  }
});

test('a journal shipped in the dataset whose entries reach outside the root: ignored, reported, undo moves nothing', async () => {
  const h = await start();
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-lsp-outside-'));
  try {
    fs.writeFileSync(path.join(outside, 'sentinel.png'), 'S');
    fs.mkdirSync(path.join(h.root, '.labellint'));
    const entry = { id: 1, time: 'T', action: 'relabel', message: 'planted', decisions: [{ path: 'shirt/a.png', action: 'relabel' }], ops: [{ op: 'move', from: 'shirt/gone.png', to: path.join(outside, 'sentinel.png') }] };
    const lines = [{ type: 'header', version: 1, note: '', root: fs.realpathSync(h.root) }, { type: 'do', entry }, { type: 'done', id: 1 }];
    fs.writeFileSync(path.join(h.root, '.labellint', 'journal.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const warned: string[] = [];
    h.client.onRequest('window/showMessageRequest', (p: { message: string }) => {
      warned.push(p.message);
      return null;
    });
    const st = await h.client.sendRequest(lsp.journalState, { root: h.root });
    assert.equal(st.undo, undefined);
    const u = await h.client.sendRequest(lsp.undo, { root: h.root });
    assert.equal(u.message, 'Nothing to undo.');
    assert.equal(fs.readFileSync(path.join(outside, 'sentinel.png'), 'utf8'), 'S');
    assert.ok(!fs.existsSync(path.join(h.root, 'shirt', 'gone.png')));
    await sleep(10);
    assert.ok(warned.some((m) => m.includes('journal.jsonl: entry 1 ("planted") ignored') && m.includes('absolute path')), JSON.stringify(warned));
  } finally {
    h.close();
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('thumbnailFolder: the server names the folder it keeps thumbnails in (the report view allows it); none when untrusted', async () => {
  const h = await start();
  const u = await start({ trusted: false });
  try {
    assert.deepEqual(await h.client.sendRequest(lsp.thumbnailFolder, { root: h.root }), { dir: path.join(h.root, 'state-folder', 'thumbs') });
    assert.deepEqual(await u.client.sendRequest(lsp.thumbnailFolder, { root: u.root }), { dir: null });
  } finally {
    h.close();
    u.close();
  }
});

test('untrusted: nothing is analysed (the engine writes its cache), no plans; trust granted → analysis without ignoring settings', async () => {
  const h = await start({ trusted: false, rawSettings: { modelPath: '/their/model.json' } });
  try {
    await assert.rejects(h.client.sendRequest(lsp.analyze, { root: h.root }), /untrusted/);
    assert.equal(h.runs.length, 0);
    await assert.rejects(h.client.sendRequest(lsp.relabel, { root: h.root, items: [{ path: 'shirt/a.png', newLabel: 'coat' }] }), /no analysis result/);
    const doc = await h.client.sendRequest(lsp.issuesDocument, { uri: lsp.issuesUriFor(h.root) });
    assert.match(doc.text, /untrusted/);
    await h.client.sendNotification('workspace/didChangeConfiguration', {
      settings: { settings: { modelPath: '/their/model.json' }, roots: [h.root], trusted: true, autoAnalyze: true },
    });
    await waitForRuns(h, 1);
    assert.equal(h.runs[0].modelPath, '/their/model.json', 'trusted: the user model is used');
  } finally {
    h.close();
  }
});

test('the settings the engine gets drop the user model while untrusted', () => {
  const server = new LabelLintServer({} as never, {} as never);
  (server as unknown as { rawSettings: unknown }).rawSettings = { modelPath: '/x/model.json', modelLayers: ['a'], predProbsCsv: 'p.csv' };
  assert.equal(server.settings.modelPath, null);
  assert.equal(server.settings.predProbsCsv, null);
  assert.deepEqual(server.settings.modelLayers, []);
  assert.ok(server.settings.exclude.includes('_quarantine'));
});

async function waitForRuns(h: Harness, n: number): Promise<void> {
  for (let i = 0; i < 100 && h.runs.length < n; i++) await sleep(20);
  assert.equal(h.runs.length, n);
}

test('file changes re-run once per burst; changes under .labellint/ and .git/ are ignored', async () => {
  const h = await start({ debounceMs: 40 });
  try {
    await h.client.sendRequest(lsp.analyze, { root: h.root });
    assert.equal(h.runs.length, 1);
    const uri = (p: string) => `file://${path.join(h.root, p)}`;
    await h.client.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [uri('.labellint/cache.db'), uri('.git/index')].map((u) => ({ uri: u, type: 2 })),
    });
    await sleep(100);
    assert.equal(h.runs.length, 1);
    for (let i = 0; i < 50; i++) {
      await h.client.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(`shirt/n${i}.png`), type: 1 }] });
    }
    await sleep(150);
    assert.equal(h.runs.length, 2);
  } finally {
    h.close();
  }
});

test('severity change republishes without re-running; a cancel turns into a null result', async () => {
  const h = await start();
  try {
    const summary = (await h.client.sendRequest(lsp.analyze, { root: h.root }))!;
    await h.client.sendNotification('workspace/didChangeConfiguration', {
      settings: { settings: { severities: { outlier: 'off' } }, roots: [h.root], trusted: true, autoAnalyze: true },
    });
    await sleep(50);
    assert.equal(h.runs.length, 1);
    assert.equal(h.diagnostics.get(summary.issuesUri)!.diagnostics.length, 2);
    const p = h.client.sendRequest(lsp.analyze, { root: h.root });
    await h.client.sendNotification(lsp.cancel, { root: h.root });
    assert.equal(await p, null);
  } finally {
    h.close();
  }
});

test('the server entry (out/server/main.js) answers initialize over stdio quickly, without loading the engine', async () => {
  const { spawn } = await import('node:child_process');
  const main = path.join(__dirname, '..', '..', 'server', 'main.js');
  const child = spawn(process.execPath, [main, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  conn.listen();
  try {
    const init: lsp.InitializationOptions = { settings: {}, roots: [], trusted: true, autoAnalyze: false };
    const r = (await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: init, workspaceFolders: null })) as {
      capabilities: { codeActionProvider?: unknown };
      serverInfo?: { name: string };
    };
    assert.equal(r.serverInfo?.name, 'labellint');
    assert.ok(r.capabilities.codeActionProvider);
    await conn.sendRequest('shutdown');
  } finally {
    conn.dispose();
    child.kill();
  }
});

test('a folder without usable images: one clear message, no analysis, nothing written (no .labellint/)', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-empty-'));
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'not a dataset');
  try {
    assert.equal(await engineDeps.countImages!(empty, sanitizeSettings({})), 0, 'the real scan finds no images');
    assert.equal(fs.existsSync(path.join(empty, '.labellint')), false, 'scanning writes nothing');
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
  const h = await start({ countImages: async () => 0 });
  try {
    const r = await h.client.sendRequest(lsp.analyze, { root: h.root });
    assert.equal(r, null);
    assert.equal(h.runs.length, 0, 'the engine never ran');
    const st = h.notes.find((n) => n.method === lsp.state.method && (n.params as lsp.StateParams).state === 'empty')?.params as lsp.StateParams | undefined;
    assert.ok(st, "a state 'empty' notification");
    assert.match(st.message ?? '', /^No images found in .*; expected root\/<class>\/<image> \(ImageFolder\) or images with a labels\.csv/);
    assert.equal(fs.existsSync(path.join(h.root, '.labellint')), false);
    const doc = await h.client.sendRequest(lsp.issuesDocument, { uri: lsp.issuesUriFor(h.root) });
    assert.match(doc.text, /No images found/);
    assert.ok(!h.notes.some((n) => n.method === lsp.state.method && (n.params as lsp.StateParams).state === 'running'), 'no "running" state, so no progress UI');
  } finally {
    h.close();
  }
});

test('hover on an issue line: the thumbnail (data: URI), the file name, given and suggested label, P(label wrong) capped as everywhere', async () => {
  const h = await start();
  try {
    const summary = (await h.client.sendRequest(lsp.analyze, { root: h.root }))!;
    const doc = await h.client.sendRequest(lsp.issuesDocument, { uri: summary.issuesUri });
    const line = doc.text.split('\n').findIndex((l) => l.startsWith('shirt/a.png'));
    assert.ok(line > 0);
    const hover = (await h.client.sendRequest('textDocument/hover', { textDocument: { uri: summary.issuesUri }, position: { line, character: 2 } })) as { contents: { kind: string; value: string } };
    assert.equal(hover.contents.kind, 'markdown');
    assert.match(hover.contents.value, /^!\[a\.png\]\(data:image\/webp;base64,[A-Za-z0-9+/=]+\|width=160\)/);
    assert.match(hover.contents.value, /\*\*a\.png\*\* — labelled \*\*shirt\*\* · suggested \*\*T-shirt\*\* \(91% likely given the image and its label; P\(label wrong\) ≥95%\)/, 'P 0.998 is shown as ≥95%, as in the issues document (protocol/format.ts)');
    const none = await h.client.sendRequest('textDocument/hover', { textDocument: { uri: summary.issuesUri }, position: { line: 0, character: 2 } });
    assert.equal(none, null, 'no hover on the header');
  } finally {
    h.close();
  }
});
