/**
 * bench/quality: are LabelLint's label verdicts right, and are its numbers honest?
 *
 * Sets (bench/lib/sets.ts, embedded once by `node out/bench/embed-sets.js`): flowers (real photos, the
 * "retrain the last layer" tutorial data), Tux Paint stamps, Fashion-MNIST, and Fashion-MNIST's four
 * upper-body classes (low accuracy, fine-grained). Each clean and with 10/20/30% uniform and class-pair
 * noise (seeded). Per row: the default verdicts (pLabelWrong ≥ 0.5), today's confident learning
 * (`CL`), and cleanlab 2.x with a logistic regression whose C is chosen by inner CV (when Debian's
 * python3-sklearn and a cleanlab checkout on CLEANLAB_PATH are present) — precision, recall, F1, AUROC,
 * AP, flags, estimated vs true noise share (with interval), and accuracy against the TRUE labels of a
 * classifier refitted without the flags vs on all noisy labels.
 *
 * Run: npm run build && node out/bench/embed-sets.js [--model id] && CLEANLAB_PATH=… node out/bench/quality.js [--model id]
 *      [--sets a,b] [--rates 0,0.1,0.2,0.3] [--reliability] [--clf-weight w]
 *      (--model: the backbone whose embeddings are read, default the default; --clf-weight: classifier vs kNN vote in the verdicts)
 */
import { sanitizeSettings, type Settings } from '../protocol/settings';
import { computeConfidentJoint, findLabelIssues, getLabelQualityScores } from '../server/engine/labels/cl';
import type { Matrix } from '../server/engine/types';
import { loadSet } from './lib/embcache';
import { injectNoise, FASHION_CONFUSABLE_PAIRS } from './lib/fashion';
import { stampPairs } from './lib/photos';
import { auroc, averagePrecision, detectionMetrics } from './lib/metrics';
import { judgeLabels } from '../server/engine/labels/judge';
import { cleanlabTuned, refitAccuracy } from './lib/reference';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

/** Confusable pairs by meaning (chosen before looking at any confusion matrix), by class name. */
const NAMED_PAIRS: Record<string, ReadonlyArray<readonly [string, string]>> = {
  flowers: [['daisy', 'dandelion'], ['roses', 'tulips'], ['sunflowers', 'dandelion']],
  'fashion-upper': [['t-shirt_top', 'shirt'], ['pullover', 'coat']],
};

function pairsFor(name: string, classes: readonly string[]): Array<readonly [number, number]> {
  if (name === 'stamps') return stampPairs(classes);
  if (name === 'fashion') return FASHION_CONFUSABLE_PAIRS.map(([a, b]) => [a, b] as const);
  const named = NAMED_PAIRS[name] ?? [];
  return named.map(([a, b]) => [classes.indexOf(a), classes.indexOf(b)] as const).filter(([a, b]) => a >= 0 && b >= 0);
}

export interface Row {
  set: string;
  noise: string;
  method: string;
  flagged: number;
  precision: number;
  recall: number;
  f1: number;
  auroc: number;
  ap: number;
  estShare: string;
  trueShare: number;
  accKept: number;
  accAll: number;
  cvAcc: number;
}

/** `--clf-weight w`: the classifier's weight against the kNN vote (default: the product's). */
const CLF_WEIGHT = process.argv.includes('--clf-weight') ? Number(opt('clf-weight', '')) : undefined;

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '–');
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

