/**
 * The one SQLite binding of the store: SQLite compiled to WebAssembly (npm `node-sqlite3-wasm`) with real file
 * I/O, wrapped in a small synchronous API (prepare/run/get/all, pragma, transactions).
 *
 * Why WebAssembly: desktop VS Code runs the language server under Electron's Node, whose native ABI differs
 * from the Node that installed the packages; a V8-ABI addon (better-sqlite3) does not load there, an N-API or
 * WASM module does. Measured against better-sqlite3 in bench/sqlite.ts (numbers in README "SQLite").
 *
 * Locking. The WASM build's VFS locks with a `<db>.lock` directory (exclusive, readers too) and fails at once
 * with "database is locked" instead of waiting; a process killed while holding it leaves the directory behind
 * and every later open fails. So every statement and transaction here runs under an owner file
 * `<db>.owner` (created with O_EXCL, holding `pid@host`): a second process waits for it (polling, up to
 * `busyTimeoutMs`), and an owner file whose process is gone (same host), or, written from another host,
 * older than `STALE_OWNER_MS`, is broken together with the VFS's leftover lock directory. SQLite's rollback journal
 * (`<db>-journal`, synchronous=FULL) is rolled back on the next access after a crash, so a killed process
 * leaves the database holding exactly the transactions that committed. Within one process the lock is
 * re-entrant (one counter per database file), so several connections of one process do not wait on each other.
 *
 * Errors carry `code` ('SQLITE_BUSY', 'SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_READONLY', 'SQLITE_CANTOPEN',
 * 'SQLITE_ERROR') derived from SQLite's message, which is all the WASM binding gives.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Database as WasmDatabase, Statement as WasmStatement } from 'node-sqlite3-wasm';

/** A row as SQLite returns it: column name → number | bigint | string | Uint8Array | null. */
export type Row = Record<string, unknown>;
/** Values a statement binds, in `?` order. */
export type Param = number | bigint | string | Uint8Array | null;

/** An owner file written by another host (a shared drive) older than this is stale (no transaction here takes a minute). */
export const STALE_OWNER_MS = 60_000;
/** How often a waiting process looks at the owner file again. */
const POLL_MS = 25;

export class SqliteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'SqliteError';
  }
}

/** SQLite's primary result code for one of its messages (the WASM binding gives only the message). */
function codeOf(message: string): string {
  if (/database is locked|database table is locked/.test(message)) return 'SQLITE_BUSY';
  if (/file is not a database/.test(message)) return 'SQLITE_NOTADB';
  if (/malformed|corrupt/.test(message)) return 'SQLITE_CORRUPT';
  if (/readonly database/.test(message)) return 'SQLITE_READONLY';
  if (/unable to open|Could not open/.test(message)) return 'SQLITE_CANTOPEN';
  if (/disk I\/O error/.test(message)) return 'SQLITE_IOERR';
  if (/database or disk is full/.test(message)) return 'SQLITE_FULL';
  return 'SQLITE_ERROR';
}

/** SQLite's errors get a code; anything else (a caller's own error inside a transaction) passes unchanged. */
function wrapError(e: unknown, file: string): unknown {
  if (!(e instanceof Error) || e.name !== 'SQLite3Error') return e;
  const msg = e instanceof Error ? e.message : String(e);
  const code = codeOf(msg);
  return new SqliteError(code === 'SQLITE_CANTOPEN' ? `${msg} (${file})` : msg, code);
}

