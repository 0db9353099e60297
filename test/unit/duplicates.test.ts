import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CANDIDATE_SIMILARITY,
  DEFAULT_EMBEDDING_THRESHOLD,
  DEFAULT_MAX_HASH_DISTANCE,
  duplicateIssues,
  findDuplicateGroups,
} from '../../server/engine/issues/duplicates';
import type { DuplicateInput } from '../../server/engine/issues/duplicates';
import type { Split } from '../../protocol/dataset';
import { bruteKnn } from './helpers/brute-knn';


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

interface Item { vec: number[]; hash?: string; label?: number; split?: Split | null; path?: string; phash?: string | null; phashFlip?: string | null }

function makeInput(items: Item[], k = 4): DuplicateInput {
  return {
    hashes: items.map((it, i) => it.hash ?? `h${i}`),
    graph: bruteKnn(items.map((it) => it.vec), Math.min(k, items.length - 1)),
    labels: Int32Array.from(items.map((it) => it.label ?? 0)),
    splits: items.map((it) => it.split ?? null),
    paths: items.map((it, i) => it.path ?? `img${i}.png`),
    classNames: ['cat', 'dog'],
    phashes: items.map((it) => it.phash ?? null),
    phashesFlip: items.map((it) => it.phashFlip ?? null),
  };
}

/** A 256-bit pHash (64 hex digits) with the first `ones` bits set; hashes made with a and b differ in |a − b| bits. */
function bits(ones: number): string {
  let hex = '';
  for (let nibble = 0; nibble < 64; nibble++) {
    const set = Math.max(0, Math.min(4, ones - 4 * nibble));
    hex += ((0xf << (4 - set)) & 0xf).toString(16);
  }
  return hex;
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

test('bits() helper: hashes differ in exactly |a − b| bits', () => {
  assert.equal(bits(0), '0'.repeat(64));
  assert.equal(bits(4), 'f' + '0'.repeat(63));
  assert.equal(bits(6), 'fc' + '0'.repeat(62));
  assert.equal(bits(256), 'f'.repeat(64));
});

test('near duplicates: a kNN candidate with close pHashes is grouped, even at a modest cosine', () => {
  // A JPEG re-encode of a tiny image: cosine only 0.9, pHash 3 bits away.
  const input = makeInput([
    { vec: basis(0, D), phash: bits(20) },
    { vec: atCos(0.9, 1, D), phash: bits(23) },
    { vec: basis(5, D), phash: bits(40) },
    { vec: basis(6, D), phash: bits(50) },
  ]);
  const groups = findDuplicateGroups(input, {});
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0].paths, ['img0.png', 'img1.png']);
  assert.equal(groups[0].exact, false);
  assert.ok(Math.abs(groups[0].similarity - 0.9) < 1e-5, String(groups[0].similarity));
  const [issue] = duplicateIssues(groups);
  assert.equal(issue.kind, 'duplicate');
  assert.equal(issue.path, 'img1.png');
  assert.match(issue.message, /^Near-identical to img0\.png \(similarity ≥ 0\.900\)\.$/);
  assert.ok(issue.score > 0.5 && issue.score < 1, String(issue.score));
});

test('look-alikes: high cosine but distant pHashes are not duplicates', () => {
  // Two different trousers: cosine 0.98 (above the old 0.97 threshold), pHashes 60 bits apart.
  const input = makeInput([
    { vec: basis(0, D), phash: bits(10) },
    { vec: atCos(0.98, 1, D), phash: bits(70) },
    { vec: basis(5, D), phash: bits(40) },
  ]);
  assert.deepEqual(findDuplicateGroups(input, {}), []);
  // Exactly at the threshold is near; one bit more is not.
  const at = makeInput([
    { vec: basis(0, D), phash: bits(10) },
    { vec: atCos(0.98, 1, D), phash: bits(10 + DEFAULT_MAX_HASH_DISTANCE) },
    { vec: basis(5, D), phash: bits(40) },
  ]);
  assert.equal(findDuplicateGroups(at, {}).length, 1);
  assert.equal(findDuplicateGroups(at, { maxHashDistance: DEFAULT_MAX_HASH_DISTANCE - 1 }).length, 0);
});

