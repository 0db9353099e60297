import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRng } from '../../server/engine/types';
import { assertFiniteRows, l2NormalizeRows, matmulABt, pca, symmetricEigen } from '../../server/engine/linalg';

test('l2NormalizeRows: unit rows, zero row stays zero', () => {
  const out = l2NormalizeRows({ rows: 2, cols: 2, data: Float32Array.from([3, 4, 0, 0]) });
  assert.deepEqual(Array.from(out.data), [0.6000000238418579, 0.800000011920929, 0, 0]);
});

test('matmulABt matches naive product, including a non-multiple-of-4 row count', () => {
  const rng = makeRng(1);
  const A = Float32Array.from({ length: 7 * 5 }, rng), B = Float32Array.from({ length: 3 * 5 }, rng);
  const C = matmulABt(A, 7, B, 3, 5);
  for (let i = 0; i < 7; i++) for (let j = 0; j < 3; j++) {
    let s = 0;
    for (let t = 0; t < 5; t++) s += A[i * 5 + t] * B[j * 5 + t];
    assert.ok(Math.abs(C[i * 3 + j] - s) < 1e-5);
  }
});

test('symmetricEigen of a 2×2', () => {
  const { values } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.ok(Math.abs(values[0] - 3) < 1e-9 && Math.abs(values[1] - 1) < 1e-9);
});

test('pca reconstructs a rank-2 dataset exactly and is deterministic', () => {
  const rng = makeRng(5);
  const n = 300, d = 20;
  const basis = Array.from({ length: 2 * d }, () => rng() - 0.5);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const a = rng() * 4 - 2, b = rng() - 0.5;
    for (let t = 0; t < d; t++) data[i * d + t] = 1 + a * basis[t] + b * basis[d + t];
  }
  const X = { rows: n, cols: d, data };
  const r = pca(X, 2, { seed: 9 });
  let err = 0;
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) {
    let rec = r.mean[t];
    for (let c = 0; c < 2; c++) rec += r.projected.data[i * 2 + c] * r.components.data[c * d + t];
    err = Math.max(err, Math.abs(rec - data[i * d + t]));
  }
  assert.ok(err < 1e-4, `max reconstruction error ${err}`);
  assert.ok(r.explainedVariance[0] >= r.explainedVariance[1]);
  assert.deepEqual(Array.from(pca(X, 2, { seed: 9 }).projected.data), Array.from(r.projected.data));
  // Fit on a sample still spans the same plane.
  const s = pca(X, 2, { seed: 9, maxFitRows: 50 });
  assert.ok(s.explainedVariance[0] > 0);
});

test('assertFiniteRows names the row', () => {
  assert.throws(() => assertFiniteRows({ rows: 3, cols: 2, data: Float32Array.from([0, 0, 0, 0, 0, Infinity]) }), /row 2, column 1/);
});
