/**
 * Embedder on the WASM worker pool: default model, determinism across calls and pool sizes, user models
 * (graph and layers), flip TTA and the error paths. Each embedder start costs ~1–3 s, so they are shared.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createEmbedder, Embedder } from '../../server/engine/embed';
import { setupCpu } from '../../server/engine/embed/backend';
import { WorkerPool } from '../../server/engine/embed/pool';
import { FeatureRunner } from '../../server/engine/embed/runner';
import { resolveModel } from '../../server/engine/embed/models/registry';

const SIZE = 224;
const TOLERANCE = 1e-5;

/** A deterministic textured RGB image; `seed` varies the pattern. */
function image(seed: number, size = SIZE): Uint8Array {
  const a = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      a[i] = (x * (seed + 3) + y * 5) & 255;
      a[i + 1] = ((x ^ y) * (seed + 1)) & 255;
      a[i + 2] = Math.round(127.5 + 127.5 * Math.sin((x + seed * 7) / 9) * Math.cos(y / 13));
    }
  }
  return a;
}

/** Mirror-symmetric across the vertical axis: flip TTA must leave its vector unchanged. */
function symmetricImage(): Uint8Array {
  const a = image(5);
  for (let y = 0; y < SIZE; y++) {
    for (let x = SIZE / 2; x < SIZE; x++) {
      const from = (y * SIZE + (SIZE - 1 - x)) * 3;
      const to = (y * SIZE + x) * 3;
      a[to] = a[from];
      a[to + 1] = a[from + 1];
      a[to + 2] = a[from + 2];
    }
  }
  return a;
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

let one: Embedder;
before(async () => {
  one = await createEmbedder({ backend: 'wasm', workers: 1, batchSize: 4 });
});
after(async () => {
  await one?.dispose();
});

test('default model (centernet+ssdlite): 816-d L2-normalised vectors, in input order', async () => {
  assert.equal(one.model.id, 'centernet+ssdlite');
  assert.equal(one.model.dim, 816);
  assert.equal(one.model.inputSize, SIZE);
  assert.equal(one.backend, 'wasm');
  assert.match(one.model.key, /^centernet\+ssdlite\|.*\(centernet-mnv3\|files=.*\(ssdlite-mnv2\|files=/);
  const imgs = [0, 1, 2, 3, 4, 5].map((s) => image(s));
  const vecs = await one.embed(imgs);
  assert.equal(vecs.length, imgs.length);
  for (const v of vecs) {
    assert.equal(v.length, 816);
    assert.ok(Math.abs(norm(v) - 1) < 1e-4);
    assert.ok(v.every(Number.isFinite));
  }
  // Different images give different vectors, in the order they were given.
  const single = await one.embed([imgs[3]]);
  assert.ok(maxAbsDiff(single[0], vecs[3]) < TOLERANCE);
  assert.ok(maxAbsDiff(vecs[0], vecs[1]) > 1e-3);
  assert.deepEqual(await one.embed([]), []);
});

test('determinism: same image twice is identical; 2 workers match 1 worker', async () => {
  const img = image(9);
  const [a, b] = await one.embed([img, img]);
  assert.deepEqual(a, b);
  const [c] = await one.embed([img]);
  assert.deepEqual(a, c);

  const imgs = [10, 11, 12, 13, 14].map((s) => image(s));
  const two = await createEmbedder({ backend: 'wasm', workers: 2, batchSize: 2 });
  try {
    assert.match(two.backendDetail, /2 worker threads/);
    assert.equal(two.model.key, one.model.key, 'pool size does not change the cache key');
    const [p, q] = await Promise.all([two.embed(imgs), one.embed(imgs)]);
    for (let i = 0; i < imgs.length; i++) assert.ok(maxAbsDiff(p[i], q[i]) < TOLERANCE, `image ${i}`);
  } finally {
    await two.dispose();
  }
  await assert.rejects(two.embed([img]), /disposed/);
});

test('wrong image size or type is rejected with the index and the expected size', async () => {
  await assert.rejects(one.embed([image(1), new Uint8Array(100)]), /Image 1 has 100 bytes; expected 224×224×3 = 150528/);
  await assert.rejects(one.embed([image(1, 112)]), /Image 0 has 37632 bytes/);
  await assert.rejects(one.embed([[1, 2, 3] as unknown as Uint8Array]), /Image 0 is not a Uint8Array/);
  // The embedder still works afterwards.
  assert.equal((await one.embed([image(1)]))[0].length, 816);
});

test('flip TTA: a mirror-symmetric image keeps its vector, the key records the option', async () => {
  const flip = await createEmbedder({ backend: 'wasm', workers: 1, flipTta: true });
  try {
    assert.match(flip.model.key, /\|tta=flip$/);
    assert.notEqual(flip.model.key, one.model.key);
    const sym = symmetricImage();
    const [withFlip] = await flip.embed([sym]);
    const [without] = await one.embed([sym]);
    assert.ok(maxAbsDiff(withFlip, without) < 1e-4);
    const [asym] = await flip.embed([image(2)]);
    assert.ok(Math.abs(norm(asym) - 1) < 1e-4);
  } finally {
    await flip.dispose();
  }
});

test('user graph model with a chosen node', async () => {
  const src = await resolveModel('centernet-mnv3');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-user-'));
  try {
    fs.copyFileSync(src.modelJsonPath, path.join(dir, 'model.json'));
    for (const w of src.weightPaths) fs.copyFileSync(w, path.join(dir, path.basename(w)));
    const user = await createEmbedder({
      modelPath: path.join(dir, 'model.json'),
      layers: ['tower_0/MobilenetV3/expanded_conv_14/add'],
      inputSize: SIZE,
      backend: 'wasm',
      workers: 1,
    });
    try {
      assert.equal(user.model.dim, 120);
      assert.match(user.model.id, /^custom:/);
      const [v] = await user.embed([image(3)]);
      assert.equal(v.length, 120);
      assert.ok(Math.abs(norm(v) - 1) < 1e-4);
    } finally {
      await user.dispose();
    }
    await assert.rejects(
      createEmbedder({ modelPath: path.join(dir, 'model.json'), layers: ['no_such_layer'], backend: 'wasm', workers: 1 }),
      /Unknown node 'no_such_layer'/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('user layers model (Keras) with a chosen layer', async () => {
  // nsfwjs ships a Keras MobileNetV2 as JS modules; write it out as model.json + .bin like a user would.
  const root = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
  const json = require(path.join(root, 'model.min.js')) as { weightsManifest: { paths: string[] }[] };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-user-'));
  try {
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    for (const p of json.weightsManifest.flatMap((g) => g.paths)) {
      fs.writeFileSync(path.join(dir, p), Buffer.from(require(path.join(root, `${p}.min.js`)) as string, 'base64'));
    }
    const user = await createEmbedder({ modelPath: dir, layers: ['block_6_project_BN'], pixelRange: '0-1', backend: 'wasm', workers: 1 });
    try {
      assert.equal(user.model.inputSize, 224, 'read from the layers model input shape');
      assert.equal(user.model.dim, 64);
      const [v] = await user.embed([image(4)]);
      assert.ok(Math.abs(norm(v) - 1) < 1e-4);
    } finally {
      await user.dispose();
    }
    await assert.rejects(createEmbedder({ modelPath: dir, layers: ['block_99'], backend: 'wasm', workers: 1 }), /Unknown layer 'block_99'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid options and unavailable backends fail clearly', async () => {
  await assert.rejects(createEmbedder({ backend: 'cuda' as never }), /Unknown backend 'cuda'. Valid: auto, wasm/);
  await assert.rejects(createEmbedder({ workers: 0 }), /workers must be a positive integer/);
  await assert.rejects(createEmbedder({ batchSize: 1.5 }), /batchSize must be a positive integer/);
  await assert.rejects(createEmbedder({ model: 'nope' }), /Unknown model 'nope'/);
  await assert.rejects(createEmbedder({ modelPath: '/no/such/model.json' }), /Model file not found/);
  let native = true;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    native = false;
  }
  if (!native) await assert.rejects(createEmbedder({ backend: 'tensorflow' }), /@tensorflow\/tfjs-node: not installed/);
});

test('pool: a failing batch rejects only its own promise; a crashed worker leaves the others working', async () => {
  // A stand-in worker speaking the same protocol: n = 3 fails, n = 5 crashes the thread, others give zeros.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-pool-'));
  const file = path.join(dir, 'fake-worker.js');
  fs.writeFileSync(
    file,
    `const { parentPort } = require('worker_threads');
     parentPort.on('message', (m) => {
       if (m.type === 'init') return parentPort.postMessage({ type: 'ready', backend: 'fake', backendDetail: 'fake', dim: 4 });
       if (m.n === 3) return parentPort.postMessage({ type: 'error', id: m.id, message: 'boom' });
       if (m.n === 5) process.exit(7);
       const vectors = new Float32Array(m.n * 4).fill(m.pixels[0]);
       parentPort.postMessage({ type: 'result', id: m.id, vectors }, [vectors.buffer]);
     });`,
  );
  const model = await resolveModel('centernet-mnv3');
  const pool = await WorkerPool.start({ model, backend: 'wasm', workers: 2, flipTta: false, workerFile: file });
  try {
    assert.equal(pool.size, 2);
    const ok = pool.run(new Uint8Array([7, 0]), 2);
    const bad = pool.run(new Uint8Array(3), 3);
    await assert.rejects(bad, /Embedding worker \d failed on a batch of 3 images: boom/);
    assert.deepEqual(Array.from(await ok), new Array(8).fill(7));
    await assert.rejects(pool.run(new Uint8Array(5), 5), /Embedding worker \d stopped \(exit code 7\) during a batch of 5 images/);
    assert.equal(pool.size, 1);
    assert.deepEqual(Array.from(await pool.run(new Uint8Array([1]), 1)), [1, 1, 1, 1]);
  } finally {
    await pool.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(pool.run(new Uint8Array(1), 1), /disposed/);
});

test('in-process runner (the path native/GPU backends take) on the CPU backend matches the WASM pool', async () => {
  const tf = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
  await setupCpu(tf);
  const runner = await FeatureRunner.create(tf, { model: await resolveModel(), flipTta: false });
  try {
    const img = image(6);
    const before = tf.memory().numTensors;
    const cpu = await runner.embedPacked(img, 1);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak per batch');
    const [wasm] = await one.embed([img]);
    assert.ok(maxAbsDiff(cpu, wasm) < 1e-4, `cpu vs wasm differ by ${maxAbsDiff(cpu, wasm)}`);
  } finally {
    runner.dispose();
  }
});
