import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { SqliteDb } from '../../server/engine/store/sqlite';
import { AnalysisCache, APPLICATION_ID } from '../../server/engine/store/cache';
import { fileFingerprint, hashBytes } from '../../server/engine/dataset/hash';

const MODEL = 'test-model@1';

const roots: string[] = [];
function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-cache-'));
  roots.push(root);
  return root;
}
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A deterministic vector for row `i`, including values that do not survive a JSON or float64 round-trip. */
function vectorFor(i: number, dim = 16): Float32Array {
  const v = new Float32Array(dim);
  for (let j = 0; j < dim; j++) v[j] = Math.fround(Math.sin(i * 31 + j) * 1e-3 + i / 7);
  v[0] = i % 3 === 0 ? -0 : v[0];
  return v;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((x, i) => x === ub[i]);
}

/** Scan `root`'s image files the way the engine will: reuse index hashes for unchanged files. */
async function indexFiles(cache: AnalysisCache, root: string, files: string[]): Promise<Map<string, string>> {
  const known = cache.getFileEntries();
  const out = new Map<string, string>();
  const rows = [];
  for (const rel of files) {
    const fp = await fileFingerprint(path.join(root, rel), known.get(rel));
    rows.push({ path: rel, ...fp });
    out.set(rel, fp.hash);
  }
  cache.putFileEntries(rows.map(({ path: p, size, mtimeMs, hash }) => ({ path: p, size, mtimeMs, hash })));
  cache.deleteFileEntries([...known.keys()].filter((p) => !out.has(p)));
  return out;
}

