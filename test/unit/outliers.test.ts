import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findOutliers, getMeanKnnDistance, outlierIssues, outlierScores, scoresFromDistances } from '../../server/engine/issues/outliers';
import type { KnnGraph } from '../../server/engine/types';
import { makeRng } from '../../server/engine/types';
import { bruteKnn } from './helpers/brute-knn';


/** 60 points jittered around one direction, plus one point orthogonal to it at index 37. */
function clusterWithOutlier(): number[][] {
  const rng = makeRng(7);
  const D = 10;
  const vecs: number[][] = [];
  for (let i = 0; i < 60; i++) {
    const v = new Array(D).fill(0).map(() => (rng() - 0.5) * 0.6);
    v[0] += 3;
    vecs.push(v);
  }
  const odd = new Array(D).fill(0);
  odd[5] = 1;
  odd[6] = 0.3;
  vecs.splice(37, 0, odd);
  return vecs;
}

test('an obvious outlier gets the highest score, near 1; typical points score low', () => {
  const graph = bruteKnn(clusterWithOutlier(), 5);
  const scores = outlierScores(graph, {});
  assert.equal(scores.length, 61);
  let best = 0;
  for (let i = 0; i < scores.length; i++) {
    assert.ok(scores[i] >= 0 && scores[i] <= 1);
    if (scores[i] > scores[best]) best = i;
  }
  assert.equal(best, 37);
  assert.ok(scores[37] > 0.99);
  const sorted = Float32Array.from(scores).sort();
  assert.ok(sorted[30] < 0.2, `median score ${sorted[30]}`);
  assert.deepEqual(Array.from(findOutliers(scores, {})), [37]);
  assert.deepEqual(Array.from(findOutliers(scores, { quantile: 0.98 })), [37]);
});

test('k limits the neighbours averaged; missing neighbours count as distance 1', () => {
  const graph: KnnGraph = { n: 2, k: 2, indices: Int32Array.from([1, -1, 0, -1]), similarities: Float32Array.from([0.5, 0, 0.5, 0]) };
  assert.deepEqual(Array.from(getMeanKnnDistance(graph)), [0.5, 0.5]);
  const none: KnnGraph = { n: 1, k: 1, indices: Int32Array.from([-1]), similarities: new Float32Array(1) };
  assert.deepEqual(Array.from(getMeanKnnDistance(none)), [1]);
});

test('identical distances give identical low scores (no division by zero)', () => {
  const s = scoresFromDistances(Float32Array.from([0.2, 0.2, 0.2, 0.2]));
  for (const v of s) assert.ok(Math.abs(v - 1 / (1 + Math.exp(3))) < 1e-6);
  assert.equal(scoresFromDistances(new Float32Array(0)).length, 0);
});

test('findOutliers validates options and orders by score', () => {
  const s = Float32Array.from([0.1, 0.95, 0.5, 0.99]);
  assert.deepEqual(Array.from(findOutliers(s, { threshold: 0.5 })), [3, 1, 2]);
  assert.deepEqual(Array.from(findOutliers(s, { quantile: 0.5 })), [3, 1]);
  assert.throws(() => findOutliers(s, { threshold: 0.5, quantile: 0.5 }), /not both/);
  assert.throws(() => findOutliers(s, { quantile: 2 }), /quantile/);
});

test('outlierIssues name the closest image', () => {
  const vecs = clusterWithOutlier();
  const graph = bruteKnn(vecs, 5);
  const scores = outlierScores(graph, { k: 5 });
  const paths = vecs.map((_, i) => `img${i}.png`);
  const issues = outlierIssues({ scores, indices: findOutliers(scores, {}), paths, graph });
  assert.equal(issues.length, 1);
  assert.equal(issues[0].kind, 'outlier');
  assert.equal(issues[0].path, 'img37.png');
  assert.match(issues[0].message, /^Unlike the rest of the dataset: more unusual than 100\.0% of images \(closest image: img\d+\.png, similarity -?\d\.\d\d\)\. Check it belongs here\.$/);
});
