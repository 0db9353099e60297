/**
 * Thumbnails live where the store keeps all state (server/engine/store/stateDir.ts): `<root>/.labellint/thumbs`,
 * git-ignored by the one `.gitignore` writer; the per-user folder of a read-only dataset; never through a
 * `.labellint` link (then they come inline). The language server says which folder (`thumbnailFolder`, and `dir` on
 * a thumbnails result), so the report view allows that folder instead of assuming `<root>/.labellint/thumbs`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ThumbnailCache, thumbDir } from '../../server/engine/dataset/thumbs';
import { engineDeps } from '../../server/lsp/server';
import { runWithReadOnlyRoot } from './helpers/read-only';
import { tempDirs } from './helpers/temp-dirs';

const tempDir = tempDirs('thumbstate');

const PNG = path.join(__dirname, '..', '..', '..', 'sample', 'fashion-mnist-mini', 'bag', '00024.png');
const SERVER_JS = path.join(__dirname, '..', '..', 'server', 'lsp', 'server.js');
const HASH = 'ab'.repeat(32);

function dataset(tag: string): string {
  const root = tempDir(tag);
  fs.mkdirSync(path.join(root, 'bag'));
  fs.copyFileSync(PNG, path.join(root, 'bag', 'a.png'));
  return root;
}

test('thumbnails: a writable dataset keeps them in <root>/.labellint/thumbs, and the .gitignore lists thumbs/', async () => {
  const root = dataset('rw');
  fs.mkdirSync(path.join(root, '.labellint'));
  fs.writeFileSync(path.join(root, '.labellint', '.gitignore'), 'cache.db*\n');
  const file = await new ThumbnailCache(root).ensure({ absPath: path.join(root, 'bag', 'a.png'), hash: HASH });
  assert.equal(file, path.join(root, '.labellint', 'thumbs', `${HASH}.webp`));
  assert.equal(thumbDir(root), path.dirname(file!));
  const ignore = fs.readFileSync(path.join(root, '.labellint', '.gitignore'), 'utf8');
  assert.match(ignore, /^thumbs\/$/m);
  assert.match(ignore, /^cache\.db\*$/m, 'what was there is kept');
});

test('thumbnails: a read-only dataset gets them in the per-user folder, and the server serves them from there', () => {
  const root = dataset('ro');
  const home = tempDir('home');
  const script = `
    const { engineDeps } = require(${JSON.stringify(SERVER_JS)});
    (async () => {
      const abs = require('node:path').join(${JSON.stringify(root)}, 'bag', 'a.png');
      const dirBefore = await engineDeps.thumbnailDir(${JSON.stringify(root)});
      const [t] = await engineDeps.thumbnails(${JSON.stringify(root)}, [{ abs, hash: ${JSON.stringify(HASH)} }], true);
      const dirAfter = await engineDeps.thumbnailDir(${JSON.stringify(root)});
      const head = t && t.file ? require('node:fs').readFileSync(t.file).subarray(8, 12).toString('latin1') : null;
      process.stdout.write(JSON.stringify({ dirBefore, dirAfter, t, head }));
    })().catch((e) => { console.error(e); process.exit(3); });`;
  const r = runWithReadOnlyRoot(root, home, script);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { dirBefore: string; dirAfter: string; t: { file?: string } | null; head: string | null };
  const users = path.join(home, '.cache', 'labellint', 'datasets');
  assert.ok(out.t?.file, `a cached file, not an inline thumbnail: ${r.stdout}`);
  assert.ok(out.t.file.startsWith(users + path.sep), out.t.file);
  assert.equal(path.dirname(out.t.file), path.join(out.dirAfter), 'the folder the server names holds the file');
  assert.equal(out.dirBefore, out.dirAfter, 'the folder is known before the first thumbnail is made');
  assert.equal(out.head, 'WEBP');
  assert.ok(!fs.existsSync(path.join(root, '.labellint')), 'nothing written into the read-only dataset');
});

test('thumbnails: a .labellint link is not written through; the server sends them inline and names no folder', async () => {
  const root = dataset('link');
  const elsewhere = tempDir('elsewhere');
  fs.symlinkSync(elsewhere, path.join(root, '.labellint'));
  assert.equal(await engineDeps.thumbnailDir!(root), null);
  const [t] = await engineDeps.thumbnails!(root, [{ abs: path.join(root, 'bag', 'a.png'), hash: HASH }], true);
  assert.match(t?.dataUri ?? '', /^data:image\/webp;base64,/);
  assert.deepEqual(fs.readdirSync(elsewhere), []);
});
