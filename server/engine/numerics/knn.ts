/**
 * Cosine k-nearest-neighbour graph by blocked dot products, never materialising N×N.
 *
 * The kernel fuses the product with the top-k selection: a block of query rows is scored against a tile of
 * candidate rows, and only scores that beat the row's current k-th best are offered to its sorted list, so only
 * N×k results are stored. Two kernels compute the same scores (to ~1e-6): a hand-assembled WebAssembly SIMD kernel
 * (./wasm/kernels; it also flags which 4×8 score blocks hold any candidate, so JS only visits those) and the plain-JS
 * 4×2 register-blocked loop (fallback, and the reference in tests). Rows are split across worker_threads (one per
 * core by default), sharing the input through a SharedArrayBuffer.
 *
 * Cost is N²·D multiply-adds. For wide rows (D > SEARCH_PCA_WHEN_COLS_ABOVE) the default searches in the first
 * DEFAULT_SEARCH_DIMS principal components (re-normalised), keeping RERANK_FACTOR·k candidates per row, and
 * re-ranks those by the exact cosine on all D columns, so the returned similarities are always exact; only the
 * neighbour set is approximate (recall measured in bench/analyze.ts on synthetic and real embeddings).
 * Pass `searchDims: 0` for the exact search on all columns.
 */
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CancelledError, IsCancelled, KnnGraph, Matrix, ProgressFn } from '../types';
import { DenseKernelChoice, assertFiniteRows, l2NormalizeRows, pca } from './linalg';
import { knnRowsAny, tileCount, MISSING_SIMILARITY } from './knnKernels';

export { MISSING_SIMILARITY } from './knnKernels';

/** Below this many multiply-adds (N²·D) worker start-up (~50 ms each) costs more than it saves. */
const MIN_WORK_FOR_WORKERS = 4e8;
/** Rows wider than this are searched in PCA space and re-ranked exactly (see the header). */
export const SEARCH_PCA_WHEN_COLS_ABOVE = 128;
/**
 * PCA dims for the candidate search, chosen by recall on real embeddings (bench/analyze.ts --real): on
 * fashion-mnist-mini (1000×240, centernet) recall@10 with the exact re-rank of 3k candidates was 0.869 / 0.968 /
 * 0.991 / 0.995 at 8 / 16 / 32 / 64 dims (0.78–0.82 without the re-rank: centring changes cosine neighbours), and
 * search time is linear in the dims.
 */
export const DEFAULT_SEARCH_DIMS = 32;
/** Candidates kept per row in PCA space, as a multiple of k, before the exact re-rank. */
export const DEFAULT_RERANK_FACTOR = 3;

export interface KnnOptions {
  /** Candidate rows per tile (default: ≈256 KB of floats). */
  blockSize?: number;
  /** Worker threads; default min(2, cores) for large inputs, 1 (in-thread) for small ones. */
  workers?: number;
  /** Dense kernel: 'auto' (WebAssembly SIMD when available, else plain JS), or force one. */
  kernel?: DenseKernelChoice;
  /**
   * Search in this many PCA dims, then re-rank by exact cosine on all columns. 0 = exact search on all columns.
   * Default: DEFAULT_SEARCH_DIMS when X has more than SEARCH_PCA_WHEN_COLS_ABOVE columns, else 0.
   */
  searchDims?: number;
  /** Candidates per row kept by the reduced search, as a multiple of k (default DEFAULT_RERANK_FACTOR). */
  rerankFactor?: number;
  /** Seed of the PCA used by the reduced search. */
  seed?: number;
  /**
   * Precomputed reduced rows for the search (N×m, e.g. the caller's PCA projection; L2-normalised here), instead of
   * fitting a PCA; the first `searchDims` columns are used. Neighbours are still re-ranked exactly on X.
   */
  searchFeatures?: Matrix;
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
  const dims = searchDimsFor(X, opts);
  if (dims === 0) return searchAll(X, k, opts);
  const kc = Math.min(X.rows - 1, k * (opts.rerankFactor ?? DEFAULT_RERANK_FACTOR));
  const cand = await searchAll(searchSpace(X, dims, opts), Math.max(kc, 1), opts);
  return rerankExact(X, cand, k);
}

