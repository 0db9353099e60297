/**
 * Feature quality of candidate backbones and settings, on a natural-photo set (Tux Paint stamps) and on
 * Fashion-MNIST. For each candidate × setting × data set it prints:
 *   dim, images/s (extraction, WASM workers), 5-fold linear-probe accuracy (classifier.crossValPredictProbs, clean
 *   labels), LOO cosine 10-NN accuracy, and label-issue F1 / AUROC with 20 % injected noise, uniform and class-pair
 *   (probabilities as the product computes them: probs.estimateProbs = out-of-fold classifier ⊕ kNN vote;
 *   issues = confident learning prune_by_noise_rate; AUROC of 1 − self-confidence). Noise numbers are medians over
 *   `--seeds` seeds. Then a head comparison (linear softmax vs one-hidden-layer MLP, out-of-fold, clean labels).
 *
 *   node out/bench/features.js [--fashion 1000] [--stamps-per-class 60] [--workers 2] [--seeds 3] [--no-heads]
 *
 * Cost saving: each backbone × input size runs once with all candidate nodes, and returns per node the global
 * mean, global max and 2×2-grid means (bench/lib/extract-worker.ts). Settings are assembled from those: every
 * pooled piece is L2-normalised, the pieces concatenated and the whole vector L2-normalised — exactly what the
 * embedder computes for mean pooling. PCA whitening: top-64 principal components (fitted on the set, no labels)
 * divided by their standard deviation, then L2. Flip TTA was measured before (no gain) and is not repeated.
 * Results of the runs are quoted in the header of server/engine/embed/models/registry.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { crossValPredictProbs } from '../server/engine/labels/classifier';
import { findLabelIssues, getLabelQualityScores } from '../server/engine/labels/cl';
import { pca } from '../server/engine/numerics/linalg';
import { crossValPredictProbsMlp } from '../server/engine/labels/mlp';
import { resolveModel, type ResolvedModel } from '../server/engine/embed/models/registry';
import { estimateProbs } from '../server/engine/labels/probs';
import type { Matrix } from '../server/engine/types';
import { extractStats, type Extracted } from './lib/extract';
import { FASHION_CONFUSABLE_PAIRS, injectNoise, loadFashionMnist, type NoiseMode } from './lib/fashion';
import { auroc, detectionMetrics } from './lib/metrics';
import { classBalance, listStamps, loadStampPixels, stampPairs } from './lib/photos';

const K_NN = 10;
const NOISE_RATE = 0.2;
const WHITEN_DIMS = 64;
/** Added to a component's variance before dividing by its square root. */
const WHITEN_EPSILON = 1e-6;

const MV3 = 'tower_0/MobilenetV3/';
const NSFW =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';

type Pool = 'mean' | 'max' | 'grid';
interface Run {
  readonly key: string;
  readonly model: string;
  readonly size: number;
  readonly nodes: readonly string[];
}
interface Setting {
  readonly run: string;
  readonly label: string;
  /** (node index, pooling) pieces. */
  readonly pieces: ReadonlyArray<readonly [number, Pool]>;
  readonly post: 'l2' | 'pca-white';
}

const RUNS: readonly Run[] = [
  {
    key: 'cn224',
    model: 'centernet-mnv3',
    size: 224,
    nodes: [`${MV3}expanded_conv_5/add`, `${MV3}expanded_conv_11/add`, `${MV3}expanded_conv_14/add`, `${MV3}expanded_conv_14/depthwise/hard_swish/mul_1`],
  },
  { key: 'cn160', model: 'centernet-mnv3', size: 160, nodes: [`${MV3}expanded_conv_5/add`, `${MV3}expanded_conv_11/add`, `${MV3}expanded_conv_14/add`] },
  { key: 'cn128', model: 'centernet-mnv3', size: 128, nodes: [`${MV3}expanded_conv_5/add`, `${MV3}expanded_conv_11/add`, `${MV3}expanded_conv_14/add`] },
  { key: 'nsfw224', model: 'nsfwjs-mnv2-mid', size: 224, nodes: [`${NSFW}feature_vector/SpatialSqueeze`, `${NSFW}MobilenetV2/expanded_conv_15/add`] },
];

