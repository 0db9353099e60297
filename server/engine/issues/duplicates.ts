/**
 * Duplicate groups: byte-identical files (same content hash) and near-identical images, and the issues
 * they raise: plain duplicates, duplicates with conflicting labels, and duplicates leaking across splits.
 *
 * Which pairs are near duplicates. Embedding similarity alone cannot tell "the same picture" from "the
 * same kind of picture": on Fashion-MNIST, different trousers score cosine 0.97–0.98 while a JPEG q70
 * re-encode of one image scores 0.85–0.97 (bench/duplicates.ts). So the kNN graph only proposes
 * candidates and a perceptual hash (DCT pHash, `quality.ts`) decides: a pair is near when
 *   - it is a kNN edge with cosine ≥ `candidateSimilarity` AND the Hamming distance between the two
 *     pHashes (or between one pHash and the other's mirror-image hash, to catch flipped copies) is
 *     ≤ `maxHashDistance`; or
 *   - it is a kNN edge with cosine ≥ `embeddingThreshold` (very strict; the only rule for images whose
 *     pHash is unknown, e.g. decode info cached before hashes existed).
 *
 * Grouping is two-stage:
 *  1. Images with the same content hash form one node (an exact group).
 *  2. Nodes are merged by complete linkage over near edges, closest first (smallest hash distance, then
 *     highest cosine): two groups merge only if EVERY pair of nodes across them is a near pair. A chain
 *     a~b~c~… of near pairs therefore never merges images that are not near each other. Near pairs are
 *     only known along kNN edges (either direction, between any images of the two nodes), so a group has
 *     at most about k+1 distinct-content members; a larger set of mutual near duplicates is reported as
 *     several groups (known limitation), and a copy that is not among its original's k nearest
 *     neighbours (nor the reverse) is missed.
 *
 * Every image is in at most one group. A group is `exact` when all its members share one hash.
 */
import type { DuplicateGroup } from '../../../protocol/results';
import type { Split } from '../../../protocol/dataset';
import type { KnnGraph } from '../types';
import { PHASH_BLOCK, PHASH_HEX_LENGTH, popcount32 } from '../dataset/phash';

/**
 * Largest pHash Hamming distance (of 256 bits) between near duplicates. Measured by bench/duplicates.ts
 * (centernet-mnv3, k = 10, 2,000 Fashion-MNIST train images + 100 × 5 synthetic copies):
 *   copy vs original, median / 95th pct / max: JPEG q70 10/24/36, resized ×2 26/40/50, 1-px crop 70/92/108,
 *   mirror image (vs mirror hash) 8/24/56, brightness +10% 4/12/16; Tux Paint `*_mirror` stamps 2–44;
 *   distinct images joined by a kNN edge: min 30, 1st pct 56, 5th pct 68 (Fashion-MNIST), 1st pct 48 (Tux Paint).
 * Groups reported (sample 1,000 / Fashion 2,000) and copies found, by threshold:
 *                       sample  fashion  jpeg  resize  crop  mirror  bright  tux mirror pairs
 *   cosine ≥ 0.97 (old)     47      128     0      85    70      78      96   6/11
 *   pHash ≤ 32               0        2    49      54     0      94      97   7/11
 *   pHash ≤ 36               2        5    50      67     0      94      98  10/11
 *   pHash ≤ 40               4       13    50      73     0      94      99  10/11
 * 36 keeps false groups near zero while catching most resizes and the mirrored stamps. JPEG recall is
 * capped near 50% by the kNN candidates (the copy is not among its original's 10 neighbours), and a 1-px
 * crop of a 28-px image is a 3.6% shift that the DCT hash does not tolerate.
 */
export const DEFAULT_MAX_HASH_DISTANCE = 36;

/**
 * kNN edges below this cosine are not even candidates. Low on purpose: a JPEG q70 copy of a 28×28 image
 * scored as low as 0.85 with centernet-mnv3; the pHash does the discriminating.
 */
export const DEFAULT_CANDIDATE_SIMILARITY = 0.8;

/**
 * Cosine at or above which a kNN edge is a near duplicate whatever the hashes say (and the only rule
 * when a hash is unknown, e.g. decode info cached before pHashes existed). Distinct Fashion-MNIST
 * trousers reach 0.98, so this must sit well above that: measured alone it reports 0 groups on the
 * sample and on 2,000 Fashion images but finds few copies (brightness +10% 72/100, mirror 11/100,
 * JPEG/resize/crop 0/100) — a safe fallback, not a substitute for the hash.
 */