/** Same result as `buildKnnGraph`, computed in the calling thread. */
export function buildKnnGraphSync(X: Matrix, k: number, opts: KnnOptions = {}): KnnGraph {
  validate(X, k);
  const dims = searchDimsFor(X, opts);
  if (dims === 0) return searchAllSync(X, k, opts);
  const kc = Math.min(X.rows - 1, k * (opts.rerankFactor ?? DEFAULT_RERANK_FACTOR));
  return rerankExact(X, searchAllSync(searchSpace(X, dims, opts), Math.max(kc, 1), opts), k);
}

/** A graph with rows renumbered: `toOld[newRow] = oldRow` (neighbour indices follow; -1 stays -1). */
export function permuteGraph(g: KnnGraph, toOld: Int32Array): KnnGraph {
  const toNew = new Int32Array(toOld.length);
  toOld.forEach((o, r) => (toNew[o] = r));
  const indices = new Int32Array(g.indices.length);
  const similarities = new Float32Array(g.similarities.length);
  for (let r = 0; r < toOld.length; r++) {
    const o = toOld[r];
    for (let j = 0; j < g.k; j++) {
      const nb = g.indices[o * g.k + j];
      indices[r * g.k + j] = nb < 0 ? -1 : toNew[nb];
      similarities[r * g.k + j] = g.similarities[o * g.k + j];
    }
  }
  return { n: g.n, k: g.k, indices, similarities };
}

function searchSpace(X: Matrix, dims: number, opts: KnnOptions): Matrix {
  const F = opts.searchFeatures;
  if (!F) return reduceForSearch(X, dims, opts.seed ?? 0);
  if (F.rows !== X.rows) throw new Error(`buildKnnGraph: searchFeatures has ${F.rows} rows, X has ${X.rows}`);
  const m = Math.min(dims, F.cols);
  const out = new Float32Array(F.rows * m);
  for (let i = 0; i < F.rows; i++) out.set(F.data.subarray(i * F.cols, i * F.cols + m), i * m);
  return l2NormalizeRows({ rows: F.rows, cols: m, data: out }, true);
}

function searchDimsFor(X: Matrix, opts: KnnOptions): number {
  const dims = opts.searchDims ?? (X.cols > SEARCH_PCA_WHEN_COLS_ABOVE ? DEFAULT_SEARCH_DIMS : 0);
  if (!(Number.isInteger(dims) && dims >= 0)) throw new Error(`buildKnnGraph: searchDims must be an integer ≥ 0, got ${dims}`);
  if (opts.rerankFactor !== undefined && !(opts.rerankFactor >= 1)) throw new Error(`buildKnnGraph: rerankFactor must be ≥ 1, got ${opts.rerankFactor}`);
  if (opts.searchFeatures && dims > 0 && dims < X.cols) return dims;
  return dims > 0 && dims < X.cols && X.rows > dims + 1 ? dims : 0;
}

/** First `dims` principal components of X, rows re-normalised: the space the approximate search runs in. */
export function reduceForSearch(X: Matrix, dims: number, seed: number): Matrix {
  return l2NormalizeRows(pca(X, dims, { seed }).projected, true);
}

/**
 * Keeps the k best of each row's candidates under the exact dot product on X's columns, sorted by
 * (similarity desc, index asc). Similarities are computed in float64 and rounded to float32.
 */
