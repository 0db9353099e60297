import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PHASES, type AnalysisProgress } from '../../protocol/progress';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import { lintEmbeddings } from '../../server/engine/pipeline/lint';
import type { EmbeddedItem } from '../../server/engine/pipeline/embeddedItem';
import { crossValFit } from '../../server/engine/labels/classifier';
import { crossValPredictProbsMlp } from '../../server/engine/labels/mlp';
import { makeRng } from '../../server/engine/numerics/rng';
import type { Matrix, ProgressFn } from '../../server/engine/types';

/** 3 separated clusters in 8-D, `per` points each. */
function clusters(per: number, seed: number): { X: Matrix; labels: Int32Array } {
  const rng = makeRng(seed);
  const n = 3 * per;
  const X: Matrix = { rows: n, cols: 8, data: new Float32Array(n * 8) };
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let d = 0; d < 8; d++) X.data[i * 8 + d] = (d === labels[i] ? 3 : 0) + rng() - 0.5;
  }
  return { X, labels };
}

test('the classifier and the MLP report progress in the protocol phase vocabulary (the progress bar maps PHASES)', () => {
  const { X, labels } = clusters(20, 1);
  const seen = new Set<string>();
  crossValFit(X, labels, 3, { seed: 1, folds: 3, onProgress: (phase) => seen.add(phase) });
  crossValPredictProbsMlp(X, labels, 3, { seed: 1, folds: 3, onProgress: (phase) => seen.add(phase) });
  assert.ok(seen.size > 0);
  for (const p of seen) assert.ok((PHASES as readonly string[]).includes(p), `'${p}' is not one of PHASES`);
});

test('a phase outside the vocabulary is a compile error', () => {
  const seen: string[] = [];
  const report: ProgressFn = (phase) => seen.push(phase);
  // @ts-expect-error -- 'classifier folds' is not a Phase: the build fails if ProgressFn ever accepts any string again
  report('classifier folds', 0, 1);
  report('classify', 1, 1);
  assert.deepEqual(seen, ['classifier folds', 'classify']);
});

test('a whole lint run reports only PHASES, in pipeline order', async () => {
  const { X, labels } = clusters(40, 2);
  const classes = ['a', 'b', 'c'];
  const items: EmbeddedItem[] = Array.from({ length: X.rows }, (_, i) => {
    const path = `${classes[labels[i]]}/${i}.png`;
    const item = { path, absPath: `/x/${path}`, label: classes[labels[i]], split: null, size: 1, mtimeMs: 0 };
    return { item, hash: `h${i}`, vector: X.data.slice(i * 8, (i + 1) * 8), quality: null, error: null };
  });
  const phases: AnalysisProgress['phase'][] = [];
  await lintEmbeddings({ classes, items, trusted: items.map(() => false) }, { ...DEFAULT_SETTINGS, folds: 3 }, { onProgress: (p) => phases.push(p.phase) }, {});
  for (const p of phases) assert.ok(PHASES.includes(p), `'${p}' is not one of PHASES`);
  const order = phases.map((p) => PHASES.indexOf(p));
  for (let i = 1; i < order.length; i++) assert.ok(order[i] >= order[i - 1], `phase went back: ${phases[i - 1]} → ${phases[i]}`);
});
