/**
 * The two kernels that compute a block of kNN rows (cosine = dot product of L2-normalised rows), fused with the
 * top-k selection: the hand-assembled WebAssembly SIMD kernel (./wasm/kernels) and the plain-JS one. Both give
 * the same neighbours (scores to ~1e-6). knn.ts schedules them on the main thread or in worker threads.
 */
import type { DenseKernelChoice } from './linalg';
import { DenseKernel, denseKernelModule, packPairs, packRowBlocks } from './wasm/kernels';

/** Similarity stored for missing neighbours (index −1), when k > N − 1. */
export const MISSING_SIMILARITY = 0;

function tileRows(d: number, blockSize?: number): number {
  return Math.max(1, blockSize ?? Math.max(64, Math.floor(32768 / Math.max(d, 1)))); // ≈256 KB of float64 rows
}

/** Candidate tile of the wasm kernel, in pairs of 8 rows (≈128 KB of packed float32, or blockSize rows). */
function tilePairs(d: number, blockSize?: number): number {
  return blockSize ? Math.max(1, Math.ceil(blockSize / 8)) : Math.max(2, Math.floor(131072 / (32 * Math.max(d, 1))));
}

export function tileCount(n: number, d: number, blockSize: number | undefined, kernel: DenseKernelChoice | undefined): number {
  return kernel !== 'js' && denseKernelModule() ? Math.ceil(Math.ceil(n / 8) / tilePairs(d, blockSize)) : Math.ceil(n / tileRows(d, blockSize));
}

/** Query rows per wasm call (in blocks of 4): C is 4·QUERY_BLOCKS × 8·tilePairs floats. */
const QUERY_BLOCKS = 16;

/** Dispatches to the wasm kernel when available (and allowed), else the plain-JS kernel. */
export function knnRowsAny(
  x: Float32Array, n: number, d: number, k: number, start: number, end: number,
  idx: Int32Array, sim: Float32Array, blockSize: number | undefined, kernel: DenseKernelChoice, afterTile: (rowsDone: number) => void,
): void {
  const wk = kernel === 'js' || d === 0 ? null : DenseKernel.create();
  if (!wk && kernel === 'wasm') throw new Error('buildKnnGraph: WebAssembly SIMD is not available in this runtime');
  if (wk) knnRowsWasm(wk, x, n, d, k, start, end, idx, sim, tilePairs(d, blockSize), afterTile);
  else knnRows(x, n, d, k, start, end, idx, sim, tileRows(d, blockSize), afterTile);
}

/** Sorted top-k lists for q query rows; `offer` keeps (similarity desc, index asc) given increasing candidates. */
class TopK {
  readonly thr: Float64Array; // k-th best so far (−∞ until the list is full)
  private readonly cnt: Int32Array;
  private readonly bestS: Float64Array;
  private readonly bestI: Int32Array;
  constructor(private readonly q: number, private readonly kk: number) {
    this.thr = new Float64Array(q).fill(-Infinity);
    this.cnt = new Int32Array(q);
    this.bestS = new Float64Array(q * Math.max(kk, 1));
    this.bestI = new Int32Array(q * Math.max(kk, 1));
  }

  offer(r: number, j: number, s: number): void {
    const { kk, bestS, bestI } = this;
    const o = r * kk;
    let c = this.cnt[r];
    let p = c < kk ? c : kk - 1; // slot to fill
    if (c < kk) this.cnt[r] = ++c;
    while (p > 0 && bestS[o + p - 1] < s) {
      bestS[o + p] = bestS[o + p - 1]; bestI[o + p] = bestI[o + p - 1]; p--;
    }
    bestS[o + p] = s; bestI[o + p] = j;
    if (c === kk) this.thr[r] = bestS[o + kk - 1];
  }

