/**
 * Exact cosine k-nearest-neighbour graph by blocked dot products, never materialising N×N.
 *
 * The kernel fuses the product with the top-k selection: four query rows share each candidate row load and each
 * score is compared against the row's current k-th best at once, so only N×k results are stored. Candidate rows
 * are walked in tiles that stay in L2. Rows are split across worker_threads (one per core by default), sharing the
 * input through a SharedArrayBuffer.
 *
 * Cost is N²·D multiply-adds: for large D, pass PCA-reduced, re-normalised rows (see `pca` in ./linalg) —
 * bench/analyze.ts reports the recall of that against exact full-dimension neighbours.
 */
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { CancelledError, IsCancelled, KnnGraph, Matrix, ProgressFn } from './types';
import { assertFiniteRows } from './linalg';

/** Similarity stored for missing neighbours (index −1), when k > N − 1. */
export const MISSING_SIMILARITY = 0;
/** Below this many multiply-adds (N²·D) worker start-up (~50 ms each) costs more than it saves. */
const MIN_WORK_FOR_WORKERS = 4e8;

export interface KnnOptions {
  /** Candidate rows per tile (default: ≈256 KB of floats). */
  blockSize?: number;
  /** Worker threads; default min(2, cores) for large inputs, 1 (in-thread) for small ones. */
  workers?: number;
  onProgress?: ProgressFn;
  isCancelled?: IsCancelled;
}

/**
 * k nearest neighbours of every row under cosine similarity (rows must already be L2-normalised; the score is the
 * plain dot product). Self is excluded; exact duplicates are ordinary neighbours with similarity 1. Ties are
 * broken by lower index first, independent of tiling and of the number of workers.
 */
export async function buildKnnGraph(X: Matrix, k: number, opts: KnnOptions = {}): Promise<KnnGraph> {
  validate(X, k);
  const { rows: n, cols: d } = X;
  const cores = Math.max(1, availableParallelism());
  const workers = Math.max(1, Math.min(opts.workers ?? (n * n * d >= MIN_WORK_FOR_WORKERS ? Math.min(2, cores) : 1), n));
  if (workers === 1) return buildKnnGraphSync(X, k, opts);

  const xShared = new Float32Array(new SharedArrayBuffer(X.data.byteLength));
  xShared.set(X.data);
  const idxShared = new Int32Array(new SharedArrayBuffer(n * k * 4));
  const simShared = new Float32Array(new SharedArrayBuffer(n * k * 4));
  const control = new Int32Array(new SharedArrayBuffer(4 * (1 + workers))); // [cancel, done rows per worker…]
  const bounds = Array.from({ length: workers + 1 }, (_, w) => Math.round((w * n) / workers));
  const pool = bounds.slice(0, workers).map(
    (start, w) =>
      new Worker(__filename, {
        workerData: {
          kind: WORKER_KIND, x: xShared, n, d, k, start, end: bounds[w + 1],
          idx: idxShared, sim: simShared, control, slot: 1 + w, blockSize: opts.blockSize,
        } satisfies WorkerJob,
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    const finished = Promise.all(
      pool.map((wk) => new Promise<void>((resolve, reject) => {
        wk.once('error', reject);
        wk.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`knn worker exited with code ${code}`))));
      })),
    );
    timer = setInterval(() => {
      if (opts.isCancelled?.()) Atomics.store(control, 0, 1);
      let done = 0;
      for (let w = 0; w < workers; w++) done += Atomics.load(control, 1 + w);
      opts.onProgress?.('knn', done, n * Math.ceil(n / tileRows(d, opts.blockSize)));
    }, 100);
    await finished;
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(pool.map((wk) => wk.terminate()));
  }
  if (Atomics.load(control, 0) === 1) throw new CancelledError();
  return { n, k, indices: new Int32Array(idxShared), similarities: new Float32Array(simShared) };
}