const m = (n: number[]): Array<readonly [number, Pool]> => n.map((i) => [i, 'mean'] as const);
const SETTINGS: readonly Setting[] = [
  { run: 'cn224', label: '5+11+14 mean (default)', pieces: m([0, 1, 2]), post: 'l2' },
  { run: 'cn224', label: '11+14 mean', pieces: m([1, 2]), post: 'l2' },
  { run: 'cn224', label: '14 mean', pieces: m([2]), post: 'l2' },
  { run: 'cn224', label: '5+11+14 mean+max', pieces: [0, 1, 2].flatMap((i) => [[i, 'mean'], [i, 'max']] as const), post: 'l2' },
  { run: 'cn224', label: '5+11+14 multi-scale (mean+2×2)', pieces: [0, 1, 2].flatMap((i) => [[i, 'mean'], [i, 'grid']] as const), post: 'l2' },
  { run: 'cn224', label: '14 expanded (depthwise) mean', pieces: m([3]), post: 'l2' },
  { run: 'cn224', label: '5+11+14+14exp mean', pieces: m([0, 1, 2, 3]), post: 'l2' },
  { run: 'cn224', label: '5+11+14 mean, PCA-white', pieces: m([0, 1, 2]), post: 'pca-white' },
  { run: 'cn160', label: '5+11+14 mean @160', pieces: m([0, 1, 2]), post: 'l2' },
  { run: 'cn128', label: '5+11+14 mean @128', pieces: m([0, 1, 2]), post: 'l2' },
  { run: 'nsfw224', label: 'feature_vector (baseline)', pieces: m([0]), post: 'l2' },
  { run: 'nsfw224', label: 'expanded_conv_15 mean', pieces: m([1]), post: 'l2' },
];

