/**
 * Issue 12, cache scope: a run that sees only part of the dataset (`maxImages`, `exclude`, VS Code's
 * `_quarantine` exclusion) keeps what other scopes cached, and a narrower run during a full run does not make the
 * full run lose its fresh embeddings. Through the real pipeline (`collectEmbeddings`) with a fake embedder that
 * counts what it embeds.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { collectEmbeddings } from '../../server/engine/pipeline/analyze';
import type { Embedder } from '../../server/engine/embed';
import { DEFAULT_SETTINGS, type Settings } from '../../protocol/settings';

const SETTINGS: Settings = { ...DEFAULT_SETTINGS, workers: 1, batchSize: 4 };
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function dataset(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-scope-'));
  dirs.push(root);
  for (const [c, cls] of ['cat', 'dog', 'fox'].entries()) {
    fs.mkdirSync(path.join(root, cls));
    for (let i = 0; i < 4; i++) {
      const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 40 * c, g: 20 * i, b: 100 } } }).png().toBuffer();
      fs.writeFileSync(path.join(root, cls, `${i}.png`), png);
    }
  }
  return root;
}

/** Returns one vector per image from its mean pixel; `gate` lets a test hold the first call. */
function fakeEmbedder(gate?: () => Promise<void>): Embedder & { embedded: number } {
  let first = true;
  const e = {
    embedded: 0,
    model: { id: 'fake', name: 'fake', dim: 4, inputSize: 16, key: 'fake@1' },
    backend: 'cpu',
    backendDetail: 'fake',
    async embed(images: readonly Uint8Array[]): Promise<Float32Array[]> {
      if (first && gate) {
        first = false;
        await gate();
      }
      e.embedded += images.length;
      return images.map((px) => {
        const m = px.reduce((s, v) => s + v, 0) / px.length;
        const v = new Float32Array([m, 1, 2, 3]);
        const n = Math.hypot(...v);
        return v.map((x) => x / n);
      });
    },
    async dispose(): Promise<void> {},
  };
  return e;
}

async function collect(root: string, settings: Settings, embedder: Embedder) {
  const r = await collectEmbeddings(root, settings, { embedder }, {});
  r.cache.close();
  return r.items;
}

test('a narrower run (maxImages, exclude) keeps the embeddings a full run cached', async () => {
  const root = await dataset();
  const full = fakeEmbedder();
  await collect(root, SETTINGS, full);
  assert.equal(full.embedded, 12);
  await collect(root, { ...SETTINGS, maxImages: 3 }, fakeEmbedder());
  await collect(root, { ...SETTINGS, exclude: ['dog/**', 'fox/**'] }, fakeEmbedder());
  const again = fakeEmbedder();
  const items = await collect(root, SETTINGS, again);
  assert.equal(again.embedded, 0, 'the full run after narrower ones re-embedded images');
  assert.equal(items.filter((i) => i.vector).length, 12);
});

test('a narrower run finishing while a full run embeds does not make the full run report images as broken', async () => {
  const root = await dataset();
  // Cache part of the dataset first, so the full run has cached rows and fresh ones.
  await collect(root, { ...SETTINGS, exclude: ['fox/**'] }, fakeEmbedder());
  let narrow: Promise<unknown> | undefined;
  const full = fakeEmbedder(async () => {
    narrow = collect(root, { ...SETTINGS, maxImages: 2 }, fakeEmbedder());
    await narrow;
  });
  const items = await collect(root, SETTINGS, full);
  assert.ok(narrow, 'the narrow run ran during the full one');
  assert.equal(full.embedded, 4);
  assert.deepEqual(items.filter((i) => !i.vector).map((i) => i.error), []);
});
