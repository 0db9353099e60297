/**
 * Bench-only references: cleanlab with a tuned logistic regression (Python, optional), and the accuracy
 * against the true labels of a classifier refitted without the flagged images.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import type { Matrix } from '../../server/engine/types';
import type { Settings } from '../../protocol/settings';
import { fitPredict } from '../../server/engine/labels/classifier';
import { hashFolds } from '../../server/engine/labels/folds';

/**
 * cleanlab 2.x `find_label_issues` / `get_label_quality_scores` on out-of-fold probabilities of sklearn's
 * LogisticRegression with C chosen from {0.1, 1, 10, 100} by 5-fold CV log-loss on the given labels
 * ("what a Python user tunes in a minute"). Needs CLEANLAB_PATH (folders holding cleanlab, colon-separated)
 * and Debian's python3-sklearn; null otherwise.
 */
export function cleanlabTuned(X: Matrix, labels: Int32Array, seed: number): { mask: Uint8Array; quality: Float64Array; C: number; cvAcc: number } | null {
  const clPath = process.env.CLEANLAB_PATH;
  if (!clPath || !clPath.split(':').every((p) => existsSync(p))) return null;
  const dir = join(tmpdir(), `labellint-cl-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'X.f32'), Buffer.from(X.data.buffer, X.data.byteOffset, X.data.byteLength));
  writeFileSync(join(dir, 'y.i32'), Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength));
  const py = `
import sys, numpy as np
sys.path[0:0] = ${JSON.stringify(clPath.split(':'))}
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict, StratifiedKFold
from sklearn.metrics import log_loss
from cleanlab.filter import find_label_issues
from cleanlab.rank import get_label_quality_scores
d = ${JSON.stringify(dir)}
y = np.fromfile(d + '/y.i32', dtype=np.int32)
X = np.fromfile(d + '/X.f32', dtype=np.float32).reshape(len(y), -1)
cv = StratifiedKFold(5, shuffle=True, random_state=${seed})
best = None
for C in [0.1, 1, 10, 100]:
    p = cross_val_predict(LogisticRegression(C=C, max_iter=2000), X, y, cv=cv, method='predict_proba')
    l = log_loss(y, p)
    if best is None or l < best[0]: best = (l, C, p)
_, C, p = best
m = find_label_issues(y, p)
q = get_label_quality_scores(y, p)
m.astype(np.uint8).tofile(d + '/mask.u8'); q.astype(np.float64).tofile(d + '/q.f64')
print(C, float((p.argmax(1) == y).mean()))
`;
  const r = spawnSync(process.env.CLEANLAB_PYTHON ?? '/usr/bin/python3', ['-W', 'ignore', '-c', py], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`cleanlab reference failed: ${r.stderr.slice(-500)}`);
    return null;
  }
  const [C, acc] = r.stdout.trim().split(/\s+/).map(Number);
  const qb = readFileSync(join(dir, 'q.f64'));
  return { mask: new Uint8Array(readFileSync(join(dir, 'mask.u8'))), quality: new Float64Array(qb.buffer.slice(qb.byteOffset, qb.byteOffset + qb.byteLength)), C, cvAcc: acc };
}

/**
 * Out-of-fold accuracy against `trueLabels` of the linear head trained on the given labels, (a) on every
 * training image and (b) leaving out the flagged ones (`mask`). Same folds and regularisation for both.
 */
export function refitAccuracy(X: Matrix, given: Int32Array, trueLabels: Int32Array, K: number, mask: Uint8Array, settings: Settings, l2 = 1e-4): { all: number; kept: number } {
  const foldOf = hashFolds(Array.from({ length: X.rows }, (_, i) => String(i)), given, K, settings.folds);
  let okAll = 0;
  let okKept = 0;
  for (let f = 0; f < settings.folds; f++) {
    const test = [...foldOf.keys()].filter((i) => foldOf[i] === f);
    if (test.length === 0) continue;
    const trainAll = [...foldOf.keys()].filter((i) => foldOf[i] !== f);
    const trainKept = trainAll.filter((i) => !mask[i]);
    const Xt = rowsOf(X, test);
    const acc = (train: number[]): number => {
      const p = fitPredict(rowsOf(X, train), Int32Array.from(train, (i) => given[i]), Xt, K, { l2 });
      let ok = 0;
      test.forEach((i, r) => {
        let b = 0;
        for (let c = 1; c < K; c++) if (p[r * K + c] > p[r * K + b]) b = c;
        if (b === trueLabels[i]) ok++;
      });
      return ok;
    };
    okAll += acc(trainAll);
    okKept += acc(trainKept);
  }
  return { all: okAll / X.rows, kept: okKept / X.rows };
}

function rowsOf(X: Matrix, idx: readonly number[]): Matrix {
  const data = new Float32Array(idx.length * X.cols);
  idx.forEach((i, r) => data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), r * X.cols));
  return { rows: idx.length, cols: X.cols, data };
}
