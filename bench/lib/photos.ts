/**
 * Tux Paint stamps as a small natural-photo benchmark set (Debian `tuxpaint-stamps-default`, GPL-2).
 *
 * Label = top-level category folder. `*_mirror*` files (mirrored duplicates) are skipped; categories with fewer
 * than `minPerClass` images are dropped; at most `perClass` images are taken per category, spread evenly over
 * the (sorted) category so every sub-folder is represented. RGBA is flattened on white.
 *
 * Class balance (2026-11-28, package defaults, min 19): animals 146, clothes 19, food 67, household 33,
 * plants 39, seasonal 59, symbols 247 (mostly clip-art), town 78, vehicles 34 → with perClass 60: 424 images,
 * 9 classes, 19–60 per class (unbalanced: clothes 19, household 33, vehicles 34).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

export const STAMPS_DIR = '/usr/share/tuxpaint/stamps';

/**
 * Confusable category pairs for class-pair noise on the stamps (by name; used both ways), chosen by meaning
 * before looking at any confusion matrix.
 */
export const STAMP_CONFUSABLE_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['food', 'plants'],
  ['town', 'vehicles'],
  ['household', 'clothes'],
  ['seasonal', 'symbols'],
  ['animals', 'plants'],
];

export interface PhotoSet {
  /** Category names, index = label. */
  readonly classes: readonly string[];
  /** Source file of each image. */
  readonly files: readonly string[];
  readonly labels: Int32Array;
}

/** Lists the images (no decoding). Deterministic: sorted walk. */
export function listStamps(opts: { perClass?: number; minPerClass?: number; dir?: string } = {}): PhotoSet {
  const dir = opts.dir ?? STAMPS_DIR;
  const perClass = opts.perClass ?? 60;
  const minPerClass = opts.minPerClass ?? 19;
  if (!fs.existsSync(dir)) throw new Error(`${dir} not found: install the Debian package tuxpaint-stamps-default`);
  const classes: string[] = [];
  const files: string[] = [];
  const labels: number[] = [];
  for (const cat of fs.readdirSync(dir).sort()) {
    if (!fs.statSync(path.join(dir, cat)).isDirectory()) continue;
    const found: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.png') && !e.name.includes('_mirror')) found.push(p);
      }
    };
    walk(path.join(dir, cat));
    if (found.length < minPerClass) continue;
    const take = Math.min(perClass, found.length);
    const step = found.length / take;
    for (let j = 0; j < take; j++) {
      files.push(found[Math.floor(j * step)]);
      labels.push(classes.length);
    }
    classes.push(cat);
  }
  return { classes, files, labels: Int32Array.from(labels) };
}

/** Decodes one stamp to size×size×3 RGB uint8 (alpha flattened on white, `fit: fill`). */
export async function loadStampPixels(file: string, size: number): Promise<Uint8Array> {
  const buf = await sharp(file).flatten({ background: '#ffffff' }).resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  return new Uint8Array(buf);
}

/** `STAMP_CONFUSABLE_PAIRS` as label indices, skipping pairs whose categories were dropped. */
export function stampPairs(classes: readonly string[]): Array<readonly [number, number]> {
  return STAMP_CONFUSABLE_PAIRS.map(([a, b]) => [classes.indexOf(a), classes.indexOf(b)] as const).filter(([a, b]) => a >= 0 && b >= 0);
}

/** Images per class, as "name n" pairs (for the bench header). */
export function classBalance(set: PhotoSet): string {
  const counts = new Array<number>(set.classes.length).fill(0);
  for (const y of set.labels) counts[y]++;
  return set.classes.map((c, i) => `${c} ${counts[i]}`).join(', ');
}
