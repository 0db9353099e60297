/**
 * Dense linear-algebra helpers over row-major Float32Array matrices (see `Matrix` in ./types).
 *
 * Backend choice (2 cores, Node 20; see bench/analyze.ts `--kernels` for the current numbers):
 *   hand-assembled WebAssembly SIMD kernel (./wasm/kernels)   used when the runtime supports wasm SIMD
 *   plain JS 4-row register-blocked kernel                     fallback, and the reference in tests
 *   tfjs-backend-cpu / -wasm matMul                            measured 0.01–0.9 GMAC/s here: not used
 * The wasm kernel accumulates in float32 (the JS kernel in float64, rounding once), so results agree to
 * ~1e-6 relative, not bit for bit.
 */
import { Matrix, makeRng } from '../types';
import { DenseKernel, packPairs, packRowBlocks } from './wasm/kernels';

/** Rows whose L2 norm is below this are left as zero rows rather than divided (avoids 0/0). */
export const NORM_EPSILON = 1e-12;

/** Throws `Error` naming the first row (and column) holding NaN or ±Infinity. */
export function assertFiniteRows(m: Matrix, what = 'matrix'): void {
  const { rows, cols, data } = m;
  if (data.length !== rows * cols) throw new Error(`${what}: data.length ${data.length} != rows*cols ${rows * cols}`);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[o + j] * 0; // NaN*0 = NaN, Inf*0 = NaN
    if (s !== 0) {
      for (let j = 0; j < cols; j++) {
        if (!Number.isFinite(data[o + j])) throw new Error(`${what}: non-finite value ${data[o + j]} at row ${i}, column ${j}`);
      }
    }
  }
}

/** Returns a copy (or normalises in place) with every row scaled to unit L2 norm; zero rows stay zero. */
export function l2NormalizeRows(m: Matrix, inPlace = false): Matrix {
  const { rows, cols } = m;
  const out = inPlace ? m.data : new Float32Array(m.data);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += out[o + j] * out[o + j];
    const n = Math.sqrt(s);
    if (n < NORM_EPSILON) continue;
    const inv = 1 / n;
    for (let j = 0; j < cols; j++) out[o + j] *= inv;
  }
  return { rows, cols, data: out };
}

/** 'auto' = WebAssembly SIMD when available and the product is big enough to pay for packing, else plain JS. */
export type DenseKernelChoice = 'auto' | 'wasm' | 'js';
/** Below this many multiply-adds the plain-JS kernel wins (packing and instantiation cost ~0.1 ms). */
const WASM_MIN_MACS = 1 << 18;

/**
 * out[i, j] = A[i,:] · B[j,:] for A (m×d) and B (n×d) given row-major; out is m×n row-major.
 */
export function matmulABt(
  A: Float32Array, m: number, B: Float32Array, n: number, d: number, out?: Float32Array, kernel: DenseKernelChoice = 'auto',
): Float32Array {
  const C = out ?? new Float32Array(m * n);
  if (m === 0 || n === 0) return C;
  if (d === 0) { C.fill(0, 0, m * n); return C; }
  if (kernel !== 'js' && (kernel === 'wasm' || m * n * d >= WASM_MIN_MACS)) {
    const wk = DenseKernel.create();
    if (wk) return matmulABtWasm(wk, A, m, B, n, d, C);
    if (kernel === 'wasm') throw new Error('matmulABt: WebAssembly SIMD is not available in this runtime');
  }
  return matmulABtJs(A, m, B, n, d, C);
}

/** Rows of A packed per kernel call, and the packed-B bytes per tile (≈ L2). */
const WASM_A_CHUNK_ROWS = 128;
const WASM_B_TILE_BYTES = 256 * 1024;

