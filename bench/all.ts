/**
 * `npm run bench`: every benchmark in one report — embedding throughput per backend/batch/workers,
 * TF.js vs ONNX Runtime side by side (when bench/onnx/rt is installed), each analysis phase at 35k×1792
 * and 100k×240 with re-score time and peak RSS, and label-issue quality against cleanlab (when the
 * Debian Fashion-MNIST package is installed). Each part runs in its own process and prints its table;
 * medians over repeated runs are taken inside each part. No thresholds.
 *
 *   npm run bench [-- --quick]      (--quick: fewer images and runs, for a smoke check)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const OUT = join(ROOT, 'out', 'bench');
const quick = process.argv.includes('--quick');

interface Part {
  readonly title: string;
  readonly script: string;
  readonly args: readonly string[];
  /** Why the part is skipped on this machine, or null to run it. */
  readonly skip: () => string | null;
}

const PARTS: readonly Part[] = [
  {
    title: 'Embedding throughput (TF.js backends; decode timed separately)',
    script: 'embed.js',
    args: quick ? ['--images', '48', '--batches', '16', '--workers', '2', '--runs', '1'] : ['--images', '200', '--batches', '1,8,16', '--workers', '1,2', '--runs', '3'],
    skip: () => null,
  },
  {
    title: 'CPU embedding: TF.js WASM pool vs ONNX Runtime (peer), same network and images',
    script: join('onnx', 'compare.js'),
    args: quick ? ['--images', '64', '--batches', '16', '--runs', '1'] : ['--images', '300', '--batches', '8,16', '--runs', '3'],
    skip: () => {
      try {
        require.resolve('onnxruntime-node', { paths: [join(ROOT, 'bench', 'onnx', 'rt')] });
        return null;
      } catch {
        return 'onnxruntime-node is not installed (optional dependency; see bench/onnx/README.md)';
      }
    },
  },
  {
    title: 'Analysis phases with cached embeddings (synthetic), re-score after one relabel, peak RSS',
    script: 'analyze.js',
    args: quick ? ['--sizes', '5000x1792', '--runs', '1'] : ['--sizes', '35000x1792,100000x240', '--runs', '3'],
    skip: () => null,
  },
  {
    title: 'Label-issue detection vs cleanlab (Fashion-MNIST, 20% noise)',
    script: 'quality.js',
    args: quick ? ['--per-class', '100'] : ['--per-class', '500'],
    skip: () => (existsSync('/usr/share/datasets/fashion-mnist') ? null : 'Debian package dataset-fashion-mnist not installed'),
  },
];

function main(): number {
  let failed = 0;
  for (const p of PARTS) {
    console.log(`\n## ${p.title}\n`);
    const why = p.skip();
    if (why) {
      console.log(`(skipped: ${why})`);
      continue;
    }
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(OUT, p.script), ...p.args], { stdio: ['ignore', 'inherit', 'inherit'] });
    console.log(`\n(${p.script} ${p.args.join(' ')} — ${((Date.now() - t0) / 1000).toFixed(0)} s, exit ${r.status})`);
    if (r.status !== 0) failed++;
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
