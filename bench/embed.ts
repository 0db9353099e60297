/**
 * Embedding throughput: images/s for backend × batch size × worker count, median of 3 runs, decode excluded
 * (timed separately), peak RSS of a fresh process per configuration. Prints a table; no thresholds.
 *
 *   node out/bench/embed.js [--images 200] [--backends wasm,cpu,auto] [--batches 1,8,32] [--workers 1,2]
 *                           [--model centernet-mnv3] [--runs 3] [--flip]
 *
 * Images: Tux Paint stamps when installed (real PNG decode + resize with sharp), else synthetic.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { createEmbedder, type BackendChoice } from '../server/engine/embed';
import { median } from './onnx/common';

const STAMPS = '/usr/share/tuxpaint/stamps';
const SIZE = 224;

interface Args {
  images: number;
  backends: BackendChoice[];
  batches: number[];
  workers: number[];
  model: string;
  runs: number;
  flip: boolean;
  child?: { backend: BackendChoice; batch: number; workers: number };
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const nums = (s: string | undefined, d: number[]): number[] => (s ? s.split(',').map(Number) : d);
  const args: Args = {
    images: Number(get('images') ?? 200),
    backends: (get('backends') ?? 'wasm').split(',') as BackendChoice[],
    batches: nums(get('batches'), [1, 8, 32]),
    workers: nums(get('workers'), [1, 2]),
    model: get('model') ?? 'centernet-mnv3',
    runs: Number(get('runs') ?? 3),
    flip: argv.includes('--flip'),
  };
  const child = get('child');
  if (child) {
    const [backend, batch, workers] = child.split(':');
    args.child = { backend: backend as BackendChoice, batch: Number(batch), workers: Number(workers) };
  }
  return args;
}

/** Decodes up to n stamps to 224×224 RGB (alpha flattened on white); synthetic images when none exist. */
async function loadImages(n: number): Promise<{ images: Uint8Array[]; decodeMs: number; source: string }> {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.png') && !e.name.includes('_mirror')) files.push(p);
    }
  };
  if (fs.existsSync(STAMPS)) walk(STAMPS);
  const t = performance.now();
  if (files.length === 0) {
    const images = Array.from({ length: n }, (_, s) => Uint8Array.from({ length: SIZE * SIZE * 3 }, (_, i) => (i * (s + 3)) & 255));
    return { images, decodeMs: 0, source: 'synthetic' };
  }
  const images: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const buf = await sharp(files[i % files.length])
      .flatten({ background: '#ffffff' })
      .resize(SIZE, SIZE, { fit: 'fill' })
      .removeAlpha()
      .raw()
      .toBuffer();
    images.push(new Uint8Array(buf));
  }
  return { images, decodeMs: performance.now() - t, source: `Tux Paint stamps (${Math.min(n, files.length)} distinct PNGs)` };
}

interface ChildResult {
  backend: string;
  detail: string;
  imagesPerSec: number;
  runs: number[];
  loadMs: number;
  peakRssMb: number;
}

/** One configuration in this process: load, warm up, time `runs` passes over all images. */
async function runChild(args: Args): Promise<void> {
  const cfg = args.child!;
  const { images } = await loadImages(args.images);
  const t0 = performance.now();
  const emb = await createEmbedder({ model: args.model, backend: cfg.backend, workers: cfg.workers, batchSize: cfg.batch, flipTta: args.flip });
  const loadMs = performance.now() - t0;
  await emb.embed(images.slice(0, Math.max(cfg.batch * cfg.workers, 2))); // warm-up (kernel setup)
  const rates: number[] = [];
  for (let r = 0; r < args.runs; r++) {
    const t = performance.now();
    await emb.embed(images);
    rates.push(images.length / ((performance.now() - t) / 1000));
  }
  await emb.dispose();
  const result: ChildResult = {
    backend: emb.backend,
    detail: emb.backendDetail,
    imagesPerSec: median(rates),
    runs: rates,
    loadMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return runChild(args);

  const { images, decodeMs, source } = await loadImages(args.images);
  process.stdout.write(`Images: ${images.length} from ${source}; model ${args.model}${args.flip ? ' + flip TTA' : ''}; median of ${args.runs} runs.\n`);
  process.stdout.write(
    `Decode + resize (sharp, main thread, excluded below): ${(decodeMs / images.length).toFixed(1)} ms/image = ${(images.length / (decodeMs / 1000 || 1)).toFixed(0)} images/s\n\n`,
  );
  const header = ['backend', 'batch', 'workers', 'images/s', 'runs', 'load s', 'peak RSS MB'];
  process.stdout.write(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
  const details = new Set<string>();
  for (const backend of args.backends) {
    for (const workers of args.workers) {
      for (const batch of args.batches) {
        const childArgs = [
          __filename,
          '--child',
          `${backend}:${batch}:${workers}`,
          '--images',
          String(args.images),
          '--model',
          args.model,
          '--runs',
          String(args.runs),
          ...(args.flip ? ['--flip'] : []),
        ];
        let row: string[];
        try {
          const out = execFileSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 20 });
          const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
          details.add(r.detail);
          row = [r.backend, String(batch), String(workers), r.imagesPerSec.toFixed(1), r.runs.map((x) => x.toFixed(1)).join(' / '), (r.loadMs / 1000).toFixed(1), r.peakRssMb.toFixed(0)];
        } catch (e) {
          row = [backend, String(batch), String(workers), 'failed', ((e as Error).message.split('\n').find((l) => /Error/.test(l)) ?? '').slice(0, 80), '', ''];
        }
        process.stdout.write(`| ${row.join(' | ')} |\n`);
      }
    }
  }
  process.stdout.write(`\nBackends: ${[...details].join(' || ')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
