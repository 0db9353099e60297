/**
 * The cluster map is computed once per content (pipeline/mapStage.ts, store/mapCache.ts): the same embeddings give
 * the identical layout, in any row order, and a second run (a new process: no memo) reads it instead of recomputing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lintEmbeddings } from '../../server/engine/pipeline/lint';
import type { MapPoints, MapStore } from '../../server/engine/pipeline/mapStage';
import type { EmbeddedItem } from '../../server/engine/pipeline/embeddedItem';
import { decodeMap, encodeMap, fileMapStore, KEEP_MAPS, MAP_DIR } from '../../server/engine/store/mapCache';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import { makeRng } from '../../server/engine/numerics/rng';
import { tempDirs } from './helpers/temp-dirs';

const tempDir = tempDirs('map');

/** 3 clusters of 30 vectors in 8-D (enough rows for UMAP, not the 2-D PCA fallback). */
function dataset(): EmbeddedItem[] {
  const rng = makeRng(7);
  const classes = ['a', 'b', 'c'];
  return Array.from({ length: 90 }, (_, i) => {
    const c = i % 3;
    const v = Float32Array.from({ length: 8 }, (_, d) => (d === c ? 3 : 0) + (rng() - 0.5));
    const p = `${classes[c]}/${String(i).padStart(3, '0')}.png`;
    return { item: { path: p, absPath: `/x/${p}`, label: classes[c], split: null, size: 1, mtimeMs: 0 }, hash: `${(i * 7919) % 1000}`.padStart(4, '0') + `h${i}`, vector: v, quality: null, error: null };
  });
}

/** A store in memory that counts what it is asked. */
function countingStore(): MapStore & { gets: number; hits: number; puts: number } {
  const m = new Map<string, MapPoints>();
  const s = {
    gets: 0,
    hits: 0,
    puts: 0,
    get(key: string, n: number): MapPoints | null {
      s.gets++;
      const p = m.get(key);
      if (p && p.x.length === n) s.hits++;
      return p && p.x.length === n ? p : null;
    },
    put(key: string, p: MapPoints): void {
      s.puts++;
      m.set(key, p);
    },
  };
  return s;
}

const settings = { ...DEFAULT_SETTINGS, folds: 3 };
const run = (items: EmbeddedItem[], mapStore?: MapStore) =>
  lintEmbeddings({ classes: ['a', 'b', 'c'], items, trusted: items.map(() => false), modelKey: 'm', mapStore, skipDiagnosis: true }, settings, {}, {});
const xyByHash = (items: readonly EmbeddedItem[], r: { x: Float32Array; y: Float32Array }) => new Map(items.map((e, i) => [e.hash, [r.x[i], r.y[i]]]));

test('two runs over the same embeddings: identical coordinates, and the second reads the stored layout (no recompute)', async () => {
  const items = dataset();
  const store = countingStore();
  const first = await run(items, store);
  assert.equal(first.mapSource, 'computed');
  assert.equal(first.mapMethod, 'umap');
  assert.equal(store.puts, 1);
  const second = await run(items, store);
  assert.equal(second.mapSource, 'store', 'the second run did not recompute the layout');
  assert.equal(store.puts, 1, 'nothing stored again');
  assert.equal(store.hits, 1);
  assert.deepEqual(Array.from(second.x), Array.from(first.x));
  assert.deepEqual(Array.from(second.y), Array.from(first.y));
});

test('the layout does not depend on the order the files were found in (computed, or read from the store)', async () => {
  const items = dataset();
  const shuffled = [...items].reverse();
  const a = await run(items);
  const b = await run(shuffled);
  assert.equal(b.mapSource, 'computed');
  assert.deepEqual(xyByHash(shuffled, b), xyByHash(items, a), 'computed from scratch in another order: the same layout');
  const store = countingStore();
  await run(items, store);
  const c = await run(shuffled, store);
  assert.equal(c.mapSource, 'store');
  assert.deepEqual(xyByHash(shuffled, c), xyByHash(items, a));
});

test('other embeddings, k or seed: another key, computed again', async () => {
  const items = dataset();
  const store = countingStore();
  await run(items, store);
  const changed = items.map((e, i) => (i === 0 ? { ...e, vector: e.vector!.map((v) => v * 1.01) } : e));
  assert.equal((await run(changed, store)).mapSource, 'computed');
  const k5 = await lintEmbeddings({ classes: ['a', 'b', 'c'], items, trusted: items.map(() => false), mapStore: store, skipDiagnosis: true }, { ...settings, k: 5 }, {}, {});
  assert.equal(k5.mapSource, 'computed');
  assert.equal(store.puts, 3);
});

test('fileMapStore: a new store (a new process) reads what another wrote; damaged or other-sized files are misses; the newest few are kept', () => {
  const root = tempDir('root');
  const key = (i: number) => String(i).repeat(64).slice(0, 64);
  const p: MapPoints = { x: Float32Array.from([0.5, -1, 1]), y: Float32Array.from([0, 0.25, -0.75]), method: 'umap' };
  assert.equal(fileMapStore(root).get(key(1), 3), null);
  assert.ok(!fs.existsSync(path.join(root, '.labellint')), 'a lookup creates nothing');
  fileMapStore(root).put(key(1), p);
  const back = fileMapStore(root).get(key(1), 3);
  assert.deepEqual(back && { x: Array.from(back.x), y: Array.from(back.y), method: back.method }, { x: [0.5, -1, 1], y: [0, 0.25, -0.75], method: 'umap' });
  assert.equal(fileMapStore(root).get(key(1), 4), null, 'another number of points');
  assert.equal(decodeMap(encodeMap(p).subarray(0, 20), 3), null, 'truncated');
  fs.writeFileSync(path.join(root, '.labellint', MAP_DIR, `${key(1)}.map`), 'garbage\n');
  assert.equal(fileMapStore(root).get(key(1), 3), null);
  for (let i = 2; i < 9; i++) fileMapStore(root).put(key(i), p);
  assert.equal(fs.readdirSync(path.join(root, '.labellint', MAP_DIR)).filter((f) => f.endsWith('.map')).length, KEEP_MAPS);
  assert.match(fs.readFileSync(path.join(root, '.labellint', '.gitignore'), 'utf8'), /^maps\/$/m);
});

test('fileMapStore: a .labellint link is neither read nor written through', () => {
  const root = tempDir('link');
  const elsewhere = tempDir('elsewhere');
  fs.symlinkSync(elsewhere, path.join(root, '.labellint'));
  const logs: string[] = [];
  const store = fileMapStore(root, (m) => logs.push(m));
  store.put('a'.repeat(64), { x: new Float32Array(1), y: new Float32Array(1), method: 'pca' });
  assert.deepEqual(fs.readdirSync(elsewhere), []);
  assert.match(logs.join('\n'), /symbolic link/);
  fs.mkdirSync(path.join(elsewhere, MAP_DIR));
  fs.writeFileSync(path.join(elsewhere, MAP_DIR, `${'a'.repeat(64)}.map`), encodeMap({ x: new Float32Array(1), y: new Float32Array(1), method: 'pca' }));
  assert.equal(store.get('a'.repeat(64), 1), null);
});
