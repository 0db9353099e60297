/**
 * Private numeric helpers that reproduce NumPy's arithmetic where it changes results:
 * float32 rounding, pairwise summation, round-half-to-even, and cleanlab's row-total-preserving rounding
 * (`internal/util.py`). Not exported from index.ts.
 */
import { FLOATING_POINT_COMPARISON } from './constants';

/** N×K model probabilities, row-major. Float32 inputs are computed in float32 like NumPy would. */
export type PredProbs = Float32Array | Float64Array;

/** Rounds to the working precision: `Math.fround` for float32 data, identity for float64. */
export type Rounder = (x: number) => number;

export const identity: Rounder = (x) => x;

export function rounderFor(a: ArrayLike<number>): Rounder {
  return a instanceof Float32Array ? Math.fround : identity;
}

/** NumPy's pairwise summation block size (PW_BLOCKSIZE in loops_utils.h). */
const PAIRWISE_BLOCK = 128;
/** NumPy's unroll factor inside a pairwise block. */
const PAIRWISE_UNROLL = 8;

/**
 * Sum of `n` elements `a[off + i*stride]` in NumPy's pairwise order (what `np.sum` / `np.mean` do
 * along a contiguous axis), each partial sum rounded with `r`.
 */
export function pairwiseSum(a: ArrayLike<number>, off: number, n: number, stride: number, r: Rounder): number {
  if (n < PAIRWISE_UNROLL) {
    let res = 0;
    for (let i = 0; i < n; i++) res = r(res + a[off + i * stride]);
    return res;
  }
  if (n <= PAIRWISE_BLOCK) {
    let r0 = a[off], r1 = a[off + stride], r2 = a[off + 2 * stride], r3 = a[off + 3 * stride];
    let r4 = a[off + 4 * stride], r5 = a[off + 5 * stride], r6 = a[off + 6 * stride], r7 = a[off + 7 * stride];
    let i = PAIRWISE_UNROLL;
    const end = n - (n % PAIRWISE_UNROLL);
    for (; i < end; i += PAIRWISE_UNROLL) {
      const b = off + i * stride;
      r0 = r(r0 + a[b]); r1 = r(r1 + a[b + stride]); r2 = r(r2 + a[b + 2 * stride]); r3 = r(r3 + a[b + 3 * stride]);
      r4 = r(r4 + a[b + 4 * stride]); r5 = r(r5 + a[b + 5 * stride]); r6 = r(r6 + a[b + 6 * stride]); r7 = r(r7 + a[b + 7 * stride]);
    }
    let res = r(r(r(r0 + r1) + r(r2 + r3)) + r(r(r4 + r5) + r(r6 + r7)));
    for (; i < n; i++) res = r(res + a[off + i * stride]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % PAIRWISE_UNROLL;
  return r(pairwiseSum(a, off, n2, stride, r) + pairwiseSum(a, off + n2 * stride, n - n2, stride, r));
}

/** `np.round`: round half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Runs shorter than this are insertion-sorted before merging. */
const INSERTION_RUN = 16;

/**
 * Indices sorted by ascending `key[i]`, ties by position in `idx` (stable; `idx` defaults to 0..len-1).
 * NumPy's default argsort is not stable, so on exact ties cleanlab's choice is implementation-defined;
 * we pick the stable one. Bottom-up merge sort over typed arrays (no comparator callbacks).
 */
export function argsortStable(key: ArrayLike<number>, idx?: Int32Array): Int32Array {
  const n = idx ? idx.length : key.length;
  let a = idx ? Int32Array.from(idx) : new Int32Array(n);
  if (!idx) for (let i = 0; i < n; i++) a[i] = i;
  for (let lo = 0; lo < n; lo += INSERTION_RUN) {
    const hi = Math.min(lo + INSERTION_RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const v = a[i];
      const kv = key[v];
      let j = i - 1;
      while (j >= lo && key[a[j]] > kv) { a[j + 1] = a[j]; j--; }
      a[j + 1] = v;
    }
  }
  let b = new Int32Array(n);
  for (let width = INSERTION_RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo, j = mid, o = lo;
      while (i < mid && j < hi) b[o++] = key[a[j]] < key[a[i]] ? a[j++] : a[i++];
      while (i < mid) b[o++] = a[i++];
      while (j < hi) b[o++] = a[j++];
    }
    const t = a; a = b; b = t;
  }
  return a;
}

/** First index of the maximum of row `i` (NumPy argmax: first occurrence wins ties). */
export function rowArgmax(p: ArrayLike<number>, i: number, K: number): number {
  const base = i * K;
  let best = 0;
  let bestVal = p[base];
  for (let j = 1; j < K; j++) {
    const v = p[base + j];
    if (v > bestVal) { best = j; bestVal = v; }
  }
  return best;
}

/**
 * Positions of the `m` smallest keys under the order (key, position) — the same set as
 * `argsortStable(key).subarray(0, m)`, in O(n) expected time (quickselect on a copy), unordered.
 */
export function smallestStable(key: ArrayLike<number>, m: number): Int32Array {
  const n = key.length;
  if (m <= 0) return new Int32Array(0);
  if (m >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const v = kthSmallest(Float64Array.from(key), m - 1);
  let below = 0;
  for (let i = 0; i < n; i++) if (key[i] < v) below++;
  let ties = m - below; // how many keys equal to v to take, lowest positions first
  const out = new Int32Array(m);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const x = key[i];
    if (x < v) out[o++] = i;
    else if (x === v && ties > 0) { out[o++] = i; ties--; }
  }
  return out;
}

/** k-th smallest value (0-based) of `a`, which is reordered (Hoare quickselect, median-of-three pivot). */
function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three into a[mid]
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { swap(a, i, j); i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** cleanlab `round_preserving_row_totals`: round each row so its integer sum equals its rounded float sum. */
export function roundPreservingRowTotals(m: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * k);
  const floats = new Float64Array(k);
  const ints = new Float64Array(k);
  const keys = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      floats[j] = m[i * k + j];
      ints[j] = roundHalfEven(floats[j]);
    }
    const origSum = roundHalfEven(pairwiseSum(floats, 0, k, 1, identity));
    let intSum = roundHalfEven(pairwiseSum(ints, 0, k, 1, identity));
    while (Math.abs(intSum - origSum) > FLOATING_POINT_COMPARISON) {
      const diff = roundHalfEven(origSum - intSum);
      const inc = diff < 0 ? -1 : 1;
      const changes = Math.min(Math.abs(diff), k);
      for (let j = 0; j < k; j++) keys[j] = floats[j] - ints[j];
      const order = argsortStable(keys);
      if (inc === 1) order.reverse(); // largest rounding loss first
      for (let t = 0; t < changes; t++) ints[order[t]] += inc;
      intSum = roundHalfEven(pairwiseSum(ints, 0, k, 1, identity));
    }
    out.set(ints, i * k);
  }
  return out;
}
