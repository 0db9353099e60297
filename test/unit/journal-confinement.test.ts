/**
 * Issue 12, the journal: a `.labellint/journal.jsonl` shipped inside a dataset (a hostile download) must not make
 * LabelLint move or patch anything outside the dataset root — not when the journal is opened (recovery of an
 * interrupted step), not on undo, not on redo. Every path in an entry goes through the one inside-the-root check
 * (server/engine/dataset/safePath.ts) when the journal is loaded and again at the time of each move; an entry that
 * fails is ignored with a message naming the journal file and the entry. Real folders, links and sentinel files in a
 * temp dir: the folder beside the root must come out byte for byte as it went in.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Journal } from '../../server/lsp/journal';
import { JournalError, type JournalOp } from '../../server/lsp/journalFormat';
import { tempDirs } from './helpers/temp-dirs';

const tempDir = tempDirs('jconfine');

const sha = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface World {
  readonly root: string;
  readonly outside: string;
  /** Every file and folder under `dir`, with file contents. */
  snapshot(dir: string): Record<string, string>;
}

/** `<base>/root` (a dataset: shirt/a.png) and `<base>/outside` (sentinel files that must never change). */
function world(): World {
  const base = fs.realpathSync(tempDir('w'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'shirt'), { recursive: true });
  fs.mkdirSync(path.join(root, '.labellint'));
  fs.writeFileSync(path.join(root, 'shirt', 'a.png'), 'A');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'sentinel.png'), 'SENTINEL-PNG');
  fs.writeFileSync(path.join(outside, 'sentinel.txt'), 'SENTINEL');
  const snapshot = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (d: string, rel: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(d, e.name))}`;
        else if (e.isDirectory()) {
          out[`${r}/`] = '';
          walk(path.join(d, e.name), r);
        } else out[r] = fs.readFileSync(path.join(d, e.name), 'utf8');
      }
    };
    walk(dir, '');
    return out;
  };
  return { root, outside, snapshot };
}

type Kind = 'dotdot' | 'absolute' | 'symlink';
const KINDS: readonly Kind[] = ['dotdot', 'absolute', 'symlink'];

/** A journal path that names `name` in the outside folder: through `..`, absolutely, or through a linked class folder. */
function outsidePath(w: World, kind: Kind, name: string): string {
  if (kind === 'dotdot') return `../outside/${name}`;
  if (kind === 'absolute') return path.join(w.outside, name);
  if (!fs.existsSync(path.join(w.root, 'coat'))) fs.symlinkSync(w.outside, path.join(w.root, 'coat'));
  return `coat/${name}`;
}

/** Writes `<root>/.labellint/journal.jsonl`: a header that claims this root, then `lines`. */
function plant(w: World, lines: readonly object[]): string {
  const file = path.join(w.root, '.labellint', 'journal.jsonl');
  const header = { type: 'header', version: 1, note: 'planted', root: fs.realpathSync(w.root) };
  fs.writeFileSync(file, [header, ...lines].map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

function entry(id: number, ops: readonly object[], message = `planted ${id}`): object {
  return { type: 'do', entry: { id, time: '2026-01-01T00:00:00Z', action: 'relabel', message, decisions: [{ path: 'shirt/a.png', action: 'relabel', label: 'coat' }], ops } };
}

/** The three ways an entry can reach outside: pull a file in, push a file out, rewrite a file's bytes. */
function hostileOps(w: World, kind: Kind, step: 'recover-do' | 'recover-undo' | 'undo' | 'redo'): object[] {
  const out = (n: string): string => outsidePath(w, kind, n);
  // Forward direction (do/redo) moves from → to; backward (undo, rollback of a do) moves to → from.
  const forward = step === 'redo' || step === 'recover-undo';
  const pull = forward ? { op: 'move', from: out('sentinel.png'), to: 'shirt/stolen.png' } : { op: 'move', from: 'shirt/stolen.png', to: out('sentinel.png') };
  const push = forward ? { op: 'move', from: 'shirt/a.png', to: out('pushed.png') } : { op: 'move', from: out('pushed.png'), to: 'shirt/a.png' };
  // The patch turns EVIL into SENTINEL; run backward on the sentinel it writes EVIL into it.
  const patchBack = { op: 'patch', file: out('sentinel.txt'), splices: [{ offset: 0, remove: b64('EVIL'), insert: b64('SENTINEL') }], sha256Before: sha('EVIL'), sha256After: sha('SENTINEL') };
  const patchFwd = { op: 'patch', file: out('sentinel.txt'), splices: [{ offset: 0, remove: b64('SENTINEL'), insert: b64('EVIL') }], sha256Before: sha('SENTINEL'), sha256After: sha('EVIL') };
  return [pull, push, forward ? patchFwd : patchBack];
}

function journalLines(step: 'recover-do' | 'recover-undo' | 'undo' | 'redo', ops: object[]): object[] {
  // Each op in its own entry, so that one op that would succeed cannot hide another that is refused.
  const lines: object[] = [];
  ops.forEach((op, i) => {
    const id = i + 1;
    lines.push(entry(id, [op]));
    if (step === 'recover-do') return;
    lines.push({ type: 'done', id });
  });
  // Only the last entry can be the interrupted one; for recovery, plant one file per op instead.
  if (step === 'recover-undo') lines.push({ type: 'undo', id: ops.length });
  if (step === 'redo') for (let id = ops.length; id >= 1; id--) lines.push({ type: 'undo', id }, { type: 'undone', id });
  return lines;
}

function assertUntouched(w: World, before: Record<string, string>, beforeRoot: Record<string, string>, what: string): void {
  assert.deepEqual(w.snapshot(w.outside), before, `${what}: the folder outside the root changed`);
  const now = w.snapshot(w.root);
  delete now['.labellint/journal.jsonl'];
  const was = { ...beforeRoot };
  delete was['.labellint/journal.jsonl'];
  assert.deepEqual(now, was, `${what}: files inside the root changed`);
}

for (const kind of KINDS) {
  test(`journal confinement (${kind}): recovery on open does not roll back a planted interrupted step that reaches outside`, () => {
    for (const step of ['recover-do', 'recover-undo'] as const) {
      for (let k = 0; k < 3; k++) {
        const w = world();
        const op = hostileOps(w, kind, step)[k];
        const file = plant(w, journalLines(step, [op]));
        const before = w.snapshot(w.outside);
        const beforeRoot = w.snapshot(w.root);
        const j = Journal.open(w.root);
        assertUntouched(w, before, beforeRoot, `${step} op ${k}`);
        assert.equal(j.recovered.length, 0, `${step} op ${k}: nothing is rolled back`);
        assert.ok(
          j.ignored.some((m) => m.includes(file) && /entry 1\b/.test(m)),
          `${step} op ${k}: the ignored entry is reported with the journal file and the entry: ${JSON.stringify(j.ignored)}`,
        );
        assert.equal(j.canUndo(), false);
        assert.equal(j.canRedo(), false);
      }
    }
  });

  for (const step of ['undo', 'redo'] as const) {
    test(`journal confinement (${kind}): ${step} of a planted entry that reaches outside changes nothing`, () => {
      const w = world();
      const ops = hostileOps(w, kind, step);
      const file = plant(w, journalLines(step, ops));
      const before = w.snapshot(w.outside);
      const beforeRoot = w.snapshot(w.root);
      const j = Journal.open(w.root);
      for (let i = 0; i < ops.length; i++) {
        try {
          if (step === 'undo') j.undo();
          else j.redo();
        } catch (err) {
          assert.ok(err instanceof JournalError, String(err));
        }
      }
      assertUntouched(w, before, beforeRoot, step);
      for (const id of [1, 2, 3]) assert.ok(j.ignored.some((m) => m.includes(file) && m.includes(`entry ${id}`)), `entry ${id} reported: ${JSON.stringify(j.ignored)}`);
    });
  }
}

test('journal confinement: a good entry in the same journal still undoes and redoes; the bad ones are skipped', () => {
  const w = world();
  const good = { op: 'move', from: 'shirt/a.png', to: 'trouser/a.png' };
  fs.mkdirSync(path.join(w.root, 'trouser'));
  fs.renameSync(path.join(w.root, 'shirt', 'a.png'), path.join(w.root, 'trouser', 'a.png'));
  plant(w, [entry(1, [good], 'good'), { type: 'done', id: 1 }, entry(2, [{ op: 'move', from: 'shirt/x.png', to: '../outside/sentinel.png' }], 'bad'), { type: 'done', id: 2 }]);
  const before = w.snapshot(w.outside);
  const j = Journal.open(w.root);
  assert.equal(j.ignored.length, 1);
  assert.match(j.ignored[0], /entry 2 \("bad"\)/);
  assert.match(j.ignored[0], /leaves the dataset root/);
  assert.equal(j.peekUndo()?.message, 'good');
  j.undo();
  assert.ok(fs.existsSync(path.join(w.root, 'shirt', 'a.png')));
  j.redo();
  assert.ok(fs.existsSync(path.join(w.root, 'trouser', 'a.png')));
  assert.deepEqual(w.snapshot(w.outside), before);
});

test('journal confinement: other malformed entries (a .labellint path, NUL, a backslash, a bad hash, a duplicate id) are ignored, not run', () => {
  const w = world();
  const bad: [string, object][] = [
    ['state folder', { op: 'move', from: 'shirt/a.png', to: '.labellint/a.png' }],
    ['NUL', { op: 'move', from: 'shirt/a.png', to: 'coat/a\0.png' }],
    ['backslash', { op: 'move', from: 'shirt/a.png', to: 'coat\\..\\..\\outside\\a.png' }],
    ['review hash', { op: 'review', path: 'shirt/a.png', hash: 'not a hash\n' }],
    ['unknown op', { op: 'delete', path: 'shirt/a.png' }],
  ];
  const lines: object[] = [];
  bad.forEach(([, op], i) => lines.push(entry(i + 1, [op]), { type: 'done', id: i + 1 }));
  lines.push(entry(1, [{ op: 'move', from: 'shirt/a.png', to: 'coat/a.png' }], 'same id again'), { type: 'done', id: 1 });
  plant(w, lines);
  const beforeRoot = w.snapshot(w.root);
  const j = Journal.open(w.root);
  assert.equal(j.ignored.length, bad.length + 1, JSON.stringify(j.ignored));
  assert.equal(j.canUndo(), false);
  assert.equal(j.undo(), null);
  const now = w.snapshot(w.root);
  assert.deepEqual(now, beforeRoot);
});

test('journal confinement: a class folder replaced by a link after the journal was loaded is refused at the time of the move (undo and redo)', () => {
  const w = world();
  const j = Journal.open(w.root);
  const ops: JournalOp[] = [{ op: 'move', from: 'shirt/a.png', to: 'coat/a.png' }];
  j.record('relabel', 'Relabelled a.png → coat', [], ops);
  j.undo();
  // The target folder becomes a link to elsewhere between undo and redo.
  fs.rmSync(path.join(w.root, 'coat'), { recursive: true });
  fs.symlinkSync(w.outside, path.join(w.root, 'coat'));
  const before = w.snapshot(w.outside);
  assert.throws(() => j.redo(), JournalError);
  assert.deepEqual(w.snapshot(w.outside), before);
  assert.ok(fs.existsSync(path.join(w.root, 'shirt', 'a.png')));
  // And undo: the source folder becomes a link after the decision.
  fs.rmSync(path.join(w.root, 'coat'));
  const j2 = Journal.open(w.root);
  assert.equal(j2.ignored.length, 0, JSON.stringify(j2.ignored));
  j2.redo();
  assert.ok(fs.existsSync(path.join(w.root, 'coat', 'a.png')));
  fs.rmSync(path.join(w.root, 'shirt'), { recursive: true });
  fs.symlinkSync(w.outside, path.join(w.root, 'shirt'));
  assert.throws(() => j2.undo(), JournalError);
  assert.deepEqual(w.snapshot(w.outside), before);
  assert.ok(fs.existsSync(path.join(w.root, 'coat', 'a.png')));
});

test('journal recovery: an interrupted step in a journal written for another folder is reported, files left alone', () => {
  const w = world();
  fs.mkdirSync(path.join(w.root, 'coat'));
  fs.renameSync(path.join(w.root, 'shirt', 'a.png'), path.join(w.root, 'coat', 'a.png'));
  const file = path.join(w.root, '.labellint', 'journal.jsonl');
  const header = { type: 'header', version: 1, note: 'from elsewhere', root: '/home/someone-else/datasets/fashion' };
  const text = [header, entry(1, [{ op: 'move', from: 'shirt/a.png', to: 'coat/a.png' }], 'Relabelled a.png → coat')].map((l) => JSON.stringify(l)).join('\n') + '\n';
  fs.writeFileSync(file, text);
  const beforeRoot = w.snapshot(w.root);
  const j = Journal.open(w.root);
  assert.deepEqual(w.snapshot(w.root), beforeRoot, 'the half-done move stays as it is');
  assert.equal(fs.readFileSync(file, 'utf8'), text, 'opening writes nothing into a foreign journal');
  assert.equal(j.recovered.length, 1);
  assert.match(j.recovered[0].message, /not rolled back/);
  assert.ok(j.recovered[0].message.includes(file));
  assert.equal(j.canUndo(), false);
  assert.equal(j.canRedo(), false);
});

test('journal recovery: a moved file whose size is not what the journal recorded is not moved back', () => {
  const w = world();
  fs.writeFileSync(path.join(w.root, 'shirt', 'b.png'), 'BB');
  const journalJs = path.join(__dirname, '..', '..', 'server', 'lsp', 'journal.js');
  const script = `
    const { Journal } = require(${JSON.stringify(journalJs)});
    const j = Journal.open(${JSON.stringify(w.root)}, { afterOp: () => process.exit(7) });
    j.record('relabel', 'Relabelled 2 images → coat', [], [
      { op: 'move', from: 'shirt/a.png', to: 'coat/a.png' },
      { op: 'move', from: 'shirt/b.png', to: 'coat/b.png' },
    ]);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 7, r.stderr);
  // Someone put a different file there meanwhile.
  fs.writeFileSync(path.join(w.root, 'coat', 'a.png'), 'not the file that was moved');
  const j = Journal.open(w.root);
  assert.equal(j.recovered.length, 1);
  assert.match(j.recovered[0].message, /check by hand/);
  assert.equal(fs.readFileSync(path.join(w.root, 'coat', 'a.png'), 'utf8'), 'not the file that was moved');
  assert.ok(!fs.existsSync(path.join(w.root, 'shirt', 'a.png')));
});

