/**
 * The opt-in ONNX Model Zoo entries (server/engine/embed/models/zoo.ts): pinned URLs and hashes as the zoo's LFS
 * pointers state them, and the whole download → verify → resolve → embed path run offline against a local
 * HTTP server that serves a tiny ONNX network in place of the real file (no entry was ever downloaded here).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { loadOnnxRuntime, OnnxRunner } from '../../server/engine/embed/onnxRunner';
import { DownloadError, downloadModel } from '../../server/engine/embed/models/download';
import { PREPROCESS } from '../../server/engine/embed/models/onnxModel';
import { BUILTIN_MODELS, DOWNLOADABLE_MODELS, getModelSpec, listModels, ModelError, ModelSpec, parseModelRegistry, resolveModel } from '../../server/engine/embed/models/registry';
import { ONNX_ZOO_BYTES, ONNX_ZOO_COMMIT, ONNX_ZOO_MODELS } from '../../server/engine/embed/models/zoo';
import { nchwNet } from './helpers/tiny-onnx';

const ort = loadOnnxRuntime(undefined).ort;
const NO_ORT = ort ? false : 'onnxruntime-node is not installed';

const tiny = Buffer.from(nchwNet());
let server: http.Server;
let base = '';
let tmp = '';
let tamper = false;

before(async () => {
  server = http.createServer((req, res) => {
    if (!(req.url ?? '').endsWith('.onnx')) {
      res.writeHead(404).end();
      return;
    }
    const body = Buffer.from(tiny);
    if (tamper) body[body.length - 3] ^= 0xff;
    res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-zoo-'));
  process.env.LABELLINT_CACHE_DIR = tmp; // patched copies of the models go to <cache>/onnx
});

after(() => {
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('zoo entries: pinned to one onnx/models commit, sha256 and licence recorded, listed after the built-ins', () => {
  assert.ok(ONNX_ZOO_MODELS.length >= 6);
  const ids = listModels().map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids.slice(0, BUILTIN_MODELS.length), BUILTIN_MODELS.map((m) => m.id), 'the default stays first');
  for (const m of ONNX_ZOO_MODELS) {
    assert.equal(m.format, 'onnx', m.id);
    assert.ok(m.source.kind === 'url' && m.source.files.length === 1, m.id);
    const { url, sha256 } = m.source.files[0];
    assert.match(url, new RegExp(`^https://media\\.githubusercontent\\.com/media/onnx/models/${ONNX_ZOO_COMMIT}/validated/vision/classification/[a-z0-9_/.-]+\\.onnx$`), m.id);
    assert.match(sha256, /^[0-9a-f]{64}$/, m.id);
    assert.match(m.licence, /^(Apache-2\.0|MIT) \(the model's README: https:\/\/github\.com\/onnx\/models\/blob\//, m.id);
    assert.equal(m.featureNodes.length, 1, m.id);
    assert.ok(m.dim > 0 && m.preprocess, m.id);
    assert.ok((ONNX_ZOO_BYTES.get(m.id) ?? 0) > 1e6, m.id);
    assert.ok(DOWNLOADABLE_MODELS.includes(m));
  }
  // The example the issue quotes from the LFS pointer of resnet50-v1-12-int8.onnx at this commit.
  const int8 = getModelSpec('onnx-resnet50-v1-12-int8')!;
  assert.ok(int8.source.kind === 'url');
  assert.equal(int8.source.files[0].sha256, 'c234f30975989788b4405f25253275aae247ab6dbdd34aaa69ab0a59ff76f6d0');
  assert.equal(ONNX_ZOO_BYTES.get('onnx-resnet50-v1-12-int8'), 25_816_052);
  assert.deepEqual(getModelSpec('onnx-efficientnet-lite4')!.preprocess, { mean: [127, 127, 127], std: [128, 128, 128] });
  assert.deepEqual(getModelSpec('onnx-resnet50-v1')!.preprocess, PREPROCESS.imagenet);
  // A registry file cannot take a zoo id.
  assert.throws(() => parseModelRegistry([{ ...registryEntry('x'), id: 'onnx-resnet50-v1' }], tmp), /unique/);
});

test('zoo entries: not downloaded → resolveModel says which command fetches it', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'empty-'));
  await assert.rejects(resolveModel('onnx-mobilenetv2', undefined, { modelDir: dir }), (e: Error) => {
    assert.ok(e instanceof ModelError);
    assert.match(e.message, /onnx-mobilenetv2 is not downloaded .*mobilenetv2-10\.onnx is missing.*labellint models download onnx-mobilenetv2/);
    return true;
  });
});

/** A registry-file entry for an ONNX model served by the local server. */
function registryEntry(id: string): Record<string, unknown> {
  return {
    id,
    name: 'tiny ONNX served locally',
    licence: 'test',
    source: { kind: 'url', files: [{ url: `${base}/m/${id}.onnx`, sha256: crypto.createHash('sha256').update(tiny).digest('hex') }] },
    format: 'onnx',
    inputSize: 32,
    preprocess: 'zero-one',
    featureNodes: ['relu1', 'c2'],
    dim: 10,
  };
}

