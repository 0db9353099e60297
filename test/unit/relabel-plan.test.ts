import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { collisionFreePath } from '../../server/lsp/naming';
import { planQuarantine, planRelabel, type PlanContext } from '../../server/lsp/plan';
import { readCsvTable } from '../../server/lsp/csv';
import type { EditPlan, PlannedTextEdit } from '../../protocol/lsp';
import { fashionResult, image, makeResult } from './lsp-fixture';

const ROOT = '/data/fashion';

function ctx(existing: string[] = [], result = fashionResult(ROOT)): PlanContext {
  const set = new Set(existing);
  return { root: ROOT, result, exists: (p) => set.has(p), csv: null };
}

function moves(plan: EditPlan): [string, string][] {
  return plan.edits.map((e) => (e.kind === 'move' ? [e.path, e.newPath] : [e.path, '(text)']));
}

test('collision-free names: a.png taken → a (1).png, then a (2).png; names without extension; dotfiles', () => {
  const taken = new Set(['/d/a.png', '/d/a (1).png', '/d/README', '/d/.hidden']);
  const t = (p: string) => taken.has(p);
  assert.equal(collisionFreePath('/d', 'b.png', t), '/d/b.png');
  assert.equal(collisionFreePath('/d', 'a.png', t), '/d/a (2).png');
  assert.equal(collisionFreePath('/d', 'README', t), '/d/README (1)');
  assert.equal(collisionFreePath('/d', '.hidden', t), '/d/.hidden (1)');
  assert.equal(collisionFreePath('/d', 'x.tar.gz', () => false), '/d/x.tar.gz');
});

test('ImageFolder relabel moves the file into the new class folder, never over an existing file', () => {
  const plan = planRelabel(ctx(['/data/fashion/T-shirt/a.png']), [{ path: 'shirt/a.png', newLabel: 'T-shirt' }]);
  assert.deepEqual(plan.refused, []);
  assert.deepEqual(moves(plan), [['shirt/a.png', 'T-shirt/a (1).png']]);
  const m = plan.edits[0];
  assert.equal(m.kind, 'move');
  if (m.kind === 'move') {
    assert.equal(m.fromUri, 'file:///data/fashion/shirt/a.png');
    assert.equal(m.toUri, 'file:///data/fashion/T-shirt/a%20(1).png');
  }
});

test('a batch reserves its own targets: two a.png from different classes get different names', () => {
  const result = makeResult({
    root: ROOT,
    classes: ['T-shirt', 'coat', 'shirt'],
    images: [image('shirt/a.png', 'shirt'), image('coat/a.png', 'coat')],
    issues: [],
  });
  const plan = planRelabel(ctx([], result), [
    { path: 'shirt/a.png', newLabel: 'T-shirt' },
    { path: 'coat/a.png', newLabel: 'T-shirt' },
  ]);
  assert.deepEqual(moves(plan), [
    ['shirt/a.png', 'T-shirt/a.png'],
    ['coat/a.png', 'T-shirt/a (1).png'],
  ]);
});

test('split level is kept: train/shirt/x.png → train/T-shirt/x.png', () => {
  const result = makeResult({
    root: ROOT,
    classes: ['T-shirt', 'shirt'],
    images: [image('train/shirt/x.png', 'shirt', { split: 'train' }), image('shirt/y.png', 'shirt')],
    issues: [],
  });
  const plan = planRelabel(ctx([], result), [
    { path: 'train/shirt/x.png', newLabel: 'T-shirt' },
    { path: 'shirt/y.png', newLabel: 'T-shirt' },
  ]);
  assert.deepEqual(moves(plan), [
    ['train/shirt/x.png', 'train/T-shirt/x.png'],
    ['shirt/y.png', 'T-shirt/y.png'],
  ]);
});