test('journal confinement: the labels CSV outside the root is patched by absolute path only when it is the CSV in use', () => {
  const w = world();
  const csv = path.join(w.outside, 'labels.csv');
  fs.writeFileSync(csv, 'path,label\nshirt/a.png,shirt\n');
  const before = fs.readFileSync(csv, 'utf8');
  const after = 'path,label\nshirt/a.png,coat\n';
  const op: JournalOp = { op: 'patch', file: csv, splices: [{ offset: 23, remove: b64('shirt'), insert: b64('coat') }], sha256Before: sha(before), sha256After: sha(after) };
  assert.throws(() => Journal.open(w.root).record('relabel', 'Relabelled a.png → coat', [], [op]), /absolute path/);
  assert.equal(fs.readFileSync(csv, 'utf8'), before);
  const labelsCsv = (): string => csv;
  Journal.open(w.root, { labelsCsv }).record('relabel', 'Relabelled a.png → coat', [], [op]);
  assert.equal(fs.readFileSync(csv, 'utf8'), after);
  const other = Journal.open(w.root, { labelsCsv: () => path.join(w.outside, 'other.csv') });
  assert.equal(other.ignored.length, 1, 'another CSV in use: the entry is not acted on');
  assert.equal(other.undo(), null);
  assert.equal(fs.readFileSync(csv, 'utf8'), after);
  Journal.open(w.root, { labelsCsv }).undo();
  assert.equal(fs.readFileSync(csv, 'utf8'), before);
});