test('registry files: ONNX entries parse (preset or explicit preprocessing) and are validated', () => {
  const [a] = parseModelRegistry([registryEntry('tiny-a')], tmp);
  assert.equal(a.format, 'onnx');
  assert.deepEqual(a.preprocess, PREPROCESS['zero-one']);
  const [b] = parseModelRegistry([{ ...registryEntry('tiny-b'), preprocess: { mean: [1, 2, 3], std: [4, 5, 6] } }], tmp);
  assert.deepEqual(b.preprocess, { mean: [1, 2, 3], std: [4, 5, 6] });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...registryEntry('t1'), preprocess: 'caffe' }, /preprocess must be one of imagenet, zero-one, raw255, minus-one-one/],
    [{ ...registryEntry('t2'), preprocess: { mean: [0, 0, 0], std: [0, 1, 1] } }, /preprocess must be/],
    [{ ...registryEntry('t3'), format: 'graph', pixelRange: '0-255' }, /preprocess must be absent for TF.js models/],
    [{ ...registryEntry('t4'), source: { kind: 'url', files: [{ url: `${base}/a.onnx`, sha256: 'a'.repeat(64) }, { url: `${base}/b.bin`, sha256: 'b'.repeat(64) }] } }, /one file \(the \.onnx\)/],
    [{ ...registryEntry('t5'), format: 'tflite' }, /format must be 'graph', 'layers' or 'onnx'/],
  ];
  for (const [entry, re] of bad) assert.throws(() => parseModelRegistry([entry], tmp), re, re.source);
});

/** A zoo entry as shipped (format, preprocessing, licence) but pointing at the local server and the tiny net. */
function localZooSpec(id: string): ModelSpec {
  const zoo = getModelSpec('onnx-resnet18-v1')!;
  return {
    ...zoo,
    id,
    source: { kind: 'url', files: [{ url: `${base}/validated/vision/classification/resnet/model/${id}.onnx`, sha256: crypto.createHash('sha256').update(tiny).digest('hex') }] },
    featureNodes: ['relu1', 'c2'],
    dim: 10,
  };
}

test('download → verify → resolve → embed with ONNX Runtime, offline', { skip: NO_ORT }, async () => {
  tamper = false;
  const spec = localZooSpec('zoo-local');
  const dir = fs.mkdtempSync(path.join(tmp, 'dl-'));
  const r = await downloadModel(spec, dir);
  assert.equal(r.files.length, 1);
  assert.equal(r.files[0].path, path.join(dir, 'zoo-local', 'zoo-local.onnx'));
  assert.equal(r.files[0].bytes, tiny.length);
  const again = await downloadModel(spec, dir);
  assert.equal(again.files[0].reused, true, 'a verified file is not fetched twice');

  const model = await resolveModel('zoo-local', undefined, { registry: [spec], modelDir: dir });
  assert.equal(model.encoding, 'onnx');
  assert.equal(model.onnx?.layout, 'NCHW');
  assert.deepEqual(model.onnx?.normalize, PREPROCESS.imagenet, "the entry's preprocessing, not the layout default");
  assert.match(model.key, /^zoo-local\|files=/);
  const runner = await OnnxRunner.create({ model, ort: ort!, threads: 1 });
  try {
    assert.equal(runner.dim, 10);
    const img = new Uint8Array(224 * 224 * 3).map((_, i) => (i * 31) % 256);
    const v = await runner.embedPacked(img, 1);
    assert.equal(v.length, 10);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
  } finally {
    await runner.dispose();
  }
});

test('download: a file whose sha256 differs from the entry is refused and nothing is installed', async () => {
  tamper = true;
  const spec = localZooSpec('zoo-tampered');
  const dir = fs.mkdtempSync(path.join(tmp, 'bad-'));
  await assert.rejects(downloadModel(spec, dir), (e: Error) => e instanceof DownloadError && /zoo-tampered: .* has sha256 [0-9a-f]{64}, the registry says/.test(e.message));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'zoo-tampered')), []);
  await assert.rejects(resolveModel('zoo-tampered', undefined, { registry: [spec], modelDir: dir }), /is not downloaded/);
  tamper = false;
});
