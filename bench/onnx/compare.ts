/**
 * CPU embedding throughput, TF.js WASM worker pool vs ONNX Runtime CPU, same network (the default
 * centernet-mnv3 backbone, converted by server/engine/embed/onnxConvert.ts), same images, one run.
 * Prints a table; no thresholds.
 *
 *   node out/bench/onnx/compare.js [--images 500] [--batches 1,8,16] [--runs 3] [--configs tfjs,ort-1x2,ort-2x1]
 *                                  [--max-load 2] [--max-wait 1200]
 *
 * Rates (images/s):
 *  - end to end: PNG/JPEG bytes already in memory → sharp decode + resize to 224 (libuv pool, 4 in flight)
 *    → batches → inference → pooled, normalised vectors; decoding overlaps inference as in the engine.
 *  - inference only: the same images pre-decoded, every batch queued at once.
 * Every configuration runs in a fresh child process. Rounds: each round runs every configuration once, after
 * waiting for the 1-minute load average to drop below --max-load; the table shows the median over rounds.
 *
 * ONNX Runtime comes from bench/onnx/rt (see README.md); it is not a LabelLint dependency. The converted
 * model is cached in $TMPDIR/labellint-bench/onnx/ (LABELLINT_CACHE_DIR).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveModel, ResolvedModel } from '../../server/engine/embed/models/registry';
import { WorkerPool } from '../../server/engine/embed/pool';
import { ensureOnnxModel, OnnxRunner, tryOnnxPool } from '../../server/engine/embed/onnxRunner';
import { decode, listImages, loadAverage, median, ORT_DIR, requireOrt, waitForQuiet } from './common';

type ConfigName = 'tfjs' | 'ort-1x2' | 'ort-2x1';
const CONFIG_LABEL: Record<ConfigName, string> = {
  tfjs: 'TF.js WASM pool, 2 workers × 1 thread',
  'ort-1x2': 'ORT CPU, 1 session × 2 intra-op threads',
  'ort-2x1': 'ORT CPU, 2 worker threads × 1-thread session (the engine\'s onnx backend)',
};

/** Packed batches in, n×dim vectors out. */
interface Executor {
  readonly parallelism: number;
  run(pixels: Uint8Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

interface ChildResult {
  readonly e2e: number;
  readonly inference: number;
  readonly loadS: number;
}

function args(argv: string[]) {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    images: Number(get('images') ?? 500),
    batches: (get('batches') ?? '1,8,16').split(',').map(Number),
    runs: Number(get('runs') ?? 3),
    configs: (get('configs') ?? 'tfjs,ort-1x2,ort-2x1').split(',') as ConfigName[],
    maxLoad: Number(get('max-load') ?? 2),
    maxWait: Number(get('max-wait') ?? 1200),
    child: get('child'),
    onnx: get('onnx'),
  };
}

async function startExecutor(config: ConfigName, model: ResolvedModel, onnxPath: string): Promise<Executor> {
  if (config === 'tfjs') {
    const pool = await WorkerPool.start({ model, backend: 'wasm', workers: 2, flipTta: false });
    return { parallelism: 2, run: (p, n) => pool.run(p, n), dispose: () => pool.dispose() };
  }
  if (config === 'ort-1x2') {
    const runner = await OnnxRunner.create({ model, ort: requireOrt(), threads: 2, onnxPath });
    let chain: Promise<unknown> = Promise.resolve();
    return {
      parallelism: 1,
      run: (p, n) => {
        const next = chain.then(() => runner.embedPacked(p, n));
        chain = next.catch(() => undefined);
        return next;
      },
      dispose: () => runner.dispose(),
    };
  }
  // The engine's own 'onnx' backend: WorkerPool + server/engine/embed/onnxWorker.js.
  const { pool, reason } = await tryOnnxPool(model, { workers: 2, flipTta: false });
  if (!pool) throw new Error(reason);
  return { parallelism: 2, run: (p, n) => pool.run(p, n), dispose: () => pool.dispose() };
}

function pack(images: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(images.reduce((s, i) => s + i.length, 0));
  let o = 0;
  for (const img of images) {
    out.set(img, o);
    o += img.length;
  }
  return out;
}

/** Inference only: pre-decoded images, every batch queued at once (as the embedder does). */
async function inferenceOnly(exec: Executor, images: readonly Uint8Array[], batch: number): Promise<number> {
  const t = performance.now();
  const jobs: Promise<Float32Array>[] = [];
  for (let s = 0; s < images.length; s += batch) {
    const chunk = images.slice(s, s + batch);
    jobs.push(exec.run(pack(chunk), chunk.length));
  }
  await Promise.all(jobs);
  return images.length / ((performance.now() - t) / 1000);
}

/** Decode (4 in flight, in order) → batches → inference, at most 2 batches per executor lane in flight. */
async function endToEnd(exec: Executor, files: readonly Buffer[], batch: number): Promise<number> {
  const DECODE_IN_FLIGHT = 4;
  const maxBatches = 2 * exec.parallelism;
  const t = performance.now();
  const decoded: Promise<Uint8Array>[] = [];
  let next = 0;
  const startDecode = (): void => {
    while (next < files.length && next - doneDecoding < DECODE_IN_FLIGHT) decoded.push(decode(files[next++]));
  };
  let doneDecoding = 0;
  const inflight: Promise<Float32Array>[] = [];
  const results: Promise<Float32Array>[] = [];
  let pending: Uint8Array[] = [];
  startDecode();
  for (let i = 0; i < files.length; i++) {
    pending.push(await decoded[i]);
    doneDecoding++;
    startDecode();
    if (pending.length === batch || i === files.length - 1) {
      if (inflight.length >= maxBatches) await inflight.shift();
      const job = exec.run(pack(pending), pending.length);
      inflight.push(job);
      results.push(job);
      pending = [];
    }
  }
  await Promise.all(results);
  return files.length / ((performance.now() - t) / 1000);
}

async function runChild(spec: string, count: number, onnxPath: string): Promise<void> {
  const [config, batchStr] = spec.split(':') as [ConfigName, string];
  const batch = Number(batchStr);
  const files = listImages(count).map((f) => fs.readFileSync(f));
  const images = await Promise.all(files.map((f) => decode(f)));
  const model = await resolveModel('centernet-mnv3');
  const t0 = performance.now();
  const exec = await startExecutor(config, model, onnxPath);
  const loadS = (performance.now() - t0) / 1000;
  await inferenceOnly(exec, images.slice(0, Math.max(2 * batch, 16)), batch); // warm-up
  const e2e = await endToEnd(exec, files, batch);
  const inference = await inferenceOnly(exec, images, batch);
  await exec.dispose();
  process.stdout.write(`${JSON.stringify({ e2e, inference, loadS } satisfies ChildResult)}\n`);
}

async function main(): Promise<void> {
  // Children and their worker threads inherit these: ORT from bench/onnx/rt, converted model in a temp cache.
  process.env.LABELLINT_ONNXRUNTIME ??= ORT_DIR;
  process.env.LABELLINT_CACHE_DIR ??= path.join(os.tmpdir(), 'labellint-bench');
  const a = args(process.argv.slice(2));
  if (a.child) return runChild(a.child, a.images, a.onnx!);
  const model = await resolveModel('centernet-mnv3');
  const onnxPath = ensureOnnxModel(model);
  requireOrt();
  const out = (s: string): boolean => process.stdout.write(s);
  out(`${a.images} images (Tux Paint stamps + Fashion-MNIST mini, cycled), centernet-mnv3 at 224, ${os.availableParallelism()} cores; ` +
    `${a.runs} rounds, each runs every configuration once in a fresh process; medians.\n`);
  const cells = new Map<string, ChildResult[]>();
  const loads: string[] = [];
  for (let r = 0; r < a.runs; r++) {
    const load = await waitForQuiet(a.maxLoad, a.maxWait, (s) => process.stderr.write(s));
    loads.push(load.toFixed(2));
    for (const config of a.configs) {
      for (const batch of a.batches) {
        const key = `${config}:${batch}`;
        const res = execFileSync(process.execPath, [__filename, '--child', key, '--images', String(a.images), '--onnx', onnxPath], {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        });
        const result = JSON.parse(res.trim().split('\n').pop()!) as ChildResult;
        process.stderr.write(`round ${r + 1} ${key}: e2e ${result.e2e.toFixed(1)}, inference ${result.inference.toFixed(1)} images/s\n`);
        cells.set(key, [...(cells.get(key) ?? []), result]);
      }
    }
  }
  out(`1-min load average at the start of each round: ${loads.join(', ')} (limit ${a.maxLoad}); now ${loadAverage().toFixed(2)}\n\n`);
  const med = (key: string, f: (c: ChildResult) => number): number => median((cells.get(key) ?? []).map(f));
  out('| configuration | batch | end to end images/s | runs | inference only images/s | runs | load s |\n|---|---|---|---|---|---|---|\n');
  for (const config of a.configs) {
    for (const batch of a.batches) {
      const key = `${config}:${batch}`;
      const rs = cells.get(key) ?? [];
      out(
        `| ${CONFIG_LABEL[config]} | ${batch} | ${med(key, (c) => c.e2e).toFixed(1)} | ${rs.map((c) => c.e2e.toFixed(1)).join(' / ')} | ` +
          `${med(key, (c) => c.inference).toFixed(1)} | ${rs.map((c) => c.inference.toFixed(1)).join(' / ')} | ${med(key, (c) => c.loadS).toFixed(1)} |\n`,
      );
    }
  }
  // Ratio: best TF.js configuration over best ORT configuration.
  const best = (prefix: string, f: (c: ChildResult) => number): { key: string; v: number } =>
    [...cells.keys()].filter((k) => k.startsWith(prefix)).map((key) => ({ key, v: med(key, f) })).reduce((x, y) => (y.v > x.v ? y : x), { key: '-', v: 0 });
  for (const [label, f] of [
    ['end to end', (c: ChildResult) => c.e2e],
    ['inference only', (c: ChildResult) => c.inference],
  ] as const) {
    const tf = best('tfjs', f);
    const ort = best('ort', f);
    out(`\nRatio TF.js/ORT, ${label}: best TF.js ${tf.key} ${tf.v.toFixed(1)} / best ORT ${ort.key} ${ort.v.toFixed(1)} = ${(tf.v / ort.v).toFixed(2)}`);
    for (const batch of a.batches) {
      const t = med(`tfjs:${batch}`, f);
      const o = Math.max(med(`ort-1x2:${batch}`, f) || 0, med(`ort-2x1:${batch}`, f) || 0);
      out(`; batch ${batch}: ${(t / o).toFixed(2)}`);
    }
  }
  out('\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
