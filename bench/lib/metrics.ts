/**
 * Detection metrics for label-issue benchmarks. `truth`: 1 where the label is really wrong.
 */

export interface DetectionMetrics {
  readonly flagged: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export function detectionMetrics(mask: ArrayLike<number>, truth: ArrayLike<number>): DetectionMetrics {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < truth.length; i++) {
    if (mask[i] && truth[i]) tp++;
    else if (mask[i]) fp++;
    else if (truth[i]) fn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { flagged: tp + fp, precision, recall, f1 };
}

/**
 * AUROC of `score` (higher = more likely wrong) for `truth`, ties counted half (Mann–Whitney U).
 */
export function auroc(score: ArrayLike<number>, truth: ArrayLike<number>): number {
  const n = truth.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[idx[j + 1]] === score[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // 1-based average rank of the tie block
    for (let t = i; t <= j; t++) if (truth[idx[t]]) { pos++; rankSumPos += avgRank; }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Share of really wrong labels among the `at` highest scores. */
export function precisionAt(score: ArrayLike<number>, truth: ArrayLike<number>, at: number): number {
  const idx = Array.from({ length: truth.length }, (_, i) => i).sort((a, b) => score[b] - score[a] || a - b);
  const top = idx.slice(0, Math.max(0, Math.min(at, idx.length)));
  return top.length > 0 ? top.filter((i) => truth[i]).length / top.length : 0;
}

/** Average precision of a ranking (higher score = flagged first) against a 0/1 truth; NaN without positives. */
export function averagePrecision(score: ArrayLike<number>, truth: ArrayLike<number>): number {
  const order = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b] - score[a]);
  let hits = 0;
  let sum = 0;
  order.forEach((i, r) => {
    if (truth[i]) {
      hits++;
      sum += hits / (r + 1);
    }
  });
  return hits ? sum / hits : Number.NaN;
}
