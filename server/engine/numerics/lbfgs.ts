/**
 * Limited-memory BFGS for smooth convex objectives (the classifier's softmax regression). Kept hand-written:
 * it warm-starts from the previous fit's curvature pairs after a relabel, which is what makes a re-score cheap.
 */
import { CancelledError, type IsCancelled } from '../types';

/** L-BFGS stops when max |gradient| falls below this (the objective is a mean, so this is scale-free). */
export const GRADIENT_TOLERANCE = 1e-5;
/** Curvature pairs kept. */
const LBFGS_MEMORY = 10;

/** L-BFGS curvature pairs (s = Δw, y = Δg, rho = 1/(sᵀy)), oldest first. Treated as immutable once returned. */
export interface LbfgsMemory {
  readonly S: readonly Float64Array[];
  readonly Y: readonly Float64Array[];
  readonly rho: readonly number[];
}

/** Armijo sufficient-decrease constant of the backtracking line search. */
const ARMIJO_C = 1e-4;
/**
 * A directional derivative this small relative to the objective is below float64 noise in a mean over thousands of
 * rows: the line search could never see a decrease and would halve 30 times. Treated as converged.
 */
const SLOPE_NOISE = 1e-12;
const MAX_LINE_SEARCH = 30;

/**
 * Limited-memory BFGS with backtracking (Armijo) line search. Deterministic. `warmMemory` (curvature pairs from a
 * previous fit of nearly the same objective) makes the first direction a scaled quasi-Newton step rather than a
 * steepest-descent step of length 1/‖g‖, which on a warm start needed many line-search halvings or stalled.
 */
export function lbfgs(
  fg: (w: Float64Array, g: Float64Array) => number, w: Float64Array, maxIter: number, warmMemory: LbfgsMemory | null,
  isCancelled: IsCancelled | undefined,
): { w: Float64Array; memory: LbfgsMemory } {
  const dim = w.length;
  const g = new Float64Array(dim), gNew = new Float64Array(dim), dir = new Float64Array(dim), wNew = new Float64Array(dim);
  const S: Float64Array[] = warmMemory ? warmMemory.S.slice() : [];
  const Y: Float64Array[] = warmMemory ? warmMemory.Y.slice() : [];
  const rho: number[] = warmMemory ? warmMemory.rho.slice() : [];
  const alpha = new Float64Array(LBFGS_MEMORY);
  let f = fg(w, g);
  for (let it = 0; it < maxIter; it++) {
    if (isCancelled?.()) throw new CancelledError();
    let gmax = 0;
    for (let t = 0; t < dim; t++) gmax = Math.max(gmax, Math.abs(g[t]));
    if (gmax < GRADIENT_TOLERANCE) break;
    // Two-loop recursion: dir = −H·g.
    for (let t = 0; t < dim; t++) dir[t] = -g[t];
    for (let m = S.length - 1; m >= 0; m--) {
      let a = 0;
      for (let t = 0; t < dim; t++) a += S[m][t] * dir[t];
      a *= rho[m]; alpha[m] = a;
      for (let t = 0; t < dim; t++) dir[t] -= a * Y[m][t];
    }
    if (S.length > 0) {
      const m = S.length - 1;
      let yy = 0, sy = 0;
      for (let t = 0; t < dim; t++) { yy += Y[m][t] * Y[m][t]; sy += S[m][t] * Y[m][t]; }
      const gamma = sy / yy;
      for (let t = 0; t < dim; t++) dir[t] *= gamma;
    } else {
      let gn = 0;
      for (let t = 0; t < dim; t++) gn += g[t] * g[t];
      const sc = 1 / Math.max(1, Math.sqrt(gn));
      for (let t = 0; t < dim; t++) dir[t] *= sc;
    }
    for (let m = 0; m < S.length; m++) {
      let b = 0;
      for (let t = 0; t < dim; t++) b += Y[m][t] * dir[t];
      b *= rho[m];
      for (let t = 0; t < dim; t++) dir[t] += S[m][t] * (alpha[m] - b);
    }
    let slope = 0;
    for (let t = 0; t < dim; t++) slope += g[t] * dir[t];
    if (!(slope < 0)) { // not a descent direction: reset memory, use steepest descent
      S.length = 0; Y.length = 0; rho.length = 0;
      for (let t = 0; t < dim; t++) dir[t] = -g[t];
      slope = 0;
      for (let t = 0; t < dim; t++) slope += g[t] * dir[t];
    }
    if (-slope < SLOPE_NOISE * Math.max(Math.abs(f), 1)) break;
    let step = 1, fNew = Infinity, accepted = false;
    for (let ls = 0; ls < MAX_LINE_SEARCH; ls++) {
      for (let t = 0; t < dim; t++) wNew[t] = w[t] + step * dir[t];
      fNew = fg(wNew, gNew);
      if (fNew <= f + ARMIJO_C * step * slope) { accepted = true; break; }
      step *= 0.5;
    }
    if (!accepted) break;
    const s = new Float64Array(dim), yv = new Float64Array(dim);
    let sy = 0;
    for (let t = 0; t < dim; t++) { s[t] = wNew[t] - w[t]; yv[t] = gNew[t] - g[t]; sy += s[t] * yv[t]; }
    if (sy > 1e-12) {
      if (S.length === LBFGS_MEMORY) { S.shift(); Y.shift(); rho.shift(); }
      S.push(s); Y.push(yv); rho.push(1 / sy);
    }
    const rel = Math.abs(f - fNew) / Math.max(Math.abs(f), Math.abs(fNew), 1);
    w.set(wNew); g.set(gNew); f = fNew;
    if (rel < 1e-10) break;
  }
  return { w, memory: { S, Y, rho } };
}