function matmulABtWasm(wk: DenseKernel, A: Float32Array, m: number, B: Float32Array, n: number, d: number, C: Float32Array): Float32Array {
  const nPairs = Math.ceil(n / 8);
  const pairsPerTile = Math.max(1, Math.floor(WASM_B_TILE_BYTES / (32 * d)));
  const chunkRows = Math.min(WASM_A_CHUNK_ROWS, Math.ceil(m / 4) * 4);
  const ldc = nPairs * 8; // floats per C row (padded)
  const [bOff, aOff, cOff] = wk.reserve([nPairs * 32 * d, chunkRows * 4 * d, chunkRows * ldc * 4]);
  packPairs(B, 0, n, d, wk.f32(bOff, nPairs * 8 * d));
  const aBuf = wk.f32(aOff, chunkRows * d), cBuf = wk.f32(cOff, chunkRows * ldc);
  for (let i0 = 0; i0 < m; i0 += chunkRows) {
    const rows = Math.min(chunkRows, m - i0), blocks = Math.ceil(rows / 4);
    packRowBlocks(A, i0, rows, d, aBuf);
    for (let p0 = 0; p0 < nPairs; p0 += pairsPerTile) {
      const np = Math.min(pairsPerTile, nPairs - p0);
      wk.abt(aOff, blocks, d, bOff + p0 * 32 * d, np, cOff + p0 * 32, ldc * 4);
    }
    for (let r = 0; r < rows; r++) C.set(cBuf.subarray(r * ldc, r * ldc + n), (i0 + r) * n);
  }
  return C;
}

/** Plain-JS kernel: four rows of A share each load of a B row (register blocking); B is walked in L2-sized tiles. */
export function matmulABtJs(A: Float32Array, m: number, B: Float32Array, n: number, d: number, out?: Float32Array): Float32Array {
  const C = out ?? new Float32Array(m * n);
  const TILE = Math.max(16, Math.floor(65536 / Math.max(1, d))); // ≈256 KB of B per tile
  for (let j0 = 0; j0 < n; j0 += TILE) {
    const j1 = Math.min(n, j0 + TILE);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = i * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
      for (let j = j0; j < j1; j++) {
        const b = j * d;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let t = 0; t < d; t++) {
          const bv = B[b + t];
          s0 += A[a0 + t] * bv; s1 += A[a1 + t] * bv; s2 += A[a2 + t] * bv; s3 += A[a3 + t] * bv;
        }
        C[i * n + j] = s0; C[(i + 1) * n + j] = s1; C[(i + 2) * n + j] = s2; C[(i + 3) * n + j] = s3;
      }
    }
    for (; i < m; i++) {
      const a0 = i * d;
      for (let j = j0; j < j1; j++) {
        const b = j * d;
        let s = 0;
        for (let t = 0; t < d; t++) s += A[a0 + t] * B[b + t];
        C[i * n + j] = s;
      }
    }
  }
  return C;
}

/**
 * outT (l×d) = (Aᵀ B)ᵀ = Bᵀ A for A (m×d) and B (m×l), both row-major. Returned transposed (l×d row-major)
 * because every caller wants the d-long vectors contiguous.
 */
export function matmulAtBTransposed(A: Float32Array, m: number, d: number, B: Float32Array, l: number): Float32Array {
  const acc = new Float64Array(l * d);
  for (let i = 0; i < m; i++) {
    const a = i * d, bRow = i * l;
    for (let j = 0; j < l; j++) {
      const w = B[bRow + j];
      if (w === 0) continue;
      const o = j * d;
      for (let t = 0; t < d; t++) acc[o + t] += w * A[a + t];
    }
  }
  return Float32Array.from(acc);
}

/** Orthonormalises the rows of V (r×n, row-major) in place by modified Gram–Schmidt (twice, for stability). */
export function orthonormalizeRows(V: Float64Array, r: number, n: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let a = 0; a < r; a++) {
      const oa = a * n;
      for (let b = 0; b < a; b++) {
        const ob = b * n;
        let dot = 0;
        for (let t = 0; t < n; t++) dot += V[oa + t] * V[ob + t];
        for (let t = 0; t < n; t++) V[oa + t] -= dot * V[ob + t];
      }
      let s = 0;
      for (let t = 0; t < n; t++) s += V[oa + t] * V[oa + t];
      const nn = Math.sqrt(s);
      const inv = nn > NORM_EPSILON ? 1 / nn : 0;
      for (let t = 0; t < n; t++) V[oa + t] *= inv;
    }
  }
}

/**
 * Eigen-decomposition of a small symmetric matrix S (p×p, row-major) by cyclic Jacobi.
 * Returns eigenvalues in descending order and eigenvectors as rows (p×p).
 */
