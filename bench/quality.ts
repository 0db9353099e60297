/**
 * bench/quality: how well does LabelLint find wrong labels?
 *
 * Builds a Fashion-MNIST ImageFolder at bench time (default 1,000 images per class, true labels) from the
 * Debian package, embeds it once (cached), then injects 20% label noise twice with a fixed seed —
 * uniform, and confusable pairs — and scores each detector: precision, recall and F1 of the flagged set,
 * AUROC and precision@N of the label-quality score (N = number of wrong labels), plus cross-validated
 * accuracy against the given and the true labels. The committed sample (with its truth file) is scored too.
 *
 * Optional reference: with Debian's python3-sklearn and a cleanlab checkout on CLEANLAB_PATH, cleanlab's
 * defaults (sklearn LogisticRegression, 5-fold cross_val_predict, find_label_issues) run on the same
 * embeddings and noisy labels, and appear in the same table.
 *
 * Run: npm run build && node out/bench/quality.js [--per-class 1000] [--rate 0.2] [--seed 7]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { collectEmbeddings } from '../server/engine/pipeline/analyze';
import { sanitizeSettings, type Settings } from '../protocol/settings';
import type { Matrix } from '../server/engine/types';
import { estimateProbs, mixProbs } from '../server/engine/labels/probs';
import { findLabelIssues, getLabelQualityScores } from '../server/engine/labels/cl';
import { loadFashionMnist, writeImageFolder, injectNoise, FASHION_FOLDER_NAMES, FASHION_CONFUSABLE_PAIRS, type NoiseMode } from './lib/fashion';
import { auroc, detectionMetrics, precisionAt } from './lib/metrics';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const ROOT = resolve(__dirname, '..', '..');

async function buildFashion(perClass: number): Promise<string> {
  const dir = join(ROOT, 'bench', 'data', `fashion-${perClass}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const f = loadFashionMnist('train');
  const taken = new Array<number>(10).fill(0);
  const indices: number[] = [];
  for (let i = 0; i < f.count; i++) if (taken[f.labels[i]]++ < perClass) indices.push(i);
  mkdirSync(dir, { recursive: true });
  await writeImageFolder(dir, f.images, f.labels, FASHION_FOLDER_NAMES, { indices, compressionLevel: 1 });
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

interface Row {
  set: string;
  method: string;
  flagged: number;
  precision: number;
  recall: number;
  f1: number;
  auroc: number;
  aurocMargin: number;
  pAtN: number;
  cvGiven: number;
  cvTrue: number;
}

function argmaxAcc(probs: Float32Array, labels: ArrayLike<number>, K: number): number {
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    let b = 0;
    for (let c = 1; c < K; c++) if (probs[i * K + c] > probs[i * K + b]) b = c;
    if (b === labels[i]) ok++;
  }
  return ok / labels.length;
}

function score(set: string, method: string, labels: Int32Array, truth: Uint8Array, trueLabels: ArrayLike<number>, probs: Float32Array, K: number, mask?: Uint8Array): Row {
  const m = mask ?? findLabelIssues(labels, probs, { filterBy: 'prune_by_noise_rate' });
  const q = getLabelQualityScores(labels, probs, 'self_confidence');
  const s = Float64Array.from(q, (v) => 1 - v);
  const nWrong = truth.reduce((a, b) => a + b, 0);
  const d = detectionMetrics(m, truth);
  const margin = Float64Array.from(getLabelQualityScores(labels, probs, 'normalized_margin'), (v) => 1 - v);
  return { set, method, ...d, auroc: auroc(s, truth), aurocMargin: auroc(margin, truth), pAtN: precisionAt(s, truth, nWrong), cvGiven: argmaxAcc(probs, labels, K), cvTrue: argmaxAcc(probs, trueLabels, K) };
}

/** cleanlab's defaults on the same embeddings, when cleanlab and sklearn are available. */
function cleanlabReference(X: Matrix, labels: Int32Array, seed: number): { mask: Uint8Array; quality: Float64Array; probs: Float32Array } | null {
  // CLEANLAB_PATH: colon-separated folders holding the cleanlab package (and stubs of termcolor/tqdm if needed).
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
from cleanlab.filter import find_label_issues
from cleanlab.rank import get_label_quality_scores
d = ${JSON.stringify(dir)}
y = np.fromfile(d + '/y.i32', dtype=np.int32)
X = np.fromfile(d + '/X.f32', dtype=np.float32).reshape(len(y), -1)
p = cross_val_predict(LogisticRegression(max_iter=1000), X, y, cv=StratifiedKFold(5, shuffle=True, random_state=${seed}), method='predict_proba')
m = find_label_issues(y, p)
q = get_label_quality_scores(y, p)
m.astype(np.uint8).tofile(d + '/mask.u8'); q.astype(np.float64).tofile(d + '/q.f64'); p.astype(np.float32).tofile(d + '/p.f32')
`;
  const r = spawnSync(process.env.CLEANLAB_PYTHON ?? '/usr/bin/python3', ['-W', 'ignore', '-c', py], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`cleanlab reference failed: ${r.stderr.slice(-500)}`);
    return null;
  }
  const mask = new Uint8Array(readFileSync(join(dir, 'mask.u8')));
  const qb = readFileSync(join(dir, 'q.f64'));
  const pb = readFileSync(join(dir, 'p.f32'));
  return {
    mask,
    quality: new Float64Array(qb.buffer.slice(qb.byteOffset, qb.byteOffset + qb.byteLength)),
    probs: new Float32Array(pb.buffer.slice(pb.byteOffset, pb.byteOffset + pb.byteLength)),
  };
}

async function embedFolder(dir: string, settings: Settings): Promise<{ X: Matrix; labels: Int32Array; paths: string[]; K: number; classes: readonly string[] }> {
  const timings: Record<string, number> = {};
  const r = await collectEmbeddings(dir, settings, { log: () => {} }, timings);
  r.cache.close();
  if (r.ownEmbedder) await r.embedder.dispose();
  const items = r.items.filter((e) => e.vector);
  const dim = items[0].vector!.length;
  const X: Matrix = { rows: items.length, cols: dim, data: new Float32Array(items.length * dim) };
  items.forEach((e, i) => X.data.set(e.vector!, i * dim));
  const ci = new Map(r.inv.classes.map((c, i) => [c, i]));
  console.error(`embedded ${dir}: ${items.length} images, ${dim}-d, embed ${((timings.embed ?? 0) / 1000).toFixed(1)} s`);
  return { X, labels: Int32Array.from(items, (e) => ci.get(e.item.label)!), paths: items.map((e) => e.item.path), K: r.inv.classes.length, classes: r.inv.classes };
}

async function runSet(rows: Row[], set: string, X: Matrix, given: Int32Array, trueLabels: ArrayLike<number>, K: number, settings: Settings): Promise<void> {
  const truth = Uint8Array.from(given, (g, i) => (g !== trueLabels[i] ? 1 : 0));
  const est = await estimateProbs(X, given, K, { folds: settings.folds, seed: settings.seed, k: settings.k });
  rows.push(score(set, 'classifier + CL', given, truth, trueLabels, est.clfProbs, K));
  rows.push(score(set, 'kNN + CL', given, truth, trueLabels, est.knnProbs, K));
  for (const w of [0.3, 0.5, 0.7]) {
    rows.push(score(set, `combined w=${w}${w === 0.5 ? ' (default)' : ''}`, given, truth, trueLabels, mixProbs(est.clfProbs, est.knnProbs, w), K));
  }
  for (const k of [5, 20, 30]) {
    const e2 = await estimateProbs(X, given, K, { folds: settings.folds, seed: settings.seed, k });
    rows.push(score(set, `combined w=0.5, k=${k}`, given, truth, trueLabels, e2.probs, K));
  }
  const ref = cleanlabReference(X, given, settings.seed);
  if (ref) {
    const s = Float64Array.from(ref.quality, (v) => 1 - v);
    const nWrong = truth.reduce((a, b) => a + b, 0);
    rows.push({ set, method: 'cleanlab 2.x defaults (sklearn LR)', ...detectionMetrics(ref.mask, truth), auroc: auroc(s, truth), aurocMargin: Number.NaN, pAtN: precisionAt(s, truth, nWrong), cvGiven: argmaxAcc(ref.probs, given, K), cvTrue: argmaxAcc(ref.probs, trueLabels, K) });
  }
}

function printTable(rows: Row[]): void {
  const head = ['set', 'method', 'flagged', 'precision', 'recall', 'F1', 'AUROC', 'AUROC (margin)', 'P@N', 'cv acc (given)', 'cv acc (true)'];
  const body = rows.map((r) => [r.set, r.method, String(r.flagged), r.precision.toFixed(3), r.recall.toFixed(3), r.f1.toFixed(3), r.auroc.toFixed(3), r.aurocMargin.toFixed(3), r.pAtN.toFixed(3), r.cvGiven.toFixed(3), r.cvTrue.toFixed(3)]);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const b of body) console.log(`| ${b.join(' | ')} |`);
}

async function main(): Promise<void> {
  const perClass = arg('per-class', 1000);
  const rate = arg('rate', 0.2);
  const seed = arg('seed', 7);
  const settings = sanitizeSettings({});
  const rows: Row[] = [];

  // The committed sample: labels as given on disk, truth from the file beside it.
  const sampleDir = join(ROOT, 'sample', 'fashion-mnist-mini');
  const truthFile = join(ROOT, 'sample', 'fashion-mnist-mini.truth.csv');
  if (existsSync(truthFile)) {
    const s = await embedFolder(sampleDir, settings);
    const truthMap = new Map<string, string>();
    for (const line of readFileSync(truthFile, 'utf8').trim().split(/\r?\n/).slice(1)) {
      const [p, t] = line.split(',');
      truthMap.set(p, t);
    }
    const ci = new Map(s.classes.map((c, i) => [c, i]));
    const trueLabels = s.paths.map((p) => ci.get(truthMap.get(p)!)!);
    await runSet(rows, 'sample (given noise)', s.X, s.labels, trueLabels, s.K, settings);
  }

  const dir = await buildFashion(perClass);
  const f = await embedFolder(dir, settings);
  for (const mode of ['uniform', 'pairs'] as NoiseMode[]) {
    // The confusable pairs are in Fashion-MNIST label order; the folder classes are sorted by name.
    const toFolder = (l: number): number => f.classes.indexOf(FASHION_FOLDER_NAMES[l]);
    const pairs = FASHION_CONFUSABLE_PAIRS.map(([a, b]) => [toFolder(a), toFolder(b)] as const);
    const noisy = injectNoise(f.labels, f.K, rate, mode, seed, { pairs });
    await runSet(rows, `fashion ${perClass}/class, ${rate * 100}% ${mode}`, f.X, Int32Array.from(noisy.noisy), f.labels, f.K, settings);
  }
  printTable(rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
