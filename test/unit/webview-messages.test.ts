import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, copyFile, mkdir, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import * as wv from '../../protocol/webview';
import { resolveInsideRoot, ThumbnailCache, thumbPath } from '../../server/engine/dataset/thumbs';

const scope: wv.MessageScope = { paths: new Set(['cat/1.png', 'dog/a b.png']), classes: new Set(['cat', 'dog']) };
const ok = (m: unknown): wv.WebviewMessage => {
  const v = wv.validateWebviewMessage(m, scope);
  assert.ok(v.ok, v.ok ? '' : v.reason);
  return v.message;
};
const refused = (m: unknown, why: RegExp, s: wv.MessageScope | undefined = scope): void => {
  const v = wv.validateWebviewMessage(m, s);
  assert.equal(v.ok, false, JSON.stringify(m));
  if (!v.ok) assert.match(v.reason, why);
};

test('valid messages from the typed constructors pass', () => {
  assert.equal(ok(wv.ready.create({})).method, 'ready');
  assert.equal(ok(wv.relabel.create({ paths: ['cat/1.png'], label: 'dog' })).method, 'relabel');
  assert.equal(ok(wv.markCorrect.create({ paths: ['cat/1.png', 'dog/a b.png'] })).method, 'markCorrect');
  assert.equal(ok(wv.quarantine.create({ paths: ['dog/a b.png'] })).method, 'quarantine');
  assert.equal(ok(wv.openFile.create({ path: 'cat/1.png' })).method, 'openFile');
  assert.equal(ok(wv.revealFile.create({ path: 'cat/1.png' })).method, 'revealFile');
  assert.equal(ok(wv.undo.create({})).method, 'undo');
  const t = ok(wv.thumbnails.create(7, { paths: ['cat/1.png'] }));
  assert.equal(t.method === 'thumbnails' && t.id, 7);
  assert.equal(wv.validateWebviewMessage(wv.ready.create({}), undefined).ok, true, 'ready needs no result');
});

test('shape: unknown methods, wrong kinds, extra or missing params are refused', () => {
  refused(null, /envelope/);
  refused('relabel', /envelope/);
  refused({ kind: 'command', method: 'rm', params: {} }, /unknown message/);
  refused({ kind: 'request', method: 'relabel', id: 1, params: { paths: ['cat/1.png'], label: 'dog' } }, /unknown message/);
  refused({ kind: 'command', method: 'relabel', params: { paths: ['cat/1.png'] } }, /bad params/);
  refused({ kind: 'command', method: 'relabel', params: { paths: 'cat/1.png', label: 'dog' } }, /bad params/);
  refused({ kind: 'command', method: 'relabel', params: { paths: ['cat/1.png'], label: 'dog', root: '/etc' } }, /bad params/);
  refused({ kind: 'command', method: 'markCorrect', params: { paths: [] } }, /bad params/);
  refused({ kind: 'command', method: 'ready', params: { x: 1 } }, /bad params/);
  refused({ kind: 'request', method: 'thumbnails', params: { paths: ['cat/1.png'] } }, /bad params/, scope);
  refused({ kind: 'command', method: 'markCorrect', params: { paths: new Array(wv.MAX_PATHS_PER_MESSAGE + 1).fill('cat/1.png') } }, /bad params/);
});

test('paths must be images of this dataset, relative, inside the root; labels must be classes', () => {
  refused(wv.relabel.create({ paths: ['../../etc/passwd'], label: 'dog' }), /bad params/);
  refused(wv.openFile.create({ path: '/etc/passwd' }), /bad params/);
  refused(wv.openFile.create({ path: 'C:/Windows/win.ini' }), /bad params/);
  refused(wv.openFile.create({ path: 'cat\\..\\..\\x' }), /bad params/);
  refused(wv.openFile.create({ path: 'cat/./1.png' }), /bad params/);
  refused(wv.openFile.create({ path: 'cat//1.png' }), /bad params/);
  refused(wv.openFile.create({ path: 'cat/2.png' }), /not an image of this dataset/);
  refused(wv.relabel.create({ paths: ['cat/1.png'], label: 'wolf' }), /not a class/);
  refused(wv.relabel.create({ paths: ['cat/1.png', 'cat/1.png'], label: 'dog' }), /repeated/);
  const early = wv.validateWebviewMessage(wv.markCorrect.create({ paths: ['cat/1.png'] }), undefined);
  assert.ok(!early.ok && /before a result/.test(early.reason));
  const v = wv.validateWebviewMessage({ kind: 'request', method: 'thumbnails', id: 3, params: { paths: ['x/../y'] } }, scope);
  assert.equal(!v.ok && v.id, 3, 'a refused request keeps its id so it can be answered');
});

