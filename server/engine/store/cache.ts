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
 * may open the same file: each transaction holds the file's lock, others wait (up to `BUSY_TIMEOUT_MS`).
 */
import { SqliteDb } from './sqlite';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileFingerprint } from '../dataset/hash';
import { writeFileSafe } from '../dataset/safeWrite';
import { ensureStateGitignore, resolveStateDir } from './stateDir';

export { STATE_DIR, StateDirError, resolveStateDir, userCacheRoot, type StateDir } from './stateDir';
export const CACHE_FILE = 'cache.db';
export const REVIEWS_FILE = 'reviews.json';

/** Bump when the schema changes incompatibly; a file with another version is moved aside and rebuilt. */
export const SCHEMA_VERSION = 1;
/** `PRAGMA application_id` marking the file as ours ('LLNT'). */
export const APPLICATION_ID = 0x4c4c4e54;
/**
 * How long a statement waits for another process's lock before failing with SQLITE_BUSY. Locks are held for
 * one transaction (milliseconds), so a long wait means a stuck process; a dead one is detected at once.
 */
const BUSY_TIMEOUT_MS = 120_000;
/** Embeddings no run has used for this long are deleted (`pruneUnusedEmbeddings`). */
export const UNUSED_EMBEDDING_TTL_MS = 30 * 24 * 3600 * 1000;
/** A used row's last-use time is rewritten at most this often. */
const TOUCH_EVERY_MS = 24 * 3600 * 1000;
/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Version of the reviews.json format. */
const REVIEWS_FORMAT_VERSION = 1;

/** A person's decision about one image's label. */
export type ReviewDecision = { readonly kind: 'correct' } | { readonly kind: 'relabelled'; readonly to: string };

/** A stored review: the decision, the path the image had when it was reviewed, and when. */
export interface ReviewRecord {
  readonly decision: ReviewDecision;
  /** Path relative to the dataset root when the decision was made (informative; the key is the hash). */
  readonly path: string;
  /** When the decision was made, ms since the epoch. */
  readonly updatedMs: number;
}

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
  readonly check?: 'full' | 'quick' | 'off';
}

/** Thrown inside `open` when the file is readable SQLite but not usable by us. */
class CorruptCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptCacheError';
  }
}