export function symmetricEigen(S: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(S);
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < p; i++) {
      diag += a[i * p + i] * a[i * p + i];
      for (let j = i + 1; j < p; j++) off += a[i * p + j] * a[i * p + j];
    }
    if (off <= 1e-24 * Math.max(diag, 1e-300)) break;
    for (let pi = 0; pi < p; pi++) {
      for (let q = pi + 1; q < p; q++) {
        const apq = a[pi * p + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[pi * p + pi], aqq = a[q * p + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < p; k++) {
          const akp = a[k * p + pi], akq = a[k * p + q];
          a[k * p + pi] = c * akp - s * akq;
          a[k * p + q] = s * akp + c * akq;
        }
        for (let k = 0; k < p; k++) {
          const apk = a[pi * p + k], aqk = a[q * p + k];
          a[pi * p + k] = c * apk - s * aqk;
          a[q * p + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < p; k++) {
          const vpk = v[pi * p + k], vqk = v[q * p + k];
          v[pi * p + k] = c * vpk - s * vqk;
          v[q * p + k] = s * vpk + c * vqk;
        }
      }
    }
  }
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => a[y * p + y] - a[x * p + x] || x - y);
  const values = new Float64Array(p);
  const vectors = new Float64Array(p * p);
  order.forEach((src, dst) => {
    values[dst] = a[src * p + src];
    for (let k = 0; k < p; k++) vectors[dst * p + k] = v[src * p + k];
  });
  return { values, vectors };
}

export interface PcaOptions {
  seed: number;
  /** Extra random directions beyond `dims` (Halko et al.). */
  oversample?: number;
  /** Power iterations; 1–2 sharpen the spectrum when it decays slowly. */
  powerIterations?: number;
  /** Components are fitted on at most this many rows (seeded sample); all rows are projected. */
  maxFitRows?: number;
}

export interface PcaResult {
  /** dims×D, rows orthonormal, ordered by decreasing variance. */
  readonly components: Matrix;
  /** Column means (D) subtracted before projecting. */
  readonly mean: Float32Array;
  /** N×dims: (X − mean)·componentsᵀ. */
  readonly projected: Matrix;
  /** Variance along each component (dims), over the fitted rows. */
  readonly explainedVariance: Float32Array;
}

export const PCA_DEFAULTS = { oversample: 10, powerIterations: 1, maxFitRows: 6000 } as const;

/**
 * Randomized PCA (Halko, Martinsson & Tropp 2011, alg. 4.4 with re-orthonormalised power iterations).
 * Cost ≈ (2 + 2·powerIterations)·F·D·(dims+oversample) + N·D·dims multiply-adds, F = min(N, maxFitRows).
 */
