/**
 * MLP head: learns what a linear head cannot (XOR-like classes), is deterministic, gives out-of-fold rows that
 * sum to 1, and validates its inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossValPredictProbs } from '../../server/engine/labels/classifier';
import { crossValPredictProbsMlp, fitPredictMlp } from '../../server/engine/labels/mlp';
import { type Matrix } from '../../server/engine/types';
import { makeRng } from '../../server/engine/numerics/rng';

/** Two classes on the diagonals of a square (XOR), plus noise dimensions. */
function xor(n: number, seed: number): { X: Matrix; y: Int32Array } {
  const rng = makeRng(seed);
  const D = 6;
  const data = new Float32Array(n * D);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng() < 0.5 ? -1 : 1;
    const b = rng() < 0.5 ? -1 : 1;
    data[i * D] = a + 0.3 * (rng() - 0.5);
    data[i * D + 1] = b + 0.3 * (rng() - 0.5);
    for (let d = 2; d < D; d++) data[i * D + d] = rng() - 0.5;
    y[i] = a * b > 0 ? 1 : 0;
  }
  return { X: { rows: n, cols: D, data }, y };
}

test('mlp: separates XOR where the linear head cannot', () => {
  const { X, y } = xor(300, 1);
  const lin = crossValPredictProbs(X, y, 2, { seed: 3 });
  const mlp = crossValPredictProbsMlp(X, y, 2, { seed: 3, hidden: 32, maxEpochs: 150 });
  assert.ok(lin.cvAccuracy < 0.7, `linear ${lin.cvAccuracy}`);
  assert.ok(mlp.cvAccuracy > 0.95, `mlp ${mlp.cvAccuracy}`);
  assert.equal(mlp.epochs.length, 5);
  for (let i = 0; i < X.rows; i++) {
    const s = mlp.predProbs[2 * i] + mlp.predProbs[2 * i + 1];
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
});

test('mlp: same seed, same probabilities; another seed differs', () => {
  const { X, y } = xor(120, 2);
  const a = crossValPredictProbsMlp(X, y, 2, { seed: 5, hidden: 16, maxEpochs: 20 });
  const b = crossValPredictProbsMlp(X, y, 2, { seed: 5, hidden: 16, maxEpochs: 20 });
  const c = crossValPredictProbsMlp(X, y, 2, { seed: 6, hidden: 16, maxEpochs: 20 });
  assert.deepEqual(a.predProbs, b.predProbs);
  assert.notDeepEqual(a.predProbs, c.predProbs);
});

test('mlp: early stopping stops before maxEpochs when the validation loss stops improving', () => {
  const { X, y } = xor(200, 4);
  const rng = makeRng(9);
  const noisy = Int32Array.from(y, (v) => (rng() < 0.25 ? 1 - v : v)); // overfitting the flips raises the val loss
  const r = crossValPredictProbsMlp(X, noisy, 2, { seed: 1, hidden: 32, maxEpochs: 500, patience: 5 });
  assert.ok(r.epochs.every((e) => e < 500), `epochs ${r.epochs}`);
});

test('mlp: fitPredictMlp scores held-out rows', () => {
  const train = xor(300, 7);
  const test_ = xor(50, 8);
  const p = fitPredictMlp(train.X, train.y, test_.X, 2, { seed: 1, hidden: 32, maxEpochs: 150 });
  assert.equal(p.length, 100);
  let correct = 0;
  for (let i = 0; i < 50; i++) if ((p[2 * i + 1] > p[2 * i] ? 1 : 0) === test_.y[i]) correct++;
  assert.ok(correct >= 45, `${correct}/50`);
});

test('mlp: validates shapes and labels', () => {
  const { X, y } = xor(20, 1);
  assert.throws(() => crossValPredictProbsMlp(X, y.subarray(0, 10), 2, { seed: 1 }), /labels.length 10 != X.rows 20/);
  assert.throws(() => crossValPredictProbsMlp(X, Int32Array.from(y, () => 3), 2, { seed: 1 }), /label 3 at row 0 out of range 0..1/);
  const bad = { ...X, data: Float32Array.from(X.data, (v, i) => (i === 4 ? NaN : v)) };
  assert.throws(() => crossValPredictProbsMlp(bad, y, 2, { seed: 1 }), /finite|NaN/i);
});

test('mlp: on PCA components with fewer images than components it still finds a plain class signal', () => {
  // 3 classes × 20 images in 300 dims: the class signal is in a few directions, the rest is noise. With
  // pcaDims 128 > 60 images most components have (near-)zero variance; standardising each of them blew that
  // noise up and the MLP scored about chance (diagnosis (c) printed 33% on a 30-image set).
  const rng = makeRng(3);
  const N = 60, D = 300, K = 3;
  const data = new Float32Array(N * D);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    y[i] = i % K;
    for (let j = 0; j < D; j++) data[i * D + j] = (rng() - 0.5) * 0.6 + (j < 3 * K && j % K === y[i] ? 2 : 0);
  }
  const X: Matrix = { rows: N, cols: D, data };
  const reduced = crossValPredictProbsMlp(X, y, K, { folds: 3, seed: 1, maxEpochs: 60, pcaDims: 128 }).cvAccuracy;
  assert.ok(reduced >= 0.8, `out-of-fold accuracy on PCA-128: ${reduced} (before the fix: 0.43)`);
});
