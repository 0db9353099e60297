/**
 * SQLite bindings for the analysis cache, measured on the cache's own schema and statements:
 *   wasm      node-sqlite3-wasm through server/engine/store/sqlite.ts (rollback journal, synchronous=FULL,
 *             owner-file lock) — what the cache uses now; loads under any Node ABI (Electron included)
 *   better    better-sqlite3 (WAL, synchronous=NORMAL) — the cache before; a V8-ABI addon, only measured
 *             when it is installed (`npm i --no-save better-sqlite3@12.6.2`)
 *   node      node:sqlite (WAL, NORMAL) — only on a Node that has it (22.13+)
 *
 *   npx tsc -p . && node out/bench/sqlite.js [--rows 10000] [--dim 240] [--kills 10]
 *
 * Columns: put = one transaction of N embedding rows (INSERT OR REPLACE); get = N point lookups in one read
 * transaction; reopen = open + integrity_check of the filled file; kill -9 = a child writes 100-row
 * transactions in a loop and is SIGKILLed at a random moment, then the parent reopens: "ok" counts runs where
 * the file passed integrity_check, held a whole number of transactions, and the next write succeeded.
 * Prints a table; no thresholds.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteDb } from '../server/engine/store/sqlite';

const SCHEMA = `CREATE TABLE IF NOT EXISTS embeddings (hash TEXT NOT NULL, model_key TEXT NOT NULL, dim INTEGER NOT NULL,
  vector BLOB NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (hash, model_key)) WITHOUT ROWID;`;
const PUT = 'INSERT OR REPLACE INTO embeddings (hash, model_key, dim, vector, created_ms) VALUES (?, ?, ?, ?, ?)';
const GET = 'SELECT dim, vector FROM embeddings WHERE hash = ? AND model_key = ?';
const MODEL = 'bench-model';
const BATCH = 100;

/** The few operations the bench needs, per binding. */
interface Db {
  put(rows: Array<[string, Uint8Array]>): void;
  get(hashes: string[]): number;
  count(): number;
  integrity(): string;
  close(): void;
}
type Binding = { name: string; open(file: string): Db } | undefined;

function wasmBinding(): Binding {
  return {
    name: 'wasm (node-sqlite3-wasm)',
    open(file) {
      const db = SqliteDb.open(file, { busyTimeoutMs: 30_000 });
      db.pragma('journal_mode = DELETE');
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      const put = db.prepare(PUT);
      const get = db.prepare(GET);
      return {
        put: (rows) => db.transaction(() => rows.forEach(([h, v]) => put.run(h, MODEL, v.byteLength / 4, v, Date.now())), 'immediate'),
        get: (hs) => db.transaction(() => hs.reduce((n, h) => n + (get.get(h, MODEL) ? 1 : 0), 0)),
        count: () => Number(db.prepare('SELECT count(*) AS n FROM embeddings').get()!.n),
        integrity: () => String(db.pragmaValue('integrity_check')),
        close: () => db.close(),
      };
    },
  };
}

