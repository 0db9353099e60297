/**
 * Feature quality without training anything: leave-one-out cosine 10-NN majority accuracy, for each
 * registry backbone, a few feature-node subsets, and horizontal-flip TTA off/on. Prints a table.
 *
 *   node out/bench/features.js [--fashion 500] [--stamps-per-class 60] [--workers 2]
 *
 * Data: 500 Fashion-MNIST training images (50 per class, 28×28 grey → RGB → 224 with sharp `fit: fill`)
 * and Tux Paint stamps (top-level category = label, *_mirror* skipped, categories with ≥ 19 images,
 * alpha flattened on white).
 *
 * Cost saving: each backbone runs once with all its candidate nodes, on the images and their mirrors.
 * Subsets are cut from that vector (blocks are L2-normalised separately, so re-normalising a slice gives
 * exactly the vector the embedder produces for that subset), and flip TTA = normalise(v + v_mirror), which
 * is what the embedder computes with `flipTta: true`.
 *
 * Run of 2026-11-28 (2 cores, WASM, 2 workers):       Fashion  +flip | Stamps  +flip
 *   centernet-mnv3   5+11+14 (default)     240-d       0.748   0.750  | 0.726   0.712
 *   centernet-mnv3   11+14                 208-d       0.746   0.746  | 0.693   0.700
 *   centernet-mnv3   14                    120-d       0.698   0.682  | 0.623   0.613
 *   nsfwjs-mnv2-mid  feature_vector       1792-d       0.732   0.744  | 0.616   0.653
 *   nsfwjs-mnv2-mid  expanded_conv_15      224-d       0.732   0.750  | 0.684   0.677
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import sharp from 'sharp';
import { createEmbedder } from '../server/engine/embed';

const SIZE = 224;
const K = 10;
const FASHION = '/usr/share/datasets/fashion-mnist';
const STAMPS = '/usr/share/tuxpaint/stamps';
const MIN_STAMPS_PER_CLASS = 19;

interface Dataset {
  readonly name: string;
  readonly images: Uint8Array[];
  readonly labels: number[];
}

interface Backbone {
  readonly model: string;
  /** Every node to extract, with its channel count, in order. */
  readonly blocks: readonly { readonly node: string; readonly dim: number }[];
  /** Named subsets (indices into `blocks`) to score. */
  readonly subsets: readonly { readonly label: string; readonly use: readonly number[] }[];
}

const MV3 = 'tower_0/MobilenetV3/';
const NSFW =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';

const BACKBONES: readonly Backbone[] = [
  {
    model: 'centernet-mnv3',
    blocks: [
      { node: `${MV3}expanded_conv_5/add`, dim: 32 },
      { node: `${MV3}expanded_conv_11/add`, dim: 88 },
      { node: `${MV3}expanded_conv_14/add`, dim: 120 },
    ],
    subsets: [
      { label: '5+11+14 (default)', use: [0, 1, 2] },
      { label: '11+14', use: [1, 2] },
      { label: '14', use: [2] },
    ],
  },
  {
    model: 'nsfwjs-mnv2-mid',
    blocks: [
      { node: `${NSFW}MobilenetV2/expanded_conv_15/add`, dim: 224 },
      { node: `${NSFW}feature_vector/SpatialSqueeze`, dim: 1792 },
    ],
    subsets: [
      { label: 'feature_vector (default)', use: [1] },
      { label: 'expanded_conv_15', use: [0] },
    ],
  },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Gzipped IDX: big-endian magic (0x0803 images, 0x0801 labels), dims, then uint8 data. */
function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const magic = buf.readUInt32BE(0);
  const rank = magic & 0xff;
  if (magic >>> 8 !== 0x08) throw new Error(`${file}: not a uint8 IDX file (magic ${magic.toString(16)})`);
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * rank) };
}

async function loadFashion(n: number): Promise<Dataset> {
  const imgs = readIdx(path.join(FASHION, 'train-images-idx3-ubyte.gz'));
  const labs = readIdx(path.join(FASHION, 'train-labels-idx1-ubyte.gz'));
  const [count, h, w] = imgs.dims;
  const perClass = Math.ceil(n / 10);
  const taken = new Array<number>(10).fill(0);
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count && images.length < n; i++) {
    const y = labs.data[i];
    if (taken[y] >= perClass) continue;
    taken[y]++;
    const grey = imgs.data.subarray(i * h * w, (i + 1) * h * w);
    const rgb = new Uint8Array(h * w * 3);
    for (let p = 0; p < h * w; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = grey[p];
    const out = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).resize(SIZE, SIZE, { fit: 'fill' }).raw().toBuffer();
    images.push(new Uint8Array(out));
    labels.push(y);
  }
  return { name: `Fashion-MNIST (${images.length})`, images, labels };
}

