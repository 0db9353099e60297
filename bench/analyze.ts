/**
 * Bench for the analysis numeric core on synthetic (and optionally real) embeddings. Prints tables; no thresholds.
 *
 *   node out/bench/analyze.js [--sizes 35000x1792,100000x240] [--runs 3] [--classes 7] [--noise 0.2] [--k 10]
 *                             [--seed 1] [--kernels] [--map-compare] [--real sample/fashion-mnist-mini]
 *
 * Each size runs in its own child process (so peak RSS is per size) and repeats the pipeline `runs` times; the
 * table shows median wall seconds per phase and, in brackets, median process CPU seconds (less sensitive to a
 * shared machine). The pipeline is the engine's after embeddings are cached, sharing one PCA:
 *   PCA D→64 (randomized, 6k fit rows) · 5-fold softmax classifier on the 64 PCs · kNN (search in the 64 PCs,
 *   3k candidates re-ranked by exact cosine on all D; 2 workers) · confident learning · duplicates · outliers ·
 *   map (UMAP over the first 50 PCs with the kNN graph; subsampled above 12k rows).
 * Re-score = one relabel: warm-started refit of the affected folds + kNN vote (graph reused) + confident learning.
 * --kernels: GMAC per CPU-second of the plain-JS and WebAssembly SIMD kernels (single thread).
 * --map-compare: full vs subsampled UMAP on the first size: time and same-class nearest-2-D-neighbour rate.
 * --real DIR: neighbour recall@k of the PCA-d search (with and without the exact re-rank) against exact
 *   full-dimension kNN, on the embeddings cached in DIR/.labellint/cache.db.
 * Data: classes are clusters (3 sub-clusters each) in a 48-dim latent space, mapped linearly to D dims, plus
 * isotropic noise, L2-normalised; `noise` of the labels are flipped to a random other class.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Matrix } from '../server/engine/types';
import { makeRng } from '../server/engine/numerics/rng';
import { l2NormalizeRows, matmulABt, pca } from '../server/engine/numerics/linalg';
import { crossValFit, rescoreAfterRelabel } from '../server/engine/labels/classifier';
import { buildKnnGraph, buildKnnGraphSync } from '../server/engine/numerics/knn';
import { knnPredictProbs } from '../server/engine/labels/neighbours';
import { computeConfidentJoint, estimateLatent, findLabelIssues, getLabelQualityScores } from '../server/engine/labels/cl';
import { findDuplicateGroups } from '../server/engine/issues/duplicates';
import { findOutliers, outlierScores } from '../server/engine/issues/outliers';
import { computeMap2d } from '../server/engine/numerics/map';
import { SqliteDb } from '../server/engine/store/sqlite';
import { AnalysisCache, CACHE_FILE, resolveStateDir } from '../server/engine/store/cache';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
function argStr(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

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

const PHASES = ['PCA', 'classifier', 'kNN', 'CL', 'duplicates', 'outliers', 'map', 're-score'] as const;
type Phase = (typeof PHASES)[number];
interface SizeResult { n: number; d: number; wall: Record<Phase, number[]>; cpu: Record<Phase, number[]>; peakRssMiB: number; notes: string[] }

async function timeIt<T>(fn: () => T | Promise<T>): Promise<{ out: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const out = await fn();
  const cu = process.cpuUsage(c0);
  return { out, wall: (performance.now() - t0) / 1000, cpu: (cu.user + cu.system) / 1e6 };
}

/** Share of sampled points whose nearest other point in 2-D has the same class. */
export function sameClassNearestRate(x: Float32Array, y: Float32Array, cls: Int32Array, queries: number, seed: number): number {
  const n = x.length, rng = makeRng(seed);
  let same = 0;
  for (let q = 0; q < queries; q++) {
    const i = Math.floor(rng() * n);
    let best = -1, bd = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = x[j] - x[i], dy = y[j] - y[i], dd = dx * dx + dy * dy;
      if (dd < bd) { bd = dd; best = j; }
    }
    if (cls[best] === cls[i]) same++;
  }
  return same / queries;
}

function firstCols(M: Matrix, m: number): Matrix {
  const out = new Float32Array(M.rows * m);
  for (let i = 0; i < M.rows; i++) out.set(M.data.subarray(i * M.cols, i * M.cols + m), i * m);
  return { rows: M.rows, cols: m, data: out };
}

