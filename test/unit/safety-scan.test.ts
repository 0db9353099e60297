/**
 * Issue 12, the scan: every entry resolved by real path; nothing outside the dataset root read, listed or
 * followed; links inside the root fine, each real file counted once; no combinatorial walk; every skip reported.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Inventory } from '../../protocol/dataset';
import { scanDataset } from '../../server/engine/dataset/scan';
import { IMG } from './helpers/scan-fixtures';
import { withTimeout } from './trust-helpers';
import { makeResult } from './lsp-fixture';
import { formatSummary } from '../../server/report/text';

const paths = (inv: Inventory): string[] => inv.items.map((i) => i.path);
/** Problems other than class-size ones (the fixtures make small classes on purpose). */
const kinds = (inv: Inventory): [string, string][] =>
  inv.problems.filter((p) => p.kind !== 'small-class' && p.kind !== 'empty-class').map((p) => [p.kind, p.path]);

/** A temp folder holding `root/` (the dataset) and `outside/` (a file and a folder the scan must never read). */
function world(): { base: string; root: string; outside: string } {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-safescan-')));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(outside, 'pics'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'secret.png'), 'SECRET BYTES');
  fs.writeFileSync(path.join(outside, 'pics', 'o1.png'), IMG);
  fs.writeFileSync(path.join(outside, 'pics', 'o2.png'), IMG);
  for (const f of ['cats/a.png', 'cats/b.png', 'dogs/c.png', 'dogs/d.png']) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), IMG);
  }
  return { base, root, outside };
}

