/**
 * The analysis pipeline: dataset folder → inventory → cached embeddings → label issues, duplicates,
 * outliers, quality flags and a 2-D map. Used unchanged by the CLI and the language server.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseUserProbs } from '../labels/userProbs';
import type { AnalysisResult } from '../../../protocol/results';
import type { AnalysisProgress, Phase } from '../../../protocol/progress';
import type { Settings } from '../../../protocol/settings';
import type { Inventory } from '../../../protocol/dataset';
import { scanDataset } from '../dataset/scan';
import { AnalysisCache } from '../store/cache';
import { hashBytes } from '../dataset/hash';
import { decodeImage, DecodeError } from '../dataset/decode';
import type { QualityStats } from '../dataset/quality';
import { createEmbedder, embedderOptionsFromSettings, type Embedder } from '../embed';
import { CancelledError } from '../types';
import { shortBackend } from '../embed/describe';
import { lintEmbeddings } from './lint';
import type { LintMemo } from './memo';
import type { EmbeddedItem } from './embeddedItem';
import { buildResult } from './result';
import { fileMapStore } from '../store/mapCache';

export interface AnalyzeHooks {
  onProgress?: (p: AnalysisProgress) => void;
  /** Checked between batches; when it returns true the run stops with CancelledError, keeping what is cached. */
  isCancelled?: () => boolean;
  log?: (message: string) => void;
  /** Reuse an embedder across runs (the language server keeps one warm). */
  embedder?: Embedder;
  /** Label-independent results kept between runs (the language server keeps one per dataset). */
  memo?: LintMemo;
}

/** Files hashed concurrently: enough to hide file-system latency, few enough to keep memory flat. */
const HASH_CONCURRENCY = 32;
/** Batches kept in flight per embedding worker, so decode of the next batches overlaps inference. */
const BATCHES_IN_FLIGHT_PER_WORKER = 2;

/** Scanner problems that are about a file's content, reported as 'broken' issues on that file. */
const BROKEN_SCAN_PROBLEMS = new Set(['zero-byte', 'unreadable', 'not-an-image', 'symlink-loop']);

async function mapLimit<T, R>(xs: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await fn(xs[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, worker));
  return out;
}

function progress(hooks: AnalyzeHooks, phase: Phase, done: number, total: number, extra: Partial<AnalysisProgress> = {}): void {
  hooks.onProgress?.({ phase, done, total, ...extra });
}

function checkCancel(hooks: AnalyzeHooks): void {
  if (hooks.isCancelled?.()) throw new CancelledError();
}

/**
 * Hash every file, reusing the cached hash when size and mtime are unchanged.
 * Returns hashes aligned with `inv.items`; unreadable files get null and an error.
 */
