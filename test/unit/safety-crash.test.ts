/**
 * Issue 12, crashes: shutting the embedding worker pool down while a batch runs must not kill a worker mid-batch
 * (ONNX Runtime aborts the whole process: `terminate called after throwing an instance of 'Napi::Error'`), so
 * Ctrl-C exits 130 and SIGTERM 143 with a valid cache.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { SqliteDb } from '../../server/engine/store/sqlite';
import { WorkerPool } from '../../server/engine/embed/pool';
import { BIN, sampleImages, tempDir } from './trust-helpers';

/** A stand-in worker: each batch takes 400 ms and appends start/done lines to a log, so a kill mid-batch shows. */
const FAKE_WORKER = `
const { parentPort } = require('worker_threads');
const fs = require('fs');
const log = process.env.FAKE_POOL_LOG;
parentPort.on('message', (msg) => {
  if (msg.type === 'init') return parentPort.postMessage({ type: 'ready', backend: 'fake', backendDetail: 'fake', dim: 2 });
  if (msg.type === 'close') { fs.appendFileSync(log, 'closed\\n'); parentPort.close(); return; }
  fs.appendFileSync(log, 'start ' + msg.id + '\\n');
  const until = Date.now() + 400;
  while (Date.now() < until) {} // busy, like a native inference call
  fs.appendFileSync(log, 'done ' + msg.id + '\\n');
  parentPort.postMessage({ type: 'result', id: msg.id, vectors: new Float32Array(msg.n * 2) });
});
`;

