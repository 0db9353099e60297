/**
 * Model registry: resolving built-ins and user models, validation messages, cache keys. No TensorFlow here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUILTIN_MODELS, DEFAULT_MODEL_ID, getModelSpec, ModelError, resolveModel } from '../../server/engine/embed/models/registry';

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
  assert.equal(getModelSpec('ssdlite-mnv2')?.dim, 576);
  assert.equal(getModelSpec('nsfwjs-mnv2-mid')?.dim, 1792);
  assert.equal(getModelSpec('centernet+ssdlite')?.dim, 816);
  for (const m of BUILTIN_MODELS) assert.ok(m.source.kind === 'members' || m.featureNodes.length > 0, m.id);
});

test('the default ensemble resolves to both members: their nodes in order, 816-d, a key over both members', async () => {
  const r = await resolveModel('centernet+ssdlite');
  const cn = await resolveModel('centernet-mnv3');
  const ssd = await resolveModel('ssdlite-mnv2');
  assert.deepEqual(r.members?.map((m) => m.spec.id), ['centernet-mnv3', 'ssdlite-mnv2']);
  assert.deepEqual(r.spec.featureNodes, [...cn.spec.featureNodes, ...ssd.spec.featureNodes]);
  assert.equal(r.spec.dim, 816);
  assert.ok(r.key.includes(`(${cn.key})`) && r.key.includes(`(${ssd.key})`), r.key);
  // The SSD member is entered after the detector's resize loop, and that is part of its key.
  assert.equal(ssd.spec.inputNode, 'Preprocessor/map/TensorArrayStack/TensorArrayGatherV3');
  assert.match(ssd.key, /\|input=Preprocessor\/map\/TensorArrayStack\/TensorArrayGatherV3$/);
  assert.doesNotMatch(cn.key, /input=/, 'keys of models without an input node are unchanged (their caches stay valid)');
  assert.match(getModelSpec('ssdlite-mnv2')!.licence, /Apache-2\.0/);
  await assert.rejects(resolveModel('centernet+ssdlite', ['tower_0/MobilenetV3/expanded_conv_14/add']), /layers are fixed.*pick one of them/);
});

test('resolveModel: built-ins resolve to existing files and a stable key', async () => {
  for (const m of BUILTIN_MODELS) {
    const r = await resolveModel(m.id);
    assert.ok(fs.existsSync(r.modelJsonPath));
    assert.ok(r.weightPaths.length > 0 && r.weightPaths.every((p) => fs.existsSync(p)));
    const again = await resolveModel(m.id);
    assert.equal(again.key, r.key);
    const id = m.id.replace('+', '\\+');
    assert.match(r.key, new RegExp(m.source.kind === 'members' ? `^${id}\\|pp=\\d+\\|\\(` : `^${id}\\|files=[0-9a-f]{16}:\\d+\\|`));
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

// ---- user registry files and url entries (./registry.ts loadModelRegistry / parseModelRegistry) --------------------

const HASH = 'ab'.repeat(32);

function urlEntry(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: 'A downloadable backbone',
    licence: 'Apache-2.0',
    source: { kind: 'url', files: [{ url: 'https://example.org/m/model.json', sha256: HASH }, { url: 'https://example.org/m/group1-shard1of1.bin', sha256: HASH.toUpperCase() }] },
    format: 'graph',
    inputSize: 224,
    pixelRange: '-1-1',
    featureNodes: ['a/b'],
    ...extra,
  };
}

test('registry file: valid entries parse, hashes lower-cased, file sources resolved against the file', async () => {
  const { loadModelRegistry, listModels } = await import('../../server/engine/embed/models/registry');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-reg-'));
  try {
    const file = path.join(dir, 'registry.json');
    const local = { ...urlEntry('local-one'), source: { kind: 'file', modelJson: 'models/model.json' } };
    fs.writeFileSync(file, JSON.stringify({ models: [urlEntry('remote-one'), local] }));
    const specs = loadModelRegistry(file);
    assert.deepEqual(specs.map((s) => s.id), ['remote-one', 'local-one']);
    const src = specs[0].source;
    assert.equal(src.kind, 'url');
    if (src.kind === 'url') assert.ok(src.files.every((f) => f.sha256 === HASH));
    assert.deepEqual(specs[1].source, { kind: 'file', modelJson: path.join(dir, 'models', 'model.json') });
    assert.equal(specs[0].dim, 0);
    assert.deepEqual(listModels(specs).map((m) => m.id).slice(-2), ['remote-one', 'local-one']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('registry file: bad entries name the entry and the field', async () => {
  const { parseModelRegistry } = await import('../../server/engine/embed/models/registry');
  const bad = (e: Record<string, unknown>, re: RegExp): void => assert.throws(() => parseModelRegistry([e], '/'), re);
  bad(urlEntry('centernet-mnv3'), /'centernet-mnv3'.*id must be unique/);
  bad(urlEntry('Upper'), /id must be a lower-case name/);
  bad(urlEntry('x', { source: { kind: 'url', files: [{ url: 'https://e.org/m.json', sha256: 'abc' }] } }), /'x'.*source.files\[0\].sha256 must be 64 hex digits/);
  bad(urlEntry('x', { source: { kind: 'url', files: [{ url: 'ftp://e.org/m.json', sha256: HASH }] } }), /an http\(s\) URL/);
  bad(urlEntry('x', { source: { kind: 'url', files: [{ url: 'https://e.org/a/m.json', sha256: HASH }, { url: 'https://e.org/b/m.json', sha256: HASH }] } }), /distinct file name/);
  bad(urlEntry('x', { pixelRange: '0-2' }), /pixelRange must be '0-255' or '0-1' or '-1-1'/);
  bad(urlEntry('x', { featureNodes: [] }), /featureNodes must be a non-empty array/);
  bad(urlEntry('x', { inputSize: 8 }), /inputSize must be an integer in 16–2048/);
  assert.throws(() => parseModelRegistry({ entries: [] }, '/'), /expected \{"models": \[\.\.\.\]\}/);
  assert.throws(() => parseModelRegistry([urlEntry('a'), urlEntry('a')], '/'), /'a'.*unique/);
});

test('resolveModel: a url entry that is not downloaded says how to download it', async () => {
  const { parseModelRegistry } = await import('../../server/engine/embed/models/registry');
  const [spec] = parseModelRegistry([urlEntry('remote-one')], '/');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-md-'));
  try {
    await assert.rejects(
      resolveModel('remote-one', undefined, { registry: [spec], modelDir: dir }),
      /remote-one is not downloaded \(.*remote-one[/\\]model\.json is missing\)\. Run 'labellint models download remote-one' --dir /,
    );
    await assert.rejects(resolveModel('remote-one'), /Unknown model 'remote-one'/, 'user entries only count when given');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('resolveModel: a registry file entry with a file source loads like a built-in (env LABELLINT_MODEL_REGISTRY)', async () => {
  const user = await copyCenternet();
  const dir = path.dirname(user);
  const file = path.join(dir, 'registry.json');
  fs.writeFileSync(
    file,
    JSON.stringify([{ ...urlEntry('my-centernet'), source: { kind: 'file', modelJson: 'model.json' }, pixelRange: '0-255', featureNodes: [CENTERNET_14], dim: 120, graphPatch: { relaxInputShape: true, dropSignature: true } }]),
  );
  const before = process.env.LABELLINT_MODEL_REGISTRY;
  process.env.LABELLINT_MODEL_REGISTRY = file;
  try {
    const r = await resolveModel('my-centernet');
    assert.equal(r.spec.id, 'my-centernet');
    assert.equal(r.spec.inputSize, 224, 'the entry’s input size wins over the file’s 512');
    assert.deepEqual(r.spec.featureNodes, [CENTERNET_14]);
  } finally {
    if (before === undefined) delete process.env.LABELLINT_MODEL_REGISTRY;
    else process.env.LABELLINT_MODEL_REGISTRY = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('built-ins record licence facts', () => {
  assert.match(getModelSpec('centernet-mnv3')!.licence, /no licence known.*610265158\/mobilenetv3_centernet.*no LICENSE file/s);
  assert.match(getModelSpec('nsfwjs-mnv2-mid')!.licence, /^MIT/);
});

test('cli: models and models download parse', async () => {
  const { parseArgs } = await import('../../server/cli/args');
  assert.deepEqual(parseArgs(['models']), { command: 'models', registry: null });
  assert.deepEqual(parseArgs(['models', '--registry', '/r.json']), { command: 'models', registry: '/r.json' });
  assert.deepEqual(parseArgs(['models', 'download', 'x', '--dir=/d']), { command: 'models-download', id: 'x', dir: '/d', registry: null });
  assert.throws(() => parseArgs(['models', 'download']), /exactly one model id/);
  assert.throws(() => parseArgs(['models', 'fetch', 'x']), /unknown models subcommand 'fetch'/);
  assert.throws(() => parseArgs(['models', 'download', 'x', '--force']), /unknown option --force/);
  assert.throws(() => parseArgs(['models', '--dir', '/d']), /--dir goes with models download/);
});
