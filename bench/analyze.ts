/**
 * Bench for the label-error numeric core on synthetic embeddings. Prints tables; no thresholds.
 *
 *   node out/bench/analyze.js [--n 35000] [--d 1792] [--classes 7] [--noise 0.2] [--pca 64] [--knn-dims 64]
 *                             [--k 10] [--recall-queries 40] [--seed 1]
 *
 * Data: classes are clusters (3 sub-clusters each) in a 48-dim latent space, mapped linearly to D dims, plus
 * isotropic noise, L2-normalised; `noise` of the labels are flipped to a random other class.
 * Times are wall seconds and (in brackets) process CPU seconds, which are less sensitive to a shared machine.
 */
import { availableParallelism } from 'node:os';
import { Matrix, makeRng } from '../server/engine/types';
import { l2NormalizeRows, matmulABt, pca } from '../server/engine/linalg';
import { crossValFit, rescoreAfterRelabel } from '../server/engine/classifier';
import { buildKnnGraph } from '../server/engine/knn';
import {
  combineLabelQuality, combinePredProbs, getLabelQualityScores, knnPredictProbs, neighbourAgreement,
} from '../server/engine/neighbours';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function gaussian(rng: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) { const s = spare; spare = null; return s; }
    const u = Math.max(rng(), 1e-12), v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export function syntheticEmbeddings(n: number, d: number, classes: number, noiseRate: number, seed: number) {
  const rng = makeRng(seed), g = gaussian(rng);
  const L = 48, SUB = 3;
  const centres = Float32Array.from({ length: classes * L }, () => 0.6 * g()); // small: classes overlap, so the AUROC table is not saturated
  const subs = Float32Array.from({ length: classes * SUB * L }, () => 0.8 * g());
  const A = Float32Array.from({ length: d * L }, () => g() / Math.sqrt(L)); // d×L
  const Z = new Float32Array(n * L);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes, s = Math.floor(rng() * SUB);
    truth[i] = c;
    for (let t = 0; t < L; t++) Z[i * L + t] = centres[c * L + t] + subs[(c * SUB + s) * L + t] + g();
  }
  const X = matmulABt(Z, n, A, d, L); // n×d
  for (let t = 0; t < X.length; t++) X[t] += 0.35 * g();
  const labels = Int32Array.from(truth);
  const flipped = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (rng() < noiseRate) {
      labels[i] = (truth[i] + 1 + Math.floor(rng() * (classes - 1))) % classes;
      flipped[i] = 1;
    }
  }
  return { X: l2NormalizeRows({ rows: n, cols: d, data: X }, true), labels, truth, flipped };
}

/** AUROC of detecting flipped labels with a score where lower = more suspicious (rank-sum, ties averaged). */
export function aurocLowIsPositive(score: Float32Array, positive: Uint8Array): number {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b] - score[a]); // descending: low last
  let rankSumPos = 0, nPos = 0;
  for (let r = 0; r < n;) {
    let e = r;
    while (e + 1 < n && score[order[e + 1]] === score[order[r]]) e++;
    const avg = (r + e) / 2 + 1;
    for (let t = r; t <= e; t++) if (positive[order[t]]) { rankSumPos += avg; nPos++; }
    r = e + 1;
  }
  const nNeg = n - nPos;
  return nPos && nNeg ? (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg) : NaN;
}

async function timed<T>(label: string, rows: string[][], fn: () => T | Promise<T>): Promise<T> {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const out = await fn();
  const wall = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  rows.push([label, wall.toFixed(2), ((cu.user + cu.system) / 1e6).toFixed(2)]);
  console.log(`  ${label}: ${wall.toFixed(2)} s wall`);
  return out;
}

