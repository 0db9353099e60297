/**
 * bench/duplicates: how precise and how complete is near-duplicate detection?
 *
 * Embeds real images with the default model (decode exactly as the analysis does, so every image also
 * gets its pHash), builds the cosine kNN graph (k = 10) and prints, for the old rule (cosine ≥ 0.97
 * only) and for pHash rules at several Hamming thresholds:
 *   - groups reported on sample/fashion-mnist-mini (1,000 images) and on 2,000 Fashion-MNIST train images
 *     (nearly all are false: Fashion-MNIST has very few real duplicates);
 *   - recall on synthetic copies: 100 of those 2,000 images each get a JPEG q70, resized ×2, 1-px crop
 *     (left and top), mirror-image and brightness +10% copy, added to the 2,000; a copy counts as found
 *     when it lands in the same group as its original;
 *   - Tux Paint stamps (/usr/share/tuxpaint/stamps): the `*_mirror` files are mirrored copies of their
 *     originals, a real ground truth for mirror duplicates; groups reported and mirror pairs found;
 * plus the pHash distance distributions behind the default threshold.
 *
 * Run: npx tsc -p . && node out/bench/duplicates.js [--thresholds 16,24,32,40,48] [--copies 100] [--train 2000]
 * Embeddings are cached in bench/data/duplicates-embeddings.bin (keyed by content hash and model key).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../server/engine/dataset/decode';
import { createEmbedder, type Embedder } from '../server/engine/embed';
import { buildKnnGraph } from '../server/engine/numerics/knn';
import { hammingDistance } from '../server/engine/dataset/quality';
import {
  DEFAULT_CANDIDATE_SIMILARITY,
  DEFAULT_EMBEDDING_THRESHOLD,
  DEFAULT_MAX_HASH_DISTANCE,
  findDuplicateGroups,
  type DuplicateOptions,
} from '../server/engine/issues/duplicates';
import type { KnnGraph } from '../server/engine/types';
import { loadFashionMnist } from './lib/fashion';

const ROOT = resolve(__dirname, '..', '..');
const SAMPLE = join(ROOT, 'sample', 'fashion-mnist-mini');
const STAMPS = '/usr/share/tuxpaint/stamps';
const K = 10;
/** The rule before pHashes: one cosine threshold. */
const OLD_THRESHOLD = 0.97;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

interface Img {
  readonly name: string;
  readonly bytes: Buffer;
}

interface Embedded {
  readonly names: string[];
  readonly sha: string[];
  readonly vectors: Float32Array[];
  readonly phash: string[];
  readonly phashFlip: string[];
  readonly cosines: (i: number, j: number) => number;
}

/** Embedding cache: sha256 → vector, persisted between bench runs. */
class VectorCache {
  private readonly map = new Map<string, Float32Array>();
  constructor(private readonly file: string, private readonly dim: number) {
    if (!existsSync(file)) return;
    const buf = readFileSync(file);
    const rec = 32 + dim * 4;
    for (let o = 0; o + rec <= buf.length; o += rec) {
      const v = new Float32Array(dim);
      for (let d = 0; d < dim; d++) v[d] = buf.readFloatLE(o + 32 + d * 4);
      this.map.set(buf.subarray(o, o + 32).toString('hex'), v);
    }
  }
  get(sha: string): Float32Array | undefined {
    return this.map.get(sha);
  }
  set(sha: string, v: Float32Array): void {
    this.map.set(sha, v);
  }
  save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const rec = 32 + this.dim * 4;
    const buf = Buffer.alloc(this.map.size * rec);
    let o = 0;
    for (const [sha, v] of this.map) {
      Buffer.from(sha, 'hex').copy(buf, o);
      for (let d = 0; d < this.dim; d++) buf.writeFloatLE(v[d], o + 32 + d * 4);
      o += rec;
    }
    writeFileSync(this.file, buf);
  }
}