test('hashBytes is hex sha256', () => {
  assert.equal(hashBytes(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('embeddings round-trip bit-exactly, per model key, and survive reopen', () => {
  const root = tempRoot();
  let cache = AnalysisCache.open(root);
  const rows = Array.from({ length: 50 }, (_, i) => ({ hash: hashBytes(Buffer.from(`img${i}`)), vector: vectorFor(i) }));
  // A subarray view with a non-zero byte offset must be stored as its own bytes only.
  const big = new Float32Array(40);
  big.set(vectorFor(99), 8);
  rows.push({ hash: hashBytes(Buffer.from('view')), vector: big.subarray(8, 24) });
  rows.push({ hash: hashBytes(Buffer.from('special')), vector: new Float32Array([NaN, Infinity, -Infinity, 1e-45, -0]) });
  cache.putEmbeddings(rows, MODEL);
  cache.close();

  cache = AnalysisCache.open(root);
  const got = cache.getEmbeddings([...rows.map((r) => r.hash), 'f'.repeat(64)], MODEL);
  assert.equal(got.size, rows.length);
  for (const r of rows) assert.ok(sameBits(got.get(r.hash)!, r.vector), `bits differ for ${r.hash}`);
  assert.equal(cache.getEmbeddings([rows[0]!.hash], 'other-model').size, 0);
  cache.close();
});

test('changed content misses, moved content hits, deleted content is pruned', async () => {
  const root = tempRoot();
  fs.mkdirSync(path.join(root, 'cat'));
  fs.mkdirSync(path.join(root, 'dog'));
  fs.writeFileSync(path.join(root, 'cat/a.png'), 'bytes-a');
  fs.writeFileSync(path.join(root, 'cat/b.png'), 'bytes-b');
  fs.writeFileSync(path.join(root, 'dog/c.png'), 'bytes-c');
  const cache = AnalysisCache.open(root);

  let hashes = await indexFiles(cache, root, ['cat/a.png', 'cat/b.png', 'dog/c.png']);
  cache.putEmbeddings([...hashes.values()].map((h, i) => ({ hash: h, vector: vectorFor(i) })), MODEL);
  assert.equal(cache.getEmbeddings([...hashes.values()], MODEL).size, 3);

  // Same path, new content: new hash, so a miss.
  const oldA = hashes.get('cat/a.png')!;
  fs.writeFileSync(path.join(root, 'cat/a.png'), 'bytes-a-edited');
  // Move: same content at a new path (dog/b.png), so a hit.
  const oldB = hashes.get('cat/b.png')!;
  fs.renameSync(path.join(root, 'cat/b.png'), path.join(root, 'dog/b.png'));
  // Delete.
  const oldC = hashes.get('dog/c.png')!;
  fs.unlinkSync(path.join(root, 'dog/c.png'));

  hashes = await indexFiles(cache, root, ['cat/a.png', 'dog/b.png']);
  assert.notEqual(hashes.get('cat/a.png'), oldA);
  assert.equal(cache.getEmbeddings([hashes.get('cat/a.png')!], MODEL).size, 0);
  assert.equal(hashes.get('dog/b.png'), oldB);
  assert.equal(cache.getEmbeddings([oldB], MODEL).size, 1);
  assert.deepEqual([...cache.getFileEntries().keys()].sort(), ['cat/a.png', 'dog/b.png']);

  // Prune: only hashes still live keep their rows; other models' rows are left alone when a model is named.
  cache.putEmbeddings([{ hash: oldC, vector: vectorFor(7) }], 'other-model');
  const live = new Set(hashes.values());
  assert.equal(cache.pruneEmbeddings(live, MODEL), 2); // oldA and oldC
  assert.equal(cache.getEmbeddings([oldA, oldC], MODEL).size, 0);
  assert.equal(cache.getEmbeddings([oldB], MODEL).size, 1);
  assert.equal(cache.getEmbeddings([oldC], 'other-model').size, 1);
  assert.equal(cache.pruneEmbeddings(live), 1);
  assert.equal(cache.getEmbeddings([oldC], 'other-model').size, 0);
  cache.close();
});

test('file index reuses the stored hash for unchanged files', async () => {
  const root = tempRoot();
  const file = path.join(root, 'x.png');
  fs.writeFileSync(file, 'content');
  const first = await fileFingerprint(file);
  assert.equal(first.rehashed, true);
  // A deliberately wrong stored hash is returned as-is when size and mtime match: proof it was not re-read.
  const reused = await fileFingerprint(file, { ...first, hash: 'stored' });
  assert.equal(reused.rehashed, false);
  assert.equal(reused.hash, 'stored');
  fs.utimesSync(file, new Date(), new Date(first.mtimeMs + 5000));
  const changed = await fileFingerprint(file, { ...first, hash: 'stored' });
  assert.equal(changed.rehashed, true);
  assert.equal(changed.hash, first.hash);
});

test('decode info and latest result round-trip', () => {
  const root = tempRoot();
  let cache = AnalysisCache.open(root);
  const good = hashBytes(Buffer.from('good'));
  const bad = hashBytes(Buffer.from('bad'));
  cache.putDecodeInfo([
    { hash: good, quality: { width: 28, height: 28, brightness: 0.25 }, error: null },
    { hash: bad, quality: null, error: 'Input buffer contains unsupported image format' },
  ]);
  assert.equal(cache.getLatestResult(), undefined);
  cache.putResult('{"v":1}');
  cache.putResult('{"v":2}');
  cache.close();

  cache = AnalysisCache.open(root);
  const info = cache.getDecodeInfo([good, bad, 'f'.repeat(64)]);
  assert.deepEqual(info.get(good), { quality: { width: 28, height: 28, brightness: 0.25 }, error: null });
  assert.deepEqual(info.get(bad), { quality: null, error: 'Input buffer contains unsupported image format' });
  assert.equal(info.size, 2);
  assert.equal(cache.getLatestResult(), '{"v":2}');
  assert.equal(cache.pruneDecodeInfo(new Set([good])), 1);
  assert.deepEqual([...cache.getDecodeInfo([good, bad]).keys()], [good]);
  cache.close();
});

test('a garbage cache.db is moved aside (not deleted), logged, and replaced by a working cache', () => {
  const root = tempRoot();
  const dir = path.join(root, '.labellint');
  fs.mkdirSync(dir);
  const garbage = Buffer.alloc(8192, 0xab);
  fs.writeFileSync(path.join(dir, 'cache.db'), garbage);
  const logs: string[] = [];
  const cache = AnalysisCache.open(root, { log: (m) => logs.push(m) });
  const aside = fs.readdirSync(dir).filter((f) => /^cache\.db\.corrupt-/.test(f));
  assert.equal(aside.length, 1);
  assert.deepEqual(fs.readFileSync(path.join(dir, aside[0]!)), garbage);
  assert.ok(logs.some((m) => m.includes(path.join(dir, 'cache.db')) && m.includes(aside[0]!)), logs.join('\n'));
  cache.putEmbeddings([{ hash: 'a'.repeat(64), vector: vectorFor(1) }], MODEL);
  assert.equal(cache.getEmbeddings(['a'.repeat(64)], MODEL).size, 1);
  cache.close();
});

test('a short garbage file that SQLite would silently reuse is moved aside too', () => {
  const root = tempRoot();
  const dir = path.join(root, '.labellint');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'cache.db'), 'x');
  const logs: string[] = [];
  AnalysisCache.open(root, { log: (m) => logs.push(m) }).close();
  const aside = fs.readdirSync(dir).filter((f) => /^cache\.db\.corrupt-/.test(f));
  assert.equal(aside.length, 1);
  assert.equal(fs.readFileSync(path.join(dir, aside[0]!), 'utf8'), 'x');
  assert.equal(logs.length, 1);
});

test('a SQLite file with an unknown schema version, or not ours, is moved aside', () => {
  const cases: Array<[(db: SqliteDb) => void, RegExp]> = [
    [
      (db) => {
        db.exec('CREATE TABLE t (x)');
        db.pragma(`application_id = ${APPLICATION_ID}`); // ours, but a future version
        db.pragma('user_version = 999');
      },
      /unknown cache schema version 999/,
    ],
    [(db) => db.exec('CREATE TABLE someone_elses (x)'), /not a LabelLint cache/],
  ];
  for (const [setup, expected] of cases) {
    const root = tempRoot();
    const dir = path.join(root, '.labellint');
    fs.mkdirSync(dir);
    const db = SqliteDb.open(path.join(dir, 'cache.db'), { busyTimeoutMs: 1000 });
    setup(db);
    db.close();
    const logs: string[] = [];
    const cache = AnalysisCache.open(root, { log: (m) => logs.push(m) });
    assert.equal(fs.readdirSync(dir).filter((f) => /^cache\.db\.corrupt-/.test(f)).length, 1);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, expected);
    cache.putResult('{}');
    cache.close();
  }
});

test('a truncated database fails the integrity check and is moved aside', () => {
  const root = tempRoot();
  let cache = AnalysisCache.open(root);
  const rows = Array.from({ length: 400 }, (_, i) => ({ hash: hashBytes(Buffer.from(`t${i}`)), vector: vectorFor(i, 256) }));
  cache.putEmbeddings(rows, MODEL);
  cache.close(); // checkpoints the WAL into cache.db
  const file = path.join(root, '.labellint', 'cache.db');
  const size = fs.statSync(file).size;
  fs.truncateSync(file, Math.floor(size / 2));
  const logs: string[] = [];
  cache = AnalysisCache.open(root, { log: (m) => logs.push(m) });
  assert.equal(logs.length, 1, 'expected one log line about the moved file');
  assert.equal(cache.getEmbeddings([rows[0]!.hash], MODEL).size, 0);
  cache.close();
});

test('a process killed mid-write leaves a valid database with every committed row', async () => {
  const root = tempRoot();
  AnalysisCache.open(root).close(); // create the schema up front
  const cacheModule = path.resolve(__dirname, '../../server/engine/store/cache.js');
  // The child writes batch after batch (one transaction each) and reports each batch after it commits.
  const script = `
    const { AnalysisCache } = require(${JSON.stringify(cacheModule)});
    const cache = AnalysisCache.open(${JSON.stringify(root)});
    const dim = 64;
    for (let b = 0; b < 1e6; b++) {
      const rows = [];
      for (let j = 0; j < 50; j++) {
        const i = b * 50 + j;
        const v = new Float32Array(dim);
        for (let k = 0; k < dim; k++) v[k] = i + k / 128;
        rows.push({ hash: 'h' + i, vector: v });
      }
      cache.putEmbeddings(rows, 'kill-test');
      require('fs').writeSync(1, 'committed ' + b + '\\n');
    }`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lastCommitted = -1;
  let buffered = '';
  const killedAfter = 40;
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^committed (\d+)$/.exec(line);
        if (m) lastCommitted = Number(m[1]);
      }
      if (lastCommitted >= killedAfter && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  });
  assert.equal(child.signalCode, 'SIGKILL', 'the child should have been killed, not have finished');
  assert.ok(lastCommitted >= killedAfter);

  const db = SqliteDb.open(path.join(root, '.labellint', 'cache.db'), { busyTimeoutMs: 1000 });
  assert.equal(db.pragmaValue('integrity_check'), 'ok');
  db.close();

  const logs: string[] = [];
  const cache = AnalysisCache.open(root, { log: (m) => logs.push(m) });
  assert.deepEqual(logs, [], 'the killed writer must not leave a file that looks corrupt');
  const committed = Array.from({ length: (lastCommitted + 1) * 50 }, (_, i) => 'h' + i);
  const got = cache.getEmbeddings(committed, 'kill-test');
  assert.equal(got.size, committed.length, 'every reported-committed row must be readable');
  for (let i = 0; i < committed.length; i++) {
    const v = got.get('h' + i)!;
    assert.equal(v.length, 64);
    assert.equal(v[0], i);
    assert.equal(v[63], i + 63 / 128);
  }
  // Batches are all-or-nothing: whatever else made it in is whole batches of 50.
  const extra = cache.getEmbeddings(
    Array.from({ length: 50 * 20 }, (_, i) => 'h' + (committed.length + i)),
    'kill-test',
  );
  assert.equal(extra.size % 50, 0);
  cache.close();
});

