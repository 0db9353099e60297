/**
 * The analysis cache: one SQLite database per dataset at `<datasetRoot>/.labellint/cache.db`.
 *
 * What it holds (everything content-addressed by the hex sha256 of the file bytes, see `hash.ts`):
 * - a file index `path → {size, mtimeMs, hash}` so unchanged files are not re-hashed;
 * - embeddings keyed by (hash, modelKey), stored as raw float32 blobs (platform byte order, which is
 *   little-endian on every platform Node supports);
 * - per-hash decode info (quality measurements, or the decode error) so broken files are not re-decoded;
 * - review decisions keyed by hash (they survive moves/renames), mirrored to the human-readable
 *   `<datasetRoot>/.labellint/reviews.json` so they can be committed to git;
 * - the latest analysis result JSON, so a client can show results before re-analysing.
 *
 * Durability: SQLite (WebAssembly, see `./sqlite.ts`) with a rollback journal, `synchronous=FULL`, and every
 * write in one transaction. A process killed at any moment leaves a valid database holding every transaction
 * that committed (bench/sqlite.ts kills writers with SIGKILL and checks).
 *
 * Corruption: when the file is not a database, fails `PRAGMA integrity_check`, or carries a schema this
 * code does not know, it is moved aside to `cache.db.corrupt-<timestamp>` (never deleted, with its -wal
 * and -shm files), a fresh database is created, and `opts.log` is told which file was moved.
 * Errors that are not corruption (locked by another process, permissions) are thrown unchanged.
 *
 * The API is synchronous. Not safe for concurrent use of one instance from worker threads; several processes
 * may open the same file: each transaction holds the file's lock, others wait (up to `BUSY_TIMEOUT_MS`, cacheDb.ts).
 *
 * Modules: opening, checking and moving aside `cacheDb.ts`; reviews and their reviews.json mirror `reviews.ts`; the state
 * folder `stateDir.ts`; the tables' use here.
 */
import * as path from 'node:path';
import type { FileFingerprint } from '../dataset/hash';
import type { SqliteDb } from './sqlite';
import { openCacheDb, type IntegrityCheck } from './cacheDb';
import { deleteReview, importReviewsFile, isReviewDecision, reviewsInDb, upsertReviews, writeReviewsMirror } from './reviews';
import type { ReviewDecision, ReviewRecord } from './reviews';
import { ensureStateGitignore, resolveStateDir } from './stateDir';

// Public names that moved to the modules above, re-exported where callers (tests, bench/, branches in flight) import them.
export { STATE_DIR, StateDirError, resolveStateDir, userCacheRoot, type StateDir } from './stateDir';
export { APPLICATION_ID, SCHEMA_VERSION } from './cacheDb';
export type { ReviewDecision, ReviewRecord } from './reviews';

export const CACHE_FILE = 'cache.db';
export const REVIEWS_FILE = 'reviews.json';

/** Embeddings no run has used for this long are deleted (`pruneUnusedEmbeddings`). */
export const UNUSED_EMBEDDING_TTL_MS = 30 * 24 * 3600 * 1000;
/** A used row's last-use time is rewritten at most this often. */
const TOUCH_EVERY_MS = 24 * 3600 * 1000;

/** One file-index row. */
export interface FileEntryRow extends FileFingerprint {
  /** Path relative to the dataset root, `/` separators. */
  readonly path: string;
}

/** Decode outcome for one content hash: quality measurements (any JSON object) or an error message. */
export interface DecodeInfo {
  readonly quality: object | null;
  readonly error: string | null;
}

export interface DecodeInfoRow extends DecodeInfo {
  readonly hash: string;
}

export interface EmbeddingRow {
  readonly hash: string;
  readonly vector: Float32Array;
}

export interface CacheOpenOptions {
  /** Receives one sentence per notable event (corrupt file moved aside, reviews imported, …). */
  readonly log?: (msg: string) => void;
  /**
   * Integrity check run on open: 'full' = `PRAGMA integrity_check` (default), 'quick' =
   * `PRAGMA quick_check` (skips index/table consistency; much faster on large files), 'off'.
   */
  readonly check?: IntegrityCheck;
}

