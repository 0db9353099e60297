/**
 * bench/backbones: what a backbone costs end to end. Runs the CLI (`labellint analyze`) cold — a fresh copy of
 * the dataset, so nothing is cached — once per backbone per round, backbones interleaved within each round so
 * both see the same machine load, and prints the median wall time and embed phase per backbone.
 * One warm-up round first (not counted): it builds each backbone's ONNX file in the model cache.
 * Run: npm run build && node out/bench/backbones.js [--rounds 3] [--data sample/fashion-mnist-mini]
 *      [--models centernet-mnv3,centernet+ssdlite]
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { AnalysisResult } from '../protocol/results';
import { median } from './onnx/common';

const REPO = resolve(__dirname, '..', '..');
const BIN = join(REPO, 'bin', 'labellint.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

interface Run { wallS: number; embedS: number; images: number; dim: number }

function runOnce(data: string, model: string): Run {
  const dir = mkdtempSync(join(tmpdir(), 'labellint-bb-'));
  try {
    cpSync(data, join(dir, 'ds'), { recursive: true });
    const out = join(dir, 'r.json');
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BIN, 'analyze', join(dir, 'ds'), '--model', model, '--out', out, '--quiet'], { encoding: 'utf8' });
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0 && r.status !== 1) throw new Error(`labellint analyze --model ${model} exited ${r.status}: ${r.stderr}`);
    const res = JSON.parse(readFileSync(out, 'utf8')) as AnalysisResult;
    return { wallS, embedS: (res.timings.embed ?? NaN) / 1000, images: res.images.length, dim: res.model.dim };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const rounds = Number(arg('rounds', '3'));
  const data = resolve(arg('data', join(REPO, 'sample', 'fashion-mnist-mini')));
  const models = arg('models', 'centernet-mnv3,centernet+ssdlite').split(',');
  for (const m of models) runOnce(data, m); // warm-up: ONNX conversion into the model cache
  const runs = new Map<string, Run[]>(models.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) for (const m of models) runs.get(m)!.push(runOnce(data, m));
  console.log(`Cold CLI runs on ${data}, ${rounds} rounds interleaved, medians (warm-up round not counted)\n`);
  console.log('| backbone | dim | images | wall s | embed s | images/s (embed) | wall vs first |');
  console.log('|---|---|---|---|---|---|---|');
  const base = median(runs.get(models[0])!.map((x) => x.wallS));
  for (const m of models) {
    const xs = runs.get(m)!;
    const wall = median(xs.map((x) => x.wallS));
    const embed = median(xs.map((x) => x.embedS));
    console.log(`| ${m} | ${xs[0].dim} | ${xs[0].images} | ${wall.toFixed(1)} | ${embed.toFixed(1)} | ${(xs[0].images / embed).toFixed(0)} | ${(wall / base).toFixed(2)}× |`);
  }
}

main();