test('candidates below candidateSimilarity are not grouped even with equal pHashes', () => {
  const low = DEFAULT_CANDIDATE_SIMILARITY - 0.1;
  const input = makeInput([
    { vec: basis(0, D), phash: bits(20) },
    { vec: atCos(low, 1, D), phash: bits(20) },
    { vec: basis(5, D), phash: bits(40) },
  ]);
  assert.deepEqual(findDuplicateGroups(input, {}), []);
  assert.equal(findDuplicateGroups(input, { candidateSimilarity: low - 0.05 }).length, 1);
});

test('mirror images: matched through the mirror-image hash', () => {
  const input = makeInput([
    { vec: basis(0, D), phash: bits(10), phashFlip: bits(150) },
    { vec: atCos(0.95, 1, D), phash: bits(151), phashFlip: bits(11) },
    { vec: basis(5, D), phash: bits(80), phashFlip: bits(80) },
  ]);
  const groups = findDuplicateGroups(input, {});
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0].paths, ['img0.png', 'img1.png']);
  // Without mirror hashes the pair is 141 bits apart.
  assert.deepEqual(findDuplicateGroups({ ...input, phashesFlip: undefined }, {}), []);
});

test('unknown pHashes (old cache rows) fall back to the strict embedding threshold', () => {
  const input = makeInput([
    { vec: basis(0, D), phash: null },
    { vec: atCos(0.99, 1, D), phash: bits(0) },
    { vec: basis(5, D) },
    { vec: basis(6, D) },
    { vec: atCos(0.999, 7, D) },
  ]);
  const groups = findDuplicateGroups(input, {});
  // 0–1 has cosine 0.99 < 0.995 and one unknown hash: not a duplicate. 0–4 has cosine 0.999 ≥ 0.995.
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0].paths, ['img0.png', 'img4.png']);
  assert.ok(groups[0].similarity >= DEFAULT_EMBEDDING_THRESHOLD);
  // Omitting phashes altogether is the same as all unknown.
  assert.deepEqual(findDuplicateGroups({ ...input, phashes: undefined, phashesFlip: undefined }, {}), groups);
});

test('chain guard: a chain of near pairs does not merge its far ends', () => {
  // Points on a great circle, 8° apart, each pHash half the threshold from the previous: neighbours up
  // to two steps apart are near (cosine ≥ 0.94), three steps apart are not (1.5× the threshold).
  const items: Item[] = [];
  for (let i = 0; i < 10; i++) {
    const a = (i * 8 * Math.PI) / 180;
    const v = new Array(D).fill(0);
    v[0] = Math.cos(a);
    v[1] = Math.sin(a);
    items.push({ vec: v, phash: bits((DEFAULT_MAX_HASH_DISTANCE / 2) * i) });
  }
  const input = makeInput(items, 9);
  const groups = findDuplicateGroups(input, {});
  // Single linkage would give one group of 10; complete linkage keeps only mutually near points.
  for (const g of groups) {
    const idx = g.paths.map((p) => Number(p.replace(/\D/g, '')));
    assert.ok(Math.max(...idx) - Math.min(...idx) <= 2, `group too wide: ${g.paths.join(', ')}`);
  }
  const members = groups.flatMap((g) => g.paths);
  assert.equal(new Set(members).size, members.length, 'each image in at most one group');
  assert.ok(groups.length >= 3);
});

test('exact copies of a near duplicate join its group, which is then not exact', () => {
  const input = makeInput([
    { vec: basis(0, D), hash: 'x', path: 'p/a.png', phash: bits(0) },
    { vec: basis(0, D), hash: 'x', path: 'p/b.png', phash: bits(0) },
    { vec: atCos(0.985, 1, D), hash: 'y', path: 'p/c.png', phash: bits(2) },
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
  assert.throws(() => findDuplicateGroups(input, { embeddingThreshold: 1.5 }), /embeddingThreshold/);
  assert.throws(() => findDuplicateGroups(input, { maxHashDistance: 257 }), /maxHashDistance/);
  assert.throws(() => findDuplicateGroups(input, { candidateSimilarity: Number.NaN }), /candidateSimilarity/);
  assert.throws(() => findDuplicateGroups({ ...input, phashes: input.phashes!.slice(1) }, {}), /phashes has 11 entries/);
  const bad = [...input.phashes!];
  bad[3] = 'xyz';
  assert.throws(() => findDuplicateGroups({ ...input, phashes: bad }, {}), /phashes\[3\] must be 64 hex digits/);
});
