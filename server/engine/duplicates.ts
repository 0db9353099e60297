/**
 * Duplicate groups: byte-identical files (same content hash) and near-identical images (embedding
 * cosine similarity ≥ a threshold along kNN edges), and the issues they raise: plain duplicates,
 * duplicates with conflicting labels, and duplicates leaking across splits.
 *
 * Grouping is two-stage:
 *  1. Images with the same content hash form one node (an exact group).
 *  2. Nodes are merged by complete linkage over near edges, most similar edges first: two groups
 *     merge only if EVERY pair of nodes across them is joined by a known kNN edge with
 *     similarity ≥ threshold. A chain a~b~c~… of near pairs therefore never merges images that are
 *     not near each other, so a slow drift through a class cannot pull thousands of images into
 *     one group. Similarities are only known along kNN edges (either direction, between any images
 *     of the two nodes), so a group has at most about k+1 distinct-content members; a larger set of
 *     mutual near duplicates is reported as several groups (known limitation, see `findDuplicateGroups`).
 *
 * Every image is in at most one group. A group is `exact` when all its members share one hash.
 */
import type { DuplicateGroup, Issue } from '../../protocol/results';
import type { Split } from '../../protocol/dataset';
import type { KnnGraph } from './types';

/**
 * Default near-duplicate threshold (cosine similarity of image embeddings). Re-encoded, resized,
 * slightly cropped or recompressed copies of one photo typically score ≥ 0.98 with CNN/CLIP-style
 * embeddings, while distinct photos of the same object class rarely exceed ~0.95; 0.97 sits between
 * the two, erring on "only flag what a person would call the same picture". Tune per model.
 */
export const DEFAULT_NEAR_THRESHOLD = 0.97;

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
}

export interface DuplicateOptions {
  /** Cosine similarity at or above which two different files are near duplicates. In (0, 1]. */
  readonly nearThreshold?: number;
}

/**
 * Group exact and near duplicates. Groups are sorted largest first, then by first path; members
 * within a group by split (train, none, val, test), then path, so `paths[0]` is the natural "original".
 */
export function findDuplicateGroups(input: DuplicateInput, opts: DuplicateOptions = {}): DuplicateGroup[] {
  const { hashes, graph, labels, splits, paths, classNames } = input;
  const n = graph.n;
  const threshold = opts.nearThreshold ?? DEFAULT_NEAR_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`findDuplicateGroups: nearThreshold must be in (0, 1], got ${threshold}`);
  for (const [name, len] of [['hashes', hashes.length], ['labels', labels.length], ['splits', splits.length], ['paths', paths.length]] as const) {
    if (len !== n) throw new Error(`findDuplicateGroups: ${name} has ${len} entries, graph has ${n}`);
  }
  if (graph.indices.length !== n * graph.k || graph.similarities.length !== n * graph.k) {
    throw new Error(`findDuplicateGroups: graph arrays must be n×k = ${n * graph.k} long`);
  }
  return sortGroups(computeGroups(input, threshold).map((members) => toGroup(members.nodes, members.similarity, hashes, labels, splits, paths, classNames)));
}

/** Stage 1 + 2; returns member image indices per group with the group's minimum pairwise similarity. */
function computeGroups(input: DuplicateInput, threshold: number): { nodes: number[]; similarity: number }[] {
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

  // Near edges between distinct nodes, symmetric, keyed by (min, max) node pair; keep the max similarity seen.
  const edgeSim = new Map<number, number>();
  const key = (a: number, b: number) => (a < b ? a * nNodes + b : b * nNodes + a);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < graph.k; j++) {
      const nb = graph.indices[i * graph.k + j];
      if (nb < 0 || nb === i) continue;
      const s = graph.similarities[i * graph.k + j];
      if (!(s >= threshold)) continue;
      const a = nodeOf[i], b = nodeOf[nb];
      if (a === b) continue;
      const kk = key(a, b);
      const prev = edgeSim.get(kk);
      if (prev === undefined || s > prev) edgeSim.set(kk, s);
    }
  }
  const edges = Array.from(edgeSim, ([kk, s]) => ({ a: Math.floor(kk / nNodes), b: kk % nNodes, s }));
  // Most similar first; ties by node ids so the result does not depend on Map order.
  edges.sort((e, f) => f.s - e.s || e.a - f.a || e.b - f.b);

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