test('reviews are keyed by hash, survive reopen, and are mirrored to reviews.json', () => {
  const root = tempRoot();
  const h1 = hashBytes(Buffer.from('one'));
  const h2 = hashBytes(Buffer.from('two'));
  let cache = AnalysisCache.open(root);
  cache.setReview(h1, { kind: 'correct' }, 'cat/1.png');
  cache.setReview(h2, { kind: 'relabelled', to: 'dog' }, 'cat/2.png');
  cache.setReview(h1, { kind: 'relabelled', to: 'bird' }, 'cat/1.png');
  assert.throws(() => cache.setReview(h1, { kind: 'relabelled', to: '' }, 'cat/1.png'), TypeError);
  const h3 = hashBytes(Buffer.from('three'));
  const h4 = hashBytes(Buffer.from('four'));
  cache.setReviews([
    { hash: h3, decision: { kind: 'correct' }, path: 'cat/3.png' },
    { hash: h4, decision: { kind: 'correct' }, path: 'cat/4.png' },
  ]);
  cache.clearReview(h3);
  cache.clearReview(h4);
  cache.close();

  cache = AnalysisCache.open(root);
  const reviews = cache.getReviews();
  assert.deepEqual(reviews.get(h1)?.decision, { kind: 'relabelled', to: 'bird' });
  assert.deepEqual(reviews.get(h2)?.decision, { kind: 'relabelled', to: 'dog' });
  assert.equal(reviews.get(h2)?.path, 'cat/2.png');
  cache.clearReview(h2);
  assert.deepEqual([...cache.getReviews().keys()], [h1]);
  cache.close();

  const file = JSON.parse(fs.readFileSync(path.join(root, '.labellint', 'reviews.json'), 'utf8'));
  assert.deepEqual(
    file.reviews.map((r: { hash: string; decision: string; to?: string }) => [r.hash, r.decision, r.to]),
    [[h1, 'relabelled', 'bird']],
  );
  const leftovers = fs.readdirSync(path.join(root, '.labellint')).filter((f) => f.includes('.tmp-'));
  assert.deepEqual(leftovers, []);
  assert.equal(fs.readFileSync(path.join(root, '.labellint', '.gitignore'), 'utf8').includes('cache.db'), true);
});

