/**
 * bench/embed-sets: builds the verdict bench sets (bench/lib/sets.ts) and saves their embeddings under
 * bench/data/emb/ for bench/quality. Run: npm run build && node out/bench/embed-sets.js [--model id] [names…]
 * (one set per process is safest: restarting the ONNX Runtime pool in one process has crashed).
 */
import { sanitizeSettings } from '../protocol/settings';
import { buildFashion, buildFlowers, buildStamps, embedFolder, FASHION_UPPER } from './lib/sets';
import { loadSet, saveSet } from './lib/embcache';

const BUILDERS: Record<string, () => Promise<string>> = {
  flowers: async () => buildFlowers(),
  stamps: buildStamps,
  fashion: () => buildFashion(300),
  'fashion-upper': () => buildFashion(500, FASHION_UPPER),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--model');
  const model = at >= 0 ? args.splice(at, 2)[1] : sanitizeSettings({}).model;
  const names = args.length ? args : Object.keys(BUILDERS);
  const settings = sanitizeSettings({ model });
  for (const n of names) {
    if (loadSet(n, model)) continue;
    const b = BUILDERS[n];
    if (!b) throw new Error(`unknown set '${n}'; valid: ${Object.keys(BUILDERS).join(', ')}`);
    saveSet(await embedFolder(n, await b(), settings), model);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
