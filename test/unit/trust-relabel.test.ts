/**
 * Issue 7, relabel safety (the pure planning part, server/lsp/plan.ts + naming.ts): a seeded property test on a real
 * folder full of colliding names. Whatever the batch (relabels and quarantines, repeated names, names already taken,
 * `a (1).png` already present), every planned move targets a free path, no two moves share a target, and applying the
 * plan with a no-overwrite primitive (link + unlink, which fails on an existing target) loses and overwrites nothing.
 *
 * The moves themselves are applied by VS Code (extension/apply.ts: one WorkspaceEdit, `renameFile` with
 * `overwrite: false, ignoreIfExists: true`, so one Undo reverts it); that needs a real VS Code and is exercised by
 * test/integration ('the preferred quick fix relabels …'). Hand-written planning cases: relabel-plan.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planQuarantine, planRelabel, type PlanContext } from '../../server/lsp/plan';
import { fileURLToPath } from 'node:url';
import type { EditPlan } from '../../protocol/lsp';
import type { ImageResult } from '../../protocol/results';
import { image, makeResult } from './lsp-fixture';
import { mulberry32, tempDir } from './trust-helpers';

const SEED = 7;
const ROUNDS = 40;
const CLASSES = ['cat', 'dog', 'fox'];
const NAMES = ['a.png', 'a (1).png', 'a (2).png', 'b.png', 'c.jpg', 'a', 'x y.png'];

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Every file under `dir` → its content. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** Moves like `renameFile(overwrite: false)`: fails with EEXIST rather than replace a file. */
function moveNoOverwrite(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.linkSync(from, to);
  fs.unlinkSync(from);
}

test(`relabel and quarantine plans never overwrite: ${ROUNDS} seeded random batches on real folders`, () => {
  const rng = mulberry32(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
  for (let round = 0; round < ROUNDS; round++) {
    const root = tempDir('relabel');
    dirs.push(root);
    const images: ImageResult[] = [];
    for (const cls of CLASSES) {
      fs.mkdirSync(path.join(root, cls));
      for (const name of NAMES) {
        if (rng() < 0.6) {
          const rel = `${cls}/${name}`;
          fs.writeFileSync(path.join(root, cls, name), `content of ${rel}`);
          images.push(image(rel, cls));
        }
      }
    }
    if (images.length === 0) continue;
    const result = makeResult({ root, classes: CLASSES, images, issues: [] });
    const ctx: PlanContext = { root, result, exists: (p) => fs.existsSync(p), csv: null };
    const items = Array.from({ length: 1 + Math.floor(rng() * images.length) }, () => ({ path: pick(images).path, newLabel: pick(CLASSES) }));
    const plan: EditPlan = rng() < 0.75 ? planRelabel(ctx, items) : planQuarantine(ctx, items.map((i) => i.path));
    const where = `seed ${SEED}, round ${round}: ${JSON.stringify(items)}`;

    const before = snapshot(root);
    const targets = new Set<string>();
    const sources = new Set<string>();
    for (const e of plan.edits) {
      if (e.kind !== 'move') continue;
      const to = fileURLToPath(e.toUri);
      assert.ok(!fs.existsSync(to), `target is free: ${to} (${where})`);
      assert.ok(!targets.has(to), `no two moves share a target: ${to} (${where})`);
      assert.ok(!sources.has(e.path), `each file moves once (${where})`);
      assert.ok(to.startsWith(root + path.sep), `target inside the root (${where})`);
      targets.add(to);
      sources.add(e.path);
    }
    // Every requested path is either planned or refused with a reason: nothing silently dropped.
    for (const it of items) {
      assert.ok(sources.has(it.path) || plan.refused.some((r) => r.path === it.path), `${it.path} accounted for (${where})`);
    }
    for (const r of plan.refused) assert.ok(r.reason.length > 0, where);

    for (const e of plan.edits) if (e.kind === 'move') moveNoOverwrite(fileURLToPath(e.fromUri), fileURLToPath(e.toUri));
    const afterMoves = snapshot(root);
    assert.deepEqual([...afterMoves.values()].sort(), [...before.values()].sort(), `every file's content is still there, once (${where})`);
    for (const e of plan.edits) {
      if (e.kind === 'move') assert.equal(afterMoves.get(e.newPath), before.get(e.path), `moved content (${where})`);
    }
  }
});

test('a read-only image is moved like any other: the plan does not depend on the file being writable', () => {
  const root = tempDir('readonly');
  dirs.push(root);
  fs.mkdirSync(path.join(root, 'cat'));
  fs.mkdirSync(path.join(root, 'dog'));
  fs.writeFileSync(path.join(root, 'cat', 'a.png'), 'ro');
  fs.chmodSync(path.join(root, 'cat', 'a.png'), 0o444);
  fs.writeFileSync(path.join(root, 'dog', 'a.png'), 'other');
  const result = makeResult({ root, classes: ['cat', 'dog'], images: [image('cat/a.png', 'cat'), image('dog/a.png', 'dog')], issues: [] });
  const plan = planRelabel({ root, result, exists: (p) => fs.existsSync(p), csv: null }, [{ path: 'cat/a.png', newLabel: 'dog' }]);
  assert.deepEqual(plan.edits.map((e) => (e.kind === 'move' ? e.newPath : '')), ['dog/a (1).png']);
  moveNoOverwrite(path.join(root, 'cat', 'a.png'), path.join(root, 'dog', 'a (1).png'));
  assert.equal(fs.readFileSync(path.join(root, 'dog', 'a.png'), 'utf8'), 'other', 'the existing file is untouched');
});
