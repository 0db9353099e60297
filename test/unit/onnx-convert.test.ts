/**
 * TF.js graph → ONNX conversion: weight decoding, filter layouts, the op mapping on a tiny synthetic
 * graph that uses every op of the default backbone (strided SAME conv on an even input, hard-swish,
 * depthwise with multiplier 2, squeeze-excite with hard-sigmoid, residual add, per-channel Mul, Sub), and
 * the ONNX Runtime backend. Tests that run ONNX Runtime are skipped when onnxruntime-node cannot be
 * required (it is not a LabelLint dependency; bench/onnx/README.md installs one in bench/onnx/rt).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfconv from '@tensorflow/tfjs-converter';
import { setupCpu, setupWasm } from '../../server/engine/embed/backend';
import {
  ConstTensor,
  convertGraph,
  decodeWeights,
  halfToFloat,
  hwcmToDepthwiseOihw,
  hwioToOihw,
  TfNode,
  WeightSpec,
} from '../../server/engine/embed/onnxConvert';
import { encodeModel, OnnxModel } from '../../server/engine/embed/onnxProto';
import { MergeError, mergeFeatureModels } from '../../server/engine/embed/onnxMerge';
import { combineBlocks, loadOnnxRuntime, mirrorPacked, OnnxRunner, OrtApi } from '../../server/engine/embed/onnxRunner';
import { FeatureRunner } from '../../server/engine/embed/runner';
import { createEmbedder } from '../../server/engine/embed';
import { resolveModel } from '../../server/engine/embed/models/registry';

const BENCH_ORT = path.join(__dirname, '..', '..', '..', 'bench', 'onnx', 'rt');
const ort: OrtApi | undefined = loadOnnxRuntime(process.env.LABELLINT_ONNXRUNTIME ?? BENCH_ORT).ort ?? loadOnnxRuntime(undefined).ort;
const NO_ORT = ort ? false : 'onnxruntime-node is not installed';

test('halfToFloat: normals, subnormals, limits', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x3155), 0.1666259765625); // 1/6 as the centernet graph stores it
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('decodeWeights: float16 and uint8 quantisation, float32, int32, in manifest order', () => {
  const buf = Buffer.alloc(2 * 2 + 2 + 4 + 4 * 2);
  buf.writeUInt16LE(0x3c00, 0);
  buf.writeUInt16LE(0xc000, 2);
  buf.writeUInt8(0, 4);
  buf.writeUInt8(10, 5);
  buf.writeFloatLE(0.25, 6);
  buf.writeInt32LE(1, 10);
  buf.writeInt32LE(-2, 14);
  const specs: WeightSpec[] = [
    { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
    { name: 'u', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
    { name: 'f', shape: [], dtype: 'float32' },
    { name: 'i', shape: [2], dtype: 'int32' },
  ];
  const w = decodeWeights(specs, buf);
  assert.deepEqual([...w.get('h')!.data], [1, -2]);
  assert.deepEqual([...w.get('u')!.data], [-1, 4]);
  assert.deepEqual([...w.get('f')!.data], [0.25]);
  assert.deepEqual(w.get('f')!.shape, []);
  assert.ok(w.get('i')!.data instanceof Int32Array);
  assert.deepEqual([...w.get('i')!.data], [1, -2]);
  assert.throws(() => decodeWeights([{ name: 'x', shape: [100], dtype: 'float32' }], buf), /weights end/);
});

test('filter layouts: HWIO → OIHW and depthwise H×W×C×M → (C·M)×1×H×W', () => {
  // value encodes its own HWIO index: h*1000 + w*100 + i*10 + o
  const H = 2, W = 3, I = 2, O = 4; // prettier-ignore
  const conv: ConstTensor = { shape: [H, W, I, O], data: new Float32Array(H * W * I * O) };
  for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) conv.data[((h * W + w) * I + i) * O + o] = h * 1000 + w * 100 + i * 10 + o;
  const oihw = hwioToOihw(conv);
  assert.equal(oihw[((3 * I + 1) * H + 1) * W + 2], 1000 + 200 + 10 + 3);
  const C = 3, M = 2; // prettier-ignore
  const dw: ConstTensor = { shape: [H, W, C, M], data: new Float32Array(H * W * C * M) };
  for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) dw.data[((h * W + w) * C + c) * M + m] = h * 1000 + w * 100 + c * 10 + m;
  const d = hwcmToDepthwiseOihw(dw);
  // TF depthwise output channel c·M + m; ONNX group c holds output channels c·M … c·M+M-1.
  assert.equal(d[((2 * M + 1) * H + 1) * W + 0], 1000 + 0 + 20 + 1);
});

// ---------------------------------------------------------------------------------------------------------
// A tiny graph in the shape of the tfjs converter's output (NHWC, base64 string attributes).

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const SIZE = 10; // even: a stride-2 SAME conv pads 0 before, 1 after (TF), unlike a symmetric pad

function conv(name: string, input: string, w: string, b: string, opts: { stride?: number; fused?: string[]; depthwise?: boolean; padding?: string }): TfNode {
  const s = opts.stride ?? 1;
  return {
    name,
    op: opts.depthwise ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D',
    input: [input, w, b],
    attr: {
      fused_ops: { list: { s: (opts.fused ?? ['BiasAdd']).map(b64) } },
      num_args: { i: '1' },
      strides: { list: { i: ['1', String(s), String(s), '1'] } },
      dilations: { list: { i: ['1', '1', '1', '1'] } },
      padding: { s: b64(opts.padding ?? 'SAME') },
      data_format: { s: b64('NHWC') },
    },
  };
}
const op = (name: string, o: string, ...input: string[]): TfNode => ({ name, op: o, input });

function tinyGraph(): { nodes: TfNode[]; specs: WeightSpec[]; data: Uint8Array; features: string[] } {
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const consts: { name: string; shape: number[]; values: number[]; half?: boolean; int?: boolean }[] = [];
  const c = (name: string, shape: number[], values?: number[], extra: { half?: boolean; int?: boolean } = {}): string => {
    const n = shape.reduce((a, b) => a * b, 1);
    consts.push({ name, shape, values: values ?? Array.from({ length: n }, () => rand() * 0.5), ...extra });
    return name;
  };
  c('sixth', [], [1 / 6], { half: true });
  c('three', [], [3]);
  c('k1', [3, 3, 3, 8]);
  c('b1', [8]);
  c('kd', [3, 3, 8, 2]);
  c('bd', [16]);
  c('axes', [2], [1, 2], { int: true });
  c('kse1', [1, 1, 16, 4]);
  c('bse1', [4]);
  c('kse2', [1, 1, 4, 16]);
  c('bse2', [16]);
  c('kp', [1, 1, 16, 16]);
  c('bp', [16]);
  c('chan', [16]);
  c('shift', [], [0.25]);
  const nodes: TfNode[] = [
    { name: 'images', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '-1' }, { size: String(SIZE) }, { size: String(SIZE) }, { size: '3' }] } } } },
    ...consts.map((k) => ({ name: k.name, op: 'Const' })),
    conv('conv1', 'images', 'k1', 'b1', { stride: 2 }),
    op('hs/mul', 'Mul', 'sixth', 'conv1'),
    op('hs/add', 'Add', 'conv1', 'three'),
    op('hs/relu6', 'Relu6', 'hs/add'),
    op('hs/out', 'Mul', 'hs/mul', 'hs/relu6'),
    conv('dw', 'hs/out', 'kd', 'bd', { depthwise: true, fused: ['BiasAdd', 'Relu'] }),
    { name: 'se/mean', op: 'Mean', input: ['dw', 'axes'], attr: { keep_dims: { b: true } } },
    conv('se/c1', 'se/mean', 'kse1', 'bse1', { fused: ['BiasAdd', 'Relu'] }),
    conv('se/c2', 'se/c1', 'kse2', 'bse2', {}),
    op('se/add', 'AddV2', 'se/c2', 'three'),
    op('se/relu6', 'Relu6', 'se/add'),
    op('se/sig', 'Mul', 'sixth', 'se/relu6'),
    op('se/out', 'Mul', 'se/sig', 'dw'),
    conv('proj', 'se/out', 'kp', 'bp', { fused: ['BiasAdd', 'Relu6'] }),
    op('res', 'AddV2', 'proj', 'dw'),
    op('scaled', 'Mul', 'res', 'chan'),
    op('out', 'Sub', 'scaled', 'shift'),
  ];
  const specs: WeightSpec[] = consts.map((k) => ({
    name: k.name,
    shape: k.shape,
    dtype: k.int ? 'int32' : 'float32',
    ...(k.half ? { quantization: { dtype: 'float16' } } : {}),
  }));
  const chunks = consts.map((k) => {
    if (k.half) return new Uint8Array(Uint16Array.of(0x3155).buffer); // 1/6 in float16
    return new Uint8Array((k.int ? Int32Array.from(k.values) : Float32Array.from(k.values)).buffer);
  });
  const data = new Uint8Array(chunks.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of chunks) {
    data.set(x, o);
    o += x.length;
  }
  return { nodes, specs, data, features: ['hs/out', 'out'] };
}

function convertTiny(fuse: boolean): OnnxModel {
  const g = tinyGraph();
  return convertGraph(g.nodes, decodeWeights(g.specs, g.data), { featureNodes: g.features, inputSize: SIZE, fuse });
}

test('convertGraph: op mapping, explicit TF SAME pads, grouped depthwise, pooled outputs', () => {
  const m = convertTiny(true);
  const ops = m.graph.nodes.map((n) => n.opType);
  assert.deepEqual(ops, [
    'Transpose',
    'Conv',
    'HardSwish',
    'Mul', // × 6c: the float16 1/6 is kept exactly
    'ReduceMean', // pooled_0
    'Conv',
    'Relu',
    'ReduceMean', // squeeze-excite
    'Conv',
    'Relu',
    'Conv',
    'HardSigmoid',
    'Mul',
    'Mul',
    'Conv',
    'Clip',
    'Add',
    'Mul',
    'Sub',
    'ReduceMean', // pooled_1
  ]);
  const conv1 = m.graph.nodes[1];
  assert.deepEqual(conv1.attributes?.pads, { kind: 'ints', value: [0, 0, 1, 1] });
  assert.deepEqual(conv1.attributes?.strides, { kind: 'ints', value: [2, 2] });
  const dw = m.graph.nodes[5];
  assert.deepEqual(dw.attributes?.group, { kind: 'int', value: 8 });
  assert.deepEqual(dw.attributes?.pads, { kind: 'ints', value: [1, 1, 1, 1] });
  const dwWeight = m.graph.initializers.find((t) => t.name === dw.inputs[1]);
  assert.deepEqual(dwWeight?.dims, [16, 1, 3, 3]);
  const chan = m.graph.initializers.find((t) => t.name === 'chan__c11');
  assert.deepEqual(chan?.dims, [16, 1, 1]); // per-channel NHWC constant broadcast in NCHW
  assert.deepEqual(m.graph.nodes[2].inputs, [conv1.outputs[0]]); // HardSwish reads the conv, not the dead Mul/Add
  assert.deepEqual(m.graph.inputs[0].shape, ['N', SIZE, SIZE, 3]);
  assert.deepEqual(m.graph.outputs.map((o) => [o.name, o.shape]), [
    ['pooled_0', ['N', 8]],
    ['pooled_1', ['N', 16]],
  ]);
  // Every node input is produced earlier, is an initializer or the graph input (topological order).
  const known = new Set([...m.graph.initializers.map((t) => t.name), 'images']);
  for (const n of m.graph.nodes) {
    for (const i of n.inputs) assert.ok(known.has(i), `${n.name} reads ${i} before it exists`);
    for (const o of n.outputs) known.add(o);
  }
});

test('convertGraph without fusing keeps Mul/Add/Clip; unknown ops and nodes are named', () => {
  const ops = convertTiny(false).graph.nodes.map((n) => n.opType);
  assert.equal(ops.filter((o) => o === 'Clip').length, 3);
  assert.ok(!ops.includes('HardSwish') && !ops.includes('HardSigmoid'));
  const g = tinyGraph();
  const w = decodeWeights(g.specs, g.data);
  const bad = g.nodes.map((n) => (n.name === 'res' ? { ...n, op: 'BatchMatMul' } : n));
  assert.throws(() => convertGraph(bad, w, { featureNodes: ['out'], inputSize: SIZE }), /op 'BatchMatMul' \(node 'res'\)/);
  assert.throws(() => convertGraph(g.nodes, w, { featureNodes: ['nope'], inputSize: SIZE }), /feature node 'nope'/);
});

/**
 * A detector-style graph: the placeholder feeds a per-image loop the converter cannot map (as in COCO-SSD's
 * Preprocessor/map), entered at its output 'pre/gather'; then x·(2/255) − 1, a conv, and an AddN residual.
 */
