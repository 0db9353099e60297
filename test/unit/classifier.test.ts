import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../../server/engine/types';
import { makeRng } from '../../server/engine/numerics/rng';
import { crossValFit, crossValPredictProbs, fitPredict, rescoreAfterRelabel } from '../../server/engine/labels/classifier';

function blobs(n: number, d: number, K: number, seed: number, sep = 4): { X: Matrix; y: Int32Array } {
  const rng = makeRng(seed);
  const centres = Array.from({ length: K * d }, () => (rng() - 0.5) * 2 * sep);
  const data = new Float32Array(n * d), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % K;
    for (let t = 0; t < d; t++) data[i * d + t] = centres[y[i] * d + t] + (rng() + rng() + rng() - 1.5);
  }
  return { X: { rows: n, cols: d, data }, y };
}

test('separates well-separated clusters out of fold and flags injected flips', () => {
  const { X, y } = blobs(600, 10, 3, 1);
  const noisy = Int32Array.from(y);
  const flips = [5, 50, 123, 321, 599];
  for (const i of flips) noisy[i] = (y[i] + 1) % 3;
  const r = crossValPredictProbs(X, noisy, 3, { seed: 2 });
  let ok = 0;
  for (let i = 0; i < 600; i++) {
    const p = r.predProbs.subarray(i * 3, i * 3 + 3);
    if (p.indexOf(Math.max(...p)) === y[i]) ok++;
    assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-5);
  }
  assert.ok(ok / 600 > 0.95, `accuracy vs truth ${ok / 600}`);
  for (const i of flips) assert.ok(r.predProbs[i * 3 + noisy[i]] < 0.1, `flip ${i} given-label prob ${r.predProbs[i * 3 + noisy[i]]}`);
  assert.ok(r.cvAccuracy > 0.95 && r.cvAccuracy < 1);
  const counts = [0, 0, 0, 0, 0];
  r.foldOf.forEach((f) => counts[f]++);
  assert.deepEqual(counts, [120, 120, 120, 120, 120]);
});

test('same seed gives identical predProbs', () => {
  const { X, y } = blobs(200, 6, 4, 3, 1);
  const a = crossValPredictProbs(X, y, 4, { seed: 7 });
  const b = crossValPredictProbs(X, y, 4, { seed: 7 });
  assert.deepEqual(Array.from(a.predProbs), Array.from(b.predProbs));
  assert.deepEqual(Array.from(a.foldOf), Array.from(b.foldOf));
});

test('K = 1: all probabilities 1', () => {
  const { X } = blobs(20, 3, 1, 4);
  const r = crossValPredictProbs(X, new Int32Array(20), 1, { seed: 1 });
  assert.deepEqual(Array.from(r.predProbs), new Array(20).fill(1));
  assert.equal(r.cvAccuracy, 1);
});

test('K = 2 and a class with a single example', () => {
  const { X, y } = blobs(100, 4, 2, 5);
  const r2 = crossValPredictProbs(X, y, 2, { seed: 1 });
  assert.ok(r2.cvAccuracy > 0.95);
  const y3 = Int32Array.from(y);
  y3[17] = 2; // lone example of class 2: every model that predicts it never saw class 2
  const r3 = crossValPredictProbs(X, y3, 3, { seed: 1 });
  assert.ok(r3.predProbs[17 * 3 + 2] < 0.05);
  for (let i = 0; i < 100; i++) assert.ok(Math.abs(r3.predProbs[i * 3] + r3.predProbs[i * 3 + 1] + r3.predProbs[i * 3 + 2] - 1) < 1e-5);
});

test('200 classes, and a fold whose training set has one class falls back to the prior', () => {
  const { X, y } = blobs(1000, 8, 200, 6, 6);
  const r = crossValPredictProbs(X, y, 200, { seed: 1, maxIter: 30 });
  assert.equal(r.predProbs.length, 1000 * 200);
  assert.ok(r.cvAccuracy > 0.5, `accuracy ${r.cvAccuracy}`);
  // Two examples, two classes, two folds: each training set holds one class → prior of that class.
  const tiny = crossValPredictProbs({ rows: 2, cols: 1, data: Float32Array.from([0, 1]) }, Int32Array.from([0, 1]), 2, { seed: 1, folds: 2 });
  assert.deepEqual(Array.from(tiny.predProbs), [0, 1, 1, 0]);
});

