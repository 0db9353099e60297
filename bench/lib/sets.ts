/**
 * Bench data sets for label-verdict quality, built at bench time into bench/data/ (git-ignored) and embedded
 * once with the default backbone through the engine's own cache (so a second run embeds nothing):
 * - flowers: ../shared/data/flowers (TF flower_photos subset, 5 × 200 real photos, CC-BY 2.0), copied;
 * - stamps: Tux Paint stamps (Debian tuxpaint-stamps-default), up to 60 per category (bench/lib/photos.ts);
 * - fashion: Fashion-MNIST train, `perClass` per class (Debian dataset-fashion-mnist);
 * - fashion-upper: the four upper-body Fashion-MNIST classes (t-shirt/top, pullover, coat, shirt) — a low-accuracy,
 *   fine-grained set like the seed user's.
 * Truth = the folder labels; noise is injected later, seeded.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { collectEmbeddings } from '../../server/engine/pipeline/analyze';
import type { Settings } from '../../protocol/settings';
import type { Matrix } from '../../server/engine/types';
import { loadFashionMnist, writeImageFolder, FASHION_FOLDER_NAMES } from './fashion';
import { listStamps, loadStampPixels } from './photos';

export const BENCH_ROOT = resolve(__dirname, '..', '..', '..');
export const DATA_DIR = join(BENCH_ROOT, 'bench', 'data');
/** The flowers folder: $LABELLINT_FLOWERS, else `../shared/data/flowers` beside the checkout (or one level up, for worktrees). */
export const FLOWERS_SRC =
  process.env.LABELLINT_FLOWERS ??
  [resolve(BENCH_ROOT, '..', 'shared', 'data', 'flowers'), resolve(BENCH_ROOT, '..', '..', 'shared', 'data', 'flowers')].find((p) => existsSync(p)) ??
  resolve(BENCH_ROOT, '..', 'shared', 'data', 'flowers');

export interface EmbeddedSet {
  readonly name: string;
  /** N×d embeddings (rows L2-normalised by the engine). */
  readonly X: Matrix;
  /** N: true labels (the folder labels) as indices into `classes`. */
  readonly labels: Int32Array;
  readonly classes: readonly string[];
  readonly paths: readonly string[];
}

export async function embedFolder(name: string, dir: string, settings: Settings): Promise<EmbeddedSet> {
  const timings: Record<string, number> = {};
  const r = await collectEmbeddings(dir, settings, { log: () => {} }, timings);
  r.cache.close();
  if (r.ownEmbedder) await r.embedder.dispose();
  const items = r.items.filter((e) => e.vector);
  const dim = items[0].vector!.length;
  const X: Matrix = { rows: items.length, cols: dim, data: new Float32Array(items.length * dim) };
  items.forEach((e, i) => X.data.set(e.vector!, i * dim));
  const ci = new Map(r.inv.classes.map((c, i) => [c, i]));
  console.error(`embedded ${name}: ${items.length} images, ${dim}-d, embed ${((timings.embed ?? 0) / 1000).toFixed(1)} s`);
  return { name, X, labels: Int32Array.from(items, (e) => ci.get(e.item.label)!), paths: items.map((e) => e.item.path), classes: r.inv.classes };
}

function done(dir: string): boolean {
  return existsSync(join(dir, '.complete'));
}

export function buildFlowers(): string {
  const dir = join(DATA_DIR, 'flowers');
  if (done(dir)) return dir;
  if (!existsSync(FLOWERS_SRC)) throw new Error(`${FLOWERS_SRC} not found (see ../shared/data/README.md)`);
  mkdirSync(dir, { recursive: true });
  for (const c of ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']) cpSync(join(FLOWERS_SRC, c), join(dir, c), { recursive: true });
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

export async function buildStamps(): Promise<string> {
  const dir = join(DATA_DIR, 'stamps');
  if (done(dir)) return dir;
  const s = listStamps({ perClass: 60 });
  for (let i = 0; i < s.files.length; i++) {
    const cdir = join(dir, s.classes[s.labels[i]]);
    mkdirSync(cdir, { recursive: true });
    const px = await loadStampPixels(s.files[i], 256);
    await sharp(Buffer.from(px), { raw: { width: 256, height: 256, channels: 3 } }).png({ compressionLevel: 1 }).toFile(join(cdir, `${String(i).padStart(4, '0')}.png`));
  }
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

export async function buildFashion(perClass: number, classes?: readonly number[]): Promise<string> {
  const dir = join(DATA_DIR, classes ? `fashion-upper-${perClass}` : `fashion-${perClass}`);
  if (done(dir)) return dir;
  const f = loadFashionMnist('train');
  const taken = new Array<number>(10).fill(0);
  const indices: number[] = [];
  for (let i = 0; i < f.count; i++) if ((!classes || classes.includes(f.labels[i])) && taken[f.labels[i]]++ < perClass) indices.push(i);
  mkdirSync(dir, { recursive: true });
  await writeImageFolder(dir, f.images, f.labels, FASHION_FOLDER_NAMES, { indices, compressionLevel: 1 });
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

/** Fashion-MNIST label indices of the upper-body classes: t-shirt/top, pullover, coat, shirt. */
export const FASHION_UPPER = [0, 2, 4, 6] as const;
