/**
 * Fashion-MNIST for benchmarks and committed samples: read the gzipped IDX files shipped by the Debian
 * package `dataset-fashion-mnist`, write ImageFolder trees of PNGs, and inject seeded label noise.
 *
 * Data: Fashion-MNIST by Zalando Research, MIT licence. 60,000 train + 10,000 test 28×28 greyscale images,
 * 10 classes, label i = FASHION_CLASS_NAMES[i].
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { makeRng } from '../../server/engine/numerics/rng';

/** Where the Debian package installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Official class names, index = label. */
export const FASHION_CLASS_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Filesystem-safe class names (folder names), index = label. */
export const FASHION_FOLDER_NAMES: readonly string[] = [
  'tshirt_top',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle_boot',
];

/**
 * Confusable class pairs used by `injectNoise(…, 'pairs' | 'mixed')`, as label indices, both directions:
 *   shirt(6) ↔ tshirt_top(0), pullover(2) ↔ coat(4), sneaker(7) ↔ ankle_boot(9),
 *   sandal(5) ↔ sneaker(7), dress(3) ↔ coat(4).
 * A class in several pairs (coat: pullover, dress; sneaker: ankle_boot, sandal) picks a partner uniformly.
 * trouser(1) and bag(8) have no partner.
 */
export const FASHION_CONFUSABLE_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [6, 0],
  [2, 4],
  [7, 9],
  [5, 7],
  [3, 4],
];

/** A decoded IDX file: `dims` (e.g. [N, 28, 28]) and the raw uint8 data, row-major. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** IDX type byte for unsigned bytes, the only type this reader supports. */
const IDX_TYPE_UBYTE = 0x08;

/**
 * Read a gzipped IDX file. Format: big-endian; 4-byte magic = [0, 0, type, ndims] with type 0x08
 * (unsigned byte); one uint32 size per dimension; then prod(dims) bytes. Throws naming the file on any
 * mismatch.
 */
export function readIdx(gzPath: string): IdxArray {
  const buf = gunzipSync(fs.readFileSync(gzPath));
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`${gzPath}: not an IDX file (bad magic)`);
  if (buf[2] !== IDX_TYPE_UBYTE) throw new Error(`${gzPath}: IDX type 0x${buf[2]!.toString(16)} unsupported (want 0x08)`);
  const ndims = buf[3]!;
  const headerLen = 4 + 4 * ndims;
  if (ndims === 0 || buf.length < headerLen) throw new Error(`${gzPath}: truncated IDX header`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== headerLen + count) {
    throw new Error(`${gzPath}: IDX data has ${buf.length - headerLen} bytes, dims [${dims.join(', ')}] need ${count}`);
  }
  // Copy so the result does not pin the whole gunzip buffer and starts at offset 0.
  return { dims, data: new Uint8Array(buf.subarray(headerLen)) };
}

export interface FashionMnist {
  /** N×28×28 greyscale pixels, row-major, 0 = black background. */
  readonly images: Uint8Array;
  /** N labels in 0..9. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** Official names, index = label (see FASHION_FOLDER_NAMES for folder-safe ones). */
  readonly classNames: readonly string[];
}