function loopGraph(): { nodes: TfNode[]; specs: WeightSpec[]; data: Uint8Array; features: string[] } {
  const k = Float32Array.from({ length: 3 * 3 * 3 * 3 }, (_, i) => Math.sin(i) * 0.3);
  const b = Float32Array.of(0.1, -0.2, 0.05);
  const values = [Float32Array.of(2 / 255), Float32Array.of(1), k, b];
  const specs: WeightSpec[] = [
    { name: 'pre/mul/x', shape: [], dtype: 'float32' },
    { name: 'pre/sub/y', shape: [], dtype: 'float32' },
    { name: 'k', shape: [3, 3, 3, 3], dtype: 'float32' },
    { name: 'b', shape: [3], dtype: 'float32' },
  ];
  const data = new Uint8Array(values.reduce((s, v) => s + v.byteLength, 0));
  let o = 0;
  for (const v of values) {
    data.set(new Uint8Array(v.buffer), o);
    o += v.byteLength;
  }
  const nodes: TfNode[] = [
    { name: 'image_tensor', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } } } },
    ...specs.map((w) => ({ name: w.name, op: 'Const' })),
    op('pre/loop', 'TensorArrayV3', 'image_tensor'),
    op('pre/gather', 'TensorArrayGatherV3', 'pre/loop'),
    op('pre/mul', 'Mul', 'pre/mul/x', 'pre/gather'),
    op('pre/sub', 'Sub', 'pre/mul', 'pre/sub/y'),
    conv('c', 'pre/sub', 'k', 'b', { fused: ['BiasAdd', 'Relu6'] }),
    { name: 'res', op: 'AddN', input: ['c', 'pre/sub', 'c'] },
  ];
  return { nodes, specs, data, features: ['c', 'res'] };
}