export function rerankExact(X: Matrix, cand: KnnGraph, k: number): KnnGraph {
  const { rows: n, cols: d, data } = X;
  const kc = cand.k;
  const indices = new Int32Array(n * k).fill(-1);
  const similarities = new Float32Array(n * k).fill(MISSING_SIMILARITY);
  const s = new Float64Array(kc), order = new Int32Array(kc);
  for (let i = 0; i < n; i++) {
    const a = i * d;
    let m = 0;
    for (let c = 0; c < kc; c++) {
      const j = cand.indices[i * kc + c];
      if (j >= 0) order[m++] = j;
    }
    // Four candidates per pass: independent accumulators share each load of row i (≈3× the single-chain loop).
    let c = 0;
    for (; c + 4 <= m; c += 4) {
      const b0 = order[c] * d, b1 = order[c + 1] * d, b2 = order[c + 2] * d, b3 = order[c + 3] * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < d; t++) {
        const av = data[a + t];
        s0 += av * data[b0 + t]; s1 += av * data[b1 + t]; s2 += av * data[b2 + t]; s3 += av * data[b3 + t];
      }
      s[c] = Math.fround(s0); s[c + 1] = Math.fround(s1); s[c + 2] = Math.fround(s2); s[c + 3] = Math.fround(s3);
    }
    for (; c < m; c++) {
      const b = order[c] * d;
      let acc = 0;
      for (let t = 0; t < d; t++) acc += data[a + t] * data[b + t];
      s[c] = Math.fround(acc);
    }
    // Insertion sort of m ≤ 3k entries by (score desc, index asc).
    for (let x = 1; x < m; x++) {
      const sv = s[x], iv = order[x];
      let y = x - 1;
      while (y >= 0 && (s[y] < sv || (s[y] === sv && order[y] > iv))) { s[y + 1] = s[y]; order[y + 1] = order[y]; y--; }
      s[y + 1] = sv; order[y + 1] = iv;
    }
    for (let c = 0; c < Math.min(k, m); c++) { indices[i * k + c] = order[c]; similarities[i * k + c] = s[c]; }
  }
  return { n, k, indices, similarities };
}

/**
 * The worker script: this file when compiled by tsc (out/…/knn.js), and the `knn.js` bundle next to the
 * server bundle in a packaged extension (scripts/package.js), where `__filename` is the whole server.
 */
const KNN_WORKER_FILE = join(__dirname, 'knn.js');

/** Exact search on all of X's columns, split across workers for large inputs. */
async function searchAll(X: Matrix, k: number, opts: KnnOptions): Promise<KnnGraph> {
  const { rows: n, cols: d } = X;
  const cores = Math.max(1, availableParallelism());
  const workers = Math.max(1, Math.min(opts.workers ?? (n * n * d >= MIN_WORK_FOR_WORKERS ? Math.min(2, cores) : 1), n));
  if (workers === 1) return searchAllSync(X, k, opts);

  const xShared = new Float32Array(new SharedArrayBuffer(X.data.byteLength));
  xShared.set(X.data);
  const idxShared = new Int32Array(new SharedArrayBuffer(n * k * 4));
  const simShared = new Float32Array(new SharedArrayBuffer(n * k * 4));
  const control = new Int32Array(new SharedArrayBuffer(4 * (1 + workers))); // [cancel, done rows per worker…]
  const bounds = Array.from({ length: workers + 1 }, (_, w) => Math.round((w * n) / workers));
  const pool = bounds.slice(0, workers).map(
    (start, w) =>
      new Worker(KNN_WORKER_FILE, {
        workerData: {
          kind: WORKER_KIND, x: xShared, n, d, k, start, end: bounds[w + 1],
          idx: idxShared, sim: simShared, control, slot: 1 + w, blockSize: opts.blockSize, kernel: opts.kernel ?? 'auto',
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
      opts.onProgress?.('knn', done, n * tileCount(n, d, opts.blockSize, opts.kernel));
    }, 100);
    await finished;
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(pool.map((wk) => wk.terminate()));
  }
  if (Atomics.load(control, 0) === 1) throw new CancelledError();
  return { n, k, indices: new Int32Array(idxShared), similarities: new Float32Array(simShared) };
}

function searchAllSync(X: Matrix, k: number, opts: KnnOptions): KnnGraph {
  const { rows: n, cols: d } = X;
  const indices = new Int32Array(n * k);
  const similarities = new Float32Array(n * k);
  const total = n * tileCount(n, d, opts.blockSize, opts.kernel);
  let done = 0;
  knnRowsAny(X.data, n, d, k, 0, n, indices, similarities, opts.blockSize, opts.kernel ?? 'auto', (rows) => {
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
  idx: Int32Array; sim: Float32Array; control: Int32Array; slot: number; blockSize?: number; kernel: DenseKernelChoice;
}

if (!isMainThread && (workerData as WorkerJob | undefined)?.kind === WORKER_KIND) {
  const job = workerData as WorkerJob;
  let done = 0;
  try {
    knnRowsAny(job.x, job.n, job.d, job.k, job.start, job.end, job.idx, job.sim, job.blockSize, job.kernel, (rows) => {
      done += rows;
      Atomics.store(job.control, job.slot, done);
      if (Atomics.load(job.control, 0) === 1) throw new CancelledError();
    });
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
  }
  parentPort?.close();
}
