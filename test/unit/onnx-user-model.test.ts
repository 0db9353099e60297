/**
 * A user's own ONNX network (`--model-path net.onnx --layers …`): reading the graph, adding intermediate
 * tensors as graph outputs, input layout/size/preprocessing, pooling, the errors a person sees, and the real
 * ONNX Runtime path end to end (worker pool included) against a plain-loop reference forward pass.
 * Tests that run ONNX Runtime are skipped only when onnxruntime-node cannot be required.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createEmbedder, embedderOptionsFromSettings } from '../../server/engine/embed';
import { OnnxDataType, PbWriter } from '../../server/engine/embed/onnxProto';
import { addGraphOutputs, readOnnxInfo } from '../../server/engine/embed/onnxRead';
import { ensureOnnxModel, loadOnnxRuntime, normalizePixels, OnnxRunner, poolOutput } from '../../server/engine/embed/onnxRunner';
import { planOnnxModel, PREPROCESS } from '../../server/engine/embed/models/onnxModel';
import { ModelError, resolveModel } from '../../server/engine/embed/models/registry';
import { sanitizeSettings } from '../../protocol/settings';
import { nchwNet, nhwcNet, refConv, tinyWeights } from './helpers/tiny-onnx';

const ort = loadOnnxRuntime(undefined).ort;
const NO_ORT = ort ? false : 'onnxruntime-node is not installed';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-onnx-user-'));
// Patched copies of the models (feature tensors added as outputs) go to <cache>/onnx: keep them in tmp.
process.env.LABELLINT_CACHE_DIR = tmp;
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** n random-ish RGB images, S×S×3 uint8 each. */
function images(n: number, size: number, seed = 1): Uint8Array[] {
  return Array.from({ length: n }, (_, k) => {
    const img = new Uint8Array(size * size * 3);
    for (let i = 0; i < img.length; i++) img[i] = Math.floor(128 + 127 * Math.sin((k + seed) * 7.1 + i * 0.37));
    return img;
  });
}

function l2(v: Float32Array): Float32Array {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

/** What the embedder must return for `nchwNet` with layers relu1 (feat) + c2: a plain-loop forward pass. */
function referenceNchw(img: Uint8Array, size: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const w = tinyWeights();
  const x = new Float32Array(3 * size * size);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) x[c * size * size + p] = (img[p * 3 + c] - mean[c]) / std[c];
  const c1 = refConv(x, 3, size, size, w.get('w1')!, 1, 1, w.get('b1')!);
  const feat = c1.data.map((v) => Math.max(0, v));
  const c2 = refConv(feat, 4, size, size, w.get('w2')!, 2, 1);
  const gap = (d: Float32Array, ch: number, hw: number): Float32Array =>
    Float32Array.from({ length: ch }, (_, c) => d.subarray(c * hw, (c + 1) * hw).reduce((s, v) => s + v, 0) / hw);
  const blocks = [l2(gap(feat, 4, size * size)), l2(gap(c2.data, 6, c2.h * c2.w))];
  return l2(Float32Array.from([...blocks[0], ...blocks[1]]));
}