test('convertGraph: a graph entered at an inner node (inputNode) skips what feeds it; AddN becomes Sum', () => {
  const g = loopGraph();
  const w = decodeWeights(g.specs, g.data);
  assert.throws(() => convertGraph(g.nodes, w, { featureNodes: g.features, inputSize: SIZE }), /op 'TensorArrayV3' \(node 'pre\/loop'\)/);
  const m = convertGraph(g.nodes, w, { featureNodes: g.features, inputSize: SIZE, inputNode: 'pre/gather' });
  assert.deepEqual(m.graph.nodes.map((n) => n.opType), ['Transpose', 'Mul', 'Sub', 'Conv', 'Clip', 'ReduceMean', 'Sum', 'ReduceMean']);
  assert.equal(m.graph.nodes[6].inputs.length, 3);
});

test('mergeFeatureModels: one input, members renamed apart, outputs renumbered in member order; mismatched inputs refused', () => {
  const a = convertTiny(true);
  const g = loopGraph();
  const b = convertGraph(g.nodes, decodeWeights(g.specs, g.data), { featureNodes: g.features, inputSize: SIZE, inputNode: 'pre/gather' });
  const opts = { inputName: 'images', outputName: (i: number) => `pooled_${i}`, producerVersion: 't' };
  const m = mergeFeatureModels([a, b], opts);
  assert.deepEqual(m.graph.inputs.map((v) => v.name), ['images']);
  assert.deepEqual(m.graph.outputs.map((o) => [o.name, o.shape]), [
    ['pooled_0', ['N', 8]],
    ['pooled_1', ['N', 16]],
    ['pooled_2', ['N', 3]],
    ['pooled_3', ['N', 3]],
  ]);
  assert.equal(m.graph.nodes.length, a.graph.nodes.length + b.graph.nodes.length);
  const names = [...m.graph.initializers.map((t) => t.name), ...m.graph.nodes.flatMap((n) => n.outputs)];
  assert.equal(new Set(names).size, names.length, 'no value is defined twice');
  const known = new Set([...m.graph.initializers.map((t) => t.name), 'images']);
  for (const n of m.graph.nodes) {
    for (const i of n.inputs) assert.ok(known.has(i), `${n.name} reads ${i} before it exists`);
    for (const o of n.outputs) known.add(o);
  }
  const other = convertGraph(g.nodes, decodeWeights(g.specs, g.data), { featureNodes: g.features, inputSize: SIZE + 2, inputNode: 'pre/gather' });
  assert.throws(() => mergeFeatureModels([a, other], opts), MergeError);
});

