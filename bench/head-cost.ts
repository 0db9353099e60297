/**
 * bench/head-cost: what choosing the linear head's L2 costs at scale, the shipped head against the previous one,
 * side by side in one process on the same synthetic embeddings (bench/analyze.ts `syntheticEmbeddings`: 7 classes,
 * 20% of labels flipped, seed 1). Shipped: judge.ts `chooseL2` (PCA-128, one
 * global scale, L2_GRID, 5 folds). Previous (until 2026-12-04): PCA-64 standardised per component, L2 in
 * {1e-2, 1e-3, 1e-4, 1e-5}, 5 folds. Both run the PCA once per sweep. Wall seconds; no thresholds.
 * Run: npm run build && node out/bench/head-cost.js [--sizes 10000x816,35000x816,35000x240]
 */
import { chooseL2 } from '../server/engine/labels/judge';
import { crossValFit } from '../server/engine/labels/classifier';
import { syntheticEmbeddings } from './analyze';
import type { Matrix } from '../server/engine/types';

const PREVIOUS_GRID = [1e-2, 1e-3, 1e-4, 1e-5];
const K = 7;
/** Share of labels flipped in the synthetic set. */
const NOISE = 0.2;

function main(): void {
  const i = process.argv.indexOf('--sizes');
  const sizes = (i >= 0 ? process.argv[i + 1] : '10000x816,35000x816,35000x240').split(',').map((s) => s.split('x').map(Number));
  console.log('| N×D | shipped head s | previous head s | ratio | shipped: chosen L2, cv acc | previous: best cv acc |');
  console.log('|---|---|---|---|---|---|');
  for (const [N, D] of sizes) {
    const { X, labels } = syntheticEmbeddings(N, D, K, NOISE, 1);
    let t = Date.now();
    const s = chooseL2(X, labels, K, { folds: 5, seed: 7 });
    const tNew = (Date.now() - t) / 1000;
    t = Date.now();
    let prepared: Matrix | undefined;
    let bestAcc = 0;
    for (const l2 of PREVIOUS_GRID) {
      const r = crossValFit(X, labels, K, { folds: 5, seed: 7, l2, pcaDims: 64, scaling: 'column', prepared });
      prepared = r.features;
      bestAcc = Math.max(bestAcc, r.result.cvAccuracy);
    }
    const tOld = (Date.now() - t) / 1000;
    console.log(`| ${N}×${D} | ${tNew.toFixed(1)} | ${tOld.toFixed(1)} | ${(tNew / tOld).toFixed(2)}× | ${s.l2}, ${s.result.cvAccuracy.toFixed(3)} | ${bestAcc.toFixed(3)} |`);
  }
}

main();