function assertClose(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('readOnnxInfo: the image input (weights listed as inputs are skipped), outputs, node names and shapes', () => {
  const info = readOnnxInfo(nchwNet());
  assert.deepEqual(info.inputs.map((i) => [i.name, i.elemType, i.shape]), [['pixels', OnnxDataType.FLOAT, ['N', 3, 'H', 'W']]]);
  assert.deepEqual(info.outputs.map((o) => o.name), ['logits']);
  assert.deepEqual(info.nodes.map((n) => n.name), ['conv1', 'relu1', 'conv2', 'gap', 'flat', 'fc']);
  assert.deepEqual(info.nodes[1], { name: 'relu1', opType: 'Relu', outputs: ['feat'] });
  assert.equal(info.externalData, false);
  assert.deepEqual(readOnnxInfo(nhwcNet(16)).inputs[0].shape, [1, 16, 16, 3]);
  assert.throws(() => readOnnxInfo(new TextEncoder().encode('{"format": "graph-model"}')), /truncated|no graph|wire type|past the end|field number/);
});

test('addGraphOutputs: appends the names once, keeps every other byte of the model', () => {
  const bytes = nchwNet();
  const patched = addGraphOutputs(bytes, ['feat', 'c2', 'feat', 'logits']);
  assert.deepEqual(readOnnxInfo(patched).outputs.map((o) => o.name), ['logits', 'feat', 'c2']);
  assert.equal(readOnnxInfo(patched).nodes.length, 6);
  assert.ok(patched.length > bytes.length && patched.length < bytes.length + 40);
  assert.strictEqual(addGraphOutputs(bytes, []), bytes);
});

test('planOnnxModel: layout, input size, batch, default preprocessing, node names → tensors', () => {
  const nchw = write('plan-nchw.onnx', nchwNet());
  const p = planOnnxModel(nchw, { layers: ['relu1', 'c2', 'pooled'] });
  assert.equal(p.inputSize, 224);
  assert.deepEqual(p.featureNodes, ['relu1', 'c2', 'pooled']);
  assert.deepEqual(
    { ...p.plan },
    { inputName: 'pixels', layout: 'NCHW', batch: null, outputs: ['feat', 'c2', 'pooled'], addOutputs: ['feat', 'c2', 'pooled'], normalize: PREPROCESS.imagenet, preprocessName: 'imagenet' },
  );
  assert.equal(planOnnxModel(nchw, { inputSize: 160 }).inputSize, 160);
  assert.deepEqual(planOnnxModel(nchw).plan.outputs, ['logits'], 'no layers: the graph outputs');
  assert.deepEqual(planOnnxModel(nchw, { preprocess: 'zero-one' }).plan.normalize, PREPROCESS['zero-one']);

  const nhwc = write('plan-nhwc.onnx', nhwcNet(16));
  const q = planOnnxModel(nhwc, { layers: ['block/act:0', 'head/mean:0'] });
  assert.equal(q.inputSize, 16);
  assert.equal(q.plan.layout, 'NHWC');
  assert.equal(q.plan.batch, 1);
  assert.equal(q.plan.preprocessName, 'raw255');
  assert.deepEqual(q.plan.addOutputs, ['block/act:0'], 'a graph output is not added again');
});

test('planOnnxModel: errors name the file and what to do', () => {
  const nchw = write('err-nchw.onnx', nchwNet());
  assert.throws(
    () => planOnnxModel(nchw, { layers: ['relu1', 'relu2', 'stage4/pool'] }),
    (e: Error) => {
      assert.ok(e.message.startsWith(nchw), e.message);
      assert.match(e.message, /no node or tensor named 'relu2', 'stage4\/pool'/);
      assert.match(e.message, /Similar names: .*relu1/);
      assert.match(e.message, /Pooling\/flatten outputs, the usual feature layers: pooled \(GlobalAveragePool node 'gap'\), flat_out \(Flatten node 'flat'\)/);
      assert.match(e.message, /Graph outputs: logits/);
      return true;
    },
  );
  const cases: [Uint8Array, RegExp, number?][] = [
    [nchwNet({ channels: 1 }), /no dimension of 3 channels; LabelLint feeds RGB/],
    [nchwNet({ inputType: OnnxDataType.INT32 }), /input 'pixels' is int32; LabelLint feeds float32 images/],
    [nchwNet({ size: 32 }), /fixed at 32×32; an input size of 64 cannot be used/, 64],
  ];
  for (const [i, [bytes, re, size]] of cases.entries()) {
    const file = write(`err-${i}.onnx`, bytes);
    assert.throws(() => planOnnxModel(file, { inputSize: size }), (e: Error) => e.message.includes(file) && re.test(e.message), re.source);
  }
  const bad = write('not-onnx.onnx', new TextEncoder().encode('hello, I am not a model'));
  assert.throws(() => planOnnxModel(bad), (e: Error) => e.message.startsWith(`${bad} is not a readable ONNX model`));
  assert.throws(() => planOnnxModel(path.join(tmp, 'missing.onnx')), /Cannot read ONNX model .*missing\.onnx/);
  assert.throws(() => planOnnxModel(nchw, { preprocess: 'caffe' as never }), /Unknown preprocessing 'caffe'. Valid: imagenet, zero-one, raw255, minus-one-one/);
});

/** x [N,3,H,W] + ext → mid → Relu → y, where the initializer 'ext' keeps its data in an external file. */
function externalDataModel(): Uint8Array {
  const w = new PbWriter();
  w.int(1, 7);
  w.message(7, (g) => {
    g.message(1, (n) => n.string(1, 'x').string(1, 'ext').string(2, 'mid').string(3, 'add').string(4, 'Add'));
    g.message(1, (n) => n.string(1, 'mid').string(2, 'y').string(3, 'relu').string(4, 'Relu'));
    g.string(2, 'ext_graph');
    g.message(5, (t) => t.int(1, 1).int(2, OnnxDataType.FLOAT).string(8, 'ext').message(13, (kv) => kv.string(1, 'location').string(2, 'ext.bin')).int(14, 1));
    g.message(11, (vi) =>
      vi.string(1, 'x').message(2, (tp) =>
        tp.message(1, (tt) => tt.int(1, OnnxDataType.FLOAT).message(2, (sh) => ['N', 3, 'H', 'W'].forEach((d) => sh.message(1, (dm) => (typeof d === 'number' ? dm.int(1, d) : dm.string(2, d)))))),
      ),
    );
    g.message(12, (vi) => vi.string(1, 'y'));
  });
  w.message(8, (o) => o.int(2, 13));
  return w.finish();
}

test('planOnnxModel: a model with external weight files takes its own outputs, and says why intermediate ones cannot be added', () => {
  const file = write('external.onnx', externalDataModel());
  assert.equal(readOnnxInfo(fs.readFileSync(file)).externalData, true);
  assert.deepEqual(planOnnxModel(file).plan.addOutputs, []);
  assert.throws(() => planOnnxModel(file, { layers: ['mid'] }), (e: Error) => e.message.startsWith(file) && /external data files.*'mid'.*save_as_external_data=False/.test(e.message));
});

test('resolveModel: an .onnx path resolves to an ONNX plan; the key follows content, nodes and preprocessing', async () => {
  const file = write('resolve.onnx', nchwNet());
  const a = await resolveModel(file, ['relu1']);
  assert.equal(a.spec.format, 'onnx');
  assert.equal(a.encoding, 'onnx');
  assert.deepEqual(a.weightPaths, []);
  assert.equal(a.onnx?.inputName, 'pixels');
  assert.match(a.key, /^custom\|files=[0-9a-f]{16}:\d+\|/);
  const copy = path.join(tmp, 'moved.onnx');
  fs.copyFileSync(file, copy);
  assert.equal((await resolveModel(copy, ['relu1'])).key, a.key, 'moving the file keeps the cache');
  assert.notEqual((await resolveModel(file, ['c2'])).key, a.key);
  assert.notEqual((await resolveModel(file, ['relu1'], { preprocess: 'zero-one' })).key, a.key);
  await assert.rejects(resolveModel(path.join(tmp, 'nope.onnx')), (e: Error) => e instanceof ModelError && /ONNX model not found: .*nope\.onnx/.test(e.message));
  await assert.rejects(resolveModel(file, ['nope']), (e: Error) => e instanceof ModelError && /no node or tensor named 'nope'/.test(e.message));
});

test('poolOutput: NCHW and NHWC maps, 1×1 maps either way, tokens, vectors; integer tensors refused', () => {
  // 1 image, 2 channels, 2×2: channel 0 = 1,2,3,4 (mean 2.5), channel 1 = 10,20,30,40 (mean 25)
  const nchw = { data: Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40]), dims: [1, 2, 2, 2] };
  assert.deepEqual([...poolOutput(nchw, 'NCHW', 'x')], [2.5, 25]);
  const nhwc = { data: Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40]), dims: [1, 2, 2, 2] };
  assert.deepEqual([...poolOutput(nhwc, 'NHWC', 'x')], [2.5, 25], 'ambiguous shape: the input layout decides');
  assert.deepEqual([...poolOutput({ data: Float32Array.from([1, 2, 3]), dims: [1, 3, 1, 1] }, 'NHWC', 'x')], [1, 2, 3]);
  assert.deepEqual([...poolOutput({ data: Float32Array.from([1, 2, 3]), dims: [1, 1, 1, 3] }, 'NCHW', 'x')], [1, 2, 3]);
  const wide = { data: Float32Array.from({ length: 2 * 3 * 3 * 5 }, (_, i) => i % 5), dims: [2, 3, 3, 5] };
  assert.deepEqual([...poolOutput(wide, 'NCHW', 'x')], [0, 1, 2, 3, 4, 0, 1, 2, 3, 4], 'square H×W first: channels last');
  assert.deepEqual([...poolOutput({ data: Float32Array.from([1, 2, 3, 5]), dims: [1, 2, 2] }, 'NCHW', 'x')], [2, 3.5]);
  assert.deepEqual([...poolOutput({ data: Float32Array.from([1, 2]), dims: [1, 2] }, 'NCHW', 'x')], [1, 2]);
  assert.throws(() => poolOutput({ data: new Uint8Array(4), dims: [1, 4], type: 'uint8' }, 'NCHW', 'q'), /'q' is uint8; .*DequantizeLinear/);
  assert.throws(() => poolOutput({ data: new Float32Array(2), dims: [2], type: 'float32' }, 'NCHW', 'v'), /shape \[2\]; expected rank 2, 3 or 4/);
});

