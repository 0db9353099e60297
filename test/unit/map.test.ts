import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMap2d, normalise, pca2d, placeFromNeighbours } from '../../server/engine/numerics/map';
import { CancelledError, makeRng } from '../../server/engine/types';
import type { KnnGraph, Matrix } from '../../server/engine/types';

/** Brute-force cosine kNN (self excluded), most similar first, ties by index. Test helper only. */
function bruteKnn(X: Matrix, k: number): KnnGraph {
  const { rows: n, cols: d, data } = X;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += data[i * d + c] ** 2;
    norms[i] = Math.sqrt(s);
  }
  const indices = new Int32Array(n * k).fill(-1);
  const similarities = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const cand: { j: number; s: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < d; c++) s += data[i * d + c] * data[j * d + c];
      cand.push({ j, s: s / (norms[i] * norms[j]) });
    }
    cand.sort((a, b) => b.s - a.s || a.j - b.j);
    cand.slice(0, k).forEach((c, p) => {
      indices[i * k + p] = c.j;
      similarities[i * k + p] = c.s;
    });
  }
  return { n, k, indices, similarities };
}

/** `perCluster` points around each of 3 far-apart centres in `d` dims (cluster c at rows c, c+3, …). */
function threeClusters(perCluster: number, d: number, seed: number): { X: Matrix; cluster: Int32Array } {
  const rng = makeRng(seed);
  const n = perCluster * 3;
  const data = new Float32Array(n * d);
  const cluster = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    cluster[i] = c;
    for (let j = 0; j < d; j++) data[i * d + j] = (rng() - 0.5) * 0.5 + (j === c ? 5 : 0) + 0.5;
  }
  return { X: { rows: n, cols: d, data }, cluster };
}

function assertInBox(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    assert.ok(x[i] >= -1 && x[i] <= 1 && y[i] >= -1 && y[i] <= 1, `point ${i} (${x[i]}, ${y[i]}) outside [-1,1]`);
  }
}

/** Smallest distance between points of different clusters over largest distance inside one. */
function separation(x: Float32Array, y: Float32Array, cluster: Int32Array): number {
  let minBetween = Infinity, maxWithin = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dd = Math.hypot(x[i] - x[j], y[i] - y[j]);
      if (cluster[i] === cluster[j]) maxWithin = Math.max(maxWithin, dd);
      else minBetween = Math.min(minBetween, dd);
    }
  }
  return minBetween / maxWithin;
}

test('UMAP: same seed gives identical coordinates; output in [-1,1]; clusters stay separated', async () => {
  const { X, cluster } = threeClusters(40, 10, 3);
  const knn = bruteKnn(X, 15);
  const a = await computeMap2d(X, { seed: 11, knn, nEpochs: 150 });
  const b = await computeMap2d(X, { seed: 11, knn, nEpochs: 150 });
  assert.equal(a.method, 'umap');
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.y, b.y);
  assertInBox(a.x, a.y);
  // Each cluster is tighter than the gap between any two clusters.
  const sep = separation(a.x, a.y, cluster);
  assert.ok(sep > 1, `separation ratio ${sep}`);
});

test('UMAP without a precomputed graph also runs, deterministically', async () => {
  const { X, cluster } = threeClusters(20, 6, 5);
  const a = await computeMap2d(X, { seed: 1, nEpochs: 100 });
  const b = await computeMap2d(X, { seed: 1, nEpochs: 100 });
  assert.equal(a.method, 'umap');
  assert.deepEqual(a.x, b.x);
  assertInBox(a.x, a.y);
  assert.ok(separation(a.x, a.y, cluster) > 1);
});

test('tiny sets fall back to a 2-D PCA, still separated and in [-1,1]', async () => {
  const { X, cluster } = threeClusters(4, 5, 9); // 12 < 2·15 + 2
  const m = await computeMap2d(X, { seed: 0 });
  assert.equal(m.method, 'pca');
  assertInBox(m.x, m.y);
  assert.ok(separation(m.x, m.y, cluster) > 1);
  // The longer axis spans exactly [-1, 1].
  const span = Math.max(Math.max(...m.x) - Math.min(...m.x), Math.max(...m.y) - Math.min(...m.y));
  assert.ok(Math.abs(span - 2) < 1e-5);
});