async function hashItems(
  inv: Inventory,
  cache: AnalysisCache,
  hooks: AnalyzeHooks,
): Promise<{ hashes: (string | null)[]; errors: Map<number, string>; rehashed: number }> {
  const known = cache.getFileEntries();
  const errors = new Map<number, string>();
  let done = 0;
  let rehashed = 0;
  const fresh: { path: string; size: number; mtimeMs: number; hash: string }[] = [];
  const hashes = await mapLimit(inv.items, HASH_CONCURRENCY, async (it, i) => {
    const k = known.get(it.path);
    let h: string | null = null;
    if (k && k.size === it.size && k.mtimeMs === it.mtimeMs) {
      h = k.hash;
    } else {
      try {
        h = hashBytes(await readFile(it.absPath));
        fresh.push({ path: it.path, size: it.size, mtimeMs: it.mtimeMs, hash: h });
        rehashed++;
      } catch (e) {
        errors.set(i, `${it.path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    if (++done % 500 === 0) {
      progress(hooks, 'hash', done, inv.items.length);
      checkCancel(hooks);
    }
    return h;
  });
  progress(hooks, 'hash', inv.items.length, inv.items.length);
  if (fresh.length > 0) cache.putFileEntries(fresh);
  const live = new Set(inv.items.map((i) => i.path));
  // Only entries whose file is gone from disk: a narrower run (maxImages, exclude) must not drop the others' index.
  const gone = [...known.keys()].filter((p) => !live.has(p) && !existsSync(resolve(inv.root, p)));
  if (gone.length > 0) cache.deleteFileEntries(gone);
  return { hashes, errors, rehashed };
}

/**
 * Decode and embed the images whose embeddings are not cached, writing each batch to the cache
 * as soon as it is done (so an interrupted run keeps its work). Decode overlaps inference.
 *
 * Only a `DecodeError` (a fact about the bytes) is cached as the hash's decode error. A file that cannot be read
 * (deleted or locked mid-run) or an unexpected failure is returned in the map instead, hash → message, and tried
 * again next run: caching it would keep the restored image 'broken' until its content changed.
 */
async function embedMissing(
  todo: { absPath: string; path: string; hash: string }[],
  embedder: Embedder,
  cache: AnalysisCache,
  settings: Settings,
  workers: number,
  hooks: AnalyzeHooks,
): Promise<Map<string, string>> {
  const transient = new Map<string, string>();
  const total = todo.length;
  if (total === 0) return transient;
  const size = embedder.model.inputSize;
  const batchSize = settings.batchSize;
  const batches: (typeof todo)[] = [];
  for (let i = 0; i < total; i += batchSize) batches.push(todo.slice(i, i + batchSize));
  const t0 = Date.now();
  let done = 0;
  const report = (): void => {
    const secs = (Date.now() - t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    progress(hooks, 'embed', done, total, {
      imagesPerSecond: rate,
      etaSeconds: rate > 0 ? (total - done) / rate : undefined,
      backend: shortBackend(embedder),
    });
  };
  report();
  const runBatch = async (batch: typeof todo): Promise<void> => {
    const decoded = await Promise.all(
      batch.map(async (t) => {
        let bytes: Buffer;
        try {
          bytes = await readFile(t.absPath);
        } catch (e) {
          return { t, img: null, error: `${t.path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, cacheable: false };
        }
        try {
          const img = await decodeImage(bytes, size);
          return { t, img, error: null as string | null, cacheable: true };
        } catch (e) {
          if (e instanceof DecodeError) return { t, img: null, error: `${t.path}: ${e.message}`, cacheable: true };
          return { t, img: null, error: `${t.path}: cannot decode (${(e as Error).message})`, cacheable: false };
        }
      }),
    );
    const ok = decoded.filter((d) => d.img !== null);
    const vectors = ok.length > 0 ? await embedder.embed(ok.map((d) => d.img!.pixels)) : [];
    cache.putEmbeddings(
      ok.map((d, i) => ({ hash: d.t.hash, vector: vectors[i] })),
      embedder.model.key,
    );
    for (const d of decoded) if (!d.cacheable && d.error !== null) transient.set(d.t.hash, d.error);
    cache.putDecodeInfo(decoded.filter((d) => d.cacheable).map((d) => ({ hash: d.t.hash, quality: d.img ? d.img.quality : null, error: d.error })));
    done += batch.length;
    report();
  };
  // A small pool of batch runners: each decodes its batch then waits for inference, so while one
  // batch is on a worker, the next is being decoded by sharp's thread pool.
  // On cancel or on the first error every runner stops taking batches, and the error is thrown only once all have
  // stopped: nothing is left running on a worker or writing to the cache when the caller disposes them, and the first
  // error (a full disk, EACCES) is reported as itself, not as whatever the shutdown causes.
  let next = 0;
  let failure: { error: unknown } | null = null;
  const runners = Math.max(1, workers * BATCHES_IN_FLIGHT_PER_WORKER);
  await Promise.all(
    Array.from({ length: Math.min(runners, batches.length) }, async () => {
      while (next < batches.length && failure === null) {
        try {
          checkCancel(hooks);
          await runBatch(batches[next++]);
        } catch (e) {
          failure ??= { error: e };
        }
      }
    }),
  );
  if (failure !== null) throw (failure as { error: unknown }).error;
  return transient;
}

type DecodeInfos = ReturnType<AnalysisCache['getDecodeInfo']>;

/** The files to decode and embed: one per content hash, skipping cached embeddings and files known to be broken. */
function toEmbed(
  inv: Inventory,
  hashes: readonly (string | null)[],
  cachedVecs: ReadonlyMap<string, unknown>,
  cachedInfo: DecodeInfos,
): { absPath: string; path: string; hash: string }[] {
  const todo: { absPath: string; path: string; hash: string }[] = [];
  const queued = new Set<string>();
  inv.items.forEach((it, i) => {
    const h = hashes[i];
    if (h === null || queued.has(h)) return;
    const info = cachedInfo.get(h);
    // A file known to be broken is not decoded again until its content changes.
    if (cachedVecs.has(h) || (info && info.error)) return;
    queued.add(h);
    todo.push({ absPath: it.absPath, path: it.path, hash: h });
  });
  return todo;
}

/** One record per inventory item: its hash, embedding, quality statistics, or why it has none. */
function embeddedItems(
  inv: Inventory,
  hashes: readonly (string | null)[],
  errors: ReadonlyMap<number, string>,
  vecs: ReadonlyMap<string, Float32Array>,
  infos: DecodeInfos,
  transient: ReadonlyMap<string, string>,
): EmbeddedItem[] {
  return inv.items.map((item, i) => {
    const h = hashes[i];
    if (h === null) return { item, hash: '', vector: null, quality: null, error: errors.get(i) ?? `${item.path}: unreadable` };
    const info = infos.get(h);
    const vector = vecs.get(h) ?? null;
    // A cached error names the path the content had when it failed; show this item's path (a name may hold ': ').
    const cause = transient.get(h) ?? info?.error;
    const named = cause?.startsWith(`${item.path}: `) ? cause : cause?.replace(/^[^:]*: /, `${item.path}: `);
    const error = vector ? null : named ?? `${item.path}: not embedded`;
    return { item, hash: h, vector, quality: (info?.quality as QualityStats | null) ?? null, error };
  });
}