function betterBinding(): Binding {
  let Database: typeof import('better-sqlite3');
  try {
    Database = require('better-sqlite3') as typeof import('better-sqlite3');
    new Database(':memory:').close();
  } catch (e) {
    const msg = (e as Error).message;
    const abi = /NODE_MODULE_VERSION (\d+)[^]*NODE_MODULE_VERSION (\d+)/.exec(msg);
    unavailable.better = abi ? `compiled for native ABI ${abi[1]}, this Node needs ${abi[2]}` : msg.split('\n')[0]!;
    return undefined;
  }
  return {
    name: 'better-sqlite3 (native)',
    open(file) {
      const db = new Database(file);
      db.pragma('busy_timeout = 30000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      const put = db.prepare(PUT);
      const get = db.prepare(GET);
      return {
        put: (rows) => db.transaction(() => rows.forEach(([h, v]) => put.run(h, MODEL, v.byteLength / 4, v, Date.now()))).immediate(),
        get: (hs) => db.transaction(() => hs.reduce((n, h) => n + (get.get(h, MODEL) ? 1 : 0), 0))(),
        count: () => (db.prepare('SELECT count(*) AS n FROM embeddings').get() as { n: number }).n,
        integrity: () => String(db.pragma('integrity_check', { simple: true })),
        close: () => db.close(),
      };
    },
  };
}

function nodeBinding(): Binding {
  type NodeSqlite = {
    DatabaseSync: new (f: string) => {
      exec(s: string): void;
      prepare(s: string): { run(...a: unknown[]): unknown; get(...a: unknown[]): Record<string, unknown> | undefined };
      close(): void;
    };
  };
  let mod: NodeSqlite;
  try {
    mod = require('node:sqlite') as NodeSqlite;
  } catch {
    return undefined;
  }
  return {
    name: `node:sqlite (Node ${process.versions.node})`,
    open(file) {
      const db = new mod.DatabaseSync(file);
      db.exec('PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      db.exec(SCHEMA);
      const put = db.prepare(PUT);
      const get = db.prepare(GET);
      const tx = <T>(begin: string, fn: () => T): T => {
        db.exec(begin);
        try {
          const out = fn();
          db.exec('COMMIT');
          return out;
        } catch (e) {
          db.exec('ROLLBACK');
          throw e;
        }
      };
      return {
        put: (rows) => tx('BEGIN IMMEDIATE', () => rows.forEach(([h, v]) => put.run(h, MODEL, v.byteLength / 4, v, Date.now()))),
        get: (hs) => tx('BEGIN', () => hs.reduce((n, h) => n + (get.get(h, MODEL) ? 1 : 0), 0)),
        count: () => Number(db.prepare('SELECT count(*) AS n FROM embeddings').get()!.n),
        integrity: () => String(Object.values(db.prepare('PRAGMA integrity_check').get()!)[0]),
        close: () => db.close(),
      };
    },
  };
}

/** Why a binding could not be measured here. */
const unavailable: Record<string, string> = {};
const BINDINGS: Record<string, () => Binding> = { wasm: wasmBinding, better: betterBinding, node: nodeBinding };

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function rows(n: number, dim: number, offset = 0): Array<[string, Uint8Array]> {
  return Array.from({ length: n }, (_, i) => {
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = Math.sin(i + offset + j);
    return [`h${String(i + offset).padStart(63, "0")}`, new Uint8Array(v.buffer)];
  });
}

/** Child mode: write BATCH-row transactions forever, printing each committed batch number. */
function child(kind: string, file: string, dim: number): void {
  const db = BINDINGS[kind]!()!.open(file);
  for (let b = 0; ; b++) {
    db.put(rows(BATCH, dim, b * BATCH));
    process.stdout.write(`${b}\n`);
  }
}

async function killRun(kind: string, file: string, dim: number): Promise<{ ok: boolean; why: string }> {
  for (const suffix of ['', '-journal', '-wal', '-shm', '.owner']) fs.rmSync(file + suffix, { force: true });
  const proc = spawn(process.execPath, [__filename, '--child', kind, file, String(dim)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let committed = -1;
  proc.stdout.on('data', (d: Buffer) => {
    const last = d.toString().trim().split('\n').pop();
    if (last) committed = Number(last);
  });
  await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
  proc.kill('SIGKILL');
  await new Promise((r) => proc.once('exit', r));
  try {
    const db = BINDINGS[kind]!()!.open(file);
    const integrity = db.integrity();
    const n = db.count();
    db.put(rows(1, dim, 1e9)); // the next write must succeed (no stale lock)
    db.close();
    if (integrity !== 'ok') return { ok: false, why: `integrity ${integrity}` };
    if (n % BATCH !== 0) return { ok: false, why: `partial transaction: ${n} rows` };
    if (n < (committed + 1) * BATCH) return { ok: false, why: `lost committed rows: ${n} < ${(committed + 1) * BATCH}` };
    return { ok: true, why: '' };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
  const n = arg('rows', 10_000);
  const dim = arg('dim', 240);
  const kills = arg('kills', 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-bench-sqlite-'));
  const data = rows(n, dim);
  const hashes = data.map(([h]) => h);
  console.log(`SQLite bindings: ${n} rows × ${dim}-d float32 (${((n * dim * 4) / 1e6).toFixed(1)} MB), Node ${process.versions.node}, ${os.cpus().length} cores`);
  console.log('binding                       put s   get s   reopen s   file MB   kill -9 ok');
  for (const [kind, make] of Object.entries(BINDINGS)) {
    const b = make();
    if (!b) {
      console.log(`${kind.padEnd(28)}  (not available here${unavailable[kind] ? `: ${unavailable[kind]}` : ''})`);
      continue;
    }
    const file = path.join(dir, `${kind}.db`);
    let db = b.open(file);
    let t = performance.now();
    db.put(data);
    const put = (performance.now() - t) / 1000;
    t = performance.now();
    const hit = db.get(hashes);
    const get = (performance.now() - t) / 1000;
    db.close();
    if (hit !== n) throw new Error(`${kind}: ${hit} of ${n} rows read back`);
    t = performance.now();
    db = b.open(file);
    db.integrity();
    const reopen = (performance.now() - t) / 1000;
    db.close();
    const mb = fs.statSync(file).size / 1e6;
    const killFile = path.join(dir, `${kind}-kill.db`);
    let ok = 0;
    const why: string[] = [];
    for (let i = 0; i < kills; i++) {
      const r = await killRun(kind, killFile, dim);
      if (r.ok) ok++;
      else why.push(r.why);
    }
    console.log(
      `${b.name.padEnd(28)} ${put.toFixed(2).padStart(6)}  ${get.toFixed(2).padStart(6)}  ${reopen.toFixed(2).padStart(9)}  ${mb.toFixed(1).padStart(8)}   ${ok}/${kills}${why.length ? ` (${why[0]})` : ''}`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