test('reviews.json entries missing from the database (or newer) are imported on open', () => {
  const root = tempRoot();
  const h1 = hashBytes(Buffer.from('one'));
  const h2 = hashBytes(Buffer.from('two'));
  let cache = AnalysisCache.open(root);
  cache.setReview(h1, { kind: 'correct' }, 'a/1.png');
  cache.close();
  // A teammate's reviews.json (e.g. from git): a newer decision for h1 and a new one for h2.
  const later = new Date(Date.now() + 60_000).toISOString();
  fs.writeFileSync(
    path.join(root, '.labellint', 'reviews.json'),
    JSON.stringify({
      version: 1,
      reviews: [
        { hash: h1, path: 'a/1.png', decision: 'relabelled', to: 'b', updatedAt: later },
        { hash: h2, path: 'a/2.png', decision: 'correct', updatedAt: later },
        { hash: 'not-a-hash', path: 'x', decision: 'correct' },
      ],
    }),
  );
  const logs: string[] = [];
  cache = AnalysisCache.open(root, { log: (m) => logs.push(m) });
  const reviews = cache.getReviews();
  assert.deepEqual(reviews.get(h1)?.decision, { kind: 'relabelled', to: 'b' });
  assert.deepEqual(reviews.get(h2)?.decision, { kind: 'correct' });
  assert.equal(reviews.size, 2);
  assert.ok(logs.some((m) => m.includes('imported 2')), logs.join('\n'));
  cache.close();

  // After the database is lost (moved aside as corrupt), the decisions come back from reviews.json.
  fs.writeFileSync(path.join(root, '.labellint', 'cache.db'), 'not a database at all, just some text....'.repeat(50));
  for (const f of ['cache.db-wal', 'cache.db-shm']) fs.rmSync(path.join(root, '.labellint', f), { force: true });
  cache = AnalysisCache.open(root);
  assert.equal(cache.getReviews().size, 2);
  cache.close();
});