async function embedAll(images: readonly Img[], embedder: Embedder, cache: VectorCache): Promise<Embedded> {
  const size = embedder.model.inputSize;
  const names: string[] = [], sha: string[] = [], vectors: Float32Array[] = [], phash: string[] = [], phashFlip: string[] = [];
  const BATCH = 64;
  for (let s = 0; s < images.length; s += BATCH) {
    const settled = await Promise.allSettled(images.slice(s, s + BATCH).map((im) => decodeImage(im.bytes, size)));
    const batch = images.slice(s, s + BATCH).filter((_, i) => settled[i].status === 'fulfilled');
    const decoded = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const shas = batch.map((im) => createHash('sha256').update(im.bytes).digest('hex'));
    const todo = decoded.map((_, i) => i).filter((i) => !cache.get(shas[i]));
    const fresh = todo.length > 0 ? await embedder.embed(todo.map((i) => decoded[i].pixels)) : [];
    todo.forEach((i, t) => cache.set(shas[i], fresh[t]));
    batch.forEach((im, i) => {
      names.push(im.name);
      sha.push(shas[i]);
      vectors.push(cache.get(shas[i])!);
      phash.push(decoded[i].quality.phash!);
      phashFlip.push(decoded[i].quality.phashFlip!);
    });
  }
  const cosines = (i: number, j: number): number => {
    let d = 0;
    for (let t = 0; t < vectors[i].length; t++) d += vectors[i][t] * vectors[j][t];
    return d;
  };
  return { names, sha, vectors, phash, phashFlip, cosines };
}

async function graphOf(e: Embedded): Promise<KnnGraph> {
  const dim = e.vectors[0].length;
  const data = new Float32Array(e.vectors.length * dim);
  e.vectors.forEach((v, i) => data.set(v, i * dim));
  return buildKnnGraph({ rows: e.vectors.length, cols: dim, data }, K);
}

/** Groups as lists of image indices (paths are the indices as strings). */
function groups(e: Embedded, graph: KnnGraph, usePhash: boolean, opts: DuplicateOptions): number[][] {
  const n = e.names.length;
  const out = findDuplicateGroups(
    {
      hashes: e.sha,
      graph,
      labels: new Int32Array(n),
      splits: new Array(n).fill(null),
      paths: Array.from({ length: n }, (_, i) => String(i).padStart(7, '0')),
      classNames: ['x'],
      phashes: usePhash ? e.phash : undefined,
      phashesFlip: usePhash ? e.phashFlip : undefined,
    },
    opts,
  );
  return out.map((g) => g.paths.map(Number));
}

interface Rule {
  readonly name: string;
  readonly usePhash: boolean;
  readonly opts: DuplicateOptions;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
}

function pngOfGrey(pixels: Uint8Array, side: number): Promise<Buffer> {
  return sharp(Buffer.from(pixels), { raw: { width: side, height: side, channels: 1 } }).png().toBuffer();
}

const TRANSFORMS: readonly { readonly name: string; readonly apply: (png: Buffer, side: number) => Promise<Buffer> }[] = [
  { name: 'jpeg-q70', apply: (png) => sharp(png).jpeg({ quality: 70 }).toBuffer() },
  { name: 'resize-x2', apply: (png, side) => sharp(png).resize(side * 2, side * 2).png().toBuffer() },
  { name: 'crop-1px', apply: (png, side) => sharp(png).extract({ left: 1, top: 1, width: side - 1, height: side - 1 }).png().toBuffer() },
  { name: 'mirror', apply: (png) => sharp(png).flop().png().toBuffer() },
  { name: 'bright+10%', apply: (png) => sharp(png).linear(1.1, 0).png().toBuffer() },
];

function listPngs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listPngs(p));
    else if (name.endsWith('.png')) out.push(p);
  }
  return out.sort();
}

/** Hash distance as duplicates.ts measures it: min over plain/plain and plain/mirror. */
function hashDist(e: Embedded, i: number, j: number): number {
  return Math.min(hammingDistance(e.phash[i], e.phash[j]), hammingDistance(e.phashFlip[i], e.phash[j]), hammingDistance(e.phash[i], e.phashFlip[j]));
}