test('worker pool: dispose during a batch waits for the batch and closes each worker cleanly (no terminate mid-batch)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-pool-'));
  try {
    const file = path.join(dir, 'fake-worker.js');
    const log = path.join(dir, 'log.txt');
    fs.writeFileSync(file, FAKE_WORKER);
    fs.writeFileSync(log, '');
    process.env.FAKE_POOL_LOG = log;
    const pool = await WorkerPool.start({ model: {} as never, backend: 'cpu', workers: 2, flipTta: false, workerFile: file });
    const a = pool.run(new Uint8Array(4), 1);
    const b = pool.run(new Uint8Array(4), 1);
    const c = pool.run(new Uint8Array(4), 1); // queued: never started
    const settled = Promise.allSettled([a, b, c]);
    await new Promise((r) => setTimeout(r, 100));
    await pool.dispose();
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').sort();
    assert.deepEqual(lines, ['closed', 'closed', 'done 1', 'done 2', 'start 1', 'start 2']);
    const [ra, rb, rc] = await settled;
    assert.equal(ra.status, 'fulfilled', 'the in-flight batch finished');
    assert.equal(rb.status, 'fulfilled');
    assert.equal(rc.status, 'rejected', 'the queued batch was cancelled');
  } finally {
    delete process.env.FAKE_POOL_LOG;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function ortAvailable(): boolean {
  try {
    require.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

function cacheIntact(root: string): boolean {
  const file = path.join(root, '.labellint', 'cache.db');
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
  const db = SqliteDb.open(file, { busyTimeoutMs: 10_000 });
  try {
    return db.pragmaValue('integrity_check') === 'ok';
  } finally {
    db.close();
  }
}

/** Runs the CLI with ONNX Runtime on 320 images and sends `signal` once embedding has started. */
async function interruptDuringEmbedding(signal: NodeJS.Signals): Promise<{ code: number | null; sig: NodeJS.Signals | null; err: string; root: string }> {
  const root = tempDir(`sig-${signal}`);
  for (const cls of ['bag', 'coat', 'sneaker', 'trouser']) {
    fs.mkdirSync(path.join(root, cls));
    for (const src of sampleImages(cls, 80)) fs.copyFileSync(src, path.join(root, cls, path.basename(src)));
  }
  const child = spawn(process.execPath, [BIN, 'analyze', root, '--backend', 'onnx', '--workers', '2', '--out', path.join(root, 'r.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let sent = false;
  child.stdout.resume();
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    // Progress is printed every few seconds: signal 0.8 s after embedding begins (≈ a third of the way).
    if (!sent && /embed\s+0\/320/.test(err)) {
      sent = true;
      setTimeout(() => child.kill(signal), 800);
    }
  });
  const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  assert.ok(sent, `embedding never started: ${err.slice(-500)}`);
  return { code, sig, err, root };
}

for (const [signal, expected] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`ONNX Runtime: ${signal} during embedding exits ${expected} (no abort), the cache stays valid`, { skip: !ortAvailable() && 'onnxruntime-node not installed' }, async () => {
    const r = await interruptDuringEmbedding(signal);
    try {
      assert.doesNotMatch(r.err, /terminate called|Napi::Error/);
      assert.equal(r.sig, null, `died by ${r.sig}: ${r.err.slice(-400)}`);
      assert.equal(r.code, expected, r.err.slice(-400));
      assert.ok(cacheIntact(r.root));
    } finally {
      fs.rmSync(r.root, { recursive: true, force: true });
    }
  });
}

test('a fatal error during embedding (disk full) is reported as itself, after every batch in flight has stopped', async () => {
  const { runAnalysis } = await import('../../server/engine/pipeline/analyze');
  const { sanitizeSettings } = await import('../../protocol/settings');
  const root = tempDir('fatal-embed');
  try {
    fs.cpSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'csv-mini'), root, { recursive: true });
    let calls = 0;
    let inFlight = 0;
    const diskFull = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const embedder = {
      model: { id: 'fake', name: 'fake', dim: 4, inputSize: 32, key: 'fake-fatal' },
      backend: 'cpu',
      backendDetail: 'fake',
      embed: async (images: readonly Uint8Array[]): Promise<Float32Array[]> => {
        const call = ++calls;
        inFlight++;
        try {
          await new Promise((r) => setTimeout(r, call === 2 ? 20 : 300));
          if (call === 2) throw diskFull;
          return images.map(() => Float32Array.from([1, 0, 0, 0]));
        } finally {
          inFlight--;
        }
      },
      dispose: async () => undefined,
    };
    await assert.rejects(
      runAnalysis(root, sanitizeSettings({ workers: 2, batchSize: 4 }), { embedder: embedder as never }),
      (e: unknown) => {
        assert.equal(e, diskFull, 'the disk-full error itself');
        assert.equal(inFlight, 0, 'no batch still running when the error is thrown');
        return true;
      },
    );
    assert.ok(cacheIntact(root));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('ONNX Runtime: disposing the embedder while a batch runs (the language server resets it after a failed analysis) does not abort; a new one works', { skip: !ortAvailable() && 'onnxruntime-node not installed' }, () => {
  const embedIndex = path.join(__dirname, '..', '..', 'server', 'engine', 'embed', 'index.js');
  const script = `
    const { createEmbedder } = require(${JSON.stringify(embedIndex)});
    (async () => {
      const e = await createEmbedder({ backend: 'onnx', workers: 2, batchSize: 8 });
      const imgs = Array.from({ length: 16 }, () => new Uint8Array(e.model.inputSize * e.model.inputSize * 3));
      await e.embed(imgs);
      const busy = e.embed(imgs).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 30));
      await e.dispose();
      await busy;
      const again = await createEmbedder({ backend: 'onnx', workers: 2, batchSize: 8 });
      const v = await again.embed(imgs);
      await again.dispose();
      console.log('ok ' + v.length);
    })().catch((err) => { console.error(err); process.exit(3); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(r.stderr, /terminate called|Napi::Error/);
  assert.equal(r.signal, null, `died by ${r.signal}: ${r.stderr.slice(-300)}`);
  assert.equal(r.status, 0, r.stderr.slice(-300));
  assert.match(r.stdout, /ok 16/);
});
