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
import type { DuplicateGroup, Issue } from '../../../protocol/results';
import type { Split } from '../../../protocol/dataset';
import type { KnnGraph } from '../types';
import { PHASH_BLOCK, PHASH_HEX_LENGTH, popcount32 } from '../dataset/quality';

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

/** Stage 1 + 2; returns member image indices per group with the group's minimum pairwise similarity. */
function computeGroups(input: DuplicateInput, ph: PackedHashes, flip: PackedHashes, t: Thresholds): { nodes: number[]; similarity: number }[] {
  const { hashes, graph } = input;
  const n = graph.n;

  // Stage 1: one node per distinct non-empty hash; images without a hash are their own node.
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
  const nNodes = nodeImages.length;

  // Near edges between distinct nodes, symmetric, keyed by (min, max) node pair: the highest cosine of any
  // near image pair across the two nodes and the smallest hash distance (0 stands for "embedding rule only").
  const edgeSim = new Map<number, number>();
  const edgeDist = new Map<number, number>();
  const key = (a: number, b: number) => (a < b ? a * nNodes + b : b * nNodes + a);
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
      const kk = key(a, b);
      const prevS = edgeSim.get(kk);
      if (prevS === undefined || s > prevS) edgeSim.set(kk, s);
      const prevD = edgeDist.get(kk);
      if (prevD === undefined || rank < prevD) edgeDist.set(kk, rank);
    }
  }
  const edges = Array.from(edgeSim, ([kk, s]) => ({ a: Math.floor(kk / nNodes), b: kk % nNodes, s, d: edgeDist.get(kk)! }));
  // Closest first; ties by node ids so the result does not depend on Map order.
  edges.sort((e, f) => e.d - f.d || f.s - e.s || e.a - f.a || e.b - f.b);
  // Stage 2: complete-linkage merging. `members[root]` lists the nodes of each current group.
  const parent = new Int32Array(nNodes);
  for (let v = 0; v < nNodes; v++) parent[v] = v;
  const find = (v: number): number => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]];
      v = parent[v];
    }
    return v;
  };
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
        const s = edgeSim.get(key(ma[p], mb[q]));
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
    const images: number[] = [];
    for (const node of ns) for (const i of nodeImages[node]) images.push(i);
    if (images.length < 2) continue;
    out.push({ nodes: images, similarity: ns.length === 1 ? 1 : minSim.get(r) ?? 1 });
  }
  return out;
}

const SPLIT_ORDER: Record<string, number> = { train: 0, none: 1, val: 2, test: 3 };
const splitRank = (s: Split | null) => SPLIT_ORDER[s ?? 'none'];

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

export interface DuplicateIssueOptions {
  /** Content hash per path; lets messages say "Same image as" (not "Near-identical to") for exact copies inside a near group. */
  readonly hashOf?: ReadonlyMap<string, string>;
  /** The threshold the groups were made with; maps near similarity to a score in [0.5, 1]. */
  readonly nearThreshold?: number;
}

/** Score for an exact copy. */
const EXACT_SCORE = 1;
/** Near copies score from NEAR_SCORE_FLOOR (at the threshold) up to 1 (identical embeddings). */
const NEAR_SCORE_FLOOR = 0.5;

/**
 * Issues from duplicate groups, at most one per (path, kind) per group:
 *  - 'conflicting-duplicate' on every member whose label differs from another member's (we cannot tell which label is right);
 *  - 'leakage' on every member in a later split (val/test) than the group's earliest split
 *    (train < val < test; images without a split never leak);
 *  - 'duplicate' on every member except the group's first path that got neither of the above.
 * Messages name the closest counterpart, e.g. "Same image as train/cat/12.png (labelled 'dog' there)".
 */
export function duplicateIssues(groups: readonly DuplicateGroup[], opts: DuplicateIssueOptions = {}): Issue[] {
  const threshold = opts.nearThreshold ?? DEFAULT_NEAR_THRESHOLD;
  const issues: Issue[] = [];
  for (const g of groups) {
    const m = g.paths.length;
    if (m < 2) continue;
    const sameContent = (a: number, b: number): boolean => {
      if (g.exact) return true;
      const ha = opts.hashOf?.get(g.paths[a]);
      return ha !== undefined && ha !== '' && ha === opts.hashOf?.get(g.paths[b]);
    };
    const score = (a: number, b: number): number =>
      sameContent(a, b) ? EXACT_SCORE : round3(NEAR_SCORE_FLOOR + (1 - NEAR_SCORE_FLOOR) * clamp01((g.similarity - threshold) / (1 - threshold || 1)));
    const relation = (a: number, b: number): string =>
      sameContent(a, b) ? `Same image as ${g.paths[b]}` : `Near-identical to ${g.paths[b]} (similarity ≥ ${g.similarity.toFixed(3)})`;
    const others = (a: number) => g.paths.filter((_, i) => i !== a);
    const more = (count: number) => (count > 0 ? ` and ${count} other file${count === 1 ? '' : 's'}` : '');

    let earliest = Infinity;
    for (const s of g.splits) if (s !== null) earliest = Math.min(earliest, splitRank(s));

    for (let a = 0; a < m; a++) {
      let flagged = false;
      // Conflicting labels: point at the first member carrying a different label.
      const b = g.labels.findIndex((l, i) => i !== a && l !== g.labels[a]);
      if (b >= 0) {
        const nDiff = g.labels.filter((l, i) => i !== a && l !== g.labels[a]).length;
        issues.push({
          kind: 'conflicting-duplicate',
          path: g.paths[a],
          score: score(a, b),
          message: `${relation(a, b)} (labelled '${g.labels[b]}' there, '${g.labels[a]}' here)${more(nDiff - 1)}: one of the labels is probably wrong.`,
          related: others(a),
        });
        flagged = true;
      }
      // Leakage: this member sits in a later split than some copy of it.
      const sa = g.splits[a];
      if (sa !== null && splitRank(sa) > earliest) {
        const c = g.splits.findIndex((s) => s !== null && splitRank(s) === earliest);
        issues.push({
          kind: 'leakage',
          path: g.paths[a],
          score: score(a, c),
          message: `${relation(a, c)} in the ${g.splits[c]} split: this ${sa} image leaks into ${g.splits[c]}, so ${sa} scores are optimistic.`,
          related: others(a),
        });
        flagged = true;
      }
      if (!flagged && a > 0) {
        issues.push({
          kind: 'duplicate',
          path: g.paths[a],
          score: score(a, 0),
          message: `${relation(a, 0)}${more(m - 2)}.`,
          related: others(a),
        });
      }
    }
  }
  return issues;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