export function pca(X: Matrix, dims: number, opts: PcaOptions): PcaResult {
  const { rows: N, cols: D, data } = X;
  assertFiniteRows(X, 'pca input');
  if (!(dims >= 1) || !Number.isInteger(dims)) throw new Error(`pca: dims must be a positive integer, got ${dims}`);
  const r = Math.min(dims, D, Math.max(N, 1));
  const oversample = opts.oversample ?? PCA_DEFAULTS.oversample;
  const power = opts.powerIterations ?? PCA_DEFAULTS.powerIterations;
  const maxFit = opts.maxFitRows ?? PCA_DEFAULTS.maxFitRows;
  const rng = makeRng(opts.seed);

  // Fit rows: all, or a seeded sample without replacement (partial Fisher–Yates), kept in index order.
  let fitIdx: Int32Array;
  if (N <= maxFit) fitIdx = Int32Array.from({ length: N }, (_, i) => i);
  else {
    const perm = Int32Array.from({ length: N }, (_, i) => i);
    for (let i = 0; i < maxFit; i++) {
      const j = i + Math.floor(rng() * (N - i));
      const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    fitIdx = perm.slice(0, maxFit).sort();
  }
  const F = fitIdx.length;
  const mean64 = new Float64Array(D);
  for (const i of fitIdx) for (let t = 0, o = i * D; t < D; t++) mean64[t] += data[o + t];
  for (let t = 0; t < D; t++) mean64[t] /= Math.max(F, 1);
  const mean = Float32Array.from(mean64);
  const A = new Float32Array(F * D);
  fitIdx.forEach((src, dst) => {
    for (let t = 0, o = src * D, p = dst * D; t < D; t++) A[p + t] = data[o + t] - mean[t];
  });

  const l = Math.min(r + oversample, D, Math.max(F, 1));
  // Omega: l×D Gaussian (Box–Muller), rows are the random directions.
  const omega = new Float32Array(l * D);
  for (let i = 0; i < omega.length; i += 2) {
    const u = Math.max(rng(), 1e-12), v = rng();
    const rad = Math.sqrt(-2 * Math.log(u));
    omega[i] = rad * Math.cos(2 * Math.PI * v);
    if (i + 1 < omega.length) omega[i + 1] = rad * Math.sin(2 * Math.PI * v);
  }
  // Y = A·Ωᵀ (F×l); keep Q as l×F rows for orthonormalisation.
  const rangeBasis = (dirs: Float32Array): Float64Array => {
    const Y = matmulABt(A, F, dirs, l, D); // F×l
    const Q = new Float64Array(l * F);
    for (let i = 0; i < F; i++) for (let j = 0; j < l; j++) Q[j * F + i] = Y[i * l + j];
    orthonormalizeRows(Q, l, F);
    return Q;
  };
  const toF32RowMajorFxl = (Q: Float64Array): Float32Array => {
    const out = new Float32Array(F * l);
    for (let j = 0; j < l; j++) for (let i = 0; i < F; i++) out[i * l + j] = Q[j * F + i];
    return out;
  };
  // Aᵀ (D×F) once, so Aᵀ·Q also runs on the register-blocked A·Bᵀ kernel (the axpy form, matmulAtBTransposed,
  // streamed a 1 MB accumulator per row and was the slowest step at 10k×1792).
  const At = new Float32Array(D * F);
  for (let i = 0; i < F; i++) for (let t = 0; t < D; t++) At[t * F + i] = A[i * D + t];
  const qtTimesA = (Q: Float64Array): Float32Array => { // (Qᵀ A) as l×D rows
    const ZT = matmulABt(At, D, Float32Array.from(Q), l, F); // D×l
    const Z = new Float32Array(l * D);
    for (let t = 0; t < D; t++) for (let j = 0; j < l; j++) Z[j * D + t] = ZT[t * l + j];
    return Z;
  };
  let Q = rangeBasis(omega);
  for (let it = 0; it < power; it++) {
    const Zq = Float64Array.from(qtTimesA(Q));
    orthonormalizeRows(Zq, l, D);
    Q = rangeBasis(Float32Array.from(Zq));
  }
  // B = Qᵀ A (l×D); small eig of B Bᵀ (l×l) gives the right singular vectors: V = Uᵀ B / σ.
  const B = qtTimesA(Q);
  const BBt = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = i; j < l; j++) {
    let s = 0;
    for (let t = 0; t < D; t++) s += B[i * D + t] * B[j * D + t];
    BBt[i * l + j] = s; BBt[j * l + i] = s;
  }
  const { values, vectors } = symmetricEigen(BBt, l);
  const comps = new Float64Array(r * D);
  for (let c = 0; c < r; c++) {
    const o = c * D;
    for (let j = 0; j < l; j++) {
      const u = vectors[c * l + j];
      for (let t = 0; t < D; t++) comps[o + t] += u * B[j * D + t];
    }
  }
  orthonormalizeRows(comps, r, D); // divides by σ and cleans rounding; zero-variance directions become 0 rows
  const components = Float32Array.from(comps);
  const explainedVariance = new Float32Array(r);
  for (let c = 0; c < r; c++) explainedVariance[c] = Math.max(values[c], 0) / Math.max(F - 1, 1);
  const projected = projectRows(X, mean, { rows: r, cols: D, data: components });
  return { components: { rows: r, cols: D, data: components }, mean, projected, explainedVariance };
}

/** (X − mean)·componentsᵀ, N×dims; centring is folded into a per-component offset so X is not copied. */
export function projectRows(X: Matrix, mean: Float32Array, components: Matrix): Matrix {
  const { rows: N, cols: D } = X;
  const r = components.rows;
  const out = matmulABt(X.data, N, components.data, r, D);
  for (let c = 0; c < r; c++) {
    let off = 0;
    for (let t = 0; t < D; t++) off += mean[t] * components.data[c * D + t];
    for (let i = 0; i < N; i++) out[i * r + c] -= off;
  }
  return { rows: N, cols: r, data: out };
}