/** Same result as `buildKnnGraph`, computed in the calling thread. */
export function buildKnnGraphSync(X: Matrix, k: number, opts: KnnOptions = {}): KnnGraph {
  validate(X, k);
  const { rows: n, cols: d } = X;
  const indices = new Int32Array(n * k);
  const similarities = new Float32Array(n * k);
  const total = n * Math.ceil(n / tileRows(d, opts.blockSize));
  let done = 0;
  knnRows(X.data, n, d, k, 0, n, indices, similarities, tileRows(d, opts.blockSize), (rows) => {
    if (opts.isCancelled?.()) throw new CancelledError();
    done += rows;
    opts.onProgress?.('knn', done, total);
  });
  return { n, k, indices, similarities };
}

function validate(X: Matrix, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`buildKnnGraph: k must be a positive integer, got ${k}`);
  assertFiniteRows(X, 'buildKnnGraph input');
}

function tileRows(d: number, blockSize?: number): number {
  return Math.max(1, blockSize ?? Math.max(64, Math.floor(32768 / Math.max(d, 1)))); // ≈256 KB of float64 rows
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
  const thr = new Float64Array(q).fill(-Infinity); // k-th best so far (−∞ until the list is full)
  const cnt = new Int32Array(q);
  const bestS = new Float64Array(q * Math.max(kk, 1));
  const bestI = new Int32Array(q * Math.max(kk, 1));

  const offer = (r: number, row: number, j: number, s: number): void => {
    if (j === row) return;
    const o = r * kk;
    let c = cnt[r];
    let p = c < kk ? c : kk - 1; // slot to fill
    if (c < kk) cnt[r] = ++c;
    while (p > 0 && bestS[o + p - 1] < s) {
      bestS[o + p] = bestS[o + p - 1]; bestI[o + p] = bestI[o + p - 1]; p--;
    }
    bestS[o + p] = s; bestI[o + p] = j;
    if (c === kk) thr[r] = bestS[o + kk - 1];
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
  for (let r = 0; r < q; r++) {
    const o = (start + r) * k;
    for (let c = 0; c < k; c++) {
      if (c < cnt[r]) { idx[o + c] = bestI[r * kk + c]; sim[o + c] = bestS[r * kk + c]; }
      else { idx[o + c] = -1; sim[o + c] = MISSING_SIMILARITY; }
    }
  }
}

/** Brute-force reference (N²·D, materialises one row at a time); for tests and recall measurement. */
export function bruteForceNeighbours(X: Matrix, queryRows: ArrayLike<number>, k: number): Int32Array {
  const { rows: n, cols: d, data } = X;
  const out = new Int32Array(queryRows.length * k).fill(-1);
  const scores = new Float64Array(n);
  for (let qi = 0; qi < queryRows.length; qi++) {
    const i = queryRows[qi];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += data[i * d + t] * data[j * d + t];
      scores[j] = Math.fround(s);
    }
    const order = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => scores[b] - scores[a] || a - b);
    for (let c = 0; c < Math.min(k, order.length); c++) out[qi * k + c] = order[c];
  }
  return out;
}

// ---- worker side -------------------------------------------------------------------------------------------------
const WORKER_KIND = 'labellint-knn';
interface WorkerJob {
  kind: typeof WORKER_KIND;
  x: Float32Array; n: number; d: number; k: number; start: number; end: number;
  idx: Int32Array; sim: Float32Array; control: Int32Array; slot: number; blockSize?: number;
}

if (!isMainThread && (workerData as WorkerJob | undefined)?.kind === WORKER_KIND) {
  const job = workerData as WorkerJob;
  let done = 0;
  try {
    knnRows(job.x, job.n, job.d, job.k, job.start, job.end, job.idx, job.sim, tileRows(job.d, job.blockSize), (rows) => {
      done += rows;
      Atomics.store(job.control, job.slot, done);
      if (Atomics.load(job.control, 0) === 1) throw new CancelledError();
    });
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
  }
  parentPort?.close();
}
