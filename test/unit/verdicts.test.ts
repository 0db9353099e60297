/**
 * Label verdicts a person can trust: on a clean set with weak features nothing is a confident flag and the
 * noise share is near zero; with injected noise the flags are mostly right and the interval covers the truth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintEmbeddings } from '../../server/engine/pipeline/lint';
import type { EmbeddedItem } from '../../server/engine/pipeline/embeddedItem';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import { makeRng } from '../../server/engine/numerics/rng';
import { estimateTransition, labelWrongProbability } from '../../server/engine/labels/verdict';
import { verdictOf } from '../../server/engine/labels/issues';

const CLASSES = ['a', 'b', 'c', 'd'];

/**
 * 4 classes × 150 points in 16-D: class means `sep` apart on their own axis plus unit Gaussian noise, so
 * `sep` sets how separable the classes are (1.7 → ~72% accuracy; 4 → easy).
 * `flip`: share of labels replaced by a uniformly chosen other class (seeded). Returns items and the truth.
 */
function blobs(sep: number, flip: number, seed: number): { items: EmbeddedItem[]; wrong: boolean[] } {
  const rng = makeRng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const items: EmbeddedItem[] = [];
  const wrong: boolean[] = [];
  for (let i = 0; i < 600; i++) {
    const c = i % 4;
    const v = new Float32Array(16);
    for (let d = 0; d < 16; d++) v[d] = (d === c ? sep : 0) + gauss();
    let label = c;
    if (rng() < flip) label = (c + 1 + Math.floor(rng() * 3)) % 4;
    wrong.push(label !== c);
    const path = `${CLASSES[label]}/${String(i).padStart(4, '0')}.png`;
    items.push({ item: { path, absPath: `/x/${path}`, label: CLASSES[label], split: null, size: 1, mtimeMs: 0 }, hash: `h${i}`, vector: v, quality: null, error: null });
  }
  return { items, wrong };
}

async function lint(items: EmbeddedItem[]) {
  return lintEmbeddings({ classes: CLASSES, items, trusted: items.map(() => false), skipDiagnosis: true }, DEFAULT_SETTINGS, {}, {});
}

test('a clean set with moderate features (~75% accuracy) gets (almost) no confident label flags and a noise share near 0', async () => {
  const { items } = blobs(1.7, 0, 3);
  const out = await lint(items);
  assert.ok(out.cvAccuracy < 0.8, `features should be moderate here, accuracy ${out.cvAccuracy}`);
  const flagged = out.isLabelIssue.reduce((a, b) => a + b, 0);
  // Confident learning (the verdicts before) flagged 81 of these 600 clean images (13.5%); a calibrated verdict must not cry wolf.
  assert.ok(flagged <= 0.05 * items.length, `${flagged} confident flags on a clean set`);
  assert.ok(out.estimatedNoiseRate < 0.08, `estimated share ${out.estimatedNoiseRate}`);
  assert.equal(out.issues.filter((i) => i.kind === 'label' && i.verdict === 'confident').length, flagged, 'one count per thing');
});

test('with 20% wrong labels the confident flags are mostly right and the interval of the noise share is near the truth', async () => {
  const { items, wrong } = blobs(4, 0.2, 5);
  const out = await lint(items);
  let tp = 0;
  let fp = 0;
  out.isLabelIssue.forEach((f, i) => (f ? (wrong[i] ? tp++ : fp++) : 0));
  const truth = wrong.filter(Boolean).length / wrong.length;
  assert.ok(tp / Math.max(1, tp + fp) >= 0.8, `precision ${tp}/${tp + fp}`);
  assert.ok(tp >= 0.35 * wrong.filter(Boolean).length, `recall ${tp}`);
  const [lo, hi] = out.noiseInterval;
  assert.ok(lo - 0.05 <= truth && truth <= hi + 0.05, `interval [${lo}, ${hi}] vs truth ${truth}`);
  for (const is of out.issues.filter((i) => i.kind === 'label')) {
    assert.match(is.message, /^\d{4}\.png: /, 'messages start with the file name');
    assert.notEqual(is.suggestedLabel, is.path.split('/')[0], 'a flag suggests another class');
  }
});

test('estimateTransition recovers the noise from anchor rows; labelWrongProbability is Bayes with the given label', () => {
  // Two classes, labels flipped 1→0 with probability 0.25: anchors of class 1 read (0.25, 0.75).
  const K = 2;
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 100; i++) {
    rows.push([1, 0]);
    labels.push(0);
  }
  for (let i = 0; i < 100; i++) {
    rows.push([0.25, 0.75]);
    labels.push(1);
  }
  const P = Float32Array.from(rows.flat());
  const T = estimateTransition(Int32Array.from(labels), P, K);
  // Row 0 shows no flips, so it gets the assumed minimum (MIN_ROW_NOISE = 1%); row 1 reads the anchors.
  assert.ok(Math.abs(T[0] - 0.99) < 1e-3 && Math.abs(T[2] - 0.25) < 1e-3 && Math.abs(T[3] - 0.75) < 1e-3, `T = ${Array.from(T)}`);
  // An image that is surely class 1 but labelled 0: wrong with probability T[1][0]π1 / (π0 T[0][0] + π1 T[1][0]) = 1.
  const p = labelWrongProbability(Int32Array.from([0, 1]), Float32Array.from([0.25, 0.75, 0.25, 0.75]), T, K);
  assert.ok(p[0] > 0.99, `p[0] = ${p[0]}`);
  assert.ok(p[1] < 0.01, `p[1] = ${p[1]}`);
});

test('verdict levels: confident at or above minConfidence, possible down to 0.2, none below', () => {
  assert.equal(verdictOf(0.5, 0.5), 'confident');
  assert.equal(verdictOf(0.49, 0.5), 'possible');
  assert.equal(verdictOf(0.2, 0.5), 'possible');
  assert.equal(verdictOf(0.19, 0.5), 'none');
  assert.equal(verdictOf(0.15, 0.1), 'confident');
});

test('two classes with the same anchors (a tiny set) give verdicts, not a singular-matrix crash', () => {
  const labels = Int32Array.from([0, 1, 1]);
  const P = Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  const T = estimateTransition(labels, P, 2);
  const p = labelWrongProbability(labels, P, T, 2);
  assert.ok(Array.from(p).every((v) => v >= 0 && v <= 1), `p = ${Array.from(p)}`);
});