test('merged graph in ONNX Runtime = each member run alone; inputNode graph = TF.js fed at that node', { skip: NO_ORT }, async () => {
  const a = convertTiny(true);
  const g = loopGraph();
  const b = convertGraph(g.nodes, decodeWeights(g.specs, g.data), { featureNodes: g.features, inputSize: SIZE, inputNode: 'pre/gather' });
  const merged = mergeFeatureModels([a, b], { inputName: 'images', outputName: (i) => `pooled_${i}`, producerVersion: 't' });
  const n = 2;
  const x = Float32Array.from({ length: n * SIZE * SIZE * 3 }, (_, i) => (i * 53) % 256);
  const run = async (m: OnnxModel): Promise<Float32Array[]> => {
    const session = await ort!.InferenceSession.create(encodeModel(m));
    const out = await session.run({ images: new ort!.Tensor('float32', x, [n, SIZE, SIZE, 3]) });
    await session.release?.();
    return m.graph.outputs.map((o) => out[o.name].data as Float32Array);
  };
  const alone = [...(await run(a)), ...(await run(b))];
  const together = await run(merged);
  assert.equal(together.length, 4);
  together.forEach((t, k) => assert.deepEqual([...t], [...alone[k]], `output ${k}`));
  const tf = require('@tensorflow/tfjs-core') as typeof tfc;
  await setupCpu(tf);
  const conv = require('@tensorflow/tfjs-converter') as typeof tfconv;
  const net = await conv.loadGraphModel(
    tf.io.fromMemory({ modelTopology: { node: g.nodes, library: {}, versions: {} }, weightSpecs: g.specs as tfc.io.WeightsManifestEntry[], weightData: g.data.slice().buffer }),
  );
  const want = tf.tidy(() =>
    (net.execute({ 'pre/gather': tf.tensor4d(x, [n, SIZE, SIZE, 3]) }, g.features) as tfc.Tensor[]).map((t) => tf.mean(t, [1, 2]).dataSync() as Float32Array),
  );
  net.dispose();
  want.forEach((e, k) => {
    const got = alone[2 + k];
    const err = Math.max(...e.map((v, i) => Math.abs(v - got[i]) / Math.max(1, Math.abs(v))));
    assert.ok(err < 1e-5, `block ${k}: relative error ${err}`);
  });
});