interface DataSet {
  readonly name: string;
  readonly labels: Int32Array;
  readonly K: number;
  readonly pairs: ReadonlyArray<readonly [number, number]>;
  /** Pixels at a given input size. */
  pixels(size: number): Promise<Uint8Array[]>;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function fashionSet(n: number): DataSet {
  const fm = loadFashionMnist('train');
  const perClass = Math.ceil(n / 10);
  const taken = new Array<number>(10).fill(0);
  const idx: number[] = [];
  for (let i = 0; i < fm.count && idx.length < n; i++) {
    if (taken[fm.labels[i]] >= perClass) continue;
    taken[fm.labels[i]]++;
    idx.push(i);
  }
  const px = fm.rows * fm.cols;
  const cache = new Map<number, Uint8Array[]>();
  return {
    name: `Fashion-MNIST (${idx.length}, 10×${perClass})`,
    labels: Int32Array.from(idx.map((i) => fm.labels[i])),
    K: 10,
    pairs: FASHION_CONFUSABLE_PAIRS,
    async pixels(size) {
      if (!cache.has(size)) {
        const out: Uint8Array[] = [];
        for (const i of idx) {
          const grey = fm.images.subarray(i * px, (i + 1) * px);
          const rgb = new Uint8Array(px * 3);
          for (let p = 0; p < px; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = grey[p];
          const buf = await sharp(rgb, { raw: { width: fm.cols, height: fm.rows, channels: 3 } }).resize(size, size, { fit: 'fill' }).raw().toBuffer();
          out.push(new Uint8Array(buf));
        }
        cache.set(size, out);
      }
      return cache.get(size)!;
    },
  };
}

function stampSet(perClass: number): DataSet {
  const set = listStamps({ perClass });
  const cache = new Map<number, Uint8Array[]>();
  process.stdout.write(`Stamps class balance: ${classBalance(set)}\n`);
  return {
    name: `Tux Paint stamps (${set.files.length}, ${set.classes.length} classes)`,
    labels: set.labels,
    K: set.classes.length,
    pairs: stampPairs(set.classes),
    async pixels(size) {
      if (!cache.has(size)) cache.set(size, await Promise.all(set.files.map((f) => loadStampPixels(f, size))));
      return cache.get(size)!;
    },
  };
}

function l2(v: Float32Array, off = 0, len = v.length - off): void {
  let s = 0;
  for (let i = off; i < off + len; i++) s += v[i] * v[i];
  const inv = 1 / Math.sqrt(s + 1e-12);
  for (let i = off; i < off + len; i++) v[i] *= inv;
}

/** The setting's feature matrix (N×D, rows unit length). */
function assemble(ex: Extracted, setting: Setting): Matrix {
  const offsets: number[] = [];
  ex.channels.reduce((o, c) => (offsets.push(o), o + 6 * c), 0);
  const width = (p: Pool, c: number): number => (p === 'grid' ? 4 * c : c);
  const D = setting.pieces.reduce((s, [i, p]) => s + width(p, ex.channels[i]), 0);
  const N = ex.stats.length;
  const data = new Float32Array(N * D);
  for (let r = 0; r < N; r++) {
    const row = data.subarray(r * D, (r + 1) * D);
    let o = 0;
    for (const [i, p] of setting.pieces) {
      const c = ex.channels[i];
      const from = offsets[i] + (p === 'mean' ? 0 : p === 'max' ? c : 2 * c);
      const w = width(p, c);
      row.set(ex.stats[r].subarray(from, from + w), o);
      l2(row, o, w);
      o += w;
    }
    l2(row);
  }
  const X = { rows: N, cols: D, data };
  return setting.post === 'pca-white' ? whiten(X) : X;
}

function whiten(X: Matrix): Matrix {
  const r = pca(X, Math.min(WHITEN_DIMS, X.cols), { seed: 1 });
  const { rows, cols, data } = r.projected;
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = data[i * cols + j] / Math.sqrt(r.explainedVariance[j] + WHITEN_EPSILON);
    l2(out, i * cols, cols);
  }
  return { rows, cols, data: out };
}

/** Leave-one-out cosine k-NN majority vote (ties: larger summed similarity). Rows must be unit length. */
function knnAccuracy(X: Matrix, labels: Int32Array, k: number): number {
  const { rows: n, cols: d, data } = X;
  let correct = 0;
  const sims = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += data[i * d + t] * data[j * d + t];
      sims[j] = j === i ? -Infinity : s;
    }
    const top = Array.from({ length: n }, (_, j) => j).sort((p, q) => sims[q] - sims[p]).slice(0, k);
    const count = new Map<number, number>();
    const sum = new Map<number, number>();
    for (const j of top) {
      count.set(labels[j], (count.get(labels[j]) ?? 0) + 1);
      sum.set(labels[j], (sum.get(labels[j]) ?? 0) + sims[j]);
    }
    let best = -1;
    for (const [y, c] of count) {
      if (best < 0 || c > count.get(best)! || (c === count.get(best)! && sum.get(y)! > sum.get(best)!)) best = y;
    }
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

/** Extracted stats are cached in the temp dir (`--fresh` ignores the cache): settings can be re-scored cheaply. */
async function cachedExtract(key: string, make: () => Promise<Extracted>): Promise<Extracted> {
  const file = path.join(os.tmpdir(), 'labellint-bench-features', `${key}.json`);
  if (!process.argv.includes('--fresh') && fs.existsSync(file)) {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { channels: number[]; imagesPerSecond: number; dim: number; data: string };
    const all = new Float32Array(Buffer.from(j.data, 'base64').buffer.slice(0));
    const stats = Array.from({ length: all.length / j.dim }, (_, i) => all.slice(i * j.dim, (i + 1) * j.dim));
    return { channels: j.channels, imagesPerSecond: j.imagesPerSecond, stats };
  }
  const ex = await make();
  const dim = ex.stats[0].length;
  const all = new Float32Array(ex.stats.length * dim);
  ex.stats.forEach((s, i) => all.set(s, i * dim));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ channels: ex.channels, imagesPerSecond: ex.imagesPerSecond, dim, data: Buffer.from(all.buffer).toString('base64') }));
  return ex;
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function noiseScores(X: Matrix, d: DataSet, mode: NoiseMode, seeds: number): Promise<{ f1: number; auroc: number }> {
  const f1s: number[] = [];
  const aucs: number[] = [];
  for (let s = 0; s < seeds; s++) {
    const noise = injectNoise(d.labels, d.K, NOISE_RATE, mode, 100 + s, { pairs: d.pairs });
    const noisy = Int32Array.from(noise.noisy);
    const est = await estimateProbs(X, noisy, d.K, { folds: 5, seed: 42, k: K_NN });
    const mask = findLabelIssues(noisy, est.probs, { filterBy: 'prune_by_noise_rate' });
    f1s.push(detectionMetrics(mask, noise.mask).f1);
    const q = getLabelQualityScores(noisy, est.probs, 'self_confidence');
    aucs.push(auroc(Array.from(q, (v) => 1 - v), noise.mask));
  }
  return { f1: median(f1s), auroc: median(aucs) };
}

