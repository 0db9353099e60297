import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_NEAR_THRESHOLD, duplicateIssues, findDuplicateGroups } from '../../server/engine/duplicates';
import type { DuplicateInput } from '../../server/engine/duplicates';
import type { KnnGraph } from '../../server/engine/types';
import type { Split } from '../../protocol/dataset';

/** Brute-force cosine kNN (self excluded), most similar first, ties by index. Test helper only. */
function bruteKnn(vecs: number[][], k: number): KnnGraph {
  const n = vecs.length;
  const unit = vecs.map((v) => {
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  });
  const indices = new Int32Array(n * k).fill(-1);
  const similarities = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const cand = [];
    for (let j = 0; j < n; j++) if (j !== i) cand.push({ j, s: unit[i].reduce((acc, x, d) => acc + x * unit[j][d], 0) });
    cand.sort((a, b) => b.s - a.s || a.j - b.j);
    cand.slice(0, k).forEach((c, p) => {
      indices[i * k + p] = c.j;
      similarities[i * k + p] = c.s;
    });
  }
  return { n, k, indices, similarities };
}

/** A unit vector in the (e0, e_axis) plane at cosine `cos` to e0. */
function atCos(cos: number, axis: number, dim: number): number[] {
  const v = new Array(dim).fill(0);
  v[0] = cos;
  v[axis] = Math.sqrt(1 - cos * cos);
  return v;
}

function basis(axis: number, dim: number): number[] {
  const v = new Array(dim).fill(0);
  v[axis] = 1;
  return v;
}

interface Item { vec: number[]; hash?: string; label?: number; split?: Split | null; path?: string }

function makeInput(items: Item[], k = 4): DuplicateInput {
  return {
    hashes: items.map((it, i) => it.hash ?? `h${i}`),
    graph: bruteKnn(items.map((it) => it.vec), Math.min(k, items.length - 1)),
    labels: Int32Array.from(items.map((it) => it.label ?? 0)),
    splits: items.map((it) => it.split ?? null),
    paths: items.map((it, i) => it.path ?? `img${i}.png`),
    classNames: ['cat', 'dog'],
  };
}

const D = 8;

test('exact duplicates (same hash) form one exact group with similarity 1', () => {
  const input = makeInput([
    { vec: basis(0, D), hash: 'aaa', path: 'a/1.png' },
    { vec: basis(0, D), hash: 'aaa', path: 'a/2.png' },
    { vec: basis(1, D), hash: 'bbb' },
    { vec: basis(2, D), hash: 'ccc' },
    { vec: basis(3, D), hash: 'aaa', path: 'a/3.png' },
  ]);
  const groups = findDuplicateGroups(input, {});
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0].paths, ['a/1.png', 'a/2.png', 'a/3.png']);
  assert.equal(groups[0].exact, true);
  assert.equal(groups[0].similarity, 1);
  const issues = duplicateIssues(groups);
  assert.deepEqual(issues.map((i) => [i.kind, i.path]), [['duplicate', 'a/2.png'], ['duplicate', 'a/3.png']]);
  assert.match(issues[0].message, /^Same image as a\/1\.png and 1 other file\.$/);
});

test('empty hashes are never exact duplicates', () => {
  const input = makeInput([{ vec: basis(0, D), hash: '' }, { vec: basis(1, D), hash: '' }, { vec: basis(2, D), hash: '' }]);
  assert.deepEqual(findDuplicateGroups(input, {}), []);
});

test('near duplicates at cosine 0.99 are grouped, 0.9 is not', () => {
  const input = makeInput([
    { vec: basis(0, D) },
    { vec: atCos(0.99, 1, D) },
    { vec: atCos(0.9, 2, D) },
    { vec: basis(5, D) },
  ]);
  const groups = findDuplicateGroups(input, { nearThreshold: DEFAULT_NEAR_THRESHOLD });
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0].paths, ['img0.png', 'img1.png']);
  assert.equal(groups[0].exact, false);
  assert.ok(Math.abs(groups[0].similarity - 0.99) < 1e-5, String(groups[0].similarity));
  const [issue] = duplicateIssues(groups);
  assert.equal(issue.kind, 'duplicate');
  assert.equal(issue.path, 'img1.png');
  assert.match(issue.message, /^Near-identical to img0\.png \(similarity ≥ 0\.990\)\.$/);
  assert.ok(issue.score > 0.5 && issue.score < 1);
});

