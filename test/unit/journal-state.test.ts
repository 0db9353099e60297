/**
 * The journal keeps its file where the store keeps all state (server/engine/store/stateDir.ts): never through a
 * `.labellint` that is a symbolic link, in the per-user folder for a read-only dataset, and reading it creates nothing.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Journal } from '../../server/lsp/journal';
import type { JournalOp } from '../../server/lsp/journalFormat';
import { runWithReadOnlyRoot } from './helpers/read-only';
import { tempDirs } from './helpers/temp-dirs';

const tempDir = tempDirs('jstate');

const JOURNAL_JS = path.join(__dirname, '..', '..', 'server', 'lsp', 'journal.js');
const move: JournalOp[] = [{ op: 'move', from: 'shirt/a.png', to: 'coat/a.png' }];

function datasetWithLink(): { root: string; elsewhere: string } {
  const root = tempDir('link');
  const elsewhere = tempDir('elsewhere');
  fs.mkdirSync(path.join(root, 'shirt'));
  fs.writeFileSync(path.join(root, 'shirt', 'a.png'), 'a');
  fs.symlinkSync(elsewhere, path.join(root, '.labellint'));
  return { root, elsewhere };
}

test('.labellint as a symbolic link: a decision is refused before anything moves, nothing is written through the link', () => {
  const { root, elsewhere } = datasetWithLink();
  const j = Journal.open(root);
  assert.throws(() => j.record('relabel', 'Relabelled a.png → coat', [], move), /symbolic link/);
  assert.ok(fs.existsSync(path.join(root, 'shirt', 'a.png')), 'the file did not move');
  assert.ok(!fs.existsSync(path.join(root, 'coat', 'a.png')));
  assert.deepEqual(fs.readdirSync(elsewhere), []);
  assert.equal(j.canUndo(), false);
});

test('.labellint as a symbolic link: a journal where it points is not read (nor rolled back from)', () => {
  const { root, elsewhere } = datasetWithLink();
  const entry = { id: 1, time: '2026-01-01T00:00:00Z', action: 'relabel', message: 'planted', decisions: [{ path: 'shirt/a.png', action: 'relabel' }], ops: move };
  const text = [{ type: 'header', version: 1, note: '' }, { type: 'do', entry }].map((l) => JSON.stringify(l)).join('\n') + '\n';
  fs.writeFileSync(path.join(elsewhere, 'journal.jsonl'), text);
  const j = Journal.open(root);
  assert.equal(j.recovered.length, 0);
  assert.equal(j.decisions().size, 0);
  assert.equal(fs.readFileSync(path.join(elsewhere, 'journal.jsonl'), 'utf8'), text, 'nothing appended through the link');
});

test('a read-only dataset keeps its journal in the per-user folder; opening an empty journal creates nothing', () => {
  const root = tempDir('ro');
  fs.mkdirSync(path.join(root, 'shirt'));
  fs.writeFileSync(path.join(root, 'shirt', 'a.png'), 'a');
  const home = tempDir('home');
  const script = `
    const fs = require('node:fs');
    const path = require('node:path');
    const { Journal } = require(${JSON.stringify(JOURNAL_JS)});
    const correct = new Set();
    const reviews = { setCorrect: (es) => es.forEach((e) => correct.add(e.hash)), clearCorrect: (hs) => hs.forEach((h) => correct.delete(h)) };
    const users = path.join(${JSON.stringify(home)}, '.cache', 'labellint');
    const j = Journal.open(${JSON.stringify(root)}, { reviews });
    const createdByOpen = fs.existsSync(users);
    j.record('correct', 'Marked a.png correct', [{ path: 'shirt/a.png', action: 'correct' }], [{ op: 'review', path: 'shirt/a.png', hash: 'h1' }]);
    const again = Journal.open(${JSON.stringify(root)}, { reviews });
    process.stdout.write(JSON.stringify({ createdByOpen, file: j.file, reopened: again.peekUndo()?.message ?? null, correct: [...correct] }));`;
  const r = runWithReadOnlyRoot(root, home, script);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { createdByOpen: boolean; file: string; reopened: string | null; correct: string[] };
  assert.equal(out.createdByOpen, false, 'opening an empty journal created the per-user folder');
  assert.ok(out.file.startsWith(path.join(home, '.cache', 'labellint', 'datasets')), out.file);
  assert.ok(fs.existsSync(out.file));
  assert.equal(out.reopened, 'Marked a.png correct');
  assert.deepEqual(out.correct, ['h1']);
  assert.ok(!fs.existsSync(path.join(root, '.labellint')));
});

test('a writable dataset: the journal is <root>/.labellint/journal.jsonl, git-ignored; opening creates nothing', () => {
  const root = tempDir('rw');
  fs.mkdirSync(path.join(root, 'shirt'));
  fs.writeFileSync(path.join(root, 'shirt', 'a.png'), 'a');
  const j = Journal.open(root);
  assert.ok(!fs.existsSync(path.join(root, '.labellint')));
  j.record('relabel', 'Relabelled a.png → coat', [], move);
  assert.equal(j.file, path.join(root, '.labellint', 'journal.jsonl'));
  assert.ok(fs.existsSync(j.file));
  assert.match(fs.readFileSync(path.join(root, '.labellint', '.gitignore'), 'utf8'), /^journal\.jsonl$/m);
});
