/**
 * The decision journal (server/lsp/journal.ts): apply / undo / redo of moves, CSV byte patches and reviews;
 * undo restores bytes exactly; a reload (a new Journal over the same file) keeps the history; a process
 * killed in the middle of a step (journal written, first move done, second not) is rolled back on open.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Journal } from '../../server/lsp/journal';
import { JournalError, type JournalOp } from '../../server/lsp/journalFormat';
import { applySplices, invertSplices, type ReviewStore } from '../../server/lsp/journalOps';
import { decisionMessage, decodeForPatch as decodeCsv, opsFromPlan, undoMessage } from '../../server/lsp/decide';
import { planRelabel } from '../../server/lsp/plan';
import { readCsvTable } from '../../server/lsp/csv';
import { fileUri } from '../../server/lsp/uris';
import { image, makeResult } from './lsp-fixture';

function tempRoot(files: Record<string, string | Buffer>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-journal-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

const has = (root: string, rel: string): boolean => fs.existsSync(path.join(root, rel));

function memoryReviews(): ReviewStore & { correct: Set<string> } {
  const correct = new Set<string>();
  return {
    correct,
    setCorrect: (es) => es.forEach((e) => correct.add(e.hash)),
    clearCorrect: (hs) => hs.forEach((h) => correct.delete(h)),
  };
}

test('opening a journal in a folder without one writes nothing', () => {
  const root = tempRoot({ 'a/x.png': 'x' });
  const j = Journal.open(root);
  assert.equal(j.canUndo(), false);
  assert.equal(j.undo(), null);
  assert.equal(j.redo(), null);
  assert.equal(has(root, '.labellint'), false);
});

test('a relabel move: apply, undo, redo; the entry and its message', () => {
  const root = tempRoot({ 'shirt/00131.png': 'img', 'trouser/y.png': 'y' });
  const j = Journal.open(root);
  const ops: JournalOp[] = [{ op: 'move', from: 'shirt/00131.png', to: 'trouser/00131.png' }];
  const decisions = [{ path: 'shirt/00131.png', action: 'relabel' as const, label: 'trouser', newPath: 'trouser/00131.png' }];
  const msg = decisionMessage('relabel', decisions);
  assert.equal(msg, 'Relabelled 00131.png → trouser');
  j.record('relabel', msg, decisions, ops);
  assert.ok(!has(root, 'shirt/00131.png') && has(root, 'trouser/00131.png'));
  assert.equal(j.decisions().get('shirt/00131.png')?.label, 'trouser');
  const u = j.undo()!;
  assert.equal(undoMessage('Undid', u.message, u.ops), 'Undid: Relabelled 00131.png → trouser (file back at shirt/00131.png)');
  assert.ok(has(root, 'shirt/00131.png') && !has(root, 'trouser/00131.png'));
  assert.equal(fs.readFileSync(path.join(root, 'shirt/00131.png'), 'utf8'), 'img');
  assert.equal(j.decisions().size, 0);
  assert.ok(j.canRedo());
  j.redo();
  assert.ok(!has(root, 'shirt/00131.png') && has(root, 'trouser/00131.png'));
  assert.equal(j.canRedo(), false);
});

test('a bulk decision is one entry: one undo reverts every file', () => {
  const root = tempRoot({ 'shirt/a.png': 'a', 'shirt/b.png': 'b', 'shirt/c.png': 'c' });
  const j = Journal.open(root);
  const ops: JournalOp[] = ['a', 'b', 'c'].map((n) => ({ op: 'move', from: `shirt/${n}.png`, to: `_quarantine/shirt/${n}.png` }));
  j.record('quarantine', 'Quarantined 3 images', [], ops);
  assert.ok(['a', 'b', 'c'].every((n) => has(root, `_quarantine/shirt/${n}.png`)));
  j.undo();
  assert.ok(['a', 'b', 'c'].every((n) => has(root, `shirt/${n}.png`) && !has(root, `_quarantine/shirt/${n}.png`)));
  assert.equal(j.canUndo(), false);
});

test('a move never overwrites: a taken target refuses the whole decision before anything moves', () => {
  const root = tempRoot({ 'shirt/a.png': 'a', 'shirt/b.png': 'b', 'coat/b.png': 'other' });
  const j = Journal.open(root);
  const ops: JournalOp[] = [
    { op: 'move', from: 'shirt/a.png', to: 'coat/a.png' },
    { op: 'move', from: 'shirt/b.png', to: 'coat/b.png' },
  ];
  assert.throws(() => j.record('relabel', 'x', [], ops), JournalError);
  assert.ok(has(root, 'shirt/a.png') && !has(root, 'coat/a.png'));
  assert.equal(fs.readFileSync(path.join(root, 'coat/b.png'), 'utf8'), 'other');
  assert.equal(has(root, '.labellint'), false, 'a refused decision writes no journal');
});

test('a failure part-way (the second target appears meanwhile) rolls back the first move and marks the entry aborted', () => {
  const root = tempRoot({ 'shirt/a.png': 'a', 'shirt/b.png': 'b' });
  const j = Journal.open(root, {
    afterOp: (_id, i) => {
      if (i === 0) fs.writeFileSync(path.join(root, 'coat/b.png'), 'raced');
    },
  });
  const ops: JournalOp[] = [
    { op: 'move', from: 'shirt/a.png', to: 'coat/a.png' },
    { op: 'move', from: 'shirt/b.png', to: 'coat/b.png' },
  ];
  assert.throws(() => j.record('relabel', 'x', [], ops), /already exists/);
  assert.ok(has(root, 'shirt/a.png') && has(root, 'shirt/b.png') && !has(root, 'coat/a.png'));
  assert.equal(fs.readFileSync(path.join(root, 'coat/b.png'), 'utf8'), 'raced');
  assert.equal(j.canUndo(), false);
  const lines = fs.readFileSync(j.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.deepEqual(lines.map((l) => l.type), ['header', 'do', 'aborted']);
});

const CSV = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from('path,label\r\nimg/1.png,"shirt"\r\nimg/2.png,coat\r\nimg/é3.png,shirt\r\n', 'utf8'),
]);

function csvPlan(root: string, items: { path: string; newLabel: string }[]) {
  const csvAbs = path.join(root, 'labels.csv');
  const bytes = fs.readFileSync(csvAbs);
  const table = readCsvTable(root, csvAbs, decodeCsv(bytes).text);
  const result = makeResult({
    root,
    layout: 'csv',
    classes: ['shirt', 'coat', 'trouser'],
    images: [image('img/1.png', 'shirt'), image('img/2.png', 'coat'), image('img/é3.png', 'shirt')],
    issues: [],
  });
  const plan = planRelabel({ root, result, exists: (p) => fs.existsSync(p), csv: table, csvUri: fileUri(csvAbs) }, items);
  return opsFromPlan(root, plan, { abs: csvAbs, bytes });
}

test('a CSV relabel patches only the label cells; undo restores the bytes exactly (BOM, CRLF, quotes, UTF-8)', () => {
  const root = tempRoot({ 'labels.csv': CSV, 'img/1.png': '1', 'img/2.png': '2', 'img/é3.png': '3' });
  const ops = csvPlan(root, [
    { path: 'img/1.png', newLabel: 'trouser' },
    { path: 'img/é3.png', newLabel: 'coat' },
  ]);
  assert.equal(ops.length, 1);
  const j = Journal.open(root);
  j.record('relabel', 'Relabelled 2 images', [], ops);
  const after = fs.readFileSync(path.join(root, 'labels.csv'));
  assert.deepEqual(after, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('path,label\r\nimg/1.png,"trouser"\r\nimg/2.png,coat\r\nimg/é3.png,coat\r\n', 'utf8')]));
  j.undo();
  assert.deepEqual(fs.readFileSync(path.join(root, 'labels.csv')), CSV);
  j.redo();
  assert.deepEqual(fs.readFileSync(path.join(root, 'labels.csv')), after);
});

test('undo refuses (and changes nothing) when the CSV was edited after the decision', () => {
  const root = tempRoot({ 'labels.csv': CSV, 'img/1.png': '1', 'img/2.png': '2', 'img/é3.png': '3' });
  const j = Journal.open(root);
  j.record('relabel', 'r', [], csvPlan(root, [{ path: 'img/2.png', newLabel: 'shirt' }]));
  const edited = Buffer.concat([fs.readFileSync(path.join(root, 'labels.csv')), Buffer.from('img/4.png,coat\r\n')]);
  fs.writeFileSync(path.join(root, 'labels.csv'), edited);
  assert.throws(() => j.undo(), /edited since/);
  assert.deepEqual(fs.readFileSync(path.join(root, 'labels.csv')), edited);
  assert.ok(j.canUndo(), 'the entry stays undoable once the edit is reverted');
});

test('splices: invert(apply) is the identity on bytes', () => {
  const buf = Buffer.from('abcdefghij');
  const s = [
    { offset: 1, remove: Buffer.from('bc').toString('base64'), insert: Buffer.from('XYZW').toString('base64') },
    { offset: 6, remove: Buffer.from('g').toString('base64'), insert: Buffer.from('').toString('base64') },
  ];
  const out = applySplices(buf, s);
  assert.equal(out.toString(), 'aXYZWdefhij');
  assert.equal(applySplices(out, invertSplices(s)).toString(), 'abcdefghij');
});

test('reviews go through the review store; undo clears them', () => {
  const root = tempRoot({ 'shirt/a.png': 'a' });
  const store = memoryReviews();
  const j = Journal.open(root, { reviews: store });
  j.record('correct', "Marked a.png correct ('shirt')", [{ path: 'shirt/a.png', action: 'correct' }], [{ op: 'review', path: 'shirt/a.png', hash: 'h1' }]);
  assert.ok(store.correct.has('h1'));
  j.undo();
  assert.ok(!store.correct.has('h1'));
});

test('reload: a new Journal over the same file has the same undo and redo stacks', () => {
  const root = tempRoot({ 'shirt/a.png': 'a', 'shirt/b.png': 'b' });
  const j1 = Journal.open(root);
  j1.record('relabel', 'Relabelled a.png → coat', [{ path: 'shirt/a.png', action: 'relabel', label: 'coat' }], [{ op: 'move', from: 'shirt/a.png', to: 'coat/a.png' }]);
  j1.record('relabel', 'Relabelled b.png → coat', [{ path: 'shirt/b.png', action: 'relabel', label: 'coat' }], [{ op: 'move', from: 'shirt/b.png', to: 'coat/b.png' }]);
  j1.undo();
  const j2 = Journal.open(root);
  assert.equal(j2.recovered.length, 0);
  assert.equal(j2.peekUndo()?.message, 'Relabelled a.png → coat');
  assert.equal(j2.peekRedo()?.message, 'Relabelled b.png → coat');
  j2.undo();
  assert.ok(has(root, 'shirt/a.png') && has(root, 'shirt/b.png'));
  const j3 = Journal.open(root);
  assert.equal(j3.canUndo(), false);
  j3.redo();
  j3.redo();
  assert.ok(has(root, 'coat/a.png') && has(root, 'coat/b.png'));
  assert.deepEqual([...Journal.open(root).decisions().keys()].sort(), ['shirt/a.png', 'shirt/b.png']);
});

test('a new decision after an undo clears the redo history (also after a reload)', () => {
  const root = tempRoot({ 'shirt/a.png': 'a', 'shirt/b.png': 'b' });
  const j = Journal.open(root);
  j.record('relabel', 'A', [], [{ op: 'move', from: 'shirt/a.png', to: 'coat/a.png' }]);
  j.undo();
  j.record('relabel', 'B', [], [{ op: 'move', from: 'shirt/b.png', to: 'coat/b.png' }]);
  assert.equal(j.canRedo(), false);
  assert.equal(Journal.open(root).canRedo(), false);
  assert.equal(Journal.open(root).peekUndo()?.message, 'B');
});

/** Runs a decision (or an undo) in a child process that dies right after the first operation lands. */
function crashAfterFirstOp(root: string, step: 'record' | 'undo'): void {
  const journalJs = path.join(__dirname, '..', '..', 'server', 'lsp', 'journal.js');
  const script = `
    const { Journal } = require(${JSON.stringify(journalJs)});
    const j = Journal.open(${JSON.stringify(root)}, { afterOp: () => process.exit(7) });
    if (${JSON.stringify(step)} === 'record') {
      j.record('relabel', 'Relabelled 2 images → coat', [], [
        { op: 'move', from: 'shirt/a.png', to: 'coat/a.png' },
        { op: 'move', from: 'shirt/b.png', to: 'coat/b.png' },
      ]);
    } else j.undo();
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 7, `the child should die mid-step: ${r.stderr}`);
}

test('crash in the middle of a decision: journal written, one of two moves done; opening rolls it back', () => {
  const root = tempRoot({ 'shirt/a.png': 'a', 'shirt/b.png': 'b' });
  crashAfterFirstOp(root, 'record');
  assert.ok(has(root, 'coat/a.png') && has(root, 'shirt/b.png'), 'the crash left the folder half-changed');
  const j = Journal.open(root);
  assert.equal(j.recovered.length, 1);
  assert.match(j.recovered[0].message, /interrupted "Relabelled 2 images → coat" was rolled back/);
  assert.ok(has(root, 'shirt/a.png') && has(root, 'shirt/b.png') && !has(root, 'coat/a.png'));
  assert.equal(j.canUndo(), false);
  assert.equal(Journal.open(root).recovered.length, 0, 'recovery is recorded: a second open finds nothing to do');
});

test('crash in the middle of an undo: opening puts the decision back as applied (undoable again)', () => {
  const root = tempRoot({ 'shirt/a.png': 'a', 'shirt/b.png': 'b' });
  const j = Journal.open(root);
  j.record('relabel', 'Relabelled 2 images → coat', [], [
    { op: 'move', from: 'shirt/a.png', to: 'coat/a.png' },
    { op: 'move', from: 'shirt/b.png', to: 'coat/b.png' },
  ]);
  crashAfterFirstOp(root, 'undo');
  assert.ok(has(root, 'shirt/b.png') && has(root, 'coat/a.png'), 'half undone (undo reverts the last move first)');
  const j2 = Journal.open(root);
  assert.equal(j2.recovered.length, 1);
  assert.ok(has(root, 'coat/a.png') && has(root, 'coat/b.png'));
  assert.ok(j2.canUndo());
  j2.undo();
  assert.ok(has(root, 'shirt/a.png') && has(root, 'shirt/b.png'));
});

test('a torn last line (crash while writing the journal) is ignored: nothing had started', () => {
  const root = tempRoot({ 'shirt/a.png': 'a' });
  const j = Journal.open(root);
  j.record('relabel', 'A', [], [{ op: 'move', from: 'shirt/a.png', to: 'coat/a.png' }]);
  fs.appendFileSync(j.file, '{"type":"do","entry":{"id":2,"ops":[{"op":"mo');
  const j2 = Journal.open(root);
  assert.equal(j2.recovered.length, 0);
  assert.equal(j2.peekUndo()?.message, 'A');
});