test('chain guard: a chain of near pairs does not merge its far ends', () => {
  // Points on a great circle, 10° apart (cos 0.985 ≥ 0.97) — ends of the chain are 90° apart.
  const items: Item[] = [];
  for (let i = 0; i < 10; i++) {
    const a = (i * 10 * Math.PI) / 180;
    const v = new Array(D).fill(0);
    v[0] = Math.cos(a);
    v[1] = Math.sin(a);
    items.push({ vec: v });
  }
  const input = makeInput(items, 9);
  const groups = findDuplicateGroups(input, { nearThreshold: 0.97 });
  // Single linkage would give one group of 10; complete linkage keeps only mutually near points.
  for (const g of groups) {
    assert.ok(g.paths.length <= 2, `group too big: ${g.paths.join(', ')}`);
    assert.ok(g.similarity >= 0.97);
  }
  const members = groups.flatMap((g) => g.paths);
  assert.equal(new Set(members).size, members.length, 'each image in at most one group');
  assert.ok(groups.length >= 4);
});

test('exact copies of a near duplicate join its group, which is then not exact', () => {
  const input = makeInput([
    { vec: basis(0, D), hash: 'x', path: 'p/a.png' },
    { vec: basis(0, D), hash: 'x', path: 'p/b.png' },
    { vec: atCos(0.985, 1, D), hash: 'y', path: 'p/c.png' },
    { vec: basis(4, D), hash: 'z' },
  ]);
  const groups = findDuplicateGroups(input, {});
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0].paths, ['p/a.png', 'p/b.png', 'p/c.png']);
  assert.equal(groups[0].exact, false);
  const hashOf = new Map([['p/a.png', 'x'], ['p/b.png', 'x'], ['p/c.png', 'y']]);
  const issues = duplicateIssues(groups, { hashOf });
  assert.match(issues.find((i) => i.path === 'p/b.png')!.message, /^Same image as p\/a\.png/);
  assert.match(issues.find((i) => i.path === 'p/c.png')!.message, /^Near-identical to p\/a\.png/);
});

test('conflicting labels give conflicting-duplicate on every member', () => {
  const input = makeInput([
    { vec: basis(0, D), hash: 'same', label: 0, path: 'train/cat/12.png' },
    { vec: basis(0, D), hash: 'same', label: 1, path: 'train/dog/7.png' },
    { vec: basis(1, D) },
    { vec: basis(2, D) },
  ]);
  const groups = findDuplicateGroups(input, {});
  assert.deepEqual(groups[0].labels, ['cat', 'dog']);
  const issues = duplicateIssues(groups);
  assert.deepEqual(issues.map((i) => [i.kind, i.path]), [
    ['conflicting-duplicate', 'train/cat/12.png'],
    ['conflicting-duplicate', 'train/dog/7.png'],
  ]);
  assert.equal(issues[1].message, "Same image as train/cat/12.png (labelled 'cat' there, 'dog' here): one of the labels is probably wrong.");
  assert.deepEqual(issues[1].related, ['train/cat/12.png']);
  assert.equal(issues[1].score, 1);
});

test('copies across train and test give leakage on the test copy', () => {
  const input = makeInput([
    { vec: basis(0, D), hash: 'q', split: 'test', path: 'test/cat/3.png' },
    { vec: basis(0, D), hash: 'q', split: 'train', path: 'train/cat/12.png' },
    { vec: basis(1, D), split: 'train' },
    { vec: basis(2, D), split: 'test' },
  ]);
  const groups = findDuplicateGroups(input, {});
  assert.deepEqual(groups[0].paths, ['train/cat/12.png', 'test/cat/3.png'], 'train copy listed first');
  assert.deepEqual(groups[0].splits, ['train', 'test']);
  const issues = duplicateIssues(groups);
  assert.deepEqual(issues.map((i) => [i.kind, i.path]), [['leakage', 'test/cat/3.png']]);
  assert.match(issues[0].message, /^Same image as train\/cat\/12\.png in the train split: this test image leaks into train/);
});

test('groups are deterministic and validated', () => {
  const items: Item[] = [];
  for (let i = 0; i < 12; i++) items.push({ vec: i % 3 === 0 ? basis(0, D) : basis(1 + (i % 7), D), hash: i % 3 === 0 ? 'dup' : `u${i}` });
  const input = makeInput(items, 5);
  assert.deepEqual(findDuplicateGroups(input, {}), findDuplicateGroups(input, {}));
  assert.throws(() => findDuplicateGroups({ ...input, paths: input.paths.slice(1) }, {}), /paths has 11 entries/);
  assert.throws(() => findDuplicateGroups(input, { nearThreshold: 1.5 }), /nearThreshold/);
});
