/**
 * One call answers the GPU questions (issue 6): which backends load and on what adapter, embedding
 * throughput per batch size on the GPU path, agreement of its features with the CPU path, and the
 * parallel decode rate that has to keep up. Prints a table; also writes JSON to $OUT/gpu-check.json
 * when OUT is set (the device tool's output folder). No thresholds.
 *
 *   node out/bench/gpu-check.js [--images 1024] [--batches 32,128,256]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { createEmbedder, type Embedder } from '../server/engine/embed';
import { decodeImage } from '../server/engine/dataset/decode';
import { makeRng } from '../server/engine/types';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const SIZE = 224;

/** Deterministic smooth "images": blurred noise blobs, so features are not degenerate. */
function syntheticImages(n: number, seed: number): Uint8Array[] {
  const rng = makeRng(seed);
  return Array.from({ length: n }, () => {
    const img = new Uint8Array(SIZE * SIZE * 3);
    const cx = rng() * SIZE, cy = rng() * SIZE, r = 20 + rng() * 80;
    const col = [rng() * 255, rng() * 255, rng() * 255];
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
        for (let c = 0; c < 3; c++) img[(y * SIZE + x) * 3 + c] = inside ? col[c] : (x + y * c) & 255;
      }
    }
    return img;
  });
}

async function rate(e: Embedder, images: Uint8Array[], batch: number): Promise<number> {
  await e.embed(images.slice(0, batch)); // warm-up (shader compilation, allocation)
  const t0 = process.hrtime.bigint();
  const jobs: Promise<Float32Array[]>[] = [];
  for (let i = 0; i < images.length; i += batch) jobs.push(e.embed(images.slice(i, i + batch)));
  await Promise.all(jobs);
  return images.length / (Number(process.hrtime.bigint() - t0) / 1e9);
}

function maxRelErr(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((v, i) => {
    let num = 0, den = 0;
    for (let d = 0; d < v.length; d++) {
      num += (v[d] - b[i][d]) ** 2;
      den += b[i][d] ** 2;
    }
    m = Math.max(m, Math.sqrt(num / Math.max(den, 1e-30)));
  });
  return m;
}

async function decodeRate(n: number): Promise<number> {
  const rng = makeRng(3);
  const pngs = await Promise.all(
    Array.from({ length: 64 }, () => sharp(Buffer.from(Array.from({ length: 64 * 64 * 3 }, () => Math.floor(rng() * 256))), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer()),
  );
  const conc = availableParallelism() * 2;
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < n) await decodeImage(pngs[next++ % pngs.length], SIZE);
  }));
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function main(): Promise<void> {
  const n = Number(arg('images', '1024'));
  const batches = arg('batches', '32,128,256').split(',').map(Number);
  const report: Record<string, unknown> = { date: new Date().toISOString(), cores: availableParallelism() };
  const images = syntheticImages(n, 1);
  const backends: Record<string, string> = {};
  const rows: string[] = [];
  let reference: Float32Array[] | null = null;
  let cpuName = '';
  for (const b of ['onnx', 'wasm'] as const) {
    try {
      const e = await createEmbedder({ backend: b });
      reference = await e.embed(images.slice(0, 32));
      cpuName = e.backendDetail;
      rows.push(`| ${b} (CPU reference) | ${e.backendDetail} | 32 | ${(await rate(e, images.slice(0, 128), 32)).toFixed(1)} | – |`);
      await e.dispose();
      break;
    } catch (err) {
      backends[b] = `not available: ${(err as Error).message}`;
    }
  }
  for (const b of ['tensorflow-gpu', 'webgpu'] as const) {
    let e: Embedder;
    try {
      e = await createEmbedder({ backend: b });
    } catch (err) {
      backends[b] = `not available: ${(err as Error).message}`;
      rows.push(`| ${b} | not available: ${(err as Error).message.slice(0, 120)} | | | |`);
      continue;
    }
    backends[b] = e.backendDetail;
    const err = reference ? maxRelErr(await e.embed(images.slice(0, 32)), reference) : Number.NaN;
    for (const batch of batches) {
      const r = await rate(e, images, batch);
      rows.push(`| ${b} | ${e.backendDetail} | ${batch} | ${r.toFixed(1)} | ${err.toExponential(2)} |`);
      report[`${b}@${batch}`] = r;
    }
    report[`${b}.maxRelErrVsCpu`] = err;
    await e.dispose();
  }
  const dr = await decodeRate(2048);
  report.backends = backends;
  report.decodePerSecond = dr;
  console.log(`CPU reference: ${cpuName || 'none'}`);
  console.log('| backend | detail | batch | images/s (inference) | max rel. error vs CPU |\n|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\nparallel decode + resize to ${SIZE} (sharp, ${availableParallelism() * 2} in flight): ${dr.toFixed(0)} images/s`);
  if (process.env.OUT) writeFileSync(join(process.env.OUT, 'gpu-check.json'), JSON.stringify(report, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