  /** Writes rows into idx/sim (n×k) starting at row `start`, padding with −1 / MISSING_SIMILARITY. */
  writeOut(start: number, k: number, idx: Int32Array, sim: Float32Array): void {
    for (let r = 0; r < this.q; r++) {
      const o = (start + r) * k;
      for (let c = 0; c < k; c++) {
        if (c < this.cnt[r]) { idx[o + c] = this.bestI[r * this.kk + c]; sim[o + c] = this.bestS[r * this.kk + c]; }
        else { idx[o + c] = -1; sim[o + c] = MISSING_SIMILARITY; }
      }
    }
  }
}

/**
 * wasm-SIMD version of `knnRows`: packs the query rows (blocks of 4) and all candidates (pairs of 8) into the
 * kernel's memory, then per candidate tile × query chunk runs the fused kernel and offers only the flagged
 * 4×8 blocks' scores (checked again against the up-to-date threshold, so the result equals offering every score).
 */
function knnRowsWasm(
  wk: DenseKernel, x: Float32Array, n: number, d: number, k: number, start: number, end: number,
  idx: Int32Array, sim: Float32Array, pairsPerTile: number, afterTile: (rowsDone: number) => void,
): void {
  const q = end - start;
  const kk = Math.min(k, n - 1);
  const top = new TopK(q, kk);
  if (kk > 0 && q > 0) {
    const nPairs = Math.ceil(n / 8), qBlocks = Math.ceil(q / 4);
    const tp = Math.min(pairsPerTile, nPairs);
    const ldc = tp * 8; // floats per C row
    const [bOff, aOff, cOff, thrOff, flagOff] = wk.reserve([
      nPairs * 32 * d, qBlocks * 16 * d, QUERY_BLOCKS * 4 * ldc * 4, qBlocks * 16, QUERY_BLOCKS * tp,
    ]);
    packPairs(x, 0, n, d, wk.f32(bOff, nPairs * 8 * d));
    packRowBlocks(x, start, q, d, wk.f32(aOff, qBlocks * 4 * d));
    const C = wk.f32(cOff, QUERY_BLOCKS * 4 * ldc), thr32 = wk.f32(thrOff, qBlocks * 4), flags = wk.u8(flagOff, QUERY_BLOCKS * tp);
    thr32.fill(-Infinity);
    const thr = top.thr;
    for (let p0 = 0; p0 < nPairs; p0 += tp) {
      const np = Math.min(tp, nPairs - p0);
      for (let b0 = 0; b0 < qBlocks; b0 += QUERY_BLOCKS) {
        const nb = Math.min(QUERY_BLOCKS, qBlocks - b0);
        wk.abtFlag(aOff + b0 * 16 * d, nb, d, bOff + p0 * 32 * d, np, cOff, ldc * 4, thrOff + b0 * 16, flagOff);
        for (let bi = 0; bi < nb; bi++) {
          for (let p = 0; p < np; p++) {
            if (flags[bi * np + p] === 0) continue;
            const j0 = (p0 + p) * 8, jEnd = Math.min(8, n - j0);
            for (let r = 0; r < 4; r++) {
              const row = (b0 + bi) * 4 + r;
              if (row >= q) break;
              const self = start + row, co = (bi * 4 + r) * ldc + p * 8;
              let t = thr[row];
              for (let c = 0; c < jEnd; c++) {
                const s = C[co + c];
                if (s > t && j0 + c !== self) { top.offer(row, j0 + c, s); t = thr[row]; }
              }
              thr32[row] = t;
            }
          }
        }
      }
      afterTile(q);
    }
  }
  top.writeOut(start, k, idx, sim);
}

/**
 * Top-k neighbours for query rows [start, end) against all n rows. `idx`/`sim` are n×k (only the query rows are
 * written). Lists are kept sorted by (similarity desc, index asc); candidates arrive in increasing index, so a
 * candidate only enters when strictly better than the current k-th best.
 */