export const DEFAULT_EMBEDDING_THRESHOLD = 0.995;

/** Cosine mapped to the lowest near-duplicate score in `duplicateIssues` (the candidate floor). */
export const DEFAULT_NEAR_THRESHOLD = DEFAULT_CANDIDATE_SIMILARITY;

export interface DuplicateInput {
  /** N: hex sha256 of each file's bytes; '' when unknown (such images are never exact duplicates). */
  readonly hashes: readonly string[];
  /** Cosine kNN graph over the same N images (self excluded). */
  readonly graph: KnnGraph;
  /** N: given label as an index into `classNames`. */
  readonly labels: Int32Array;
  /** N: split of each image, null when the dataset has no split level. */
  readonly splits: readonly (Split | null)[];
  /** N: paths relative to the dataset root. */
  readonly paths: readonly string[];
  readonly classNames: readonly string[];
  /** N: pHash of each image (`QualityStats.phash`, 64 hex digits), null when unknown. Omitted = all unknown. */
  readonly phashes?: readonly (string | null)[];
  /** N: pHash of each image's mirror image (`QualityStats.phashFlip`), null when unknown. */
  readonly phashesFlip?: readonly (string | null)[];
}

export interface DuplicateOptions {
  /** Largest pHash Hamming distance (0–256) for a candidate pair to be a near duplicate. */
  readonly maxHashDistance?: number;
  /** Smallest kNN cosine for a pair to be checked by pHash. In [-1, 1]. */
  readonly candidateSimilarity?: number;
  /** Cosine at or above which a kNN edge is a near duplicate regardless of hashes. In (0, 1]. */
  readonly embeddingThreshold?: number;
}

/** Bits of one pHash. */
const PHASH_BITS = PHASH_BLOCK * PHASH_BLOCK;
/** 32-bit words of one pHash. */
const PHASH_WORDS = PHASH_BITS / 32;
const PHASH_PATTERN = new RegExp(`^[0-9a-f]{${PHASH_HEX_LENGTH}}$`, 'i');

/**
 * Group exact and near duplicates. Groups are sorted largest first, then by first path; members
 * within a group by split (train, none, val, test), then path, so `paths[0]` is the natural "original".
 * `similarity` of a near group is the smallest cosine among its near pairs.
 */
export function findDuplicateGroups(input: DuplicateInput, opts: DuplicateOptions = {}): DuplicateGroup[] {
  const { hashes, graph, labels, splits, paths, classNames } = input;
  const n = graph.n;
  const maxDist = opts.maxHashDistance ?? DEFAULT_MAX_HASH_DISTANCE;
  const candidate = opts.candidateSimilarity ?? DEFAULT_CANDIDATE_SIMILARITY;
  const strict = opts.embeddingThreshold ?? DEFAULT_EMBEDDING_THRESHOLD;
  if (!(Number.isInteger(maxDist) && maxDist >= 0 && maxDist <= PHASH_BITS)) {
    throw new Error(`findDuplicateGroups: maxHashDistance must be an integer in [0, ${PHASH_BITS}], got ${maxDist}`);
  }
  if (!(candidate >= -1 && candidate <= 1)) throw new Error(`findDuplicateGroups: candidateSimilarity must be in [-1, 1], got ${candidate}`);
  if (!(strict > 0 && strict <= 1)) throw new Error(`findDuplicateGroups: embeddingThreshold must be in (0, 1], got ${strict}`);
  const lengths: [string, number][] = [['hashes', hashes.length], ['labels', labels.length], ['splits', splits.length], ['paths', paths.length]];
  if (input.phashes) lengths.push(['phashes', input.phashes.length]);
  if (input.phashesFlip) lengths.push(['phashesFlip', input.phashesFlip.length]);
  for (const [name, len] of lengths) {
    if (len !== n) throw new Error(`findDuplicateGroups: ${name} has ${len} entries, graph has ${n}`);
  }
  if (graph.indices.length !== n * graph.k || graph.similarities.length !== n * graph.k) {
    throw new Error(`findDuplicateGroups: graph arrays must be n×k = ${n * graph.k} long`);
  }
  const ph = packHashes(input.phashes, n, 'phashes');
  const flip = packHashes(input.phashesFlip, n, 'phashesFlip');
  return sortGroups(
    computeGroups(input, ph, flip, { maxDist, candidate, strict }).map((members) =>
      toGroup(members.nodes, members.similarity, hashes, labels, splits, paths, classNames),
    ),
  );
}