/** Distances of distinct-content kNN edges (each unordered pair once). */
function edgeDistances(e: Embedded, graph: KnnGraph): { d: number; s: number }[] {
  const seen = new Set<string>();
  const out: { d: number; s: number }[] = [];
  for (let i = 0; i < graph.n; i++) {
    for (let j = 0; j < graph.k; j++) {
      const nb = graph.indices[i * graph.k + j];
      if (nb < 0 || e.sha[i] === e.sha[nb]) continue;
      const key = i < nb ? `${i},${nb}` : `${nb},${i}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ d: hashDist(e, i, nb), s: graph.similarities[i * graph.k + j] });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const thresholds = arg('thresholds', '16,24,32,40,48').split(',').map(Number);
  const nCopies = Number(arg('copies', '100'));
  const nTrain = Number(arg('train', '2000'));
  const t0 = Date.now();
  const embedder = await createEmbedder({});
  const cache = new VectorCache(join(ROOT, 'bench', 'data', 'duplicates-embeddings.bin'), embedder.model.dim);
  console.log(`model ${embedder.model.id} (${embedder.model.dim}-d, ${embedder.model.inputSize}px) on ${embedder.backendDetail.split(';')[0]}, k = ${K}`);

  // Data sets.
  const sample = await embedAll(listPngs(SAMPLE).map((p) => ({ name: p.slice(SAMPLE.length + 1), bytes: readFileSync(p) })), embedder, cache);
  const f = loadFashionMnist('train');
  const side = f.rows;
  const trainImgs: Img[] = [];
  for (let i = 0; i < nTrain; i++) trainImgs.push({ name: `train/${i}`, bytes: await pngOfGrey(f.images.subarray(i * side * side, (i + 1) * side * side), side) });
  // Copies of every (nTrain / nCopies)-th image, so all classes are represented.
  const step = Math.max(1, Math.floor(nTrain / nCopies));
  const copyOf: { copy: number; orig: number; transform: string }[] = [];
  const withCopies: Img[] = [...trainImgs];
  for (let c = 0; c < nCopies; c++) {
    const orig = c * step;
    for (const t of TRANSFORMS) {
      copyOf.push({ copy: withCopies.length, orig, transform: t.name });
      withCopies.push({ name: `${t.name}/${orig}`, bytes: await t.apply(trainImgs[orig].bytes, side) });
    }
  }
  const train = await embedAll(withCopies, embedder, cache);
  const stampPaths = existsSync(STAMPS) ? listPngs(STAMPS) : [];
  const stamps = stampPaths.length > 0 ? await embedAll(stampPaths.map((p) => ({ name: p.slice(STAMPS.length + 1), bytes: readFileSync(p) })), embedder, cache) : null;
  cache.save();
  await embedder.dispose();
  console.log(`embedded ${sample.names.length} + ${train.names.length} + ${stamps?.names.length ?? 0} images in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

  // Views: the 2,000 originals alone (false groups), and originals + copies (recall).
  const trainOnly: Embedded = { ...train, names: train.names.slice(0, nTrain), sha: train.sha.slice(0, nTrain), vectors: train.vectors.slice(0, nTrain), phash: train.phash.slice(0, nTrain), phashFlip: train.phashFlip.slice(0, nTrain) };
  const gSample = await graphOf(sample);
  const gTrain = await graphOf(trainOnly);
  const gCopies = await graphOf(train);
  const gStamps = stamps ? await graphOf(stamps) : null;
  const mirrorPairs: [number, number][] = [];
  if (stamps) {
    const index = new Map(stamps.names.map((n, i) => [n, i]));
    stamps.names.forEach((n, i) => {
      if (!basename(n).includes('_mirror')) return;
      const orig = index.get(n.replace('_mirror', ''));
      if (orig !== undefined) mirrorPairs.push([orig, i]);
    });
  }

  // Distance distributions.
  console.log('pHash Hamming distance (of 256 bits; min over plain and mirror hashes) — median / 95th pct / max');
  for (const t of TRANSFORMS) {
    const ds = copyOf.filter((c) => c.transform === t.name).map((c) => hashDist(train, c.copy, c.orig));
    const plain = copyOf.filter((c) => c.transform === t.name).map((c) => hammingDistance(train.phash[c.copy], train.phash[c.orig]));
    const cos = copyOf.filter((c) => c.transform === t.name).map((c) => train.cosines(c.copy, c.orig));
    console.log(`  ${t.name.padEnd(12)} copy vs original: ${pct(ds, 0.5)} / ${pct(ds, 0.95)} / ${pct(ds, 1)}   (plain hashes only: ${pct(plain, 0.5)} / ${pct(plain, 0.95)} / ${pct(plain, 1)}; cosine min ${pct(cos, 0).toFixed(3)}, median ${pct(cos, 0.5).toFixed(3)})`);
  }
  if (stamps && mirrorPairs.length > 0) {
    const ds = mirrorPairs.map(([a, b]) => hashDist(stamps, a, b));
    const cos = mirrorPairs.map(([a, b]) => stamps.cosines(a, b));
    console.log(`  Tux Paint *_mirror vs original (${mirrorPairs.length} pairs): ${ds.join(', ')}; cosine ${cos.map((c) => c.toFixed(3)).join(', ')}`);
  }
  for (const [name, e, g] of [['sample', sample, gSample], [`fashion ${nTrain}`, trainOnly, gTrain], ['tuxpaint', stamps, gStamps]] as const) {
    if (!e || !g) continue;
    const ed = edgeDistances(e, g);
    const ds = ed.map((x) => x.d);
    const hi = ed.filter((x) => x.s >= OLD_THRESHOLD).map((x) => x.d);
    const counts = thresholds.map((t) => `≤${t}: ${ds.filter((d) => d <= t).length}`).join(', ');
    console.log(`  ${name.padEnd(12)} distinct-content kNN edges (${ds.length}): min ${pct(ds, 0)}, 1st pct ${pct(ds, 0.01)}, 5th pct ${pct(ds, 0.05)}, median ${pct(ds, 0.5)}; edges with cosine ≥ ${OLD_THRESHOLD}: ${hi.length}, their min ${hi.length ? pct(hi, 0) : '-'} / median ${hi.length ? pct(hi, 0.5) : '-'}; ${counts}`);
  }
  console.log('');

  // Rules.
  const rules: Rule[] = [
    { name: `before: cosine ≥ ${OLD_THRESHOLD}`, usePhash: false, opts: { embeddingThreshold: OLD_THRESHOLD, candidateSimilarity: OLD_THRESHOLD } },
    { name: `no pHash: cosine ≥ ${DEFAULT_EMBEDDING_THRESHOLD}`, usePhash: false, opts: {} },
    ...thresholds.map((t) => ({
      name: `pHash ≤ ${t}${t === DEFAULT_MAX_HASH_DISTANCE ? ' (default)' : ''}`,
      usePhash: true,
      opts: { maxHashDistance: t },
    })),
  ];
  const header = ['rule', 'sample groups', `fashion-${nTrain} groups`, ...TRANSFORMS.map((t) => `${t.name} recall`), 'tux groups', 'tux mirror pairs'];
  const rowsOut: string[][] = [];
  for (const r of rules) {
    const nS = groups(sample, gSample, r.usePhash, r.opts).length;
    const nT = groups(trainOnly, gTrain, r.usePhash, r.opts).length;
    const gc = groups(train, gCopies, r.usePhash, r.opts);
    const groupOf = new Int32Array(train.names.length).fill(-1);
    gc.forEach((g, gi) => g.forEach((i) => (groupOf[i] = gi)));
    const recall = TRANSFORMS.map((t) => {
      const cs = copyOf.filter((c) => c.transform === t.name);
      const found = cs.filter((c) => groupOf[c.copy] >= 0 && groupOf[c.copy] === groupOf[c.orig]).length;
      return `${found}/${cs.length}`;
    });
    let tux = ['-', '-'];
    if (stamps && gStamps) {
      const gs = groups(stamps, gStamps, r.usePhash, r.opts);
      const go = new Int32Array(stamps.names.length).fill(-1);
      gs.forEach((g, gi) => g.forEach((i) => (go[i] = gi)));
      tux = [String(gs.length), `${mirrorPairs.filter(([a, b]) => go[a] >= 0 && go[a] === go[b]).length}/${mirrorPairs.length}`];
    }
    rowsOut.push([r.name, String(nS), String(nT), ...recall, ...tux]);
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rowsOut.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  console.log(line(header));
  for (const row of rowsOut) console.log(line(row));
  console.log(`\ncandidates: kNN edges with cosine ≥ ${DEFAULT_CANDIDATE_SIMILARITY}; pHash rules also accept cosine ≥ ${DEFAULT_EMBEDDING_THRESHOLD} alone.`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