/** SQLite error codes that mean "the file is damaged or not a database". */
function isCorruption(err: unknown): boolean {
  if (err instanceof CorruptCacheError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

const SCHEMA_SQL = `
CREATE TABLE files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  hash TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE embeddings (
  hash TEXT NOT NULL,
  model_key TEXT NOT NULL,
  dim INTEGER NOT NULL,
  vector BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (hash, model_key)
) WITHOUT ROWID;
CREATE INDEX embeddings_by_model ON embeddings (model_key);
CREATE TABLE decode_info (
  hash TEXT PRIMARY KEY,
  quality TEXT,
  error TEXT
) WITHOUT ROWID;
CREATE TABLE reviews (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('correct', 'relabelled')),
  relabel_to TEXT,
  path TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE results (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  json TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
`;

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

function timestampForFileName(d: Date): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

/** Write `text` to `file` atomically and safely: the one safe write (exclusive random temp, fsync, rename, no link followed). */
function writeFileAtomic(file: string, text: string): void {
  writeFileSafe(file, text);
}

function isReviewDecision(x: unknown): x is ReviewDecision {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as { kind?: unknown; to?: unknown };
  return o.kind === 'correct' || (o.kind === 'relabelled' && typeof o.to === 'string' && o.to.length > 0);
}

/** The on-disk shape of reviews.json (sorted by path, then hash, so diffs stay small). */
interface ReviewsFile {
  version: number;
  note: string;
  reviews: Array<{ hash: string; path: string; decision: 'correct' | 'relabelled'; to?: string; updatedAt: string }>;
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
    private readonly log: (msg: string) => void,
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
    let db: SqliteDb;
    try {
      db = AnalysisCache.openDb(dbPath, check, log);
    } catch (err) {
      if (!isCorruption(err)) throw err;
      const aside = AnalysisCache.moveAside(dbPath);
      const why = err instanceof Error ? err.message : String(err);
      log(`LabelLint cache ${dbPath} was unusable (${why}); moved it to ${aside} and started a fresh cache.`);
      db = AnalysisCache.openDb(dbPath, 'off', log);
    }
    const cache = new AnalysisCache(db, root, dbPath, path.join(dir, REVIEWS_FILE), log);
    cache.syncReviewsFromFile();
    return cache;
  }

  /** Open `dbPath`, check it, create or verify the schema. Closes the handle before throwing. */
  private static openDb(dbPath: string, check: 'full' | 'quick' | 'off', log: (msg: string) => void): SqliteDb {
    AnalysisCache.checkHeader(dbPath);
    const onWait = (holder: string): void =>
      log(`LabelLint cache ${dbPath} is in use by ${holder}; waiting up to ${BUSY_TIMEOUT_MS / 1000} s for it.`);
    const db = SqliteDb.open(dbPath, { busyTimeoutMs: BUSY_TIMEOUT_MS, onWait });
    try {
      // The first statement reads the header: a file that is not SQLite fails here with SQLITE_NOTADB.
      // Rollback journal, synchronous=FULL: the WASM VFS has no shared memory, so no WAL (see ./sqlite.ts).
      db.pragma('journal_mode = DELETE');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = OFF');
      if (check !== 'off') {
        const rows = db.pragma(check === 'full' ? 'integrity_check' : 'quick_check');
        const msgs = rows.map((r) => String(Object.values(r)[0]));
        if (!(msgs.length === 1 && msgs[0] === 'ok')) {
          throw new CorruptCacheError(`integrity check failed: ${msgs.slice(0, 3).join('; ')}`);
        }
      }
      db.transaction(() => {
        const version = Number(db.pragmaValue('user_version'));
        const appId = Number(db.pragmaValue('application_id'));
        const tableCount = (
          db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }
        ).n;
        if (version === 0 && appId === 0 && tableCount === 0) {
          db.exec(SCHEMA_SQL);
          db.pragma(`application_id = ${APPLICATION_ID}`);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        } else if (appId !== APPLICATION_ID) {
          throw new CorruptCacheError(`not a LabelLint cache (application_id ${appId})`);
        } else if (version !== SCHEMA_VERSION) {
          throw new CorruptCacheError(`unknown cache schema version ${version} (this LabelLint uses ${SCHEMA_VERSION})`);
        }
      }, 'immediate');
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * A non-empty file must start with the SQLite header. SQLite itself silently treats some short garbage
   * files as empty databases and overwrites them; this check makes those go through the move-aside path.
   */
  private static checkHeader(dbPath: string): void {
    let fd: number;
    try {
      fd = fs.openSync(dbPath, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const head = Buffer.alloc(SQLITE_HEADER.length);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      if (n > 0 && !(n === head.length && head.equals(SQLITE_HEADER))) {
        throw new CorruptCacheError('file does not start with the SQLite header');
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Rename cache.db (and its -wal/-shm) to `cache.db.corrupt-<timestamp>[-n]`; returns the new main path. */
  private static moveAside(dbPath: string): string {
    const base = `${dbPath}.corrupt-${timestampForFileName(new Date())}`;
    let target = base;
    for (let n = 1; fs.existsSync(target); n++) target = `${base}-${n}`;
    fs.renameSync(dbPath, target);
    for (const suffix of ['-wal', '-shm', '-journal']) {
      if (fs.existsSync(dbPath + suffix)) fs.renameSync(dbPath + suffix, target + suffix);
    }
    return target;
  }

  /** Keep the cache (and temp/aside files) out of git while reviews.json stays committable. */
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

  // ---------------------------------------------------------------- reviews

  /** Record a decision for the image with content `hash` (last seen at `path`); rewrites reviews.json. */
  setReview(hash: string, decision: ReviewDecision, path: string): void {
    this.assertOpen();
    if (!isReviewDecision(decision)) throw new TypeError(`invalid review decision: ${JSON.stringify(decision)}`);
    this.upsertReviews([[hash, { decision, path, updatedMs: Date.now() }]]);
    this.writeReviewsFile();
  }

  /** Record many decisions in one transaction and one reviews.json rewrite (use for bulk actions). */
  setReviews(rows: ReadonlyArray<{ readonly hash: string; readonly decision: ReviewDecision; readonly path: string }>): void {
    this.assertOpen();
    for (const r of rows) {
      if (!isReviewDecision(r.decision)) throw new TypeError(`invalid review decision: ${JSON.stringify(r.decision)}`);
    }
    const now = Date.now();
    this.upsertReviews(rows.map((r) => [r.hash, { decision: r.decision, path: r.path, updatedMs: now }] as const));
    this.writeReviewsFile();
  }

  /** Every stored review, keyed by content hash. */
  getReviews(): Map<string, ReviewRecord> {
    this.assertOpen();
    const rows = this.db.prepare('SELECT hash, kind, relabel_to, path, updated_ms FROM reviews').all() as Array<{
      hash: string;
      kind: string;
      relabel_to: string | null;
      path: string;
      updated_ms: number;
    }>;
    const out = new Map<string, ReviewRecord>();
    for (const r of rows) {
      const decision: ReviewDecision =
        r.kind === 'relabelled' ? { kind: 'relabelled', to: r.relabel_to ?? '' } : { kind: 'correct' };
      out.set(r.hash, { decision, path: r.path, updatedMs: r.updated_ms });
    }
    return out;
  }

  /** Forget the decision for `hash` (no-op when none); rewrites reviews.json. */
  clearReview(hash: string): void {
    this.assertOpen();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM reviews WHERE hash = ?').run(hash);
    }, 'immediate');
    this.writeReviewsFile();
  }

  private upsertReviews(entries: ReadonlyArray<readonly [string, ReviewRecord]>): void {
    const stmt = this.db.prepare(
      'INSERT OR REPLACE INTO reviews (hash, kind, relabel_to, path, updated_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const [hash, r] of entries) {
        stmt.run(hash, r.decision.kind, r.decision.kind === 'relabelled' ? r.decision.to : null, r.path, r.updatedMs);
      }
    }, 'immediate');
  }

  /** Rewrite reviews.json from the database (atomically). */
  private writeReviewsFile(): void {
    const reviews = [...this.getReviews()].map(([hash, r]) => ({
      hash,
      path: r.path,
      decision: r.decision.kind,
      ...(r.decision.kind === 'relabelled' ? { to: r.decision.to } : {}),
      updatedAt: new Date(r.updatedMs).toISOString(),
    }));
    reviews.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const file: ReviewsFile = {
      version: REVIEWS_FORMAT_VERSION,
      note: 'LabelLint review decisions, keyed by the sha256 of the image bytes. Safe to commit.',
      reviews,
    };
    writeFileAtomic(this.reviewsPath, JSON.stringify(file, null, 2) + '\n');
  }

  /**
   * Import from reviews.json every review the database lacks or holds an older version of, then rewrite
   * the file if it and the database disagree. An unreadable reviews.json is moved aside (never deleted).
   */
  private syncReviewsFromFile(): void {
    const fromFile = this.readReviewsFile();
    const inDb = this.getReviews();
    const toImport: Array<[string, ReviewRecord]> = [];
    for (const [hash, rec] of fromFile) {
      const cur = inDb.get(hash);
      if (cur === undefined || cur.updatedMs < rec.updatedMs) toImport.push([hash, rec]);
    }
    if (toImport.length > 0) {
      this.upsertReviews(toImport);
      this.log(`LabelLint imported ${toImport.length} review decision(s) from ${this.reviewsPath}.`);
    }
    const merged = this.getReviews();
    const same =
      fromFile.size === merged.size &&
      [...merged].every(([h, r]) => {
        const f = fromFile.get(h);
        return f !== undefined && f.updatedMs === r.updatedMs && JSON.stringify(f.decision) === JSON.stringify(r.decision);
      });
    if (!same && (merged.size > 0 || fs.existsSync(this.reviewsPath))) this.writeReviewsFile();
  }

  private readReviewsFile(): Map<string, ReviewRecord> {
    const out = new Map<string, ReviewRecord>();
    let text: string;
    try {
      text = fs.readFileSync(this.reviewsPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      const aside = `${this.reviewsPath}.invalid-${timestampForFileName(new Date())}`;
      fs.renameSync(this.reviewsPath, aside);
      this.log(`LabelLint could not parse ${this.reviewsPath} (${(err as Error).message}); moved it to ${aside}.`);
      return out;
    }
    const list = (parsed as { reviews?: unknown } | null)?.reviews;
    if (!Array.isArray(list)) return out;
    let skipped = 0;
    for (const e of list as unknown[]) {
      const o = e as { hash?: unknown; path?: unknown; decision?: unknown; to?: unknown; updatedAt?: unknown } | null;
      const decision = { kind: o?.decision, ...(o?.decision === 'relabelled' ? { to: o?.to } : {}) };
      const updatedMs = typeof o?.updatedAt === 'string' ? Date.parse(o.updatedAt) : 0;
      if (typeof o?.hash !== 'string' || !/^[0-9a-f]{64}$/.test(o.hash) || !isReviewDecision(decision)) {
        skipped++;
        continue;
      }
      out.set(o.hash, {
        decision,
        path: typeof o.path === 'string' ? o.path : '',
        updatedMs: Number.isFinite(updatedMs) ? updatedMs : 0,
      });
    }
    if (skipped > 0) this.log(`LabelLint skipped ${skipped} malformed entr(y/ies) in ${this.reviewsPath}.`);
    return out;
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