/** One size, `runs` times; prints one JSON line (consumed by the parent). */
async function runSize(n: number, d: number): Promise<void> {
  const K = arg('classes', 7), noise = arg('noise', 0.2), k = arg('k', 10), seed = arg('seed', 1), runs = arg('runs', 3);
  const data = syntheticEmbeddings(n, d, K, noise, seed);
  const wall = Object.fromEntries(PHASES.map((p) => [p, [] as number[]])) as Record<Phase, number[]>;
  const cpu = Object.fromEntries(PHASES.map((p) => [p, [] as number[]])) as Record<Phase, number[]>;
  const notes: string[] = [];
  const rec = (p: Phase, r: { wall: number; cpu: number }) => { wall[p].push(r.wall); cpu[p].push(r.cpu); };
  for (let run = 0; run < runs; run++) {
    const P = await timeIt(() => pca(data.X, 64, { seed }));
    rec('PCA', P);
    const clf = await timeIt(() => crossValFit(P.out.projected, data.labels, K, { seed, pcaDims: 0 }));
    rec('classifier', clf);
    const G = await timeIt(() => buildKnnGraph(data.X, k, { searchFeatures: P.out.projected, searchDims: 64 }));
    rec('kNN', G);
    const graph = G.out;
    const clStep = (labels: Int32Array, predProbs: Float32Array) => {
      const knnProbs = knnPredictProbs(graph, labels, K);
      const probs = new Float32Array(predProbs.length);
      for (let t = 0; t < probs.length; t++) probs[t] = 0.5 * predProbs[t] + 0.5 * knnProbs[t];
      const quality = getLabelQualityScores(labels, probs, 'self_confidence');
      const mask = findLabelIssues(labels, probs, { filterBy: 'prune_by_noise_rate' });
      const latent = estimateLatent(computeConfidentJoint(labels, probs, K), labels);
      return { quality, mask, latent };
    };
    const cl = await timeIt(() => clStep(data.labels, clf.out.result.predProbs));
    rec('CL', cl);
    const hashes = Array.from({ length: n }, (_, i) => i.toString(16));
    const paths = hashes.map((h) => `img/${h}.png`);
    const dup = await timeIt(() => findDuplicateGroups({
      hashes, graph, labels: data.labels, splits: new Array(n).fill(null), paths, classNames: Array.from({ length: K }, (_, c) => `c${c}`),
    }));
    rec('duplicates', dup);
    const out = await timeIt(() => findOutliers(outlierScores(graph, {}), {}));
    rec('outliers', out);
    // Event-loop responsiveness during the map: longest gap between 5 ms timer ticks.
    let last = performance.now(), maxGap = 0;
    const tick = setInterval(() => { const t = performance.now(); maxGap = Math.max(maxGap, t - last); last = t; }, 5);
    const map = await timeIt(() => computeMap2d(firstCols(P.out.projected, 50), { seed, knn: graph }));
    clearInterval(tick);
    rec('map', map);
    const fixIdx = data.flipped.indexOf(1, run * 97);
    const re = await timeIt(() => {
      const st = rescoreAfterRelabel(clf.out, [fixIdx], [data.truth[fixIdx]]);
      return clStep(st.labels, st.result.predProbs);
    });
    rec('re-score', re);
    if (run === 0) {
      notes.push(`cv accuracy ${clf.out.result.cvAccuracy.toFixed(4)}; flagged label issues ${cl.out.mask.reduce((a, b) => a + b, 0)}`);
      notes.push(`map: same-class nearest-2-D-neighbour rate ${sameClassNearestRate(map.out.x, map.out.y, data.truth, 2000, 5).toFixed(3)}; longest event-loop gap ${maxGap.toFixed(0)} ms`);
      // Recall of the default search vs exact full-dimension neighbours, 100 sampled queries.
      const rng = makeRng(seed + 7), qs = Array.from({ length: 100 }, () => Math.floor(rng() * n));
      const Q = new Float32Array(qs.length * d);
      qs.forEach((q, r) => Q.set(data.X.data.subarray(q * d, (q + 1) * d), r * d));
      const S = matmulABt(Q, qs.length, data.X.data, n, d);
      let hit = 0;
      qs.forEach((q, r) => {
        const row = Array.from(S.subarray(r * n, (r + 1) * n), (s, j) => [s, j] as const).filter(([, j]) => j !== q);
        row.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        const truth = new Set(row.slice(0, k).map(([, j]) => j));
        for (let c = 0; c < k; c++) if (truth.has(graph.indices[q * k + c])) hit++;
      });
      notes.push(`kNN recall@${k} vs exact on all ${d} dims (100 queries): ${(hit / (qs.length * k)).toFixed(3)}`);
    }
  }
  const res: SizeResult = { n, d, wall, cpu, peakRssMiB: process.resourceUsage().maxRSS / 1024, notes };
  console.log(`RESULT ${JSON.stringify(res)}`);
}