test('pca2d recovers the dominant direction; degenerate inputs give zeros', async () => {
  // Points on the line (t, 2t, 0): the first axis carries everything, the second nothing.
  const n = 7;
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) { data[i * 3] = i; data[i * 3 + 1] = 2 * i; }
  const { x, y } = pca2d({ rows: n, cols: 3, data });
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(x[i] - (i - 3) * Math.sqrt(5)) < 1e-4, `x[${i}] = ${x[i]}`);
    assert.ok(Math.abs(y[i]) < 1e-4);
  }
  const one = await computeMap2d({ rows: 1, cols: 3, data: Float32Array.from([1, 2, 3]) }, { seed: 0 });
  assert.deepEqual([one.x[0], one.y[0], one.method], [0, 0, 'pca']);
  const none = await computeMap2d({ rows: 0, cols: 3, data: new Float32Array(0) }, { seed: 0 });
  assert.equal(none.x.length, 0);
});

test('normalise keeps the aspect ratio and maps non-finite values to 0', () => {
  const { x, y } = normalise([0, 4, 2, NaN], [0, 2, 1, 1]);
  assert.deepEqual(Array.from(x), [-1, 1, 0, 0]);
  assert.deepEqual(Array.from(y), [-0.5, 0.5, 0, 0]);
});

test('cancellation rejects with CancelledError; progress is reported', async () => {
  const { X } = threeClusters(40, 10, 3);
  const knn = bruteKnn(X, 15);
  let calls = 0;
  await assert.rejects(
    computeMap2d(X, { seed: 1, knn, nEpochs: 500, onProgress: () => { calls++; }, isCancelled: () => calls >= 1 }),
    CancelledError,
  );
  const seen: number[] = [];
  await computeMap2d(X, { seed: 1, knn, nEpochs: 50, onProgress: (_p, done, total) => { seen.push(done); assert.equal(total, 50); } });
  assert.equal(seen[seen.length - 1], 50);
});

test('large sets: UMAP on a seeded sample, the rest placed from graph neighbours; deterministic, separated', async () => {
  const { X, cluster } = threeClusters(80, 10, 4); // 240 rows
  const knn = bruteKnn(X, 15);
  const opts = { seed: 2, knn, nEpochs: 100, subsampleAbove: 100, subsampleSize: 90 };
  const a = await computeMap2d(X, opts);
  const b = await computeMap2d(X, opts);
  assert.equal(a.method, 'umap');
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.y, b.y);
  assertInBox(a.x, a.y);
  assert.ok(separation(a.x, a.y, cluster) > 1, `separation ${separation(a.x, a.y, cluster)}`);
});

test('placeFromNeighbours: weighted mean of placed neighbours, then later passes, then the centre', () => {
  // 0 and 1 placed; 2's neighbours are 0 (sim 1) and 1 (sim 0 → weight floor only); 3 only neighbours 2; 4 has none.
  const graph = {
    n: 5, k: 2,
    indices: Int32Array.from([1, -1, 0, -1, 0, 1, 2, -1, -1, -1]),
    similarities: Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0, 0, 0]),
  };
  const x = Float32Array.from([0, 2, NaN, NaN, NaN]), y = Float32Array.from([0, 2, NaN, NaN, NaN]);
  placeFromNeighbours(graph, x, y, makeRng(1));
  assert.ok(Math.abs(x[2]) < 0.01 && Math.abs(y[2]) < 0.01, `(${x[2]}, ${y[2]})`); // ≈ point 0
  assert.ok(Math.abs(x[3] - x[2]) < 0.01); // placed in the second pass from 2
  assert.ok(Math.abs(x[4] - 1) < 0.01 && Math.abs(y[4] - 1) < 0.01); // no neighbours: centre of the placed layout
});