test('combineBlocks and mirrorPacked', () => {
  const v = combineBlocks([Float32Array.of(3, 4, 0, 0), Float32Array.of(2, 0)], 2);
  const s = Math.SQRT1_2;
  // Row 1 is all zeros: zeros out, not NaN.
  assert.deepEqual([...v].map((x) => +x.toFixed(6)), [0.6 * s, 0.8 * s, 1 * s, 0, 0, 0].map((x) => +x.toFixed(6)));
  const img = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i);
  assert.deepEqual([...mirrorPacked(img, 1, 2)], [3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8]);
});

test('tiny graph: ONNX Runtime matches TF.js (cpu) on the same weights, fused and plain', { skip: NO_ORT }, async () => {
  const tf = require('@tensorflow/tfjs-core') as typeof tfc;
  await setupCpu(tf);
  const conv = require('@tensorflow/tfjs-converter') as typeof tfconv;
  const g = tinyGraph();
  const net = await conv.loadGraphModel(
    tf.io.fromMemory({ modelTopology: { node: g.nodes, library: {}, versions: {} }, weightSpecs: g.specs as tfc.io.WeightsManifestEntry[], weightData: g.data.slice().buffer }),
  );
  const n = 2;
  const x = Float32Array.from({ length: n * SIZE * SIZE * 3 }, (_, i) => ((i * 37) % 255) / 25 - 5);
  const expected = tf.tidy(() => (net.execute(tf.tensor4d(x, [n, SIZE, SIZE, 3]), g.features) as tfc.Tensor[]).map((t) => tf.mean(t, [1, 2]).dataSync() as Float32Array));
  for (const fuse of [true, false]) {
    const session = await ort!.InferenceSession.create(encodeModel(convertTiny(fuse)));
    const out = await session.run({ images: new ort!.Tensor('float32', x, [n, SIZE, SIZE, 3]) });
    expected.forEach((e, k) => {
      const got = out[`pooled_${k}`].data as Float32Array;
      assert.equal(got.length, e.length);
      const err = Math.max(...e.map((v, i) => Math.abs(v - got[i]) / Math.max(1, Math.abs(v))));
      assert.ok(err < 1e-5, `fuse=${fuse} block ${k}: relative error ${err}`);
    });
    await session.release?.();
  }
  net.dispose();
});