/** Packed hashes: PHASH_WORDS 32-bit words per image, and a known flag. */
interface PackedHashes {
  readonly words: Uint32Array;
  readonly known: Uint8Array;
}

function packHashes(hexes: readonly (string | null)[] | undefined, n: number, name: string): PackedHashes {
  const out = { words: new Uint32Array(n * PHASH_WORDS), known: new Uint8Array(n) };
  if (!hexes) return out;
  for (let i = 0; i < n; i++) {
    const h = hexes[i];
    if (h === null || h === undefined || h === '') continue;
    if (!PHASH_PATTERN.test(h)) throw new Error(`findDuplicateGroups: ${name}[${i}] must be ${PHASH_HEX_LENGTH} hex digits or null, got '${h}'`);
    for (let w = 0; w < PHASH_WORDS; w++) out.words[i * PHASH_WORDS + w] = parseInt(h.slice(8 * w, 8 * w + 8), 16) >>> 0;
    out.known[i] = 1;
  }
  return out;
}

function ham(a: PackedHashes, p: number, b: PackedHashes, q: number): number {
  let d = 0;
  for (let w = 0; w < PHASH_WORDS; w++) d += popcount32(a.words[p * PHASH_WORDS + w] ^ b.words[q * PHASH_WORDS + w]);
  return d;
}

/** pHash distance of images i and j: min over (i, j), (mirror i, j), (i, mirror j); -1 when unknown. */
function hashDistance(ph: PackedHashes, flip: PackedHashes, i: number, j: number): number {
  if (!ph.known[i] || !ph.known[j]) return -1;
  let d = ham(ph, i, ph, j);
  if (flip.known[i]) d = Math.min(d, ham(flip, i, ph, j));
  if (flip.known[j]) d = Math.min(d, ham(ph, i, flip, j));
  return d;
}

interface Thresholds {
  readonly maxDist: number;
  readonly candidate: number;
  readonly strict: number;
}

/** Stage 1: one node per distinct non-empty hash; images without a hash are their own node. */
function exactHashNodes(hashes: readonly string[], n: number): { nodeOf: Int32Array; nodeImages: number[][] } {
  const nodeOf = new Int32Array(n);
  const nodeImages: number[][] = [];
  const byHash = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const h = hashes[i];
    let node = h ? byHash.get(h) : undefined;
    if (node === undefined) {
      node = nodeImages.length;
      nodeImages.push([]);
      if (h) byHash.set(h, node);
    }
    nodeOf[i] = node;
    nodeImages[node].push(i);
  }
  return { nodeOf, nodeImages };
}

/** Near edges between distinct nodes, keyed by `nodePairKey`, with their cosine; closest first. */
interface NearEdges {
  readonly edges: { a: number; b: number; s: number; d: number }[];
  readonly edgeSim: ReadonlyMap<number, number>;
}

/** Symmetric key of an unordered node pair. */
function nodePairKey(a: number, b: number, nNodes: number): number {
  return a < b ? a * nNodes + b : b * nNodes + a;
}

/**
 * Near edges between distinct nodes, symmetric, keyed by (min, max) node pair: the highest cosine of any
 * near image pair across the two nodes and the smallest hash distance (0 stands for "embedding rule only").
 */
function nearEdges(graph: KnnGraph, nodeOf: Int32Array, nNodes: number, ph: PackedHashes, flip: PackedHashes, t: Thresholds): NearEdges {
  const n = graph.n;
  const edgeSim = new Map<number, number>();
  const edgeDist = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < graph.k; j++) {
      const nb = graph.indices[i * graph.k + j];
      if (nb < 0 || nb === i) continue;
      const s = graph.similarities[i * graph.k + j];
      if (!(s >= t.candidate)) continue;
      const a = nodeOf[i], b = nodeOf[nb];
      if (a === b) continue;
      const d = hashDistance(ph, flip, i, nb);
      const byHash = d >= 0 && d <= t.maxDist;
      if (!byHash && !(s >= t.strict)) continue;
      const rank = byHash ? d : 0;
      const kk = nodePairKey(a, b, nNodes);
      const prevS = edgeSim.get(kk);
      if (prevS === undefined || s > prevS) edgeSim.set(kk, s);
      const prevD = edgeDist.get(kk);
      if (prevD === undefined || rank < prevD) edgeDist.set(kk, rank);
    }
  }
  const edges = Array.from(edgeSim, ([kk, s]) => ({ a: Math.floor(kk / nNodes), b: kk % nNodes, s, d: edgeDist.get(kk)! }));
  // Closest first; ties by node ids so the result does not depend on Map order.
  edges.sort((e, f) => e.d - f.d || f.s - e.s || e.a - f.a || e.b - f.b);
  return { edges, edgeSim };
}

