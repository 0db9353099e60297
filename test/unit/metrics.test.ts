import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc, detectionMetrics, precisionAt } from '../../bench/lib/metrics';

test('detection metrics on a hand-counted case', () => {
  const m = detectionMetrics([1, 1, 0, 0, 1], [1, 0, 1, 0, 1]);
  assert.equal(m.flagged, 3);
  assert.equal(m.precision, 2 / 3);
  assert.equal(m.recall, 2 / 3);
  assert.ok(Math.abs(m.f1 - 2 / 3) < 1e-12);
});

test('AUROC: perfect, inverted, ties and the Mann–Whitney value', () => {
  assert.equal(auroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]), 1);
  assert.equal(auroc([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0]), 0);
  assert.equal(auroc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]), 0.5);
  // pos scores {0.8, 0.4}, neg {0.6, 0.2}: pairs won 3 of 4.
  assert.equal(auroc([0.8, 0.4, 0.6, 0.2], [1, 1, 0, 0]), 0.75);
  assert.ok(Number.isNaN(auroc([1, 2], [0, 0])));
});

test('precision@N counts the truly wrong among the top N', () => {
  assert.equal(precisionAt([0.9, 0.1, 0.8, 0.7], [1, 1, 0, 0], 2), 0.5);
  assert.equal(precisionAt([0.9, 0.1], [1, 0], 0), 0);
});
