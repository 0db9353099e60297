/**
 * Issue 12, the store's share: `.labellint` as a symbolic link is refused, a read-only dataset is analysed with its
 * cache in a per-user folder, and another process holding the cache's lock makes a run wait instead of failing with
 * "database is locked".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnalysisCache, StateDirError } from '../../server/engine/store/cache';
import { hashBytes } from '../../server/engine/dataset/hash';
import { runWithReadOnlyRoot } from './helpers/read-only';
import { tempDirs } from './helpers/temp-dirs';

const tempDir = tempDirs('store');

const SQLITE_JS = path.join(__dirname, '..', '..', 'server', 'engine', 'store', 'sqlite.js');
const CACHE_JS = path.join(__dirname, '..', '..', 'server', 'engine', 'store', 'cache.js');

test('.labellint as a symbolic link is refused and nothing is written where it points', () => {
  const root = tempDir('link');
  const elsewhere = tempDir('elsewhere');
  fs.symlinkSync(elsewhere, path.join(root, '.labellint'));
  assert.throws(() => AnalysisCache.open(root), (e: unknown) => e instanceof StateDirError && /symbolic link/.test(e.message));
  assert.deepEqual(fs.readdirSync(elsewhere), []);
});

test('a read-only dataset is cached in a per-user folder, and the log says where', () => {
  const root = tempDir('ro');
  fs.mkdirSync(path.join(root, 'cat'));
  fs.writeFileSync(path.join(root, 'cat', 'a.png'), 'x');
  const home = tempDir('home');
  const script = `
    const { AnalysisCache } = require(${JSON.stringify(CACHE_JS)});
    const logs = [];
    const c = AnalysisCache.open(${JSON.stringify(root)}, { log: (m) => logs.push(m) });
    c.putEmbeddings([{ hash: ${JSON.stringify(hashBytes(Buffer.from('a')))}, vector: new Float32Array([1, 2]) }], 'm');
    c.close();
    process.stdout.write(JSON.stringify({ dbPath: c.dbPath, logs }));`;
  const r = runWithReadOnlyRoot(root, home, script);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { dbPath: string; logs: string[] };
  assert.ok(out.dbPath.startsWith(path.join(home, '.cache', 'labellint', 'datasets')), out.dbPath);
  assert.ok(out.logs.some((m) => /read-only/.test(m) && m.includes(path.dirname(out.dbPath))), out.logs.join('\n'));
  assert.ok(!fs.existsSync(path.join(root, '.labellint')));
});

test('another process holding the cache lock for 6 s makes the run wait, not fail with "database is locked"', async () => {
  const root = tempDir('lock');
  AnalysisCache.open(root).close();
  const db = path.join(root, '.labellint', 'cache.db');
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const { SqliteDb } = require(${JSON.stringify(SQLITE_JS)});
       const db = SqliteDb.open(${JSON.stringify(db)}, { busyTimeoutMs: 5000 });
       db.transaction(() => { process.stdout.write('held\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 6000); }, 'immediate');
       db.close();`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  const t0 = Date.now();
  const logs: string[] = [];
  const cache = AnalysisCache.open(root, { log: (m) => logs.push(m) });
  cache.putEmbeddings([{ hash: hashBytes(Buffer.from('b')), vector: new Float32Array([3]) }], 'm');
  cache.close();
  assert.ok(Date.now() - t0 >= 4000, `waited only ${Date.now() - t0} ms`);
  assert.ok(logs.some((m) => /in use by \d+@/.test(m)), logs.join('\n'));
  await new Promise((r) => holder.once('exit', r));
});

test('reviews.json shipped with a dataset: paths outside the root are dropped from their reviews (kept by hash), and the log says so', () => {
  const root = tempDir('reviews');
  fs.mkdirSync(path.join(root, '.labellint'));
  const h = (s: string): string => hashBytes(Buffer.from(s));
  const reviews = [
    { hash: h('a'), path: '../../etc/passwd', decision: 'correct', updatedAt: '2026-01-01T00:00:00Z' },
    { hash: h('b'), path: '/etc/shadow', decision: 'correct', updatedAt: '2026-01-01T00:00:00Z' },
    { hash: h('c'), path: 'cat/c.png', decision: 'correct', updatedAt: '2026-01-01T00:00:00Z' },
  ];
  fs.writeFileSync(path.join(root, '.labellint', 'reviews.json'), JSON.stringify({ version: 1, reviews }));
  const logs: string[] = [];
  const c = AnalysisCache.open(root, { log: (m) => logs.push(m) });
  try {
    const got = c.getReviews();
    assert.equal(got.size, 3, 'every review is kept');
    assert.equal(got.get(h('a'))?.path, '');
    assert.equal(got.get(h('b'))?.path, '');
    assert.equal(got.get(h('c'))?.path, 'cat/c.png');
    assert.ok(logs.some((m) => /ignored 2 path\(s\) in .*reviews\.json that are not inside the dataset root/.test(m)), logs.join('\n'));
  } finally {
    c.close();
  }
});