async function loadStamps(perClass: number): Promise<Dataset> {
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  const classes: string[] = [];
  for (const cat of fs.readdirSync(STAMPS).sort()) {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.png') && !e.name.includes('_mirror')) files.push(p);
      }
    };
    walk(path.join(STAMPS, cat));
    if (files.length < MIN_STAMPS_PER_CLASS) continue;
    // Spread the picks over the whole (sorted) category rather than its first sub-folder.
    const step = files.length / Math.min(perClass, files.length);
    for (let j = 0; j < Math.min(perClass, files.length); j++) {
      const buf = await sharp(files[Math.floor(j * step)])
        .flatten({ background: '#ffffff' })
        .resize(SIZE, SIZE, { fit: 'fill' })
        .removeAlpha()
        .raw()
        .toBuffer();
      images.push(new Uint8Array(buf));
      labels.push(classes.length);
    }
    classes.push(cat);
  }
  return { name: `Tux Paint stamps (${images.length}, ${classes.length} classes)`, images, labels };
}

function mirror(img: Uint8Array): Uint8Array {
  const out = new Uint8Array(img.length);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const from = (y * SIZE + x) * 3;
      const to = (y * SIZE + (SIZE - 1 - x)) * 3;
      out[to] = img[from];
      out[to + 1] = img[from + 1];
      out[to + 2] = img[from + 2];
    }
  }
  return out;
}

function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s + 1e-12);
  return v.map((x) => x * inv);
}

/** The subset's vector, as the embedder would give it: each block re-normalised, concatenated, normalised. */
function cut(v: Float32Array, bb: Backbone, use: readonly number[]): Float32Array {
  const offsets: number[] = [];
  bb.blocks.reduce((o, b) => (offsets.push(o), o + b.dim), 0);
  const parts = use.map((i) => normalise(v.slice(offsets[i], offsets[i] + bb.blocks[i].dim)));
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return normalise(out);
}

/** Leave-one-out cosine k-NN majority vote (ties: larger summed similarity). Rows must be unit length. */
function knnAccuracy(vecs: Float32Array[], labels: number[], k: number): number {
  const n = vecs.length;
  let correct = 0;
  const sims = new Float32Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let d = 0;
      const a = vecs[i];
      const b = vecs[j];
      for (let t = 0; t < a.length; t++) d += a[t] * b[t];
      sims[j] = j === i ? -Infinity : d;
      order[j] = j;
    }
    const top = Array.from(order).sort((p, q) => sims[q] - sims[p]).slice(0, k);
    const votes = new Map<number, { count: number; sim: number }>();
    for (const j of top) {
      const v = votes.get(labels[j]) ?? { count: 0, sim: 0 };
      v.count++;
      v.sim += sims[j];
      votes.set(labels[j], v);
    }
    let best = -1;
    let bestV = { count: -1, sim: -Infinity };
    for (const [label, v] of votes) {
      if (v.count > bestV.count || (v.count === bestV.count && v.sim > bestV.sim)) {
        best = label;
        bestV = v;
      }
    }
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

async function main(): Promise<void> {
  const workers = arg('workers', 2);
  const datasets = [await loadFashion(arg('fashion', 500)), await loadStamps(arg('stamps-per-class', 60))];
  process.stdout.write(`LOO cosine ${K}-NN accuracy. ${datasets.map((d) => d.name).join('; ')}.\n\n`);
  const header = ['backbone', 'nodes', 'dim', ...datasets.flatMap((d) => [`${d.name.split(' (')[0]}`, '+flip TTA'])];
  process.stdout.write(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
  for (const bb of BACKBONES) {
    const emb = await createEmbedder({ model: bb.model, layers: bb.blocks.map((b) => b.node), backend: 'wasm', workers });
    const perSet: { plain: Float32Array[]; mirrored: Float32Array[] }[] = [];
    for (const d of datasets) {
      const t = performance.now();
      const plain = await emb.embed(d.images);
      const mirrored = await emb.embed(d.images.map(mirror));
      process.stderr.write(`${bb.model} ${d.name}: ${((2 * d.images.length) / ((performance.now() - t) / 1000)).toFixed(1)} images/s\n`);
      perSet.push({ plain, mirrored });
    }
    await emb.dispose();
    for (const s of bb.subsets) {
      const cells: string[] = [];
      let dim = 0;
      datasets.forEach((d, i) => {
        const plain = perSet[i].plain.map((v) => cut(v, bb, s.use));
        const mirrored = perSet[i].mirrored.map((v) => cut(v, bb, s.use));
        const tta = plain.map((v, j) => normalise(v.map((x, t) => x + mirrored[j][t])));
        dim = plain[0].length;
        cells.push(knnAccuracy(plain, d.labels, K).toFixed(3), knnAccuracy(tta, d.labels, K).toFixed(3));
      });
      process.stdout.write(`| ${bb.model} | ${s.label} | ${dim} | ${cells.join(' | ')} |\n`);
    }
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
