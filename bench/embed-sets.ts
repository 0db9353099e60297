/**
 * bench/embed-sets: builds the verdict bench sets (bench/lib/sets.ts) and saves their embeddings under
 * bench/data/emb/ for bench/quality. Run: npm run build && node out/bench/embed-sets.js [names…]
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
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(BUILDERS);
  const settings = sanitizeSettings({});
  for (const n of names) {
    if (loadSet(n)) continue;
    const b = BUILDERS[n];
    if (!b) throw new Error(`unknown set '${n}'; valid: ${Object.keys(BUILDERS).join(', ')}`);
    saveSet(await embedFolder(n, await b(), settings));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
