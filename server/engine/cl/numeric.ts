/**
 * Private numeric helpers that reproduce NumPy's arithmetic where it changes results:
 * float32 rounding, pairwise summation, round-half-to-even. Not exported from index.ts.
 */

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

/**
 * Indices of `idx` sorted by ascending `key[i]`, ties by ascending index (stable). NumPy's default
 * argsort is not stable, so on exact ties cleanlab's choice is implementation-defined; we pick the stable one.
 */
export function argsortStable(key: ArrayLike<number>, idx?: Int32Array): Int32Array {
  const out = idx ? Int32Array.from(idx) : Int32Array.from({ length: key.length }, (_, i) => i);
  out.sort((a, b) => key[a] - key[b] || a - b);
  return out;
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
