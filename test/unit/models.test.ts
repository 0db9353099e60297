/**
 * Model registry: resolving built-ins and user models, validation messages, cache keys. No TensorFlow here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUILTIN_MODELS, DEFAULT_MODEL_ID, getModelSpec, ModelError, resolveModel } from '../../server/engine/models/registry';

const CENTERNET_14 = 'tower_0/MobilenetV3/expanded_conv_14/add';

/** Copies the bundled CenterNet graph into a temp dir, as a user would supply their own model. */
async function copyCenternet(): Promise<string> {
  const src = await resolveModel('centernet-mnv3');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-model-'));
  fs.copyFileSync(src.modelJsonPath, path.join(dir, 'model.json'));
  for (const w of src.weightPaths) fs.copyFileSync(w, path.join(dir, path.basename(w)));
  return path.join(dir, 'model.json');
}

test('registry: ids are unique, default first, dims and sources declared', () => {
  const ids = BUILTIN_MODELS.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids[0], DEFAULT_MODEL_ID);
  assert.equal(getModelSpec('centernet-mnv3')?.dim, 240);
  assert.equal(getModelSpec('nsfwjs-mnv2-mid')?.dim, 1792);
  for (const m of BUILTIN_MODELS) assert.ok(m.featureNodes.length > 0, m.id);
});

test('resolveModel: built-ins resolve to existing files and a stable key', async () => {
  for (const m of BUILTIN_MODELS) {
    const r = await resolveModel(m.id);
    assert.ok(fs.existsSync(r.modelJsonPath));
    assert.ok(r.weightPaths.length > 0 && r.weightPaths.every((p) => fs.existsSync(p)));
    const again = await resolveModel(m.id);
    assert.equal(again.key, r.key);
    assert.match(r.key, new RegExp(`^${m.id}\\|files=[0-9a-f]{16}:\\d+\\|`));
  }
  const def = await resolveModel();
  assert.equal(def.spec.id, DEFAULT_MODEL_ID);
});

test('resolveModel: other layers change the key; dim becomes unknown', async () => {
  const base = await resolveModel('centernet-mnv3');
  const sub = await resolveModel('centernet-mnv3', [CENTERNET_14]);
  assert.notEqual(sub.key, base.key);
  assert.deepEqual(sub.spec.featureNodes, [CENTERNET_14]);
  assert.equal(sub.spec.dim, 0);
});

test('resolveModel: unknown id lists the valid ones', async () => {
  await assert.rejects(resolveModel('resnet-9000'), (e: Error) => {
    assert.ok(e instanceof ModelError);
    assert.match(e.message, /Unknown model 'resnet-9000'.*centernet-mnv3.*nsfwjs-mnv2-mid/);
    return true;
  });
});

test('resolveModel: missing file, unknown layer and missing shard give clear errors', async () => {
  await assert.rejects(resolveModel('/nonexistent/dir/model.json'), /Model file not found: .*model\.json/);
  const user = await copyCenternet();
  try {
    await assert.rejects(
      resolveModel(user, ['tower_0/MobilenetV3/expanded_conv_99/add']),
      /Unknown node 'tower_0\/MobilenetV3\/expanded_conv_99\/add'.*Similar names: .*\/add/,
    );
    // A directory resolves to its model.json.
    const r = await resolveModel(path.dirname(user), [CENTERNET_14]);
    assert.equal(r.spec.format, 'graph');
    assert.equal(r.spec.inputSize, 512, 'the fixed input shape of the file is used when none is asked for');
    assert.match(r.spec.id, /^custom:/);
    assert.match(r.key, /^custom\|files=/);
    const at224 = await resolveModel(user, [CENTERNET_14], { inputSize: 224 });
    assert.equal(at224.spec.inputSize, 224);
    assert.equal(at224.spec.graphPatch?.relaxInputShape, true);
    fs.unlinkSync(path.join(path.dirname(user), 'centernet.bin'));
    await assert.rejects(resolveModel(user), /Weight file 'centernet\.bin' .* is missing/);
  } finally {
    fs.rmSync(path.dirname(user), { recursive: true, force: true });
  }
});

test('resolveModel: a JSON file that is not a model is rejected', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-model-'));
  try {
    const file = path.join(dir, 'model.json');
    fs.writeFileSync(file, JSON.stringify({ hello: 'world' }));
    await assert.rejects(resolveModel(file), /not a TensorFlow\.js model\.json/);
    fs.writeFileSync(file, '{ not json');
    await assert.rejects(resolveModel(file), /Could not read model/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('resolveModel: a user model keeps its key when moved, and the key follows the content', async () => {
  const a = await copyCenternet();
  const b = await copyCenternet();
  try {
    const node = [CENTERNET_14];
    const ka = (await resolveModel(a, node)).key;
    assert.equal((await resolveModel(b, node)).key, ka);
    assert.notEqual((await resolveModel(b, node, { pixelRange: '0-1' })).key, ka);
    const bin = path.join(path.dirname(b), 'centernet.bin');
    const bytes = fs.readFileSync(bin);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(bin, bytes);
    assert.notEqual((await resolveModel(b, node)).key, ka);
  } finally {
    for (const f of [a, b]) fs.rmSync(path.dirname(f), { recursive: true, force: true });
  }
});
