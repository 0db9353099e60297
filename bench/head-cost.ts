/**
 * bench/head-cost: what choosing the linear head's L2 costs at scale, the shipped head against the previous one,
 * side by side in one process on the same synthetic embeddings (7 classes as clusters in a 48-d latent space mapped
 * to D dims plus noise, L2-normalised, 20% of labels flipped; seeded). Shipped: judge.ts `chooseL2` (PCA-128, one
 * global scale, L2_GRID, 5 folds). Previous (until 2026-12-04): PCA-64 standardised per component, L2 in
 * {1e-2, 1e-3, 1e-4, 1e-5}, 5 folds. Both run the PCA once per sweep. Wall seconds; no thresholds.
 * Run: npm run build && node out/bench/head-cost.js [--sizes 10000x816,35000x816,35000x240]
 */
import { chooseL2 } from '../server/engine/labels/judge';
import { crossValFit } from '../server/engine/labels/classifier';
import { makeRng } from '../server/engine/numerics/rng';
import type { Matrix } from '../server/engine/types';

const PREVIOUS_GRID = [1e-2, 1e-3, 1e-4, 1e-5];
const K = 7;
const LATENT = 48;

function synthetic(N: number, D: number): { X: Matrix; labels: Int32Array } {
  const rng = makeRng(1);
  const g = (): number => { let u = 0; for (let i = 0; i < 6; i++) u += rng(); return u - 3; };
  const A = Float32Array.from({ length: LATENT * D }, () => g() / Math.sqrt(LATENT));
  const centres = Array.from({ length: K * 3 }, () => Float32Array.from({ length: LATENT }, () => g() * 1.2));
  const X: Matrix = { rows: N, cols: D, data: new Float32Array(N * D) };
  const labels = new Int32Array(N);
  const z = new Float32Array(LATENT);
  for (let i = 0; i < N; i++) {
    const c = Math.floor(rng() * K * 3);
    labels[i] = rng() < 0.2 ? (c % K + 1 + Math.floor(rng() * (K - 1))) % K : c % K;
    for (let j = 0; j < LATENT; j++) z[j] = centres[c][j] + g();
    let s = 0;
    for (let d = 0; d < D; d++) {
      let v = g() * 0.5;
      for (let j = 0; j < LATENT; j++) v += z[j] * A[j * D + d];
      X.data[i * D + d] = v;
      s += v * v;
    }
    for (let d = 0; d < D; d++) X.data[i * D + d] /= Math.sqrt(s);
  }
  return { X, labels };
}

function main(): void {
  const i = process.argv.indexOf('--sizes');
  const sizes = (i >= 0 ? process.argv[i + 1] : '10000x816,35000x816,35000x240').split(',').map((s) => s.split('x').map(Number));
  console.log('| N×D | shipped head s | previous head s | ratio | shipped: chosen L2, cv acc | previous: best cv acc |');
  console.log('|---|---|---|---|---|---|');
  for (const [N, D] of sizes) {
    const { X, labels } = synthetic(N, D);
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