/** Load a Fashion-MNIST split from the Debian package files (or `dir`). */
export function loadFashionMnist(split: 'train' | 'test', dir = FASHION_MNIST_DIR): FashionMnist {
  const prefix = split === 'train' ? 'train' : 't10k';
  const img = readIdx(path.join(dir, `${prefix}-images-idx3-ubyte.gz`));
  const lab = readIdx(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  if (img.dims.length !== 3 || lab.dims.length !== 1 || img.dims[0] !== lab.dims[0]) {
    throw new Error(`Fashion-MNIST ${split}: image dims [${img.dims.join(', ')}] do not match label dims [${lab.dims.join(', ')}]`);
  }
  const [count, rows, cols] = img.dims as [number, number, number];
  for (const l of lab.data) if (l >= FASHION_CLASS_NAMES.length) throw new Error(`Fashion-MNIST ${split}: label ${l} out of range`);
  return { images: img.data, labels: lab.data, count, rows, cols, classNames: FASHION_CLASS_NAMES };
}

export interface WriteImageFolderOptions {
  /** Which images to write (indices into `images`/`labels`); default all. */
  readonly indices?: readonly number[];
  /** File stem per written image, parallel to `indices`; default the index zero-padded to 5 digits. */
  readonly ids?: readonly string[];
  /** Image size; default 28×28. */
  readonly rows?: number;
  readonly cols?: number;
  /** zlib level for PNG; default 9 (smallest). */
  readonly compressionLevel?: number;
  /** Images encoded at once; default 16. */
  readonly concurrency?: number;
  /** Put files in `<dir>/<names[label]>/` (default) or all in `<dir>/` (flat, for CSV layouts). */
  readonly layout?: 'imagefolder' | 'flat';
}

/** One written file: path relative to `dir` (`/` separators), the label it was filed under, source index. */
export interface WrittenImage {
  readonly path: string;
  readonly label: number;
  readonly index: number;
}

/**
 * Write greyscale images as 8-bit single-channel PNGs under `dir/<names[label]>/<id>.png` (or `dir/<id>.png` when flat).
 * `images` is N×rows×cols uint8; `labels` gives the folder for each image (pass noisy labels to build a
 * noisy dataset). Returns the written files in `indices` order.
 */
export async function writeImageFolder(
  dir: string,
  images: Uint8Array,
  labels: ArrayLike<number>,
  names: readonly string[],
  opts: WriteImageFolderOptions = {},
): Promise<WrittenImage[]> {
  const rows = opts.rows ?? 28;
  const cols = opts.cols ?? 28;
  const px = rows * cols;
  const indices = opts.indices ?? Array.from({ length: labels.length }, (_, i) => i);
  if (opts.ids !== undefined && opts.ids.length !== indices.length) throw new Error('ids must be parallel to indices');
  const layout = opts.layout ?? 'imagefolder';
  const level = opts.compressionLevel ?? 9;
  const concurrency = Math.max(1, opts.concurrency ?? 16);

  const jobs: WrittenImage[] = indices.map((index, k) => {
    const label = labels[index];
    if (label === undefined || names[label] === undefined) throw new Error(`image ${index}: label ${label} has no name`);
    if ((index + 1) * px > images.length) throw new Error(`image ${index} is outside the images array`);
    const file = `${opts.ids?.[k] ?? String(index).padStart(5, '0')}.png`;
    return { path: layout === 'flat' ? file : `${names[label]}/${file}`, label, index };
  });
  for (const d of new Set(jobs.map((j) => path.dirname(path.join(dir, j.path))))) fs.mkdirSync(d, { recursive: true });

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const j = jobs[next++]!;
      const pixels = images.subarray(j.index * px, (j.index + 1) * px);
      // Without toColourspace('b-w') sharp writes a 3-channel sRGB PNG (~75% larger).
      await sharp(Buffer.from(pixels), { raw: { width: cols, height: rows, channels: 1 } })
        .toColourspace('b-w')
        .png({ compressionLevel: level, adaptiveFiltering: true })
        .toFile(path.join(dir, j.path));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return jobs;
}

export type NoiseMode = 'uniform' | 'pairs' | 'mixed';

export interface InjectNoiseOptions {
  /** Confusable pairs (label indices, used both ways); default FASHION_CONFUSABLE_PAIRS. */
  readonly pairs?: ReadonlyArray<readonly [number, number]>;
  /** For 'mixed': share of flips that follow a pair (when the class has one); default 2/3. */
  readonly pairShare?: number;
}

export interface NoisyLabels {
  /** The labels after corruption (same length as the input). */
  readonly noisy: Uint8Array;
  /** 1 where the label was changed, else 0. */
  readonly mask: Uint8Array;
  /** Number of changed labels (= sum of mask). */
  readonly flipped: number;
}

/**
 * Corrupt exactly round(rate × N) labels, chosen by a seeded shuffle (mulberry32, `makeRng(seed)`):
 * - 'uniform': the new label is uniform over the other K−1 classes;
 * - 'pairs': the new label is a confusable partner (see FASHION_CONFUSABLE_PAIRS). Only images whose class
 *   has a partner can be chosen, so paired classes get a higher per-class rate (rate × N spread over them);
 *   the count is capped at the number of eligible images;
 * - 'mixed': each chosen image follows a pair with probability `pairShare` when its class has a partner,
 *   otherwise gets a uniform new label.
 * Every changed label differs from the original. Same inputs and seed → same output.
 */
export function injectNoise(
  labels: ArrayLike<number>,
  K: number,
  rate: number,
  mode: NoiseMode,
  seed: number,
  opts: InjectNoiseOptions = {},
): NoisyLabels {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`rate must be in [0, 1], got ${rate}`);
  if (!Number.isInteger(K) || K < 2) throw new Error(`K must be an integer ≥ 2, got ${K}`);
  if (mode !== 'uniform' && mode !== 'pairs' && mode !== 'mixed') {
    throw new Error(`unknown noise mode '${String(mode)}'; valid: uniform, pairs, mixed`);
  }
  const n = labels.length;
  const partners: number[][] = Array.from({ length: K }, () => []);
  for (const [a, b] of opts.pairs ?? FASHION_CONFUSABLE_PAIRS) {
    if (a >= K || b >= K || a === b) throw new Error(`bad pair [${a}, ${b}] for K=${K}`);
    partners[a]!.push(b);
    partners[b]!.push(a);
  }
  const pairShare = opts.pairShare ?? 2 / 3;
  const rng = makeRng(seed);
  const randInt = (m: number): number => Math.floor(rng() * m);

  const noisy = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= K) throw new Error(`label ${l} at ${i} is not in 0..${K - 1}`);
    noisy[i] = l;
  }
  const mask = new Uint8Array(n);

  const eligible: number[] = [];
  for (let i = 0; i < n; i++) if (mode !== 'pairs' || partners[labels[i]!]!.length > 0) eligible.push(i);
  // Fisher–Yates shuffle of the eligible indices; the first m are flipped.
  for (let i = eligible.length - 1; i > 0; i--) {
    const j = randInt(i + 1);
    [eligible[i], eligible[j]] = [eligible[j]!, eligible[i]!];
  }
  const m = Math.min(eligible.length, Math.round(rate * n));
  for (let k = 0; k < m; k++) {
    const i = eligible[k]!;
    const from = labels[i]!;
    const ps = partners[from]!;
    const usePair = ps.length > 0 && (mode === 'pairs' || (mode === 'mixed' && rng() < pairShare));
    let to: number;
    if (usePair) {
      to = ps[randInt(ps.length)]!;
    } else {
      to = randInt(K - 1);
      if (to >= from) to++; // uniform over the other K−1 classes
    }
    noisy[i] = to;
    mask[i] = 1;
  }
  return { noisy, mask, flipped: m };
}