test('NaN / Infinity rejected naming the row', () => {
  const { X, y } = blobs(10, 3, 2, 1);
  X.data[4 * 3 + 1] = NaN;
  assert.throws(() => crossValPredictProbs(X, y, 2, { seed: 1 }), /row 4/);
  X.data[4 * 3 + 1] = Infinity;
  assert.throws(() => crossValPredictProbs(X, y, 2, { seed: 1 }), /row 4/);
});

test('rescoreAfterRelabel retrains affected folds only and approaches a full refit', () => {
  const { X, y } = blobs(400, 6, 3, 8, 1.2);
  const st = crossValFit(X, y, 3, { seed: 3 });
  const i = 10, newY = (y[10] + 1) % 3;
  const re = rescoreAfterRelabel(st, [i], [newY], 200);
  const y2 = Int32Array.from(y); y2[i] = newY;
  const full = crossValPredictProbs(X, y2, 3, { seed: 3, foldOf: st.foldOf, maxIter: 500 });
  let maxDiff = 0;
  for (let t = 0; t < full.predProbs.length; t++) maxDiff = Math.max(maxDiff, Math.abs(full.predProbs[t] - re.result.predProbs[t]));
  assert.ok(maxDiff < 1e-3, `max diff ${maxDiff}`);
  // The relabelled example's own fold was not retrained: its row is unchanged.
  assert.deepEqual(Array.from(re.result.predProbs.subarray(i * 3, i * 3 + 3)), Array.from(st.result.predProbs.subarray(i * 3, i * 3 + 3)));
  assert.equal(st.labels[i], y[i]); // old state untouched
  assert.equal(rescoreAfterRelabel(st, [i], [y[i]]).weights[0], st.weights[0]); // no-op relabel retrains nothing
  // Each fitted fold keeps its L-BFGS curvature pairs for the next warm start; a refit fold gets new ones.
  assert.ok(st.memory && st.memory.every((m) => m !== null && m.S.length > 0 && m.S.length === m.Y.length));
  const touched = [0, 1, 2].find((f) => f !== st.foldOf[i])!;
  assert.notEqual(re.memory![touched], st.memory![touched]);
});

test('fitPredict', () => {
  const { X, y } = blobs(300, 5, 3, 9);
  const test = { rows: 3, cols: 5, data: X.data.slice(0, 15) };
  const p = fitPredict(X, y, test, 3);
  for (let r = 0; r < 3; r++) assert.ok(p[r * 3 + y[r]] > 0.9);
});

test('crossValFit: prepared features of an earlier fit give the same fit as preparing again (an L2 sweep runs the PCA once)', () => {
  const rng = makeRng(5);
  const N = 200, D = 160, K = 3;
  const data = Float32Array.from({ length: N * D }, () => rng() - 0.5);
  const labels = Int32Array.from({ length: N }, (_, i) => i % K);
  for (let i = 0; i < N; i++) data[i * D + labels[i]] += 2;
  const X: Matrix = { rows: N, cols: D, data };
  const first = crossValFit(X, labels, K, { folds: 4, seed: 2, l2: 1e-1 });
  const again = crossValFit(X, labels, K, { folds: 4, seed: 2, l2: 1e-2 });
  const reused = crossValFit(X, labels, K, { folds: 4, seed: 2, l2: 1e-2, prepared: first.features });
  assert.equal(first.features.cols, 128, 'PCA-128 above 128 columns');
  assert.deepEqual(reused.result.predProbs, again.result.predProbs);
  assert.throws(() => crossValFit(X, labels, K, { folds: 4, seed: 2, prepared: { rows: 3, cols: 2, data: new Float32Array(6) } }), /prepared features have 3 rows, X has 200/);
});
