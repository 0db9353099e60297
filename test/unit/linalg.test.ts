import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRng } from '../../server/engine/types';
import { assertFiniteRows, l2NormalizeRows, matmulABt, pca, symmetricEigen } from '../../server/engine/numerics/linalg';
import { denseKernelBytes, denseKernelModule } from '../../server/engine/numerics/wasm/kernels';
import { sleb, uleb } from '../../server/engine/numerics/wasm/encoder';

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

test('LEB128 encoders', () => {
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb(-1), [0x7f]);
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(sleb(64), [0xc0, 0x00]);
});

test('the assembled SIMD module validates where the runtime has wasm SIMD', () => {
  const bytes = denseKernelBytes();
  assert.deepEqual(Array.from(bytes.subarray(0, 4)), [0x00, 0x61, 0x73, 0x6d]);
  if (denseKernelModule()) assert.ok(WebAssembly.validate(bytes));
});

test('matmulABt: wasm SIMD kernel matches the plain-JS reference on awkward shapes', (t) => {
  if (!denseKernelModule()) { t.skip('no WebAssembly SIMD in this runtime'); return; }
  const rng = makeRng(2);
  for (const [m, n, d] of [[1, 1, 1], [7, 3, 5], [130, 17, 1], [5, 301, 33], [260, 9, 700]] as const) {
    const A = Float32Array.from({ length: m * d }, () => rng() - 0.5), B = Float32Array.from({ length: n * d }, () => rng() - 0.5);
    const js = matmulABt(A, m, B, n, d, undefined, 'js');
    const wasm = matmulABt(A, m, B, n, d, undefined, 'wasm');
    for (let i = 0; i < m * n; i++) assert.ok(Math.abs(js[i] - wasm[i]) < 1e-5 * Math.max(1, Math.sqrt(d)), `${m}×${n}×${d} at ${i}: ${js[i]} vs ${wasm[i]}`);
  }
});
