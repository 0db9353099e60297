/**
 * bench/pca-probe: how the linear head's input is prepared (PCA width, per-column whitening vs one global
 * scale) and which L2 strengths win, on the embedded bench sets (clean labels). For each preparation and
 * set: 5-fold cross-validated accuracy at the L2 with the lowest out-of-fold log-loss (what judge.ts picks),
 * and that L2. A best L2 at either end of the grid means the grid is too narrow.
 *
 * Run: npm run build && node out/bench/embed-sets.js [--model id] && node out/bench/pca-probe.js [--model id] [--sets a,b]
 */
import { sanitizeSettings } from '../protocol/settings';
import { crossValFit, type FeatureScaling } from '../server/engine/labels/classifier';
import { loadSet } from './lib/embcache';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

interface Prep {
  readonly name: string;
  readonly pcaDims: number;
  readonly scaling: FeatureScaling;
}

const PREPS: readonly Prep[] = [
  { name: 'PCA 64, whitened (before)', pcaDims: 64, scaling: 'column' },
  { name: 'PCA 128, whitened', pcaDims: 128, scaling: 'column' },
  { name: 'PCA 64, global scale', pcaDims: 64, scaling: 'global' },
  { name: 'PCA 128, global scale (default)', pcaDims: 128, scaling: 'global' },
  { name: 'no PCA, global scale', pcaDims: 0, scaling: 'global' },
];
const L2S = [3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 1e-4, 1e-5];

function logLoss(p: Float32Array, y: Int32Array, K: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(1e-6, p[i * K + y[i]]));
  return s / y.length;
}

function main(): void {
  const model = opt('model', sanitizeSettings({}).model);
  const sets = opt('sets', 'flowers,stamps,fashion,fashion-upper').split(',');
  console.log(`Backbone: ${model}; 5-fold CV, clean labels, seed 7; cell = accuracy at the L2 of lowest log-loss (that L2)\n`);
  console.log(`| preparation | ${sets.join(' | ')} |`);
  console.log(`|---|${sets.map(() => '---').join('|')}|`);
  const loaded = sets.map((n) => {
    const s = loadSet(n, model);
    if (!s) throw new Error(`set '${n}' is not embedded with ${model}: run node out/bench/embed-sets.js --model ${model} ${n}`);
    return s;
  });
  for (const prep of PREPS) {
    const cells = loaded.map((s) => {
      const K = s.classes.length;
      let best = { loss: Infinity, acc: 0, l2: 0 };
      for (const l2 of L2S) {
        const r = crossValFit(s.X, s.labels, K, { folds: 5, seed: 7, l2, pcaDims: prep.pcaDims, scaling: prep.scaling }).result;
        const loss = logLoss(r.predProbs, s.labels, K);
        if (loss < best.loss) best = { loss, acc: r.cvAccuracy, l2 };
      }
      return `${best.acc.toFixed(3)} (${best.l2})`;
    });
    console.log(`| ${prep.name} | ${cells.join(' | ')} |`);
  }
}

main();
