/**
 * Which cross-validation fold each example belongs to. The product's folds depend on the images, not on
 * file order (`hashFolds`), so a relabel or a move leaves every other image in its fold. Callers without
 * content hashes (tests, benches; the classifier's default) get exactly balanced seeded folds (`stratifiedFolds`).
 */
import { makeRng } from '../numerics/rng';

/**
 * A class needs this many images per fold before its folds come from content hashes alone; smaller
 * classes are dealt round-robin in hash order so every fold still sees them.
 */
const HASH_FOLDS_MIN_PER_FOLD = 10;

/** FNV-1a, 32-bit: a well-mixed number from any string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Stratified folds that depend on the images, not on file order: moving or renaming one file (a
 * relabel) leaves every other image in its fold, so the next run's scores move only where the labels did.
 * Large classes: fold = a 32-bit hash of the content hash, mod `folds` (balanced in expectation);
 * small classes: ranked by hash, dealt round-robin (exactly balanced).
 */
export function hashFolds(hashes: readonly string[], labels: Int32Array, K: number, folds: number): Int32Array {
  const f = Math.max(1, Math.min(folds, hashes.length));
  const out = new Int32Array(hashes.length);
  const byClass: number[][] = Array.from({ length: K }, () => []);
  labels.forEach((y, i) => byClass[y].push(i));
  for (const members of byClass) {
    if (members.length >= HASH_FOLDS_MIN_PER_FOLD * f) {
      for (const i of members) out[i] = fnv1a(hashes[i]) % f;
    } else {
      members.sort((a, b) => (hashes[a] < hashes[b] ? -1 : hashes[a] > hashes[b] ? 1 : a - b));
      members.forEach((i, r) => (out[i] = r % f));
    }
  }
  return out;
}

/**
 * Seeded stratified folds, for callers without content hashes (the classifier's and the MLP's default; tests
 * and benches): each class's examples are shuffled (seeded) and dealt round-robin, continuing where the
 * previous class stopped, so fold sizes stay within one of each other. The product passes `hashFolds` instead.
 */
export function stratifiedFolds(labels: Int32Array, K: number, folds: number, seed: number): Int32Array {
  const rng = makeRng(seed);
  const byClass: number[][] = Array.from({ length: K }, () => []);
  labels.forEach((y, i) => byClass[y].push(i));
  const foldOf = new Int32Array(labels.length);
  let next = 0;
  for (const members of byClass) {
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const t = members[i]; members[i] = members[j]; members[j] = t;
    }
    for (const i of members) { foldOf[i] = next; next = (next + 1) % folds; }
  }
  return foldOf;
}
