import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintEmbeddings, LintMemo, permuteGraph } from '../../server/engine/pipeline/lint';
import type { EmbeddedItem } from '../../server/engine/pipeline/analyze';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import { makeRng } from '../../server/engine/types';

/** 3 well-separated clusters of 40 unit vectors in 8-D; labels by cluster, paths by class folder. */
function dataset(seed: number): EmbeddedItem[] {
  const rng = makeRng(seed);
  const classes = ['a', 'b', 'c'];
  const items: EmbeddedItem[] = [];
  for (let i = 0; i < 120; i++) {
    const c = i % 3;
    const v = new Float32Array(8);
    for (let d = 0; d < 8; d++) v[d] = (d === c ? 3 : 0) + (rng() - 0.5);
    const norm = Math.hypot(...v);
    for (let d = 0; d < 8; d++) v[d] /= norm;
    const path = `${classes[c]}/${String(i).padStart(3, '0')}.png`;
    items.push({ item: { path, absPath: `/x/${path}`, label: classes[c], split: null, size: 1, mtimeMs: 0 }, hash: `h${i}`, vector: v, quality: null, error: null });
  }
  return items;
}

function byHash<T>(items: readonly EmbeddedItem[], xs: ArrayLike<T>): Map<string, T> {
  return new Map(items.map((e, i) => [e.hash, xs[i]]));
}

test('a relabel (same images, one moved to another class) reuses the kNN graph, the map and the classifier from the memo', async () => {
  const items = dataset(1);
  const memo = new LintMemo();
  const t1: Record<string, number> = {};
  const s = { ...DEFAULT_SETTINGS, folds: 3 };
  const first = await lintEmbeddings({ classes: ['a', 'b', 'c'], items, trusted: items.map(() => false), memo, modelKey: 'm' }, s, {}, t1);
  assert.equal(memo.hashes.length, 120);

  // Move item 5 from 'c' to 'a' (a relabel): its path and sort position change, its content does not.
  const moved = items.map((e) => (e.hash === 'h5' ? { ...e, item: { ...e.item, path: 'a/zzz.png', label: 'a' } } : e));
  moved.sort((p, q) => (p.item.path < q.item.path ? -1 : 1));
  assert.notEqual(memo.match('m|k=10|seed=42|dim=8', moved.map((e) => e.hash)), null);
  const t2: Record<string, number> = {};
  const second = await lintEmbeddings({ classes: ['a', 'b', 'c'], items: moved, trusted: moved.map(() => false), memo, modelKey: 'm' }, s, {}, t2);

  const x1 = byHash(items, first.x);
  const x2 = byHash(moved, second.x);
  const o1 = byHash(items, first.outlier);
  const o2 = byHash(moved, second.outlier);
  for (const e of items) {
    assert.equal(x2.get(e.hash), x1.get(e.hash), `map x of ${e.hash}`);
    assert.equal(o2.get(e.hash), o1.get(e.hash), `outlier score of ${e.hash}`);
  }
  // The classifier was refit warm from the remembered state, not from scratch: the memo holds it, and its
  // probabilities agree with a cold full fit on the same labels.
  assert.ok(memo.clfState, 'classifier state remembered');
  const cold = await lintEmbeddings({ classes: ['a', 'b', 'c'], items: moved, trusted: moved.map(() => false) }, s, {}, {});
  let maxDiff = 0;
  for (let i = 0; i < moved.length; i++) maxDiff = Math.max(maxDiff, Math.abs(cold.predictedProb[i] - second.predictedProb[i]));
  // A warm re-score runs a few L-BFGS steps (RESCORE_MAX_ITER), so confidences near the relabelled image
  // lag a full refit on this tiny, very separable set; what the user acts on — the flags and the
  // suggestions on flagged images — must be the same.
  assert.ok(maxDiff < 0.25, `warm vs cold re-score differ by ${maxDiff}`);
  assert.deepEqual(Array.from(second.isLabelIssue), Array.from(cold.isLabelIssue));
  second.isLabelIssue.forEach((flag, i) => flag && assert.equal(second.predicted[i], cold.predicted[i], `suggestion for flagged ${moved[i].hash}`));
  // The moved image is now labelled 'a' but sits in cluster 'c': it is flagged, suggested 'c'.
  const r = moved.findIndex((e) => e.hash === 'h5');
  assert.equal(second.isLabelIssue[r], 1);
  assert.equal(second.predicted[r], 2);
});

test('the memo is not used when contents or the model differ', async () => {
  const memo = new LintMemo();
  const items = dataset(2);
  await lintEmbeddings({ classes: ['a', 'b', 'c'], items, trusted: items.map(() => false), memo, modelKey: 'm' }, DEFAULT_SETTINGS, {}, {});
  const hashes = items.map((e) => e.hash);
  assert.notEqual(memo.match('m|k=10|seed=42|dim=8', hashes), null);
  assert.equal(memo.match('other-model|k=10|seed=42|dim=8', hashes), null);
  assert.equal(memo.match('m|k=10|seed=42|dim=8', [...hashes.slice(1), 'new']), null);
  assert.equal(memo.match('m|k=10|seed=42|dim=8', hashes.slice(1)), null);
});

test('permuteGraph renumbers rows and neighbour indices consistently', () => {
  // 3 nodes: 0↔1 close, 2 far. New order: [2, 0, 1] → toOld = [2, 0, 1].
  const g = { n: 3, k: 1, indices: Int32Array.from([1, 0, -1]), similarities: Float32Array.from([0.9, 0.9, 0]) };
  const p = permuteGraph(g, Int32Array.from([2, 0, 1]));
  assert.deepEqual(Array.from(p.indices), [-1, 2, 1]);
  assert.deepEqual(Array.from(p.similarities), [0, Math.fround(0.9), Math.fround(0.9)]);
});

test('hash folds: stratified, balanced, and a relabel moves only the relabelled image between folds', async () => {
  const { hashFolds } = await import('../../server/engine/pipeline/lint');
  const { createHash } = await import('node:crypto');
  const n = 600;
  const hashes = Array.from({ length: n }, (_, i) => createHash('sha256').update(String(i)).digest('hex'));
  // Class 0: 500 images (hash mode); class 1: 95 (hash mode at 5 folds needs ≥ 50); class 2: 5 (round-robin).
  const labels = Int32Array.from({ length: n }, (_, i) => (i < 500 ? 0 : i < 595 ? 1 : 2));
  const f = hashFolds(hashes, labels, 3, 5);
  for (let c = 0; c < 3; c++) {
    const counts = [0, 0, 0, 0, 0];
    labels.forEach((y, i) => y === c && counts[f[i]]++);
    const size = labels.filter((y) => y === c).length;
    for (const k of counts) assert.ok(k > 0, `class ${c}: every fold has some (${counts})`);
    if (c === 2) assert.deepEqual(counts, [1, 1, 1, 1, 1]);
    else for (const k of counts) assert.ok(Math.abs(k - size / 5) < 4 * Math.sqrt(size / 5), `class ${c} roughly balanced (${counts})`);
  }
  // Relabel image 10 (class 0 → 1) and shuffle the order: every other image keeps its fold.
  const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  const labels2 = Int32Array.from(order, (i) => (i === 10 ? 1 : labels[i]));
  const f2 = hashFolds(order.map((i) => hashes[i]), labels2, 3, 5);
  order.forEach((i, r) => i !== 10 && labels[i] !== 2 && assert.equal(f2[r], f[i], `image ${i} kept its fold`));
});
