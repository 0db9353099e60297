/**
 * Opening `cache.db` safely: the SQLite header check, the integrity check, the schema (created, or verified by
 * `application_id` and `user_version`), and the move-aside of a file that is corrupt or not ours, so a damaged
 * cache costs a rebuild, never an error. The tables' use is `cache.ts`'s.
 */
import * as fs from 'node:fs';
import { SqliteDb } from './sqlite';

/** Bump when the schema changes incompatibly; a file with another version is moved aside and rebuilt. */
export const SCHEMA_VERSION = 1;
/** `PRAGMA application_id` marking the file as ours ('LLNT'). */
export const APPLICATION_ID = 0x4c4c4e54;
/**
 * How long a statement waits for another process's lock before failing with SQLITE_BUSY. Locks are held for
 * one transaction (milliseconds), so a long wait means a stuck process; a dead one is detected at once.
 */
const BUSY_TIMEOUT_MS = 120_000;
/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** `<file>.<why>-<timestamp>`: the name a damaged cache file (cache.db, reviews.json) is moved aside to, never deleted. */
export function asideName(file: string, why: string, d = new Date()): string {
  return `${file}.${why}-${d.toISOString().replace(/[:.]/g, '-')}`;
}

/** Integrity check run on open: 'full' = `PRAGMA integrity_check`, 'quick' = `PRAGMA quick_check`, 'off'. */
export type IntegrityCheck = 'full' | 'quick' | 'off';

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

/**
 * Open (creating if needed) the cache database at `dbPath`. A corrupt or foreign file is moved aside to
 * `cache.db.corrupt-<timestamp>` and replaced by a fresh database; `log` is told which file was moved.
 * Errors that are not corruption (locked by another process, permissions) are thrown unchanged.
 */
export function openCacheDb(dbPath: string, check: IntegrityCheck, log: (msg: string) => void): SqliteDb {
  try {
    return openChecked(dbPath, check, log);
  } catch (err) {
    if (!isCorruption(err)) throw err;
    const aside = moveAside(dbPath);
    const why = err instanceof Error ? err.message : String(err);
    log(`LabelLint cache ${dbPath} was unusable (${why}); moved it to ${aside} and started a fresh cache.`);
    return openChecked(dbPath, 'off', log);
  }
}

/** Open `dbPath`, check it, create or verify the schema. Closes the handle before throwing. */
function openChecked(dbPath: string, check: IntegrityCheck, log: (msg: string) => void): SqliteDb {
  checkHeader(dbPath);
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
function checkHeader(dbPath: string): void {
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
function moveAside(dbPath: string): string {
  const base = asideName(dbPath, 'corrupt');
  let target = base;
  for (let n = 1; fs.existsSync(target); n++) target = `${base}-${n}`;
  fs.renameSync(dbPath, target);
  for (const suffix of ['-wal', '-shm', '-journal']) {
    if (fs.existsSync(dbPath + suffix)) fs.renameSync(dbPath + suffix, target + suffix);
  }
  return target;
}