const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };

function kernelTable(): void {
  const rng = makeRng(1);
  console.log('\n| kernel | shape | JS GMAC/CPU-s | wasm SIMD GMAC/CPU-s | ratio |\n|---|---|---|---|---|');
  const rate = (macs: number, fn: () => void) => {
    const r: number[] = [];
    for (let i = 0; i < 3; i++) { const c0 = process.cpuUsage(); fn(); const c = process.cpuUsage(c0); r.push(macs / ((c.user + c.system) / 1e6) / 1e9); }
    return median(r);
  };
  { // fused kNN, d=32
    const n = 8000, d = 32;
    const X = l2NormalizeRows({ rows: n, cols: d, data: Float32Array.from({ length: n * d }, () => rng() - 0.5) }, true);
    const js = rate(n * n * d, () => buildKnnGraphSync(X, 10, { kernel: 'js', searchDims: 0 }));
    const wa = rate(n * n * d, () => buildKnnGraphSync(X, 10, { kernel: 'wasm', searchDims: 0 }));
    console.log(`| kNN A·Aᵀ + top-10 | ${n}×${d} | ${js.toFixed(2)} | ${wa.toFixed(2)} | ${(wa / js).toFixed(1)}× |`);
  }
  for (const [m, nn, d] of [[2048, 64, 1792], [512, 8192, 64]] as const) {
    const A = Float32Array.from({ length: m * d }, rng), B = Float32Array.from({ length: nn * d }, rng);
    const js = rate(m * nn * d, () => matmulABt(A, m, B, nn, d, undefined, 'js'));
    const wa = rate(m * nn * d, () => matmulABt(A, m, B, nn, d, undefined, 'wasm'));
    console.log(`| A·Bᵀ | ${m}×${d} · (${nn}×${d})ᵀ | ${js.toFixed(2)} | ${wa.toFixed(2)} | ${(wa / js).toFixed(1)}× |`);
  }
}

async function mapCompare(n: number, d: number): Promise<void> {
  const data = syntheticEmbeddings(n, d, arg('classes', 7), arg('noise', 0.2), arg('seed', 1));
  const P = pca(data.X, 64, { seed: 1 });
  const graph = await buildKnnGraph(data.X, arg('k', 10), { searchFeatures: P.projected, searchDims: 64 });
  const X50 = firstCols(P.projected, 50);
  console.log(`\n| map on ${n}×${d} | wall s | cpu s | same-class nearest-2-D rate |\n|---|---|---|---|`);
  for (const [name, o] of [
    ['full UMAP (120 epochs)', { subsampleAbove: Infinity }],
    ['full UMAP (60 epochs)', { subsampleAbove: Infinity, nEpochs: 60 }],
    ['UMAP on 10k sample + placement (default)', {}],
    ['UMAP on 5k sample + placement', { subsampleSize: 5000 }],
  ] as const) {
    const r = await timeIt(() => computeMap2d(X50, { seed: 1, knn: graph, ...o }));
    console.log(`| ${name} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${sameClassNearestRate(r.out.x, r.out.y, data.truth, 2000, 5).toFixed(3)} |`);
  }
}

/** recall@k of `g` against `truth` (both n×k). */
function recallOf(g: { indices: Int32Array }, truth: { indices: Int32Array }, n: number, k: number): number {
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const want = new Set(truth.indices.subarray(i * k, (i + 1) * k));
    for (let c = 0; c < k; c++) if (want.has(g.indices[i * k + c])) hit++;
  }
  return hit / (n * k);
}

