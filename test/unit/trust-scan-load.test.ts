/**
 * Issue 7, load on the scanner: 100,000 empty image files. The scan never reads file contents (an empty file is
 * known from its stat), reports every file, and finishes. Time-bounded by design (bounded stat concurrency, see
 * STAT_CONCURRENCY in server/engine/dataset/scan.ts); no timing assertion because shared CI machines vary. Creating the
 * files takes a few seconds here (2 cores); the scan itself about as long.
 *
 * The other load promise, 10,000 watcher events coalescing into one re-run, is proven by lsp-debounce.test.ts
 * ('a burst of 10,000 events (git checkout) coalesces into one call after the quiet period') and, through the
 * server, by lsp-server.test.ts ('file changes re-run once per burst; …').
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanDataset } from '../../server/engine/dataset/scan';
import { tempDir } from './trust-helpers';

const FILES = 100_000;
const CLASSES = 10;
/** Heap growth allowed for the whole inventory of 100,000 problems (each a small object with a sentence). */
const HEAP_BUDGET_BYTES = 256 * 1024 * 1024;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test(`${FILES.toLocaleString('en')} empty image files: every one reported as empty, nothing read, the scan completes`, async () => {
  const root = tempDir('load');
  dirs.push(root);
  for (let c = 0; c < CLASSES; c++) {
    const dir = path.join(root, `class${c}`);
    fs.mkdirSync(dir);
    for (let i = 0; i < FILES / CLASSES; i++) fs.closeSync(fs.openSync(path.join(dir, `${String(i).padStart(6, '0')}.png`), 'w'));
  }
  // Any read of a file's content would go through these: count them during the scan.
  let reads = 0;
  const origRead = fs.promises.readFile;
  const origOpen = fs.promises.open;
  (fs.promises as { readFile: unknown }).readFile = (...a: Parameters<typeof origRead>) => (reads++, origRead(...a));
  (fs.promises as { open: unknown }).open = (...a: Parameters<typeof origOpen>) => (reads++, origOpen(...a));
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let inv;
  try {
    inv = await scanDataset(root);
  } finally {
    fs.promises.readFile = origRead;
    fs.promises.open = origOpen;
  }
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  assert.equal(reads, 0, 'the scanner opened no file');
  assert.equal(inv.items.length, 0);
  const empty = inv.problems.filter((p) => p.kind === 'zero-byte');
  assert.equal(empty.length, FILES);
  assert.match(empty[0].message, /^class0\/000000\.png: file is empty \(0 bytes\); skipped$/);
  assert.equal(inv.problems.filter((p) => p.kind === 'empty-class').length, CLASSES, 'each class folder is reported empty');
  assert.ok((inv.notes ?? []).some((n) => /No usable image files/.test(n)));
  assert.ok(heapGrowth < HEAP_BUDGET_BYTES, `heap grew ${Math.round(heapGrowth / 1e6)} MB`);
});
