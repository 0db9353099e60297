/** Input validation at the public edge of the confident-learning module. Private functions assume valid input. */

import { PROBABILITY_RANGE_TOLERANCE } from './constants';
import type { PredProbs } from './numeric';

export interface Shape {
  readonly n: number;
  readonly k: number;
}

/**
 * Checks `labels` (N integers in 0..K-1) against `predProbs` (N×K, row-major) and returns the shape.
 * K is taken from `k` when given, else inferred as predProbs.length / N.
 * Like cleanlab's `assert_valid_inputs`, values must lie in [0, 1] (±1e-6); rows are NOT required to sum to 1.
 */
export function validateInputs(fn: string, labels: Int32Array, predProbs: PredProbs, k?: number): Shape {
  if (!(labels instanceof Int32Array)) throw new TypeError(`${fn}: labels must be an Int32Array of length N`);
  if (!(predProbs instanceof Float32Array || predProbs instanceof Float64Array)) {
    throw new TypeError(`${fn}: predProbs must be a Float32Array or Float64Array of length N×K (row-major)`);
  }
  const n = labels.length;
  if (n === 0) throw new RangeError(`${fn}: labels is empty; need at least one example`);
  if (k === undefined) {
    if (predProbs.length % n !== 0) {
      throw new RangeError(`${fn}: predProbs length ${predProbs.length} is not a multiple of N = ${n}`);
    }
    k = predProbs.length / n;
  }
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${fn}: K must be an integer ≥ 1, got ${k}`);
  if (predProbs.length !== n * k) {
    throw new RangeError(`${fn}: predProbs has length ${predProbs.length}, expected N×K = ${n}×${k} = ${n * k}`);
  }
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y < 0 || y >= k) throw new RangeError(`${fn}: labels[${i}] = ${y} is outside 0..${k - 1} (K = ${k})`);
  }
  const lo = 0 - PROBABILITY_RANGE_TOLERANCE;
  const hi = 1 + PROBABILITY_RANGE_TOLERANCE;
  for (let i = 0; i < predProbs.length; i++) {
    const v = predProbs[i];
    if (!(v >= lo && v <= hi)) {
      const what = Number.isNaN(v) ? 'NaN' : String(v);
      throw new RangeError(
        `${fn}: predProbs[${Math.floor(i / k)}, ${i % k}] = ${what}; probabilities must be finite and in [0, 1]`,
      );
    }
  }
  return { n, k };
}

/** Checks a K×K row-major matrix. */
export function validateSquare(fn: string, name: string, m: ArrayLike<number>, k?: number): number {
  const kk = k ?? Math.round(Math.sqrt(m.length));
  if (kk < 1 || m.length !== kk * kk) throw new RangeError(`${fn}: ${name} must be K×K row-major (length ${m.length})`);
  for (let i = 0; i < m.length; i++) {
    if (!Number.isFinite(m[i]) || m[i] < 0) throw new RangeError(`${fn}: ${name}[${i}] = ${m[i]} must be a finite count ≥ 0`);
  }
  return kk;
}

/** Labels only (for functions that take a confident joint instead of predProbs). */
export function validateLabels(fn: string, labels: Int32Array, k: number): number {
  if (!(labels instanceof Int32Array)) throw new TypeError(`${fn}: labels must be an Int32Array of length N`);
  if (labels.length === 0) throw new RangeError(`${fn}: labels is empty; need at least one example`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] >= k) throw new RangeError(`${fn}: labels[${i}] = ${labels[i]} is outside 0..${k - 1} (K = ${k})`);
  }
  return labels.length;
}