function knnRows(
  x: Float32Array, n: number, d: number, k: number, start: number, end: number,
  idx: Int32Array, sim: Float32Array, tile: number, afterTile: (rowsDone: number) => void,
): void {
  const q = end - start;
  const kk = Math.min(k, n - 1);
  const top = new TopK(q, kk);
  const thr = top.thr;
  const offer = (r: number, row: number, j: number, s: number): void => {
    if (j !== row) top.offer(r, j, s);
  };

  if (kk > 0) {
    // Float64 copy: V8 computes in doubles, so this saves a float32→float64 conversion per load (measured ≈1.3×).
    const x64 = Float64Array.from(x);
    for (let j0 = 0; j0 < n; j0 += tile) {
      const j1 = Math.min(n, j0 + tile);
      let r = 0;
      for (; r + 4 <= q; r += 4) {
        const i0 = start + r;
        const a0 = i0 * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
        let t0 = thr[r], t1 = thr[r + 1], t2 = thr[r + 2], t3 = thr[r + 3];
        let j = j0;
        // 4 query rows × 2 candidates: 8 accumulators, 6 loads per 8 multiply-adds.
        for (; j + 2 <= j1; j += 2) {
          const b = j * d, c = b + d;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, u0 = 0, u1 = 0, u2 = 0, u3 = 0;
          for (let t = 0; t < d; t++) {
            const bv = x64[b + t], cv = x64[c + t];
            const v0 = x64[a0 + t], v1 = x64[a1 + t], v2 = x64[a2 + t], v3 = x64[a3 + t];
            s0 += v0 * bv; s1 += v1 * bv; s2 += v2 * bv; s3 += v3 * bv;
            u0 += v0 * cv; u1 += v1 * cv; u2 += v2 * cv; u3 += v3 * cv;
          }
          // Round to float32 so scores do not depend on which kernel path computed them.
          s0 = Math.fround(s0); s1 = Math.fround(s1); s2 = Math.fround(s2); s3 = Math.fround(s3);
          u0 = Math.fround(u0); u1 = Math.fround(u1); u2 = Math.fround(u2); u3 = Math.fround(u3);
          if (s0 > t0) { offer(r, i0, j, s0); t0 = thr[r]; }
          if (s1 > t1) { offer(r + 1, i0 + 1, j, s1); t1 = thr[r + 1]; }
          if (s2 > t2) { offer(r + 2, i0 + 2, j, s2); t2 = thr[r + 2]; }
          if (s3 > t3) { offer(r + 3, i0 + 3, j, s3); t3 = thr[r + 3]; }
          if (u0 > t0) { offer(r, i0, j + 1, u0); t0 = thr[r]; }
          if (u1 > t1) { offer(r + 1, i0 + 1, j + 1, u1); t1 = thr[r + 1]; }
          if (u2 > t2) { offer(r + 2, i0 + 2, j + 1, u2); t2 = thr[r + 2]; }
          if (u3 > t3) { offer(r + 3, i0 + 3, j + 1, u3); t3 = thr[r + 3]; }
        }
        for (; j < j1; j++) {
          const b = j * d;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let t = 0; t < d; t++) {
            const bv = x64[b + t];
            s0 += x64[a0 + t] * bv; s1 += x64[a1 + t] * bv; s2 += x64[a2 + t] * bv; s3 += x64[a3 + t] * bv;
          }
          s0 = Math.fround(s0); s1 = Math.fround(s1); s2 = Math.fround(s2); s3 = Math.fround(s3);
          if (s0 > t0) { offer(r, i0, j, s0); t0 = thr[r]; }
          if (s1 > t1) { offer(r + 1, i0 + 1, j, s1); t1 = thr[r + 1]; }
          if (s2 > t2) { offer(r + 2, i0 + 2, j, s2); t2 = thr[r + 2]; }
          if (s3 > t3) { offer(r + 3, i0 + 3, j, s3); t3 = thr[r + 3]; }
        }
      }
      for (; r < q; r++) {
        const i0 = start + r, a0 = i0 * d;
        for (let j = j0; j < j1; j++) {
          const b = j * d;
          let s = 0;
          for (let t = 0; t < d; t++) s += x64[a0 + t] * x64[b + t];
          s = Math.fround(s);
          if (s > thr[r]) offer(r, i0, j, s);
        }
      }
      afterTile(q);
    }
  }
  top.writeOut(start, k, idx, sim);
}