/**
 * Stage 2: complete-linkage merging of nodes along the edges (closest first): two groups merge only when every
 * node pair across them is a near edge. Returns each group's nodes and its minimum pairwise similarity.
 */
function completeLinkage(near: NearEdges, nNodes: number): { nodes: number[]; similarity: number }[] {
  const { edges, edgeSim } = near;
  const parent = new Int32Array(nNodes);
  for (let v = 0; v < nNodes; v++) parent[v] = v;
  const find = (v: number): number => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]];
      v = parent[v];
    }
    return v;
  };
  // `members[root]` lists the nodes of each current group.
  const members = new Map<number, number[]>();
  const minSim = new Map<number, number>();
  for (const { a, b } of edges) {
    const ra = find(a), rb = find(b);
    if (ra === rb) continue;
    const ma = members.get(ra) ?? [ra];
    const mb = members.get(rb) ?? [rb];
    let lo = Math.min(minSim.get(ra) ?? 1, minSim.get(rb) ?? 1);
    let ok = true;
    for (let p = 0; p < ma.length && ok; p++) {
      for (let q = 0; q < mb.length; q++) {
        const s = edgeSim.get(nodePairKey(ma[p], mb[q], nNodes));
        if (s === undefined) { ok = false; break; }
        if (s < lo) lo = s;
      }
    }
    if (!ok) continue;
    // Union by size; the larger member list absorbs the smaller.
    const [big, small, mBig, mSmall] = ma.length >= mb.length ? [ra, rb, ma, mb] : [rb, ra, mb, ma];
    parent[small] = big;
    for (const v of mSmall) mBig.push(v);
    members.set(big, mBig);
    members.delete(small);
    minSim.set(big, lo);
    minSim.delete(small);
  }
  const out: { nodes: number[]; similarity: number }[] = [];
  const seen = new Uint8Array(nNodes);
  for (let v = 0; v < nNodes; v++) {
    const r = find(v);
    if (seen[r]) continue;
    seen[r] = 1;
    const ns = members.get(r) ?? [r];
    out.push({ nodes: ns, similarity: ns.length === 1 ? 1 : minSim.get(r) ?? 1 });
  }
  return out;
}

/** Stage 1 + 2; returns member image indices per group with the group's minimum pairwise similarity. */
function computeGroups(input: DuplicateInput, ph: PackedHashes, flip: PackedHashes, t: Thresholds): { nodes: number[]; similarity: number }[] {
  const { nodeOf, nodeImages } = exactHashNodes(input.hashes, input.graph.n);
  const groups = completeLinkage(nearEdges(input.graph, nodeOf, nodeImages.length, ph, flip, t), nodeImages.length);
  const out: { nodes: number[]; similarity: number }[] = [];
  for (const g of groups) {
    const images: number[] = [];
    for (const node of g.nodes) for (const i of nodeImages[node]) images.push(i);
    if (images.length < 2) continue;
    out.push({ nodes: images, similarity: g.similarity });
  }
  return out;
}

const SPLIT_ORDER: Record<string, number> = { train: 0, none: 1, val: 2, test: 3 };
/** Order of splits: train, none, val, test (a copy in a later split leaks from an earlier one). */
export const splitRank = (s: Split | null): number => SPLIT_ORDER[s ?? 'none'];

function toGroup(
  images: number[],
  similarity: number,
  hashes: readonly string[],
  labels: Int32Array,
  splits: readonly (Split | null)[],
  paths: readonly string[],
  classNames: readonly string[],
): DuplicateGroup {
  const sorted = [...images].sort((i, j) => splitRank(splits[i]) - splitRank(splits[j]) || cmp(paths[i], paths[j]));
  const h0 = hashes[sorted[0]];
  const exact = h0 !== '' && sorted.every((i) => hashes[i] === h0);
  return {
    paths: sorted.map((i) => paths[i]),
    exact,
    similarity: exact ? 1 : similarity,
    labels: sorted.map((i) => classNames[labels[i]] ?? String(labels[i])),
    splits: sorted.map((i) => splits[i]),
  };
}

/** Code-point order, independent of locale. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort groups: largest first, then by first path. Exposed for callers that merge group lists. */
export function sortGroups(groups: DuplicateGroup[]): DuplicateGroup[] {
  return groups.sort((g, h) => h.paths.length - g.paths.length || cmp(g.paths[0], h.paths[0]));
}