test('default model (two backbones merged in one graph): ONNX Runtime features match the TF.js runner (WASM) within 1e-4', { skip: NO_ORT }, async () => {
  const tf = require('@tensorflow/tfjs-core') as typeof tfc;
  await setupWasm(tf);
  const model = await resolveModel();
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-onnx-'));
  try {
    const runner = await OnnxRunner.create({ model, ort: ort!, threads: 1, cacheDir });
    assert.ok(fs.existsSync(runner.onnxPath) && runner.onnxPath.startsWith(cacheDir));
    assert.equal(runner.dim, 816);
    const S = 224;
    const pixels = Uint8Array.from({ length: 2 * S * S * 3 }, (_, i) => (i * 7 + (i >> 9)) & 255);
    const tfRunner = await FeatureRunner.create(tf, { model, flipTta: false });
    for (const flip of [false, true]) {
      const want = flip ? await (await FeatureRunner.create(tf, { model, flipTta: true })).embedPacked(pixels, 2) : await tfRunner.embedPacked(pixels, 2);
      const got = await runner.embedPacked(pixels, 2, flip);
      const err = Math.max(...want.map((v, i) => Math.abs(v - got[i])));
      assert.ok(err < 1e-4, `flip=${flip}: max abs error ${err}`);
    }
    await runner.dispose();
    tfRunner.dispose();
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("backend 'onnx' without onnxruntime-node fails with how to enable it", { skip: loadOnnxRuntime().ort ? 'onnxruntime-node is installed' : false }, async () => {
  await assert.rejects(createEmbedder({ backend: 'onnx', workers: 1 }), /onnxruntime-node is not installed \(npm i onnxruntime-node/);
});

test("createEmbedder: 'auto' picks ONNX Runtime when it can be required, and matches the WASM pool", { skip: NO_ORT }, async () => {
  const saved = { ort: process.env.LABELLINT_ONNXRUNTIME, cache: process.env.LABELLINT_CACHE_DIR };
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-onnx-'));
  // Worker threads inherit the environment: they find ORT and the converted model the same way.
  process.env.LABELLINT_ONNXRUNTIME = saved.ort ?? BENCH_ORT;
  process.env.LABELLINT_CACHE_DIR = cacheDir;
  try {
    const S = 224;
    const images = [0, 1, 2].map((seed) => Uint8Array.from({ length: S * S * 3 }, (_, i) => (i * (seed + 3) + (i >> 10)) & 255));
    const auto = await createEmbedder({ workers: 2, batchSize: 2 });
    const wasm = await createEmbedder({ backend: 'wasm', workers: 1 });
    try {
      assert.equal(auto.backend, 'onnx');
      assert.match(auto.backendDetail, /onnxruntime-node .* × 2 worker threads/);
      assert.equal(auto.model.key, wasm.model.key);
      const [a, w] = [await auto.embed(images), await wasm.embed(images)];
      a.forEach((v, i) => assert.ok(Math.max(...v.map((x, j) => Math.abs(x - w[i][j]))) < 1e-4, `image ${i}`));
    } finally {
      await auto.dispose();
      await wasm.dispose();
    }
  } finally {
    for (const [k, v] of [['LABELLINT_ONNXRUNTIME', saved.ort], ['LABELLINT_CACHE_DIR', saved.cache]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});
