/**
 * Builds the committed demo/test data from the Debian package `dataset-fashion-mnist`:
 *
 * 1. `sample/fashion-mnist-mini/<class>/<id>.png`: the first 100 images of each class of the Fashion-MNIST
 *    TEST split (in file order), 1,000 in all, with 15% of labels corrupted ('mixed' noise, seed
 *    SAMPLE_SEED: exactly 150 flips, each following a confusable pair with probability 2/3 when its class
 *    has one, otherwise uniform over the other 9 classes). Each file sits in the folder of its NOISY label.
 *    `<id>` is the image's index in the test split, zero-padded to 5 digits.
 *    Ground truth: `sample/fashion-mnist-mini.truth.csv` (path,true_label,given_label; path relative to
 *    the dataset folder), kept OUTSIDE the dataset folder so the analysis never reads it.
 * 2. `test/fixtures/csv-mini/`: 30 PNGs (images 101–110 of trouser, sneaker, bag in the test split) in
 *    `images/`, labelled by `labels.csv` (`path,label`, paths relative to the CSV), with 2 labels changed
 *    (seed CSV_SEED); truth in `test/fixtures/csv-mini.truth.csv`.
 *
 * Run: `npx tsc -p . && node out/bench/make-sample.js`. Output is deterministic for a given sharp/libvips.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRng } from '../server/engine/numerics/rng';
import {
  FASHION_FOLDER_NAMES,
  injectNoise,
  loadFashionMnist,
  writeImageFolder,
  type WrittenImage,
} from './lib/fashion';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SAMPLE_DIR = path.join(REPO_ROOT, 'sample', 'fashion-mnist-mini');
const SAMPLE_TRUTH = path.join(REPO_ROOT, 'sample', 'fashion-mnist-mini.truth.csv');
const CSV_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'csv-mini');
const CSV_TRUTH = path.join(REPO_ROOT, 'test', 'fixtures', 'csv-mini.truth.csv');

export const SAMPLE_PER_CLASS = 100;
export const SAMPLE_NOISE_RATE = 0.15;
export const SAMPLE_PAIR_SHARE = 2 / 3;
export const SAMPLE_SEED = 20250101;
export const CSV_SEED = 7;
/** Classes of the CSV fixture (label indices): trouser, sneaker, bag. */
const CSV_CLASSES = [1, 7, 8] as const;
const CSV_PER_CLASS = 10;
const CSV_WRONG = 2;

/** First `perClass` indices of each class, after skipping `skip` of that class; ascending index order. */
function firstPerClass(labels: Uint8Array, classes: readonly number[], perClass: number, skip = 0): number[] {
  const seen = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!classes.includes(l)) continue;
    const k = seen.get(l) ?? 0;
    seen.set(l, k + 1);
    if (k >= skip && k < skip + perClass) out.push(i);
  }
  for (const c of classes) {
    if ((seen.get(c) ?? 0) < skip + perClass) throw new Error(`class ${c} has fewer than ${skip + perClass} images`);
  }
  return out;
}

function writeTruth(file: string, rows: Array<{ path: string; trueLabel: string; givenLabel: string }>): void {
  rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const lines = ['path,true_label,given_label', ...rows.map((r) => `${r.path},${r.trueLabel},${r.givenLabel}`)];
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

function bytesUnder(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const s = bytesUnder(p);
      files += s.files;
      bytes += s.bytes;
    } else {
      files++;
      bytes += fs.statSync(p).size;
    }
  }
  return { files, bytes };
}

async function makeSample(): Promise<void> {
  const fm = loadFashionMnist('test');
  const allClasses = FASHION_FOLDER_NAMES.map((_, i) => i);
  const indices = firstPerClass(fm.labels, allClasses, SAMPLE_PER_CLASS);
  const trueLabels = Uint8Array.from(indices, (i) => fm.labels[i]!);
  const { noisy, mask, flipped } = injectNoise(trueLabels, allClasses.length, SAMPLE_NOISE_RATE, 'mixed', SAMPLE_SEED, {
    pairShare: SAMPLE_PAIR_SHARE,
  });
  // writeImageFolder indexes labels by source index, so spread the noisy labels back to test-split indices.
  const givenBySource = new Uint8Array(fm.count);
  indices.forEach((src, k) => (givenBySource[src] = noisy[k]!));

  fs.rmSync(SAMPLE_DIR, { recursive: true, force: true });
  const written: WrittenImage[] = await writeImageFolder(SAMPLE_DIR, fm.images, givenBySource, FASHION_FOLDER_NAMES, {
    indices,
  });
  writeTruth(
    SAMPLE_TRUTH,
    written.map((w, k) => ({
      path: w.path,
      trueLabel: FASHION_FOLDER_NAMES[trueLabels[k]!]!,
      givenLabel: FASHION_FOLDER_NAMES[w.label]!,
    })),
  );

  const transitions = new Map<string, number>();
  for (let k = 0; k < indices.length; k++) {
    if (!mask[k]) continue;
    const key = `${FASHION_FOLDER_NAMES[trueLabels[k]!]} -> ${FASHION_FOLDER_NAMES[noisy[k]!]}`;
    transitions.set(key, (transitions.get(key) ?? 0) + 1);
  }
  const size = bytesUnder(SAMPLE_DIR);
  console.log(`sample: ${size.files} PNGs, ${size.bytes} bytes, ${flipped} corrupted labels (seed ${SAMPLE_SEED})`);
  for (const [k, v] of [...transitions].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    console.log(`  ${String(v).padStart(3)}  ${k}`);
  }
}

async function makeCsvFixture(): Promise<void> {
  const fm = loadFashionMnist('test');
  // Skip the images used by the sample so the two fixtures share no pictures.
  const indices = firstPerClass(fm.labels, CSV_CLASSES, CSV_PER_CLASS, SAMPLE_PER_CLASS);
  fs.rmSync(path.join(CSV_DIR, 'images'), { recursive: true, force: true });
  const written = await writeImageFolder(path.join(CSV_DIR, 'images'), fm.images, fm.labels, FASHION_FOLDER_NAMES, {
    indices,
    layout: 'flat',
  });

  // Change CSV_WRONG labels, each to one of the other fixture classes (seeded).
  const rng = makeRng(CSV_SEED);
  const order = written.map((_, k) => k);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const given = written.map((w) => w.label);
  for (const k of order.slice(0, CSV_WRONG)) {
    const others = CSV_CLASSES.filter((c) => c !== written[k]!.label);
    given[k] = others[Math.floor(rng() * others.length)]!;
  }

  const rows = written.map((w, k) => ({
    path: `images/${w.path}`,
    trueLabel: FASHION_FOLDER_NAMES[w.label]!,
    givenLabel: FASHION_FOLDER_NAMES[given[k]!]!,
  }));
  rows.sort((a, b) => (a.path < b.path ? -1 : 1));
  fs.writeFileSync(
    path.join(CSV_DIR, 'labels.csv'),
    ['path,label', ...rows.map((r) => `${r.path},${r.givenLabel}`)].join('\n') + '\n',
  );
  writeTruth(CSV_TRUTH, rows);
  const wrong = rows.filter((r) => r.trueLabel !== r.givenLabel);
  console.log(
    `csv-mini: ${rows.length} PNGs, ${bytesUnder(CSV_DIR).bytes} bytes, wrong labels: ` +
      wrong.map((r) => `${r.path} (${r.trueLabel} given as ${r.givenLabel})`).join('; '),
  );
}

async function main(): Promise<void> {
  await makeSample();
  await makeCsvFixture();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exitCode = 1;
});
