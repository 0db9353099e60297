import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRng } from '../../server/engine/types';
import { l2NormalizeRows } from '../../server/engine/numerics/linalg';
import { buildKnnGraph, buildKnnGraphSync, bruteForceNeighbours, rerankExact } from '../../server/engine/numerics/knn';
import { denseKernelModule } from '../../server/engine/numerics/wasm/kernels';
import { knnPredictProbs, neighbourAgreement, combineLabelQuality, combinePredProbs, getLabelQualityScores } from '../../server/engine/labels/neighbours';

const m = (rows: number, cols: number, v: number[]) => ({ rows, cols, data: Float32Array.from(v) });

test('tiny hand-checkable graph: exact neighbours, self excluded, duplicates, ties by lower index', () => {
  // Unit vectors at angles 0°, 0° (duplicate of 0), 90°, 180°, 90° (duplicate of 2).
  const X = m(5, 2, [1, 0, 1, 0, 0, 1, -1, 0, 0, 1]);
  const g = buildKnnGraphSync(X, 2);
  assert.deepEqual(Array.from(g.indices), [1, 2, 0, 2, 4, 0, 2, 4, 2, 0]);
  assert.deepEqual(Array.from(g.similarities), [1, 0, 1, 0, 1, 0, 0, 0, 1, 0]);
});

test('k > N−1 pads with −1', () => {
  const g = buildKnnGraphSync(m(3, 2, [1, 0, 0.6, 0.8, 0, 1]), 4);
  assert.deepEqual(Array.from(g.indices.subarray(0, 4)), [1, 2, -1, -1]);
  assert.equal(buildKnnGraphSync(m(1, 2, [1, 0]), 3).indices[0], -1);
});

test('matches brute force on random data, sync and with 2 workers, odd sizes', async () => {
  const rng = makeRng(3);
  const n = 203, d = 7, k = 6;
  const X = l2NormalizeRows(m(n, d, Array.from({ length: n * d }, () => rng() - 0.5)));
  const ref = bruteForceNeighbours(X, Array.from({ length: n }, (_, i) => i), k);
  const sync = buildKnnGraphSync(X, k, { blockSize: 17 });
  const par = await buildKnnGraph(X, k, { workers: 2, blockSize: 50 });
  assert.deepEqual(Array.from(sync.indices), Array.from(ref));
  assert.deepEqual(Array.from(par.indices), Array.from(ref));
  assert.deepEqual(Array.from(par.similarities), Array.from(sync.similarities));
});

test('wasm SIMD kernel equals the plain-JS reference: same neighbour lists, similarities within 1e-5', async (t) => {
  if (!denseKernelModule()) { t.skip('no WebAssembly SIMD in this runtime'); return; }
  const rng = makeRng(11);
  for (const [n, d, k, blockSize] of [[203, 7, 6, 17], [517, 33, 10, undefined], [9, 1, 3, undefined], [64, 130, 5, 40]] as const) {
    const data = Array.from({ length: n * d }, () => rng() - 0.5);
    for (let t = 0; t < d; t++) data[5 * d + t] = data[2 * d + t]; // an exact duplicate pair
    const X = l2NormalizeRows(m(n, d, data));
    const js = buildKnnGraphSync(X, k, { kernel: 'js', blockSize, searchDims: 0 });
    const wasm = buildKnnGraphSync(X, k, { kernel: 'wasm', blockSize, searchDims: 0 });
    const par = await buildKnnGraph(X, k, { kernel: 'wasm', workers: 2, blockSize, searchDims: 0 });
    assert.deepEqual(Array.from(wasm.indices), Array.from(js.indices), `n=${n} d=${d}`);
    assert.deepEqual(Array.from(par.indices), Array.from(js.indices));
    assert.deepEqual(Array.from(par.similarities), Array.from(wasm.similarities)); // same kernel: bit-identical
    for (let i = 0; i < js.similarities.length; i++) assert.ok(Math.abs(wasm.similarities[i] - js.similarities[i]) < 1e-5);
  }
});