async function runCondition(rows: Row[], name: string, X: Matrix, trueLabels: Int32Array, K: number, noise: string, given: Int32Array, seed: number, reliability: number[][]): Promise<void> {
  const truth = Uint8Array.from(given, (g, i) => (g !== trueLabels[i] ? 1 : 0));
  const trueShare = truth.reduce((a, b) => a + b, 0) / truth.length;
  const settings = sanitizeSettings({ seed });
  const j = await judgeLabels(X, given, K, settings, { classifierWeight: CLF_WEIGHT });
  const mask = Uint8Array.from(j.pLabelWrong, (p) => (p >= settings.minConfidence ? 1 : 0));
  const acc = refitAccuracy(X, given, trueLabels, K, mask, settings);
  const base = { set: name, noise, trueShare, accAll: acc.all, cvAcc: j.cvAccuracy };
  rows.push({ ...base, method: 'LabelLint (pLabelWrong ≥ 0.5)', ...detectionMetrics(mask, truth), auroc: auroc(j.pLabelWrong, truth), ap: averagePrecision(j.pLabelWrong, truth), estShare: `${pct(j.noiseShare)} [${pct(j.noiseInterval[0])}, ${pct(j.noiseInterval[1])}]`, accKept: acc.kept });
  const cl = confidentLearning(given, j.predProbs, K, settings);
  const clAcc = refitAccuracy(X, given, trueLabels, K, cl.mask, settings);
  rows.push({ ...base, method: 'confident learning (before)', ...detectionMetrics(cl.mask, truth), auroc: auroc(cl.score, truth), ap: averagePrecision(cl.score, truth), estShare: pct(cl.noiseShare), accKept: clAcc.kept });
  const ref = cleanlabTuned(X, given, seed);
  if (ref) {
    const s = Float64Array.from(ref.quality, (v) => 1 - v);
    const refAcc = refitAccuracy(X, given, trueLabels, K, ref.mask, settings);
    rows.push({ ...base, method: `cleanlab, LR C=${ref.C} (inner CV)`, ...detectionMetrics(ref.mask, truth), auroc: auroc(s, truth), ap: averagePrecision(s, truth), estShare: pct(ref.mask.reduce((a, b) => a + b, 0) / ref.mask.length), accKept: refAcc.kept, cvAcc: ref.cvAcc });
  }
  // Reliability: pLabelWrong bins (0.1 wide) → [count, truly wrong].
  j.pLabelWrong.forEach((p, i) => {
    const b = Math.min(9, Math.floor(p * 10));
    reliability[b][0]++;
    reliability[b][1] += truth[i];
  });
}

/** The verdicts before: confident learning's mask, its ranking (1 − self-confidence) and noise share, on the same probabilities. */
function confidentLearning(labels: Int32Array, probs: Float32Array, K: number, settings: Settings): { mask: Uint8Array; score: Float64Array; noiseShare: number } {
  const mask = Uint8Array.from(findLabelIssues(labels, probs, { filterBy: settings.labelFilter }), (v) => (v ? 1 : 0));
  const score = Float64Array.from(getLabelQualityScores(labels, probs, 'self_confidence'), (q) => 1 - q);
  const cj = computeConfidentJoint(labels, probs, K);
  let off = 0;
  let tot = 0;
  for (let i = 0; i < K * K; i++) {
    tot += cj[i];
    if (Math.floor(i / K) !== i % K) off += cj[i];
  }
  return { mask, score, noiseShare: tot > 0 ? off / tot : 0 };
}

function printTable(rows: Row[]): void {
  const head = ['set', 'noise', 'method', 'cv acc', 'flagged', 'precision', 'recall', 'F1', 'AUROC', 'AP', 'est. wrong share [90%]', 'true share', 'acc. refit w/o flags (true labels)', 'acc. all noisy'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) {
    console.log(`| ${[r.set, r.noise, r.method, f3(r.cvAcc), String(r.flagged), f3(r.precision), f3(r.recall), f3(r.f1), f3(r.auroc), f3(r.ap), r.estShare, pct(r.trueShare), f3(r.accKept), f3(r.accAll)].join(' | ')} |`);
  }
}

async function main(): Promise<void> {
  const sets = opt('sets', 'flowers,stamps,fashion,fashion-upper').split(',');
  const rates = opt('rates', '0,0.1,0.2,0.3').split(',').map(Number);
  const seed = Number(opt('seed', '7'));
  const model = opt('model', sanitizeSettings({}).model);
  console.log(`Backbone: ${model}\n`);
  const rows: Row[] = [];
  const reliability = Array.from({ length: 10 }, () => [0, 0]);
  for (const name of sets) {
    const s = loadSet(name, model);
    if (!s) throw new Error(`set '${name}' is not embedded with ${model}: run node out/bench/embed-sets.js --model ${model} ${name}`);
    const K = s.classes.length;
    const pairs = pairsFor(name, s.classes);
    for (const rate of rates) {
      for (const mode of rate === 0 ? (['clean'] as const) : (['uniform', 'pairs'] as const)) {
        const given = mode === 'clean' ? s.labels : Int32Array.from(injectNoise(s.labels, K, rate, mode, seed, { pairs }).noisy);
        await runCondition(rows, `${name} (${s.X.rows})`, s.X, s.labels, K, mode === 'clean' ? 'none' : `${rate * 100}% ${mode}`, given, seed, reliability);
        console.error(`done ${name} ${mode} ${rate}`);
      }
    }
  }
  printTable(rows);
  if (process.argv.includes('--reliability')) {
    console.log('\nReliability of pLabelWrong over every row above (bin → images, share truly wrong):\n');
    console.log('| pLabelWrong | images | truly wrong |');
    console.log('|---|---|---|');
    reliability.forEach(([n, w], b) => console.log(`| ${(b / 10).toFixed(1)}–${((b + 1) / 10).toFixed(1)} | ${n} | ${n ? pct(w / n) : '–'} |`));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