async function main(): Promise<void> {
  const n = arg('n', 35000), d = arg('d', 1792), K = arg('classes', 7), noise = arg('noise', 0.2);
  const dims = arg('pca', 64), knnDims = arg('knn-dims', 64), k = arg('k', 10), seed = arg('seed', 1);
  const recallQueries = arg('recall-queries', 40);
  console.log(`analyze bench: N=${n} D=${d} K=${K} noise=${noise} pca=${dims} knnDims=${knnDims} k=${k} cores=${availableParallelism()}`);
  const times: string[][] = [];
  const data = await timed('synthesise data (not part of pipeline)', times, () => syntheticEmbeddings(n, d, K, noise, seed));
  const t0 = performance.now(), c0 = process.cpuUsage();
  const p = await timed(`PCA ${d}→${dims} (randomized, 6k fit rows)`, times, () => pca(data.X, dims, { seed }));
  const state = await timed('5-fold softmax LR (L-BFGS) on PCA feats', times, () => crossValFit(p.projected, data.labels, K, { seed, pcaDims: 0 }));
  const knnFeats = await timed(`kNN features: first ${knnDims} PCs, L2-normalised`, times, () => {
    const m = Math.min(knnDims, p.projected.cols);
    const out = new Float32Array(n * m);
    for (let i = 0; i < n; i++) for (let t = 0; t < m; t++) out[i * m + t] = p.projected.data[i * p.projected.cols + t];
    return l2NormalizeRows({ rows: n, cols: m, data: out }, true);
  });
  const graph = await timed(`exact kNN k=${k} on ${knnFeats.cols} dims (2 workers)`, times, () => buildKnnGraph(knnFeats, k));
  const scores = await timed('neighbour scores + combination', times, () => {
    const knnProbs = knnPredictProbs(graph, data.labels, K);
    const agree = neighbourAgreement(graph, data.labels, K);
    return { knnProbs, agree };
  });
  const total = (performance.now() - t0) / 1000, cpuTotal = process.cpuUsage(c0);
  times.push(['TOTAL pipeline (PCA+folds+kNN+scores)', total.toFixed(2), ((cpuTotal.user + cpuTotal.system) / 1e6).toFixed(2)]);

  // Re-score after one relabel: flip one noisy example back to its true label.
  const fixIdx = data.flipped.indexOf(1);
  const newState = await timed('re-score after 1 relabel (warm-start, affected folds)', times,
    () => rescoreAfterRelabel(state, [fixIdx], [data.truth[fixIdx]]));
  const newKnn = await timed('re-score kNN probs (graph reused)', times, () => {
    const labels2 = newState.labels;
    return knnPredictProbs(graph, labels2, K);
  });
  void newKnn;

  // Recall of the reduced-dims graph vs exact full-dims neighbours on sampled queries.
  const rng = makeRng(seed + 7);
  const qs = Array.from({ length: Math.min(recallQueries, n) }, () => Math.floor(rng() * n));
  let hit = 0;
  await timed(`recall check: exact full-dim kNN for ${qs.length} queries`, times, () => {
    const Q = new Float32Array(qs.length * d);
    qs.forEach((q, r) => Q.set(data.X.data.subarray(q * d, (q + 1) * d), r * d));
    const S = matmulABt(Q, qs.length, data.X.data, n, d);
    qs.forEach((q, r) => {
      const row = Array.from(S.subarray(r * n, (r + 1) * n), (s, j) => [s, j] as const).filter(([, j]) => j !== q);
      row.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      const truthSet = new Set(row.slice(0, k).map(([, j]) => j));
      for (let c = 0; c < k; c++) if (truthSet.has(graph.indices[q * k + c])) hit++;
    });
  });
  const recall = hit / (qs.length * k);

  console.log('\n| step | wall s | cpu s |\n|---|---|---|');
  for (const r of times) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nPCA explained variance (first 5): ${Array.from(p.explainedVariance.slice(0, 5), (v) => v.toExponential(2)).join(', ')}`);
  console.log(`kNN recall@${k} vs exact cosine on all ${d} dims (${qs.length} queries): ${recall.toFixed(3)}`);
  console.log(`out-of-fold accuracy vs given labels: ${state.result.cvAccuracy.toFixed(4)}`);
  let accTrue = 0;
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let c = 1; c < K; c++) if (state.result.predProbs[i * K + c] > state.result.predProbs[i * K + b]) b = c;
    if (b === data.truth[i]) accTrue++;
  }
  console.log(`out-of-fold accuracy vs true labels: ${(accTrue / n).toFixed(4)}`);

  const y = data.labels, pp = state.result.predProbs;
  const clfSelf = getLabelQualityScores(pp, y, K, 'self_confidence');
  const clfMargin = getLabelQualityScores(pp, y, K, 'normalized_margin');
  const knnSelf = getLabelQualityScores(scores.knnProbs, y, K, 'self_confidence');
  console.log('\n| score (lower = suspicious) | AUROC for injected flips |\n|---|---|');
  const row = (name: string, s: Float32Array) => console.log(`| ${name} | ${aurocLowIsPositive(s, data.flipped).toFixed(4)} |`);
  row('classifier self-confidence p[y]', clfSelf);
  row('classifier normalized margin', clfMargin);
  row('kNN vote p[y]', knnSelf);
  row('neighbour agreement', scores.agree);
  for (const w of [0.3, 0.5, 0.7]) {
    row(`combineLabelQuality(self-conf, kNN) w=${w}`, combineLabelQuality(clfSelf, scores.knnProbs, y, { classifier: w }));
    row(`self-conf of combinePredProbs w=${w}`, getLabelQualityScores(combinePredProbs(pp, scores.knnProbs, w), y, K));
  }
  row('margin of combinePredProbs w=0.5', getLabelQualityScores(combinePredProbs(pp, scores.knnProbs, 0.5), y, K, 'normalized_margin'));
  console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

if (require.main === module) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
