/**
 * Issue 12, outside the root: one inside-the-root check by real path (server/engine/dataset/safePath.ts), used by
 * the relabel/quarantine plans and the language server. Real folders and links in a temp dir, no mocks.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lexicallyInside, realInside, realInsideSync, resolveRelative } from '../../server/engine/dataset/safePath';
import { planQuarantine, planRelabel, checkPath, type PlanContext } from '../../server/lsp/plan';
import { image, makeResult } from './lsp-fixture';

function tmp(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-safepath-')));
}

test('safe path: a name that starts with ".." (..foo/a.png) is inside the root', async () => {
  const base = tmp();
  try {
    const root = path.join(base, 'root');
    fs.mkdirSync(path.join(root, '..foo'), { recursive: true });
    fs.writeFileSync(path.join(root, '..foo', 'a.png'), 'x');
    assert.ok(lexicallyInside(root, path.join(root, '..foo', 'a.png')));
    assert.ok(await realInside(root, path.join(root, '..foo', 'a.png')));
    assert.ok(realInsideSync(root, path.join(root, '..foo', 'a.png')));
    assert.equal(resolveRelative(root, '..foo/a.png'), path.join(root, '..foo', 'a.png'));
    assert.ok(!lexicallyInside(root, path.join(root, '..', 'x')));
    assert.equal(resolveRelative(root, '../x'), null);
    assert.equal(resolveRelative(root, '/etc/passwd'), null);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('safe path: a link inside the root that points outside is outside, also for a file not created yet', async () => {
  const base = tmp();
  try {
    const root = path.join(base, 'root');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(root, 'cats'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.png'), 'x');
    fs.symlinkSync(outside, path.join(root, 'dogs'));
    fs.symlinkSync(path.join(outside, 'secret.png'), path.join(root, 'cats', 'evil.png'));
    fs.symlinkSync(path.join(root, 'cats'), path.join(root, 'kittens'));
    for (const p of ['dogs/secret.png', 'dogs/new.png', 'cats/evil.png', 'dogs']) {
      assert.equal(await realInside(root, path.join(root, p)), false, p);
      assert.equal(realInsideSync(root, path.join(root, p)), false, p);
    }
    for (const p of ['cats', 'kittens/x.png', 'cats/new/deeper.png', '']) {
      assert.equal(await realInside(root, path.join(root, p)), true, p);
      assert.equal(realInsideSync(root, path.join(root, p)), true, p);
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

function folderCtx(root: string, classes: string[], images: string[]): PlanContext {
  const result = makeResult({ root, classes, images: images.map((p) => image(p, p.split('/')[0])), issues: [] });
  return { root, result, exists: (p) => fs.existsSync(p), csv: null };
}

test('plan: a class folder named ..foo can be relabelled into and out of', () => {
  const base = tmp();
  try {
    const root = path.join(base, 'root');
    for (const d of ['..foo', 'cats']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, '..foo', 'a.png'), 'x');
    const c = folderCtx(root, ['..foo', 'cats'], ['..foo/a.png']);
    assert.equal(checkPath(root, '..foo/a.png', new Map(c.result.images.map((i) => [i.path, i]))), null);
    const plan = planRelabel(c, [{ path: '..foo/a.png', newLabel: 'cats' }]);
    assert.deepEqual(plan.refused, []);
    assert.equal(plan.edits.length, 1);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('plan: nothing moves into or out of a class folder that is a link to outside the root', () => {
  const base = tmp();
  try {
    const root = path.join(base, 'root');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(root, 'cats'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(root, 'cats', 'a.png'), 'x');
    fs.writeFileSync(path.join(outside, 'b.png'), 'x');
    fs.symlinkSync(outside, path.join(root, 'dogs'));
    const c = folderCtx(root, ['cats', 'dogs'], ['cats/a.png', 'dogs/b.png']);
    const into = planRelabel(c, [{ path: 'cats/a.png', newLabel: 'dogs' }]);
    assert.equal(into.edits.length, 0, 'no move into the linked folder');
    assert.match(into.refused[0].reason, /outside the dataset root/);
    const outOf = planRelabel(c, [{ path: 'dogs/b.png', newLabel: 'cats' }]);
    assert.equal(outOf.edits.length, 0, 'no move out of the linked folder');
    assert.match(outOf.refused[0].reason, /outside the dataset root/);
    const q = planQuarantine(c, ['dogs/b.png']);
    assert.equal(q.edits.length, 0);
    // _quarantine itself a link to outside: refused too
    fs.symlinkSync(outside, path.join(root, '_quarantine'));
    const q2 = planQuarantine(c, ['cats/a.png']);
    assert.equal(q2.edits.length, 0);
    assert.match(q2.refused[0].reason, /outside the dataset root/);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