/** Bytes of `v` as a Buffer view (no copy). */
function float32ToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Copy a blob into a fresh, aligned Float32Array (blobs returned by SQLite need not be 4-byte aligned). */
function blobToFloat32(b: Uint8Array): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export class AnalysisCache {
  private closed = false;

  private constructor(
    private readonly db: SqliteDb,
    /** Absolute path of the dataset root. */
    readonly root: string,
    /** Absolute path of cache.db. */
    readonly dbPath: string,
    /** Absolute path of reviews.json. */
    readonly reviewsPath: string,
  ) {}

  /**
   * Open (creating if needed) the cache of the dataset at `datasetRoot`. A corrupt or foreign cache.db is
   * moved aside and replaced; reviews in reviews.json that the database lacks (or holds an older version
   * of) are imported.
   */
  static open(datasetRoot: string, opts: CacheOpenOptions = {}): AnalysisCache {
    const log = opts.log ?? (() => undefined);
    const check = opts.check ?? 'full';
    const root = path.resolve(datasetRoot);
    const state = resolveStateDir(root);
    const dir = state.dir;
    if (!state.inDataset) log(`LabelLint: ${state.reason}; its cache is kept in ${dir}.`);
    else ensureStateGitignore(root, dir);
    const dbPath = path.join(dir, CACHE_FILE);
    const db = openCacheDb(dbPath, check, log);
    const cache = new AnalysisCache(db, root, dbPath, path.join(dir, REVIEWS_FILE));
    importReviewsFile(db, root, cache.reviewsPath, log);
    return cache;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('AnalysisCache is closed');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // ---------------------------------------------------------------- file index

  /** The whole file index: path → fingerprint. */
  getFileEntries(): Map<string, FileFingerprint> {
    this.assertOpen();
    const out = new Map<string, FileFingerprint>();
    const rows = this.db.prepare('SELECT path, size, mtime_ms, hash FROM files').all() as Array<{
      path: string;
      size: number;
      mtime_ms: number;
      hash: string;
    }>;
    for (const r of rows) out.set(r.path, { size: r.size, mtimeMs: r.mtime_ms, hash: r.hash });
    return out;
  }

  /** Insert or replace file-index rows, in one transaction. */
  putFileEntries(rows: readonly FileEntryRow[]): void {
    this.assertOpen();
    const stmt = this.db.prepare('INSERT OR REPLACE INTO files (path, size, mtime_ms, hash) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) stmt.run(r.path, r.size, r.mtimeMs, r.hash);
    }, 'immediate');
  }

  /** Remove file-index rows (unknown paths are ignored), in one transaction. */
  deleteFileEntries(paths: Iterable<string>): void {
    this.assertOpen();
    const stmt = this.db.prepare('DELETE FROM files WHERE path = ?');
    this.db.transaction(() => {
      for (const p of paths) stmt.run(p);
    }, 'immediate');
  }

  // ---------------------------------------------------------------- embeddings

  /** Cached embeddings for `hashes` under `modelKey`; hashes without a row are absent from the map. */
  getEmbeddings(hashes: readonly string[], modelKey: string): Map<string, Float32Array> {
    this.assertOpen();
    const stmt = this.db.prepare('SELECT dim, vector FROM embeddings WHERE hash = ? AND model_key = ?');
    const out = new Map<string, Float32Array>();
    this.db.transaction(() => {
      for (const h of hashes) {
        if (out.has(h)) continue;
        const r = stmt.get(h, modelKey) as { dim: number; vector: Uint8Array } | undefined;
        // A blob whose length disagrees with its dim is treated as a miss (it will be recomputed).
        if (r !== undefined && r.vector.byteLength === r.dim * 4) out.set(h, blobToFloat32(r.vector));
      }
    });
    return out;
  }

  /** Store embeddings under `modelKey` (replacing existing rows), in one transaction. */
  putEmbeddings(rows: readonly EmbeddingRow[], modelKey: string): void {
    this.assertOpen();
    const now = Date.now();
    const stmt = this.db.prepare(
      'INSERT OR REPLACE INTO embeddings (hash, model_key, dim, vector, created_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const r of rows) stmt.run(r.hash, modelKey, r.vector.length, float32ToBlob(r.vector), now);
    }, 'immediate');
  }

  /**
   * Mark the rows of `hashes` under `modelKey` as used at `now` (`created_ms` holds the last use). Rows marked
   * within `TOUCH_EVERY_MS` are left alone, so a run rewrites each row at most once a day.
   */
  touchEmbeddings(hashes: readonly string[], modelKey: string, now = Date.now()): void {
    this.assertOpen();
    const stmt = this.db.prepare('UPDATE embeddings SET created_ms = ? WHERE hash = ? AND model_key = ? AND created_ms < ?');
    this.db.transaction(() => {
      for (const h of hashes) stmt.run(now, h, modelKey, now - TOUCH_EVERY_MS);
    }, 'immediate');
  }

  /**
   * Delete embeddings (every model) that no run has used for `maxAgeMs`: the pruning policy, since no single
   * run knows what other scopes need. Returns the number of rows deleted.
   */
  pruneUnusedEmbeddings(maxAgeMs = UNUSED_EMBEDDING_TTL_MS, now = Date.now()): number {
    this.assertOpen();
    const stmt = this.db.prepare('DELETE FROM embeddings WHERE created_ms < ?');
    return this.db.transaction(() => stmt.run(now - maxAgeMs).changes, 'immediate');
  }

  /**
   * Delete embeddings whose hash is not in `liveHashes` (content no longer in the dataset). Only for a caller
   * that knows the whole dataset (an explicit prune): a run sees only its own scope.
   * With `modelKey`, only that model's rows are considered; without it, every model's.
   * Returns the number of rows deleted.
   */
  pruneEmbeddings(liveHashes: ReadonlySet<string>, modelKey?: string): number {
    this.assertOpen();
    const select =
      modelKey === undefined
        ? this.db.prepare('SELECT hash, model_key FROM embeddings')
        : this.db.prepare('SELECT hash, model_key FROM embeddings WHERE model_key = ?');
    const del = this.db.prepare('DELETE FROM embeddings WHERE hash = ? AND model_key = ?');
    let n = 0;
    this.db.transaction(() => {
      const rows = (modelKey === undefined ? select.all() : select.all(modelKey)) as Array<{
        hash: string;
        model_key: string;
      }>;
      for (const r of rows) {
        if (!liveHashes.has(r.hash)) n += del.run(r.hash, r.model_key).changes;
      }
    }, 'immediate');
    return n;
  }

  // ---------------------------------------------------------------- decode info

  /** Store decode outcomes (quality JSON or error), replacing existing rows, in one transaction. */
  putDecodeInfo(rows: readonly DecodeInfoRow[]): void {
    this.assertOpen();
    const stmt = this.db.prepare('INSERT OR REPLACE INTO decode_info (hash, quality, error) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) stmt.run(r.hash, r.quality === null ? null : JSON.stringify(r.quality), r.error);
    }, 'immediate');
  }

  /** Stored decode outcomes for `hashes`; hashes without a row are absent. */
  getDecodeInfo(hashes: readonly string[]): Map<string, DecodeInfo> {
    this.assertOpen();
    const stmt = this.db.prepare('SELECT quality, error FROM decode_info WHERE hash = ?');
    const out = new Map<string, DecodeInfo>();
    this.db.transaction(() => {
      for (const h of hashes) {
        const r = stmt.get(h) as { quality: string | null; error: string | null } | undefined;
        if (r === undefined) continue;
        let quality: object | null = null;
        if (r.quality !== null) {
          try {
            quality = JSON.parse(r.quality) as object;
          } catch {
            continue; // unreadable row: treat as a miss so the file is decoded again
          }
        }
        out.set(h, { quality, error: r.error });
      }
    });
    return out;
  }

  /** Delete decode info whose hash is not in `liveHashes`. Returns the number of rows deleted. */
  pruneDecodeInfo(liveHashes: ReadonlySet<string>): number {
    this.assertOpen();
    const del = this.db.prepare('DELETE FROM decode_info WHERE hash = ?');
    let n = 0;
    this.db.transaction(() => {
      const rows = this.db.prepare('SELECT hash FROM decode_info').all() as Array<{ hash: string }>;
      for (const r of rows) if (!liveHashes.has(r.hash)) n += del.run(r.hash).changes;
    }, 'immediate');
    return n;
  }

  // ---------------------------------------------------------------- reviews (reviews.ts)

  /** Record a decision for the image with content `hash` (last seen at `path`); rewrites reviews.json. */
  setReview(hash: string, decision: ReviewDecision, path: string): void {
    this.setReviews([{ hash, decision, path }]);
  }

  /** Record many decisions in one transaction and one reviews.json rewrite (use for bulk actions). */
  setReviews(rows: ReadonlyArray<{ readonly hash: string; readonly decision: ReviewDecision; readonly path: string }>): void {
    this.assertOpen();
    for (const r of rows) {
      if (!isReviewDecision(r.decision)) throw new TypeError(`invalid review decision: ${JSON.stringify(r.decision)}`);
    }
    const now = Date.now();
    upsertReviews(this.db, rows.map((r) => [r.hash, { decision: r.decision, path: r.path, updatedMs: now }] as const));
    writeReviewsMirror(this.db, this.reviewsPath);
  }

  /** Every stored review, keyed by content hash. */
  getReviews(): Map<string, ReviewRecord> {
    this.assertOpen();
    return reviewsInDb(this.db);
  }

  /** Forget the decision for `hash` (no-op when none); rewrites reviews.json. */
  clearReview(hash: string): void {
    this.assertOpen();
    deleteReview(this.db, hash);
    writeReviewsMirror(this.db, this.reviewsPath);
  }

  // ---------------------------------------------------------------- results

  /** Store the latest analysis result (JSON text), replacing the previous one. */
  putResult(json: string): void {
    this.assertOpen();
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO results (id, json, created_ms) VALUES (1, ?, ?)').run(json, Date.now());
    }, 'immediate');
  }

  /** The latest stored analysis result JSON, or undefined when none. */
  getLatestResult(): string | undefined {
    this.assertOpen();
    const r = this.db.prepare('SELECT json FROM results WHERE id = 1').get() as { json: string } | undefined;
    return r?.json;
  }
}