test('normalizePixels: (pixel − mean) / std, NCHW planes or NHWC order', () => {
  const norm = { mean: [0, 128, 255], std: [1, 2, 5] } as const;
  assert.deepEqual([...normalizePixels(Uint8Array.from([10, 20, 30]), 1, 1, 'NHWC', norm)], [10, -54, -45]);
  // one 2×2 image: pixels (R,G,B) = (0,128,255) (10,20,30) (1,2,3) (4,5,6)
  const img = Uint8Array.from([0, 128, 255, 10, 20, 30, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...normalizePixels(img, 1, 2, 'NCHW', PREPROCESS.raw255)], [0, 10, 1, 4, 128, 20, 2, 5, 255, 30, 3, 6]);
  assert.deepEqual([...normalizePixels(img, 1, 2, 'NHWC', PREPROCESS.raw255)], [...img]);
  const white = normalizePixels(Uint8Array.from([255, 255, 255]), 1, 1, 'NCHW', PREPROCESS.imagenet);
  assertClose(white, Float32Array.from([(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225]), 1e-5, 'imagenet');
});

test('ONNX Runtime: intermediate nodes of a PyTorch-like model pooled, normalised and concatenated (worker pool)', { skip: NO_ORT }, async () => {
  // One pool per test process: starting and stopping ONNX Runtime worker pools repeatedly in one process
  // crashes it now and then, with the bundled model too (the "ORT shutdown abort" of issue 12).
  const file = write('embed-nchw.onnx', nchwNet());
  const before = fs.readFileSync(file);
  const size = 16;
  const emb = await createEmbedder({ modelPath: file, layers: ['relu1', 'c2'], inputSize: size, backend: 'auto', workers: 2, batchSize: 3 });
  try {
    assert.equal(emb.backend, 'onnx', "'auto' runs an ONNX model on ONNX Runtime");
    assert.equal(emb.model.dim, 10, '4 + 6 channels');
    assert.match(emb.backendDetail, /input NCHW 16×16, preprocessing imagenet/);
    const imgs = images(7, size);
    const vecs = await emb.embed(imgs);
    assert.equal(vecs.length, 7);
    const mean = PREPROCESS.imagenet.mean;
    const std = PREPROCESS.imagenet.std;
    vecs.forEach((v, i) => assertClose(v, referenceNchw(imgs[i], size, mean, std), 2e-5, `image ${i}`));
  } finally {
    await emb.dispose();
  }
  assert.deepEqual(fs.readFileSync(file), before, "the user's file is not modified");
  const copies = fs.readdirSync(path.join(tmp, 'onnx'));
  assert.ok(copies.length >= 1, 'the copy with the feature outputs lives in the cache');

  // Another preprocessing changes the vectors as the reference says (one session in this thread).
  const model = await resolveModel(file, ['relu1', 'c2'], { inputSize: size, preprocess: 'zero-one' });
  const runner = await OnnxRunner.create({ model, ort: ort!, threads: 1 });
  try {
    const img = images(1, size, 5)[0];
    assertClose(await runner.embedPacked(img, 1), referenceNchw(img, size, [0, 0, 0], [255, 255, 255]), 2e-5, 'zero-one');
  } finally {
    await runner.dispose();
  }
});

test('ONNX Runtime: a tf2onnx-like NHWC model with its batch fixed at 1 embeds any number of images', { skip: NO_ORT }, async () => {
  const file = write('embed-nhwc.onnx', nhwcNet(16));
  const model = await resolveModel(file, ['block/act:0']);
  const runner = await OnnxRunner.create({ model, ort: ort!, threads: 1 });
  try {
    assert.equal(runner.dim, 5);
    const imgs = images(3, 16);
    const packed = new Uint8Array(3 * 16 * 16 * 3);
    imgs.forEach((img, i) => packed.set(img, i * img.length));
    const out = await runner.embedPacked(packed, 3);
    const k = tinyWeights().get('k')!;
    imgs.forEach((img, i) => {
      // raw 0–255 pixels (the NHWC default), transposed to CHW for the reference convolution
      const x = new Float32Array(3 * 256);
      for (let p = 0; p < 256; p++) for (let c = 0; c < 3; c++) x[c * 256 + p] = img[p * 3 + c];
      const act = refConv(x, 3, 16, 16, k, 1, 1).data.map((v) => Math.max(0, v));
      const pooled = Float32Array.from({ length: 5 }, (_, c) => act.subarray(c * 256, (c + 1) * 256).reduce((s, v) => s + v, 0) / 256);
      assertClose(out.subarray(i * 5, (i + 1) * 5), l2(pooled), 2e-5, `image ${i}`);
    });
  } finally {
    await runner.dispose();
  }
});

test('ONNX Runtime: the bundled backbone, exported to ONNX and loaded as a user model with its three blocks, gives the bundled vectors', { skip: NO_ORT }, async () => {
  // A real 6.8 MB network (164 nodes, NHWC input, NCHW inside): the default backbone converted by onnxConvert.ts.
  const bundled = await resolveModel('centernet-mnv3');
  const file = ensureOnnxModel(bundled, tmp);
  const user = await resolveModel(file, [...bundled.spec.featureNodes]); // 'auto' preprocessing for NHWC: raw 0–255, as the bundled graph wants
  assert.equal(user.onnx?.layout, 'NHWC');
  assert.equal(user.spec.inputSize, 224);
  assert.deepEqual(user.onnx?.addOutputs, [...bundled.spec.featureNodes]);
  const [a, b] = await Promise.all([OnnxRunner.create({ model: bundled, ort: ort!, threads: 1, onnxPath: file }), OnnxRunner.create({ model: user, ort: ort!, threads: 1 })]);
  try {
    assert.equal(b.dim, 240);
    const imgs = images(3, 224, 9);
    const packed = new Uint8Array(3 * imgs[0].length);
    imgs.forEach((img, i) => packed.set(img, i * img.length));
    assertClose(await b.embedPacked(packed, 3), await a.embedPacked(packed, 3), 1e-5, 'centernet');
  } finally {
    await Promise.all([a.dispose(), b.dispose()]);
  }
});

test('ONNX Runtime: an ONNX model on a TF.js backend is refused with the reason', { skip: NO_ORT }, async () => {
  const file = write('wrong-backend.onnx', nchwNet());
  await assert.rejects(createEmbedder({ modelPath: file, backend: 'wasm', workers: 1 }), /is an ONNX model: it runs on ONNX Runtime only .*not 'wasm'/);
});

test('settings → embedder options: modelPath, modelLayers and modelPreprocess reach the embedder', () => {
  const o = embedderOptionsFromSettings(sanitizeSettings({ modelPath: 'n.onnx', modelLayers: ['a', 'b'], modelPreprocess: 'raw255', workers: 0 }));
  assert.equal(o.modelPath, 'n.onnx');
  assert.deepEqual(o.layers, ['a', 'b']);
  assert.equal(o.preprocess, 'raw255');
  assert.equal(o.workers, undefined);
  assert.equal(embedderOptionsFromSettings(sanitizeSettings({})).preprocess, undefined, "'auto' leaves the choice to the layout");
  assert.equal(sanitizeSettings({ modelPreprocess: 'caffe' }).modelPreprocess, 'auto');
});