test('path validation: traversal, absolute paths, unknown files and unknown classes are refused', () => {
  const plan = planRelabel(ctx(), [
    { path: '../../etc/passwd', newLabel: 'shirt' },
    { path: 'shirt/../../../etc/passwd', newLabel: 'shirt' },
    { path: '/etc/passwd', newLabel: 'shirt' },
    { path: 'C:\\Windows\\win.ini', newLabel: 'shirt' },
    { path: 'shirt/zzz.png', newLabel: 'coat' },
    { path: 'shirt/a.png', newLabel: 'dress' },
    { path: 'shirt/a.png', newLabel: '../coat' },
    { path: 'shirt/a.png', newLabel: 'shirt' },
    { path: 42 as unknown as string, newLabel: 'coat' },
  ]);
  assert.deepEqual(plan.edits, []);
  assert.equal(plan.refused.length, 9);
  assert.match(plan.refused[0].reason, /leaves the dataset root/);
  assert.match(plan.refused[2].reason, /relative/);
  assert.match(plan.refused[4].reason, /not an analysed image/);
  assert.match(plan.refused[5].reason, /unknown class 'dress'/);
  assert.match(plan.refused[7].reason, /already labelled/);
});

function applyEdits(text: string, edits: readonly PlannedTextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\r' && text[i + 1] === '\n') i++;
    if (text[i] === '\n' || text[i] === '\r') starts.push(i + 1);
  }
  const off = (p: { line: number; character: number }) => starts[p.line] + p.character;
  const sorted = [...edits].sort((a, b) => off(b.range.start) - off(a.range.start));
  for (const e of sorted) text = text.slice(0, off(e.range.start)) + e.newText + text.slice(off(e.range.end));
  return text;
}

function csvCtx(text: string, root = '/data/csvset') {
  const result = makeResult({
    root,
    layout: 'csv',
    classes: ['cat', 'dog', 'hot, dog'],
    images: [image('img/1.png', 'cat'), image('img/2.png', 'dog'), image('img/3.png', 'cat')],
    issues: [],
  });
  const csv = readCsvTable(root, `${root}/labels.csv`, text);
  assert.ok(csv, 'csv table');
  return { root, result, exists: () => false, csv, csvUri: 'file:///data/csvset/labels.csv' } satisfies PlanContext;
}

test('CSV relabel edits only the label cell: quoting and CRLF line endings are kept', () => {
  const text = 'path,label,split\r\nimg/1.png,cat,train\r\n"img/2.png","dog",val\r\nimg/3.png,cat,train\r\n';
  const plan = planRelabel(csvCtx(text), [
    { path: 'img/2.png', newLabel: 'cat' },
    { path: 'img/3.png', newLabel: 'dog' },
  ]);
  assert.deepEqual(plan.refused, []);
  const out = applyEdits(text, plan.edits as PlannedTextEdit[]);
  assert.equal(out, 'path,label,split\r\nimg/1.png,cat,train\r\n"img/2.png","cat",val\r\nimg/3.png,dog,train\r\n');
  assert.ok(!/[^\r]\n/.test(out), 'every line still ends in CRLF');
});

test('CSV relabel quotes a label that needs it; LF files stay LF', () => {
  const text = 'path,label\nimg/1.png,cat\nimg/2.png,dog\n';
  const plan = planRelabel(csvCtx(text), [{ path: 'img/1.png', newLabel: 'hot, dog' }]);
  assert.equal(applyEdits(text, plan.edits as PlannedTextEdit[]), 'path,label\nimg/1.png,"hot, dog"\nimg/2.png,dog\n');
});

test('CSV relabel of an image without a row is refused', () => {
  const text = 'path,label\nimg/1.png,cat\n';
  const plan = planRelabel(csvCtx(text), [{ path: 'img/2.png', newLabel: 'cat' }]);
  assert.equal(plan.edits.length, 0);
  assert.match(plan.refused[0].reason, /no row/);
});

test('quarantine: ImageFolder moves into _quarantine/<class>/, collision-free', () => {
  const plan = planQuarantine(ctx(['/data/fashion/_quarantine/coat/d.png']), ['coat/d.png', '../x.png']);
  assert.deepEqual(moves(plan), [['coat/d.png', '_quarantine/coat/d (1).png']]);
  assert.equal(plan.refused.length, 1);
});

test('quarantine in a CSV dataset moves the file and rewrites its path cell', () => {
  const text = 'path,label\r\nimg/1.png,cat\r\nimg/2.png,dog\r\n';
  const plan = planQuarantine(csvCtx(text), ['img/2.png']);
  const texts = plan.edits.filter((e): e is PlannedTextEdit => e.kind === 'text');
  assert.equal(applyEdits(text, texts), 'path,label\r\nimg/1.png,cat\r\n_quarantine/img/2.png,dog\r\n');
  assert.deepEqual(moves(plan).filter(([, to]) => to !== '(text)'), [['img/2.png', '_quarantine/img/2.png']]);
});