test('scan: a file link to outside the root is not read; a class folder linked outside is not walked; both reported', async () => {
  const { base, root, outside } = world();
  try {
    fs.symlinkSync(path.join(outside, 'secret.png'), path.join(root, 'cats', 'evil.png'));
    fs.symlinkSync(path.join(outside, 'pics'), path.join(root, 'birds'));
    fs.symlinkSync(path.join(outside, 'pics'), path.join(root, 'dogs', 'more'));
    const inv = await scanDataset(root);
    assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png', 'dogs/c.png', 'dogs/d.png']);
    assert.deepEqual(inv.classes, ['cats', 'dogs']);
    assert.deepEqual(kinds(inv), [['outside-root', 'birds'], ['outside-root', 'cats/evil.png'], ['outside-root', 'dogs/more']]);
    for (const p of inv.problems) assert.match(p.message, /outside the dataset root/);
    assert.ok(!JSON.stringify(inv).includes('SECRET'));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('scan: a link to / inside a class is not walked (the scan finishes at once)', async () => {
  const { base, root } = world();
  try {
    fs.symlinkSync('/', path.join(root, 'cats', 'everything'));
    const inv = await withTimeout(scanDataset(root), 20_000, 'scan with a link to /');
    assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png', 'dogs/c.png', 'dogs/d.png']);
    assert.deepEqual(kinds(inv), [['outside-root', 'cats/everything']]);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('scan: a chain of in-root folder links does not explode; each real file is counted once', async () => {
  const { base, root } = world();
  try {
    // d1 links twice to store, d2 twice to d1, … : 2^16 paths to the one real file without a visited set.
    fs.mkdirSync(path.join(root, 'zoo', 'store'), { recursive: true });
    fs.writeFileSync(path.join(root, 'zoo', 'store', 'z.png'), IMG);
    let prev = 'store';
    for (let i = 1; i <= 16; i++) {
      const d = path.join(root, 'zoo', `d${i}`);
      fs.mkdirSync(d);
      fs.symlinkSync(path.join('..', prev), path.join(d, 'x'));
      fs.symlinkSync(path.join('..', prev), path.join(d, 'y'));
      prev = `d${i}`;
    }
    const inv = await withTimeout(scanDataset(root), 20_000, 'scan of a link chain');
    assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png', 'dogs/c.png', 'dogs/d.png', 'zoo/store/z.png']);
    assert.ok(kinds(inv).every(([k]) => k === 'same-file'), JSON.stringify(kinds(inv).slice(0, 5)));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('scan: links inside the root are fine, but a real file or folder reached twice is counted once and the other name reported', async () => {
  const { base, root } = world();
  try {
    fs.symlinkSync('a.png', path.join(root, 'cats', 'alias.png'));
    fs.symlinkSync('dogs', path.join(root, 'hounds'));
    fs.mkdirSync(path.join(root, 'store'));
    fs.writeFileSync(path.join(root, 'store', 's.png'), IMG);
    fs.symlinkSync(path.join('..', 'store', 's.png'), path.join(root, 'cats', 'linked.png')); // inside → inside, once
    const inv = await scanDataset(root);
    assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png', 'dogs/c.png', 'dogs/d.png', 'store/s.png']);
    assert.deepEqual(kinds(inv), [['same-file', 'cats/alias.png'], ['same-file', 'cats/linked.png'], ['same-file', 'hounds']]);
    const msg = (p: string): string => inv.problems.find((x) => x.path === p)!.message;
    assert.match(msg('cats/alias.png'), /same file as cats\/a\.png/);
    assert.match(msg('hounds'), /same folder as dogs/);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('scan (CSV): a row naming a link that leads outside the root is refused; a labels.csv linked from outside is not read', async () => {
  const { base, root, outside } = world();
  try {
    fs.symlinkSync(path.join(outside, 'secret.png'), path.join(root, 'cats', 'evil.png'));
    fs.writeFileSync(path.join(root, 'labels.csv'), 'path,label\ncats/a.png,x\ncats/b.png,y\ncats/evil.png,x\ndogs/c.png,y\n');
    const inv = await scanDataset(root);
    assert.equal(inv.layout, 'csv');
    assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png', 'dogs/c.png']);
    assert.deepEqual(kinds(inv), [['outside-root', 'cats/evil.png']]);

    fs.rmSync(path.join(root, 'labels.csv'));
    fs.writeFileSync(path.join(outside, 'labels.csv'), 'path,label\ncats/a.png,x\ncats/b.png,y\n');
    fs.symlinkSync(path.join(outside, 'labels.csv'), path.join(root, 'labels.csv'));
    const inv2 = await scanDataset(root);
    assert.equal(inv2.layout, 'imagefolder', 'the outside CSV is not used');
    assert.ok(inv2.problems.some((p) => p.kind === 'outside-root' && p.path === 'labels.csv'));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('scan: file names that are not valid UTF-8 are reported, never read in place of another file', async () => {
  const { base, root } = world();
  try {
    const dir = Buffer.from(path.join(root, 'cats') + path.sep);
    fs.writeFileSync(Buffer.concat([dir, Buffer.from([0x66, 0xff, 0x2e, 0x70, 0x6e, 0x67])]), 'one'); // f\xff.png
    fs.writeFileSync(Buffer.concat([dir, Buffer.from([0x66, 0xfe, 0x2e, 0x70, 0x6e, 0x67])]), 'two'); // f\xfe.png
    const inv = await scanDataset(root);
    assert.deepEqual(paths(inv), ['cats/a.png', 'cats/b.png', 'dogs/c.png', 'dogs/d.png']);
    const bad = inv.problems.filter((p) => /not valid UTF-8/.test(p.message));
    assert.equal(bad.length, 2, JSON.stringify(inv.problems));
    assert.notEqual(bad[0].message, bad[1].message, 'each named by its own bytes');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('scan: loose images in the root, dot-named class folders and the --max-images cut are counted in the notes', async () => {
  const { base, root } = world();
  try {
    fs.writeFileSync(path.join(root, 'loose.png'), IMG);
    fs.mkdirSync(path.join(root, '.private'));
    fs.writeFileSync(path.join(root, '.private', 'p.png'), IMG);
    const inv = await scanDataset(root, { maxImages: 2 });
    const notes = (inv.notes ?? []).join('\n');
    assert.match(notes, /1 image file in the root folder/);
    assert.match(notes, /hidden folder.*\.private/);
    assert.match(notes, /Kept the first 2 images.*2 more image files were not read/);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('summary: the scan notes (loose images, hidden folders, the max-images cut) are printed with the result', () => {
  const r = { ...makeResult({ root: '/d', classes: ['a'], images: [], issues: [] }), scanNotes: ['Skipped image files not inside a class folder: 1 image file in the root folder.', "Skipped 1 hidden folder (name starting with '.'): .private."] };
  const text = formatSummary(r);
  assert.match(text, /note: Skipped image files not inside a class folder: 1 image file in the root folder/);
  assert.match(text, /note: Skipped 1 hidden folder/);
});