let wasmModule: typeof import('node-sqlite3-wasm') | undefined;
function wasm(): typeof import('node-sqlite3-wasm') {
  wasmModule ??= require('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm');
  return wasmModule;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Held owner files of this process: database path → depth. */
const held = new Map<string, number>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The inter-process lock of one database file (see the module comment). */
class OwnerLock {
  readonly ownerPath: string;
  private readonly me = `${process.pid}@${os.hostname()}`;

  constructor(
    private readonly dbPath: string,
    private readonly timeoutMs: number,
    private readonly onWait?: (holder: string) => void,
  ) {
    this.ownerPath = `${dbPath}.owner`;
  }

  run<T>(fn: () => T): T {
    this.acquire();
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  private acquire(): void {
    const depth = held.get(this.dbPath) ?? 0;
    if (depth > 0) {
      held.set(this.dbPath, depth + 1);
      return;
    }
    const deadline = Date.now() + this.timeoutMs;
    let told = false;
    for (;;) {
      try {
        const fd = fs.openSync(this.ownerPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | (fs.constants.O_NOFOLLOW ?? 0), 0o644);
        try {
          fs.writeSync(fd, this.me);
        } finally {
          fs.closeSync(fd);
        }
        held.set(this.dbPath, 1);
        // We own the file now: a VFS lock directory left behind is a dead process's.
        this.removeVfsLockDir();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = this.readHolder();
      if (holder !== undefined && this.isStale(holder)) {
        this.breakStale(holder.text);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new SqliteError(
          `database is locked: ${holder?.text ?? 'another process'} has held ${this.dbPath} for more than ${Math.round(this.timeoutMs / 1000)} s`,
          'SQLITE_BUSY',
        );
      }
      if (!told) {
        told = true;
        this.onWait?.(holder?.text ?? 'another process');
      }
      sleepSync(POLL_MS);
    }
  }

  private release(): void {
    const depth = held.get(this.dbPath) ?? 0;
    if (depth > 1) {
      held.set(this.dbPath, depth - 1);
      return;
    }
    held.delete(this.dbPath);
    try {
      fs.unlinkSync(this.ownerPath);
    } catch {
      /* broken as stale by another process after a very long stall: nothing of ours to remove */
    }
  }

  private readHolder(): { text: string; pid: number; host: string; ageMs: number } | undefined {
    try {
      const text = fs.readFileSync(this.ownerPath, 'utf8');
      const ageMs = Date.now() - fs.statSync(this.ownerPath).mtimeMs;
      const m = /^(\d+)@(.*)$/.exec(text);
      return { text: text || '(being written)', pid: m ? Number(m[1]) : 0, host: m ? m[2]! : '', ageMs };
    } catch {
      return undefined; // released meanwhile
    }
  }

  /** Same host: stale exactly when its process is gone. Another host (a shared drive): when older than STALE_OWNER_MS. */
  private isStale(h: { pid: number; host: string; ageMs: number }): boolean {
    if (h.pid > 0 && h.host === os.hostname()) return !processAlive(h.pid);
    return h.ageMs > STALE_OWNER_MS;
  }

  /** Move the stale owner file away (rename: only one breaker wins) and forget it. */
  private breakStale(text: string): void {
    const aside = `${this.ownerPath}.stale-${process.pid}`;
    try {
      fs.renameSync(this.ownerPath, aside);
      fs.unlinkSync(aside);
    } catch {
      /* another process broke it first */
    }
    void text;
  }

  private removeVfsLockDir(): void {
    try {
      fs.rmdirSync(`${this.dbPath}.lock`);
    } catch {
      /* none: the normal case */
    }
  }
}

/** Bytes 18–19 of the header are 2 in a WAL-mode file (written by better-sqlite3 in LabelLint ≤ 0.1). */
function isWalFile(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 18) === 2 && (b[0] === 2 || b[1] === 2);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Switch a WAL-mode file to a rollback journal. The WASM VFS has no shared memory, so SQLite refuses WAL files
 * ("unable to open database file") except in exclusive locking mode, where it keeps the WAL index on the heap,
 * replays a leftover -wal file and checkpoints it into the database.
 */
function leaveWal(file: string): void {
  const db = new (wasm().Database)(file);
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.all('PRAGMA journal_mode = DELETE');
  } finally {
    db.close();
  }
}

/** A prepared statement; every call runs under the database's lock. */
export interface Statement {
  run(...params: Param[]): { changes: number };
  get(...params: Param[]): Row | undefined;
  all(...params: Param[]): Row[];
}

export interface SqliteOpenOptions {
  /** How long a statement waits for another process's lock before failing with SQLITE_BUSY. */
  readonly busyTimeoutMs: number;
  /** Told once per wait which process holds the lock. */
  readonly onWait?: (holder: string) => void;
}

export class SqliteDb {
  private readonly statements = new Map<string, WasmStatement>();
  private depth = 0;

  private constructor(
    private readonly db: WasmDatabase,
    readonly file: string,
    private readonly lock: OwnerLock,
  ) {}

  static open(file: string, opts: SqliteOpenOptions): SqliteDb {
    const abs = path.resolve(file);
    const lock = new OwnerLock(abs, opts.busyTimeoutMs, opts.onWait);
    const db = lock.run(() => {
      try {
        if (isWalFile(abs)) leaveWal(abs);
        return new (wasm().Database)(abs);
      } catch (e) {
        throw wrapError(e, abs);
      }
    });
    return new SqliteDb(db, abs, lock);
  }

  /** Run `fn` under the lock, mapping SQLite's errors to `SqliteError`s with a code. */
  private locked<T>(fn: () => T): T {
    return this.lock.run(() => {
      try {
        return fn();
      } catch (e) {
        throw wrapError(e, this.file);
      }
    });
  }

  exec(sql: string): void {
    this.locked(() => this.db.exec(sql));
  }

  /** All rows of a PRAGMA. */
  pragma(sql: string): Row[] {
    return this.locked(() => this.db.all(`PRAGMA ${sql}`) as Row[]);
  }

  /** First column of the first row of a PRAGMA (undefined when it returns none). */
  pragmaValue(sql: string): unknown {
    const row = this.pragma(sql)[0];
    return row === undefined ? undefined : Object.values(row)[0];
  }

  prepare(sql: string): Statement {
    const stmt = (): WasmStatement => {
      let s = this.statements.get(sql);
      if (!s) {
        s = this.db.prepare(sql);
        this.statements.set(sql, s);
      }
      return s;
    };
    return {
      run: (...params) => this.locked(() => ({ changes: Number(stmt().run(params as never).changes) })),
      // `all`, never the binding's `get`: that one leaves the statement open, and with it the file lock.
      get: (...params) => this.locked(() => (stmt().all(params as never) as Row[])[0]),
      all: (...params) => this.locked(() => stmt().all(params as never) as Row[]),
    };
  }

  /** Run `fn` in one transaction (BEGIN IMMEDIATE takes the write lock first); nested calls join the outer one. */
  transaction<T>(fn: () => T, mode: 'deferred' | 'immediate' = 'deferred'): T {
    return this.locked(() => {
      if (this.depth > 0) return fn();
      this.db.exec(mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN');
      this.depth++;
      try {
        const out = fn();
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      } finally {
        this.depth--;
      }
    });
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.locked(() => {
      for (const s of this.statements.values()) if (!s.isFinalized) s.finalize();
      this.statements.clear();
      this.db.close();
    });
  }
}
