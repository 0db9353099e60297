/**
 * Opt-in model download, offline: a local HTTP server on 127.0.0.1 serves a copy of the bundled CenterNet files.
 * Covers download + verify + load + embed, a tampered file (refused, nothing installed), a connection closed
 * mid-file (resumed with Range, within one call and across calls), a server that ignores Range, and reuse.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { setupCpu } from '../../server/engine/embed/backend';
import { FeatureRunner } from '../../server/engine/embed/runner';
import { DownloadError, downloadModel } from '../../server/engine/embed/models/download';
import { getModelSpec, ModelSpec, resolveModel } from '../../server/engine/embed/models/registry';

interface Behaviour {
  /** Serve this file with one byte changed. */
  tamper?: string;
  /** Close the connection after this many bytes, on the first request for `file` only. */
  cut?: { file: string; after: number; done?: boolean };
  /** Answer every request with the whole file (200), as a server without Range support. */
  ignoreRange?: boolean;
}

const served = new Map<string, Buffer>();
const requests: { file: string; range: string | undefined }[] = [];
let behaviour: Behaviour = {};
let server: http.Server;
let base = '';
let tmp = '';

before(async () => {
  const src = await resolveModel('centernet-mnv3');
  served.set('centernet.json', fs.readFileSync(src.modelJsonPath));
  served.set('centernet.bin', fs.readFileSync(src.weightPaths[0]));
  assert.equal(src.weightPaths.length, 1);
  server = http.createServer((req, res) => {
    const file = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0]);
    const range = req.headers.range;
    requests.push({ file, range });
    let body = served.get(file);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    if (behaviour.tamper === file) {
      body = Buffer.from(body);
      body[Math.floor(body.length / 2)] ^= 0xff;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    if (m && !behaviour.ignoreRange) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      res.writeHead(200, { 'Content-Length': body.length });
    }
    const cut = behaviour.cut;
    if (cut && cut.file === file && !cut.done) {
      cut.done = true;
      res.write(body.subarray(start, start + cut.after), () => res.socket?.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-dl-'));
});

after(() => {
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

/** A `url` registry entry for the served copy of CenterNet (same nodes and preprocessing as the built-in). */
function spec(id: string): ModelSpec {
  const builtin = getModelSpec('centernet-mnv3')!;
  return {
    ...builtin,
    id,
    name: 'CenterNet served locally',
    source: {
      kind: 'url',
      files: ['centernet.json', 'centernet.bin'].map((f) => ({ url: `${base}/${f}`, sha256: sha(served.get(f)!) })),
    },
  };
}

function fresh(name: string): string {
  behaviour = {};
  requests.length = 0;
  return fs.mkdtempSync(path.join(tmp, `${name}-`));
}

test('download: fetches, verifies, loads and embeds one image', async () => {
  const dir = fresh('ok');
  const s = spec('local-centernet');
  const seen: number[] = [];
  const r = await downloadModel(s, dir, { onProgress: (p) => seen.push(p.received) });
  assert.equal(r.dir, path.join(dir, 'local-centernet'));
  assert.deepEqual(r.files.map((f) => path.basename(f.path)), ['centernet.json', 'centernet.bin']);
  assert.ok(r.files.every((f) => !f.reused && f.requests === 1 && f.resumedFrom === 0));
  assert.ok(seen.length > 0);
  assert.deepEqual(fs.readdirSync(r.dir).sort(), ['centernet.bin', 'centernet.json'], 'no .part files left');

  const model = await resolveModel('local-centernet', undefined, { registry: [s], modelDir: dir });
  assert.equal(model.modelJsonPath, path.join(r.dir, 'centernet.json'));
  const tf = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
  await setupCpu(tf);
  const runner = await FeatureRunner.create(tf, { model, flipTta: false });
  try {
    const size = model.spec.inputSize;
    const img = new Uint8Array(size * size * 3).map((_, i) => (i * 37) % 256);
    const v = await runner.embedPacked(img, 1);
    assert.equal(v.length, 240);
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-4, `unit length, got ${norm}`);
  } finally {
    runner.dispose();
  }

  // A second run keeps the verified files and fetches nothing.
  requests.length = 0;
  const again = await downloadModel(s, dir);
  assert.ok(again.files.every((f) => f.reused));
  assert.equal(requests.length, 0);
});

test('download: a tampered file is refused, deleted, and never loadable', async () => {
  const dir = fresh('tampered');
  behaviour.tamper = 'centernet.bin';
  const s = spec('tampered-centernet');
  await assert.rejects(downloadModel(s, dir), (e: Error) => {
    assert.ok(e instanceof DownloadError);
    assert.match(e.message, /centernet\.bin has sha256 [0-9a-f]{64}, the registry says [0-9a-f]{64}/);
    return true;
  });
  const files = fs.readdirSync(path.join(dir, 'tampered-centernet'));
  assert.deepEqual(files, ['centernet.json'], 'only the verified JSON is installed; the bad .part is gone');
  await assert.rejects(resolveModel('tampered-centernet', undefined, { registry: [s], modelDir: dir }), /is not downloaded .*centernet\.bin is missing.*models download tampered-centernet/);
});

test('download: a verified file altered on disk afterwards fails resolveModel', async () => {
  const dir = fresh('altered');
  const s = spec('altered-centernet');
  const r = await downloadModel(s, dir);
  const bin = r.files[1].path;
  const bytes = fs.readFileSync(bin);
  bytes[10] ^= 1;
  fs.writeFileSync(bin, bytes);
  await assert.rejects(resolveModel('altered-centernet', undefined, { registry: [s], modelDir: dir }), /has sha256 .* expected/);
});

test('download: a connection closed mid-file resumes with Range in the same call', async () => {
  const dir = fresh('resume');
  const size = served.get('centernet.bin')!.length;
  behaviour.cut = { file: 'centernet.bin', after: 1_000_000 };
  const r = await downloadModel(spec('resumed-centernet'), dir);
  const bin = r.files[1];
  assert.equal(bin.requests, 2);
  assert.equal(bin.bytes, size);
  const binRequests = requests.filter((q) => q.file === 'centernet.bin');
  assert.equal(binRequests[0].range, undefined);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(binRequests[1].range ?? '')?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= 1_000_000, `resumed at ${binRequests[1].range}`);
  assert.equal(sha(fs.readFileSync(bin.path)), sha(served.get('centernet.bin')!));
});

test('download: an interrupted run leaves a .part that the next run resumes', async () => {
  const dir = fresh('partial');
  const s = spec('partial-centernet');
  behaviour.cut = { file: 'centernet.bin', after: 1_500_000 };
  await assert.rejects(downloadModel(s, dir, { retries: 0 }), /connection lost after \d+ bytes.*Run the download again to resume/);
  const part = path.join(dir, 'partial-centernet', 'centernet.bin.part');
  const kept = fs.statSync(part).size;
  assert.ok(kept > 0 && kept <= 1_500_000);
  assert.ok(!fs.existsSync(path.join(dir, 'partial-centernet', 'centernet.bin')));
  requests.length = 0;
  const r = await downloadModel(s, dir);
  assert.equal(r.files[0].reused, true);
  assert.equal(r.files[1].resumedFrom, kept);
  assert.deepEqual(requests.map((q) => q.range), [`bytes=${kept}-`]);
  assert.equal(sha(fs.readFileSync(r.files[1].path)), sha(served.get('centernet.bin')!));
});

test('download: a server that ignores Range restarts the file from zero', async () => {
  const dir = fresh('norange');
  const s = spec('norange-centernet');
  behaviour.cut = { file: 'centernet.bin', after: 700_000 };
  await assert.rejects(downloadModel(s, dir, { retries: 0 }), DownloadError);
  behaviour.ignoreRange = true;
  const r = await downloadModel(s, dir);
  assert.equal(sha(fs.readFileSync(r.files[1].path)), sha(served.get('centernet.bin')!));
});

test('download: HTTP errors and non-url models fail clearly', async () => {
  const dir = fresh('errors');
  const s = spec('missing-centernet');
  const broken: ModelSpec = { ...s, source: { kind: 'url', files: [{ url: `${base}/nope.json`, sha256: '0'.repeat(64) }] } };
  await assert.rejects(downloadModel(broken, dir), /nope\.json: HTTP 404/);
  await assert.rejects(downloadModel(getModelSpec('centernet-mnv3')!, dir), /not a downloadable model .*npm package @vladmandic\/human/);
});