/** Scan, hash and embed: everything up to the per-image vectors, using and filling the cache. */
export async function collectEmbeddings(
  root: string,
  settings: Settings,
  hooks: AnalyzeHooks,
  timings: Record<string, number>,
): Promise<{ inv: Inventory; cache: AnalysisCache; embedder: Embedder; ownEmbedder: boolean; items: EmbeddedItem[] }> {
  let t = Date.now();
  progress(hooks, 'scan', 0, 0);
  const inv = await scanDataset(root, {
    csv: settings.labelsCsv ?? undefined,
    exclude: [...settings.exclude],
    maxImages: settings.maxImages > 0 ? settings.maxImages : undefined,
  });
  progress(hooks, 'scan', inv.items.length, inv.items.length);
  timings.scan = Date.now() - t;
  for (const p of inv.problems) hooks.log?.(p.message);
  for (const n of inv.notes ?? []) hooks.log?.(n);

  // `.labellint` as a link (or not a folder) is refused by the store before anything is opened (StateDirError).
  const cache = AnalysisCache.open(inv.root, { log: hooks.log });
  try {
    t = Date.now();
    const { hashes, errors } = await hashItems(inv, cache, hooks);
    timings.hash = Date.now() - t;

    t = Date.now();
    const ownEmbedder = !hooks.embedder;
    const embedder =
      hooks.embedder ??
      (await createEmbedder(embedderOptionsFromSettings(settings)));
    timings.load = Date.now() - t;
    hooks.log?.(`model ${embedder.model.id} (${embedder.model.dim}-d) on ${embedder.backendDetail}`);

    const live = [...new Set(hashes.filter((h): h is string => h !== null))];
    t = Date.now();
    const cachedVecs = cache.getEmbeddings(live, embedder.model.key);
    const cachedInfo = cache.getDecodeInfo(live);
    const todo = toEmbed(inv, hashes, cachedVecs, cachedInfo);
    hooks.log?.(`${inv.items.length - todo.length} of ${inv.items.length} images cached, ${todo.length} to embed`);
    const workers = settings.workers > 0 ? settings.workers : Math.max(1, require('node:os').availableParallelism());
    let transient: Map<string, string>;
    try {
      transient = await embedMissing(todo, embedder, cache, settings, workers, hooks);
    } catch (e) {
      if (ownEmbedder) await embedder.dispose();
      throw e;
    }
    timings.embed = Date.now() - t;

    const vecs = todo.length > 0 ? cache.getEmbeddings(live, embedder.model.key) : cachedVecs;
    const infos = todo.length > 0 ? cache.getDecodeInfo(live) : cachedInfo;
    // Never prune by this run's scope: a narrower run (maxImages, exclude, VS Code's _quarantine) or one running
    // at the same time needs rows this run does not see. Rows unused by every scope for a month go.
    cache.touchEmbeddings(live, embedder.model.key);
    cache.pruneUnusedEmbeddings();
    const items = embeddedItems(inv, hashes, errors, vecs, infos, transient);
    return { inv, cache, embedder, ownEmbedder, items };
  } catch (e) {
    cache.close();
    throw e;
  }
}

/** The whole analysis. Throws CancelledError when cancelled (the cache keeps what was embedded). */
export async function runAnalysis(root: string, settings: Settings, hooks: AnalyzeHooks = {}): Promise<AnalysisResult> {
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const { inv, cache, embedder, ownEmbedder, items } = await collectEmbeddings(root, settings, hooks, timings);
  try {
    const reviews = cache.getReviews();
    const trusted = items.map((e) => reviews.get(e.hash)?.decision.kind === 'correct');
    let userProbs: (Float32Array | null)[] | undefined;
    if (settings.predProbsCsv) {
      const csvPath = resolve(inv.root, settings.predProbsCsv);
      const parsed = parseUserProbs(await readFile(csvPath), csvPath, inv.classes);
      for (const p of parsed.problems) hooks.log?.(p);
      userProbs = items.map((e) => parsed.byPath.get(e.item.path) ?? null);
      const covered = userProbs.filter((p) => p !== null).length;
      hooks.log?.(`${csvPath}: your model's probabilities cover ${covered} of ${items.length} images; LabelLint's classifier scores the rest`);
    }
    const lint = await lintEmbeddings(
      { classes: inv.classes, items, trusted, userProbs, memo: hooks.memo, modelKey: embedder.model.key, mapStore: fileMapStore(inv.root, hooks.log) },
      settings,
      hooks,
      timings,
    );
    // Files the scanner had to skip for their content are broken files too: show them with the rest.
    for (const p of inv.problems) {
      if (BROKEN_SCAN_PROBLEMS.has(p.kind)) lint.issues.push({ kind: 'broken', path: p.path, score: 1, message: p.message });
    }
    timings.total = Date.now() - t0;
    const result = buildResult({ inv, items, lint, settings, embedder, timings, trusted });
    cache.putResult(JSON.stringify(result));
    return result;
  } finally {
    cache.close();
    if (ownEmbedder) await embedder.dispose();
  }
}