test('an unparseable reviews.json is moved aside, not overwritten', () => {
  const root = tempRoot();
  fs.mkdirSync(path.join(root, '.labellint'));
  fs.writeFileSync(path.join(root, '.labellint', 'reviews.json'), '{ half-edited');
  const logs: string[] = [];
  const cache = AnalysisCache.open(root, { log: (m) => logs.push(m) });
  cache.setReview(hashBytes(Buffer.from('x')), { kind: 'correct' }, 'x.png');
  cache.close();
  const aside = fs.readdirSync(path.join(root, '.labellint')).filter((f) => f.startsWith('reviews.json.invalid-'));
  assert.equal(aside.length, 1);
  assert.equal(fs.readFileSync(path.join(root, '.labellint', aside[0]!), 'utf8'), '{ half-edited');
  assert.equal(logs.length, 1);
});

test('a WAL-mode cache.db (written by better-sqlite3 before) opens with its rows, switched to a rollback journal', () => {
  const root = tempRoot();
  let cache = AnalysisCache.open(root);
  cache.putEmbeddings([{ hash: hashBytes(Buffer.from('wal')), vector: vectorFor(3) }], MODEL);
  cache.close();
  // What a WAL-mode file looks like after a clean close: header bytes 18 and 19 (read/write version) are 2.
  const file = path.join(root, '.labellint', 'cache.db');
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from([2, 2]), 0, 2, 18);
  fs.closeSync(fd);
  const logs: string[] = [];
  cache = AnalysisCache.open(root, { log: (m) => logs.push(m) });
  assert.deepEqual(logs, []);
  assert.ok(sameBits(cache.getEmbeddings([hashBytes(Buffer.from('wal'))], MODEL).get(hashBytes(Buffer.from('wal')))!, vectorFor(3)));
  cache.close();
  const head = Buffer.alloc(2);
  const fd2 = fs.openSync(file, 'r');
  fs.readSync(fd2, head, 0, 2, 18);
  fs.closeSync(fd2);
  assert.deepEqual([...head], [1, 1]);
});

test('embeddings unused by every run for a month are pruned; used ones are kept whatever scope used them', () => {
  const root = tempRoot();
  const cache = AnalysisCache.open(root);
  const [a, b] = [hashBytes(Buffer.from('a')), hashBytes(Buffer.from('b'))];
  cache.putEmbeddings([{ hash: a, vector: vectorFor(1) }, { hash: b, vector: vectorFor(2) }], MODEL);
  const day = 24 * 3600 * 1000;
  const now = Date.now();
  cache.touchEmbeddings([a], MODEL, now + 20 * day); // a run 20 days later used `a` only
  assert.equal(cache.pruneUnusedEmbeddings(30 * day, now + 25 * day), 0);
  assert.equal(cache.pruneUnusedEmbeddings(30 * day, now + 31 * day), 1);
  assert.deepEqual([...cache.getEmbeddings([a, b], MODEL).keys()], [a]);
  cache.close();
});
