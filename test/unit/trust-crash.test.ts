/**
 * Issue 7, crash safety: `kill -9` of the CLI in the middle of embedding leaves a cache that opens, passes
 * SQLite's integrity check and keeps what was committed; review decisions survive; the next run resumes (embeds only
 * what is missing) and finishes. Killing mid-write is covered row by row in cache.test.ts ('a process killed
 * mid-write leaves a valid database with every committed row'); a corrupt cache being moved aside there too.
 *
 * Runtime: an 80-image subset of sample/fashion-mnist-mini (4 classes × 20), not the full 1,000, so the resumed
 * run stays a few seconds on a 2-core machine.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { SqliteDb } from '../../server/engine/store/sqlite';
import { AnalysisCache, CACHE_FILE, STATE_DIR } from '../../server/engine/store/cache';
import { hashBytes } from '../../server/engine/dataset/hash';
import type { AnalysisResult } from '../../protocol/results';
import { BIN, sampleImages, tempDir } from './trust-helpers';

const CLASSES = ['bag', 'coat', 'sneaker', 'trouser'];
const PER_CLASS = 20;
const TOTAL = CLASSES.length * PER_CLASS;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function embeddingRows(dbPath: string): number {
  if (!fs.existsSync(dbPath)) return 0;
  try {
    const db = SqliteDb.open(dbPath, { busyTimeoutMs: 5000 });
    try {
      return (db.prepare('SELECT count(*) AS n FROM embeddings').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet, or the schema is being written
  }
}

test('kill -9 during embedding: the cache opens intact, reviews survive, the next run resumes and finishes; a corrupt cache is rebuilt with a message', async () => {
  const root = tempDir('crash');
  dirs.push(root);
  for (const cls of CLASSES) {
    fs.mkdirSync(path.join(root, cls));
    for (const src of sampleImages(cls, PER_CLASS)) fs.copyFileSync(src, path.join(root, cls, path.basename(src)));
  }
  // A review decision made before the crash.
  const reviewed = `bag/${path.basename(sampleImages('bag', 1)[0])}`;
  const reviewedHash = hashBytes(fs.readFileSync(path.join(root, reviewed)));
  const pre = AnalysisCache.open(root);
  pre.setReview(reviewedHash, { kind: 'correct' }, reviewed);
  pre.close();

  const dbPath = path.join(root, STATE_DIR, CACHE_FILE);
  const child = spawn(process.execPath, [BIN, 'analyze', root, '--workers', '1', '--out', path.join(root, 'first.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // Kill as soon as embedding has made progress: a progress line with embed done > 0, or a committed batch.
  const deadline = Date.now() + 120_000;
  let atKill = 0;
  for (;;) {
    const line = /embed\s+(\d+)\/\d+/.exec(stderr);
    atKill = embeddingRows(dbPath);
    if ((line && Number(line[1]) > 0) || atKill > 0) break;
    if (child.exitCode !== null) assert.fail(`the CLI ended before it could be killed: ${stderr}`);
    if (Date.now() > deadline) assert.fail(`no embedding progress within 120 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL');
  assert.ok(!fs.existsSync(path.join(root, 'first.json')), 'killed before it finished');

  // The cache opens with the full integrity check and nothing is moved aside.
  const logs: string[] = [];
  const cache = AnalysisCache.open(root, { log: (m) => logs.push(m), check: 'full' });
  const keptRows = embeddingRows(dbPath);
  assert.ok(keptRows >= atKill && keptRows < TOTAL, `committed batches kept: ${keptRows} of ${TOTAL}`);
  assert.equal(cache.getReviews().get(reviewedHash)?.decision.kind, 'correct', 'review decision intact');
  cache.close();
  assert.deepEqual(logs.filter((m) => /unusable|moved/.test(m)), [], 'no corruption reported');
  assert.deepEqual(fs.readdirSync(path.join(root, STATE_DIR)).filter((n) => n.includes('corrupt')), []);

  // The next run resumes: it embeds only what is missing, then finishes.
  const out = path.join(root, 'second.json');
  const r = spawnSync(process.execPath, [BIN, 'analyze', root, '--quiet', '--workers', '1', '--out', out], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  const m = /(\d+) of (\d+) images cached, (\d+) to embed/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(Number(m[2]), TOTAL);
  assert.ok(Number(m[1]) >= keptRows && Number(m[3]) < TOTAL, `resumed: ${m[0]}`);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as AnalysisResult;
  assert.equal(result.images.length, TOTAL);
  assert.equal(result.counts.broken, 0);
  assert.equal(result.images.find((im) => im.path === reviewed)?.reviewed, true, 'the review still applies');

  // A corrupt cache (here: garbage over the file) is moved aside, the user is told, and the run rebuilds it.
  // Unit-level cases: cache.test.ts ('a garbage cache.db is moved aside (not deleted), logged, …' and the next three).
  fs.rmSync(dbPath + '-wal', { force: true });
  fs.rmSync(dbPath + '-shm', { force: true });
  fs.writeFileSync(dbPath, Buffer.from('this is not a SQLite database, it is garbage '.repeat(200)));
  const third = spawnSync(process.execPath, [BIN, 'analyze', root, '--quiet', '--workers', '1', '--out', path.join(root, 'third.json')], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stderr, /LabelLint cache .*cache\.db was unusable \(.*\); moved it to .*cache\.db\.corrupt-.* and started a fresh cache\./);
  assert.equal(fs.readdirSync(path.join(root, STATE_DIR)).filter((n) => /^cache\.db\.corrupt-/.test(n)).length, 1, 'moved aside, not deleted');
  assert.match(third.stderr, new RegExp(`0 of ${TOTAL} images cached, ${TOTAL} to embed`));
  const rebuilt = JSON.parse(fs.readFileSync(path.join(root, 'third.json'), 'utf8')) as AnalysisResult;
  assert.equal(rebuilt.images.length, TOTAL);
  // Review decisions live in reviews.json too, so they survive losing the database.
  assert.equal(rebuilt.images.find((im) => im.path === reviewed)?.reviewed, true, 'the review survives a rebuilt cache');
});