test('wide rows: PCA search + exact re-rank returns exact similarities, and equals brute force on clustered data', () => {
  const rng = makeRng(4);
  const n = 300, d = 160, k = 5;
  // Low-rank structure (a 12-dim latent mapped to 160 dims, as embeddings tend to be) plus a little isotropic noise.
  const L = 12;
  const map = Array.from({ length: L * d }, () => rng() - 0.5);
  const centres = Array.from({ length: 6 * L }, () => 2 * (rng() - 0.5));
  const data = new Array<number>(n * d).fill(0);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: L }, (_, l) => centres[(i % 6) * L + l] + 0.5 * (rng() - 0.5));
    for (let t = 0; t < d; t++) {
      let v = 0.01 * (rng() - 0.5);
      for (let l = 0; l < L; l++) v += z[l] * map[l * d + t];
      data[i * d + t] = v;
    }
  }
  const X = l2NormalizeRows(m(n, d, data));
  const g = buildKnnGraphSync(X, k); // default: DEFAULT_SEARCH_DIMS PCA dims, 3k candidates, exact re-rank
  const exact = buildKnnGraphSync(X, k, { searchDims: 0, kernel: 'js' });
  for (let i = 0; i < n * k; i++) {
    const row = Math.floor(i / k), j = g.indices[i];
    let s = 0;
    for (let t = 0; t < d; t++) s += X.data[row * d + t] * X.data[j * d + t];
    assert.equal(g.similarities[i], Math.fround(s));
  }
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const want = new Set(exact.indices.subarray(i * k, (i + 1) * k));
    for (let c = 0; c < k; c++) if (want.has(g.indices[i * k + c])) hit++;
  }
  assert.ok(hit / (n * k) > 0.95, `recall ${hit / (n * k)}`);
  // rerankExact keeps the best k of the candidates, sorted, ties by index.
  const cand = { n: 3, k: 2, indices: Int32Array.from([2, 1, 2, 0, 1, 0]), similarities: new Float32Array(6) };
  const r = rerankExact(m(3, 2, [1, 0, 1, 0, 0, 1]), cand, 1);
  assert.deepEqual(Array.from(r.indices), [1, 0, 0]);
});

test('rejects NaN rows and bad k', () => {
  assert.throws(() => buildKnnGraphSync(m(2, 2, [1, 0, NaN, 1]), 1), /row 1/);
  assert.throws(() => buildKnnGraphSync(m(2, 2, [1, 0, 0, 1]), 0), /k must be/);
});

test('neighbour agreement and kNN vote', () => {
  const graph = { n: 3, k: 2, indices: Int32Array.from([1, 2, 0, 2, 0, 1]), similarities: Float32Array.from([1, 1, 1, 1, 1, 1]) };
  const labels = Int32Array.from([0, 0, 1]);
  const agree = neighbourAgreement(graph, labels, 2);
  assert.ok(Math.abs(agree[0] - 0.5) < 1e-6 && Math.abs(agree[2]) < 1e-5);
  const p = knnPredictProbs(graph, labels, 2, { smoothing: 0 });
  assert.ok(Math.abs(p[2 * 2 + 0] - 1) < 1e-5); // row 2's neighbours are both class 0
  const ps = knnPredictProbs(graph, labels, 2, { smoothing: 1 });
  assert.ok(Math.abs(ps[4] + ps[5] - 1) < 1e-6 && ps[5] > 0);
  const q = combineLabelQuality(Float32Array.from([1, 1, 0]), p, labels, { classifier: 0.5 });
  assert.ok(q[2] < q[0]);
  const c = combinePredProbs(Float32Array.from([1, 0, 0, 1, 0, 1]), p, 0.5);
  assert.ok(Math.abs(c[0] + c[1] - 1) < 1e-6);
  assert.throws(() => getLabelQualityScores(c, labels, 2, 'bogus' as never), /valid: self_confidence, normalized_margin/);
  const nm = getLabelQualityScores(Float32Array.from([0.8, 0.2]), Int32Array.from([1]), 2, 'normalized_margin');
  assert.ok(Math.abs(nm[0] - 0.2) < 1e-6);
});