async function realRecall(dir: string): Promise<void> {
  // The model key is not exposed by AnalysisCache; read it (read-only) from the same file, then load through the cache.
  const db = SqliteDb.open(path.join(resolveStateDir(dir).dir, CACHE_FILE), { busyTimeoutMs: 10_000 });
  const models = db.prepare('SELECT model_key AS key, COUNT(*) AS n FROM embeddings GROUP BY model_key ORDER BY n DESC').all() as { key: string; n: number }[];
  db.close();
  const cache = AnalysisCache.open(dir);
  const hashes = [...new Set([...cache.getFileEntries().values()].map((e) => e.hash))].sort();
  const k = arg('k', 10);
  for (const { key } of models) {
    const vecs = cache.getEmbeddings(hashes, key);
    const rows = [...vecs.values()];
    if (rows.length < 2 * k) continue;
    const d = rows[0].length, n = rows.length;
    const X = l2NormalizeRows({ rows: n, cols: d, data: Float32Array.from(rows.flatMap((v) => Array.from(v))) }, true);
    const exact = buildKnnGraphSync(X, k, { searchDims: 0 });
    const P = pca(X, Math.min(128, d - 1), { seed: 1 });
    console.log(`\n| real embeddings ${path.basename(dir)} (${n}×${d}, ${key.split('|')[0]}) search dims | recall@${k} PCA only | recall@${k} +exact re-rank of 3k |\n|---|---|---|`);
    for (const m of [8, 16, 24, 32, 48, 64, 96, 128].filter((v) => v < d)) {
      const only = buildKnnGraphSync(X, k, { searchFeatures: P.projected, searchDims: m, rerankFactor: 1 });
      const rr = buildKnnGraphSync(X, k, { searchFeatures: P.projected, searchDims: m });
      console.log(`| ${m} | ${recallOf(only, exact, n, k).toFixed(3)} | ${recallOf(rr, exact, n, k).toFixed(3)} |`);
    }
  }
  cache.close();
}

async function main(): Promise<void> {
  const single = argStr('single');
  if (single) { const [n, d] = single.split('x').map(Number); await runSize(n, d); return; }
  const sizes = (argStr('sizes') ?? '35000x1792,100000x240').split(',');
  console.log(`analyze bench: sizes ${sizes.join(', ')}, runs ${arg('runs', 3)}, cores ${availableParallelism()}`);
  if (flag('kernels')) kernelTable();
  const real = argStr('real');
  if (real) await realRecall(real);
  if (flag('map-compare')) { const [n, d] = sizes[0].split('x').map(Number); await mapCompare(n, d); }
  const results: SizeResult[] = [];
  for (const size of sizes) {
    const passOn = process.argv.slice(2).filter((a, i, all) => !['--sizes', '--real'].includes(all[i - 1] ?? '') && !['--sizes', '--real', '--kernels', '--map-compare'].includes(a));
    const r = spawnSync(process.execPath, [__filename, '--single', size, ...passOn], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) { console.error(r.stdout, r.stderr); throw new Error(`size ${size} failed`); }
    results.push(JSON.parse(line.slice(7)) as SizeResult);
  }
  console.log(`\n| phase | ${results.map((r) => `${r.n}×${r.d}: median wall s (cpu s)`).join(' | ')} |`);
  console.log(`|---|${results.map(() => '---').join('|')}|`);
  for (const p of PHASES) console.log(`| ${p} | ${results.map((r) => `${median(r.wall[p]).toFixed(2)} (${median(r.cpu[p]).toFixed(2)})`).join(' | ')} |`);
  const total = (r: SizeResult) => PHASES.filter((p) => p !== 're-score').reduce((s, p) => s + median(r.wall[p]), 0);
  console.log(`| TOTAL (excl. re-score) | ${results.map((r) => total(r).toFixed(2)).join(' | ')} |`);
  console.log(`| peak RSS MiB | ${results.map((r) => r.peakRssMiB.toFixed(0)).join(' | ')} |`);
  for (const r of results) for (const note of r.notes) console.log(`${r.n}×${r.d}: ${note}`);
}

if (require.main === module) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