test('isRelativePath', () => {
  for (const p of ['a.png', 'a/b c/d.png', '<img src=x onerror=alert(1)>.png', 'ünï/cödé.png', '..a/b..']) assert.ok(wv.isRelativePath(p), p);
  for (const p of ['', '/a', 'a/', 'a//b', './a', 'a/../b', '..', 'a\\b', 'C:x', 'a\0b', 'x'.repeat(wv.MAX_PATH_LENGTH + 1), 3, null]) {
    assert.equal(wv.isRelativePath(p), false, String(p));
  }
});

test('host → webview guards check shapes; responses pair with requests', () => {
  assert.ok(wv.didChangeResult.is(wv.didChangeResult.create({ root: '/r', result: null })));
  assert.equal(wv.didChangeResult.is({ kind: 'notification', method: 'didChangeResult', params: { root: 1, result: null } }), false);
  assert.ok(wv.didApply.is(wv.didApply.create({ action: 'relabel', applied: ['a'], notApplied: [], label: 'x' })));
  assert.equal(wv.didApply.is(wv.didApply.create({ action: 'delete' as wv.ActionKind, applied: [], notApplied: [] })), false);
  assert.ok(wv.thumbnails.isResponse(wv.thumbnails.respond(1, { uris: { a: 'x', b: null } })));
  assert.ok(wv.thumbnails.isResponse(wv.thumbnails.fail(1, 'nope')));
  assert.equal(wv.thumbnails.isResponse({ kind: 'response', method: 'thumbnails', id: 1, params: { result: { uris: { a: 3 } } } }), false);
});

test('resolveInsideRoot keeps paths inside the root', () => {
  const root = join(tmpdir(), 'ds');
  assert.equal(resolveInsideRoot(root, 'cat/1.png'), join(root, 'cat', '1.png'));
  assert.equal(resolveInsideRoot(root + sep, 'cat/1.png'), join(root, 'cat', '1.png'));
  for (const bad of ['../x', 'cat/../../x', '/etc/passwd', '', 'a\\b', 'cat/./x', 'C:/x']) assert.equal(resolveInsideRoot(root, bad), null, bad);
});

const PNG = join(__dirname, '..', '..', '..', 'sample', 'fashion-mnist-mini', 'bag', '00024.png');

test('thumbnail cache: <root>/.labellint/thumbs/<hash>.webp, idempotent, shared in-flight work, failures null', async () => {
  const root = await mkdtemp(join(tmpdir(), 'labellint-thumbs-'));
  try {
    await mkdir(join(root, 'bag'));
    await copyFile(PNG, join(root, 'bag', 'a.png'));
    await writeFile(join(root, 'bag', 'broken.png'), 'not an image');
    const cache = new ThumbnailCache(root, { concurrency: 2 });
    const hash = 'ab'.repeat(32);
    const req = { absPath: join(root, 'bag', 'a.png'), hash };
    const [p1, p2] = await Promise.all([cache.ensure(req), cache.ensure(req)]);
    assert.equal(p1, join(root, '.labellint', 'thumbs', `${hash}.webp`));
    assert.equal(p2, p1);
    assert.equal(cache.generated, 1, 'one decode for two concurrent asks');
    const bytes = await readFile(p1!);
    assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WEBP');
    const mtime = (await stat(p1!)).mtimeMs;
    assert.equal(await new ThumbnailCache(root).ensure(req), p1, 'a new cache reuses the file');
    assert.equal((await stat(p1!)).mtimeMs, mtime, 'not rewritten');
    assert.equal(await cache.ensure({ absPath: join(root, 'bag', 'broken.png'), hash: 'cd'.repeat(32) }), null);
    assert.deepEqual((await readdir(join(root, '.labellint', 'thumbs'))).sort(), [`${hash}.webp`], 'no temp files or broken thumbs left');
    const inline = await cache.render(req.absPath);
    assert.ok(inline && inline.length > 0);
    assert.throws(() => thumbPath(root, '../../etc'), /not a content hash/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('thumbnail cache: at most `concurrency` decodes at once', async () => {
  const root = await mkdtemp(join(tmpdir(), 'labellint-thumbs-'));
  try {
    await writeFile(join(root, 'x.png'), 'x');
    let running = 0;
    let peak = 0;
    const decode = async (): Promise<Buffer> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return Buffer.from('RIFF0000WEBP');
    };
    const cache = new ThumbnailCache(root, { concurrency: 3, decode });
    const reqs = Array.from({ length: 12 }, (_, i) => ({ absPath: join(root, 'x.png'), hash: i.toString(16).padStart(64, '0') }));
    const out = await cache.ensureMany(reqs);
    assert.ok(out.every((p) => p !== null));
    assert.equal(peak, 3);
    assert.equal(cache.generated, 12);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