async function main(): Promise<void> {
  const workers = arg('workers', 2);
  const seeds = arg('seeds', 3);
  const heads = !process.argv.includes('--no-heads');
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : undefined;
  const sets = [stampSet(arg('stamps-per-class', 60)), fashionSet(arg('fashion', 1000))];
  process.stdout.write(`Data: ${sets.map((d) => d.name).join('; ')}. Noise ${NOISE_RATE * 100}%, median of ${seeds} seeds.\n\n`);

  const runs = RUNS.filter((r) => !only || only.includes(r.key));
  const extracted = new Map<string, Extracted[]>();
  const speed = new Map<string, number[]>();
  for (const run of runs) {
    const base = await resolveModel(run.model, run.nodes);
    const model: ResolvedModel = {
      ...base,
      spec: { ...base.spec, inputSize: run.size, graphPatch: base.spec.graphPatch ?? { relaxInputShape: false, dropSignature: false } },
    };
    const per: Extracted[] = [];
    for (const d of sets) {
      const ex = await cachedExtract(`${run.key}-${d.name.replace(/\W+/g, '_')}`, () => d.pixels(run.size).then((px) => extractStats(model, px, workers)));
      process.stderr.write(`${run.key} ${d.name}: ${ex.imagesPerSecond.toFixed(1)} images/s (load ${require('os').loadavg()[0].toFixed(1)})\n`);
      per.push(ex);
    }
    extracted.set(run.key, per);
    speed.set(run.key, per.map((e) => e.imagesPerSecond));
  }

  const header = ['backbone @ input', 'setting', 'dim', 'img/s'];
  for (const d of sets) {
    const n = d.name.split(' (')[0].replace('Tux Paint stamps', 'Stamps').replace('Fashion-MNIST', 'Fashion');
    header.push(`${n} lin`, `${n} 10-NN`, `${n} F1 unif`, `${n} AUROC unif`, `${n} F1 pair`, `${n} AUROC pair`);
  }
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  const matrices = new Map<string, Matrix[]>();
  for (const s of SETTINGS) {
    const run = runs.find((r) => r.key === s.run);
    if (!run) continue;
    const exs = extracted.get(run.key)!;
    const cells: string[] = [];
    let dim = 0;
    const Xs: Matrix[] = [];
    for (let di = 0; di < sets.length; di++) {
      const d = sets[di];
      const X = assemble(exs[di], s);
      Xs.push(X);
      dim = X.cols;
      let t = performance.now();
      const lin = crossValPredictProbs(X, d.labels, d.K, { seed: 42, folds: 5 }).cvAccuracy;
      const tLin = performance.now() - t;
      t = performance.now();
      const knn = knnAccuracy(X, d.labels, K_NN);
      const tKnn = performance.now() - t;
      t = performance.now();
      const u = await noiseScores(X, d, 'uniform', seeds);
      const p = await noiseScores(X, d, 'pairs', seeds);
      process.stderr.write(`  ${s.label} ${d.name}: linear ${(tLin / 1000).toFixed(1)} s, kNN ${(tKnn / 1000).toFixed(1)} s, noise ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
      cells.push(lin.toFixed(3), knn.toFixed(3), u.f1.toFixed(3), u.auroc.toFixed(3), p.f1.toFixed(3), p.auroc.toFixed(3));
    }
    matrices.set(s.label, Xs);
    const sp = speed.get(run.key)!.map((v) => v.toFixed(0)).join('/');
    const line = `| ${run.model} @${run.size} | ${s.label} | ${dim} | ${sp} | ${cells.join(' | ')} |`;
    lines.push(line);
    process.stderr.write(line + '\n');
  }
  process.stdout.write(lines.join('\n') + '\n\n');

  if (!heads) return;
  const hh = ['features', 'data', 'linear acc', 'linear s', 'linear no-PCA acc', 'MLP acc', 'MLP s', 'MLP epochs/fold'];
  const hl = [`| ${hh.join(' | ')} |`, `|${hh.map(() => '---').join('|')}|`];
  for (const label of ['5+11+14 mean (default)', '5+11+14+14exp mean']) {
    const Xs = matrices.get(label);
    if (!Xs) continue;
    for (let di = 0; di < sets.length; di++) {
      const d = sets[di];
      let t = performance.now();
      const lin = crossValPredictProbs(Xs[di], d.labels, d.K, { seed: 42, folds: 5 });
      const tl = (performance.now() - t) / 1000;
      const linFull = crossValPredictProbs(Xs[di], d.labels, d.K, { seed: 42, folds: 5, pcaDims: 0 });
      t = performance.now();
      const mlp = crossValPredictProbsMlp(Xs[di], d.labels, d.K, { seed: 42, folds: 5 });
      const tm = (performance.now() - t) / 1000;
      const row = [label, d.name.split(' (')[0], lin.cvAccuracy.toFixed(3), tl.toFixed(1), linFull.cvAccuracy.toFixed(3), mlp.cvAccuracy.toFixed(3), tm.toFixed(1), mlp.epochs.join(',')];
      hl.push(`| ${row.join(' | ')} |`);
      process.stderr.write(hl[hl.length - 1] + '\n');
    }
  }
  process.stdout.write('Heads (out-of-fold, 5 folds, clean labels; fine-tuning backbone blocks: not run on CPU)\n' + hl.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
