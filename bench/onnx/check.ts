/**
 * Correctness: features from ONNX Runtime (converted graph) vs TF.js (WASM, the default backend) on the
 * same decoded images. Prints the largest relative error ‖a−b‖/‖b‖ per final vector and per raw pooled
 * block, for the fused (HardSwish/HardSigmoid) and the plain conversion.
 *
 *   node out/bench/onnx/check.js [--images 50] [--model <registry id>]   (default: the default model)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as tfc from '@tensorflow/tfjs-core';
import { DEFAULT_MODEL_ID, resolveModel } from '../../server/engine/embed/models/registry';
import { setupWasm } from '../../server/engine/embed/backend';
import { FeatureRunner } from '../../server/engine/embed/runner';
import { convertResolvedModel } from '../../server/engine/embed/onnxConvert';
import { OnnxRunner } from '../../server/engine/embed/onnxRunner';
import { decode, listImages, requireOrt, SIZE } from './common';

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / (n || 1));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const count = Number(argv[argv.indexOf('--images') + 1] || 50) || 50;
  const files = listImages(count);
  const images = await Promise.all(files.map((f) => decode(f)));
  const modelAt = argv.indexOf('--model');
  const model = await resolveModel(modelAt >= 0 ? argv[modelAt + 1] : DEFAULT_MODEL_ID);
  const tf = require('@tensorflow/tfjs-core') as typeof tfc;
  const backend = await setupWasm(tf);
  const tfRunner = await FeatureRunner.create(tf, { model, flipTta: false });
  const ort = requireOrt();
  const tfVecs = await Promise.all(images.map((img) => tfRunner.embedPacked(img, 1)));
  // Raw pooled blocks from TF.js, for a per-block view.
  const net = await (await import('../../server/engine/embed/models/artifacts')).loadFeatureNet(tf, model);
  const tfBlocks = images.map((img) =>
    tf.tidy(() => net.run(tf.tensor4d(Float32Array.from(img), [1, SIZE, SIZE, 3])).map((t) => tf.mean(t, [1, 2]).dataSync() as Float32Array)),
  );
  process.stdout.write(`${images.length} images (Tux Paint stamps + Fashion-MNIST mini), ${model.spec.id}, TF.js ${backend.detail} vs ONNX Runtime CPU\n`);
  process.stdout.write('| conversion | max rel. err. final vector | median | max rel. err. per pooled block | max abs. element diff |\n|---|---|---|---|---|\n');
  for (const fuse of [true, false]) {
    const file = path.join(os.tmpdir(), `labellint-check-${fuse ? 'fused' : 'plain'}-${process.pid}.onnx`);
    fs.writeFileSync(file, convertResolvedModel(model, { fuse }));
    const runner = await OnnxRunner.create({ model, ort, threads: 2, onnxPath: file });
    const errs: number[] = [];
    const blockErrs = model.spec.featureNodes.map(() => 0);
    let maxAbs = 0;
    for (let i = 0; i < images.length; i++) {
      const v = await runner.embedPacked(images[i], 1);
      errs.push(relErr(v, tfVecs[i]));
      for (let j = 0; j < v.length; j++) maxAbs = Math.max(maxAbs, Math.abs(v[j] - tfVecs[i][j]));
      const blocks = await runner.pooledPacked(images[i], 1);
      blocks.forEach((b, k) => (blockErrs[k] = Math.max(blockErrs[k], relErr(b, tfBlocks[i][k]))));
    }
    await runner.dispose();
    fs.rmSync(file);
    const sorted = [...errs].sort((a, b) => a - b);
    process.stdout.write(
      `| ${fuse ? 'fused (HardSwish/HardSigmoid)' : 'plain (Mul/Add/Clip)'} | ${sorted[sorted.length - 1].toExponential(2)} | ${sorted[sorted.length >> 1].toExponential(2)} | ${blockErrs.map((e) => e.toExponential(2)).join(' / ')} | ${maxAbs.toExponential(2)} |\n`,
    );
  }
  net.dispose();
  tfRunner.dispose();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
