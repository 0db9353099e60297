/**
 * Issue 12, overwriting the user's files: one safe-write helper (exclusive random temp + fsync + rename, no link
 * followed, `.labellint` link refused) and the CLI's `--out` refusal, checked before the analysis starts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempNameFor, writeFileSafe, writeFileSafeAsync } from '../../server/engine/dataset/safeWrite';
import { BIN, REPO } from './trust-helpers';

function tmp(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-safewrite-')));
}

function cli(args: string[], timeout = 300_000): { code: number; out: string; err: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}

function fixture(): string {
  const dir = tmp();
  fs.cpSync(path.join(REPO, 'test', 'fixtures', 'csv-mini'), dir, { recursive: true });
  return dir;
}

test('safe write: planted <name>.tmp-<pid> links are never written through; temp names are unpredictable', async () => {
  const base = tmp();
  try {
    const victim = path.join(base, 'victim.txt');
    fs.writeFileSync(victim, 'precious');
    const dir = path.join(base, 'root', '.labellint');
    fs.mkdirSync(dir, { recursive: true });
    const target = path.join(dir, 'labellint-report.json');
    for (let pid = 1; pid <= 2000; pid++) fs.symlinkSync(victim, `${target}.tmp-${pid}`);
    if (process.pid > 2000) fs.symlinkSync(victim, `${target}.tmp-${process.pid}`);
    writeFileSafe(target, '{"report":1}', { root: path.join(base, 'root') });
    await writeFileSafeAsync(target, '{"report":2}', { root: path.join(base, 'root') });
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
    assert.equal(fs.readFileSync(target, 'utf8'), '{"report":2}');
    assert.notEqual(tempNameFor(target), tempNameFor(target));
    assert.equal(path.dirname(tempNameFor(target)), dir, 'temp file in the target folder');
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('safe write: a link at the target is refused (never followed), and so is a .labellint folder that is a link', () => {
  const base = tmp();
  try {
    const victim = path.join(base, 'victim.txt');
    fs.writeFileSync(victim, 'precious');
    const root = path.join(base, 'root');
    fs.mkdirSync(path.join(root, 'own'), { recursive: true });
    fs.symlinkSync(victim, path.join(root, 'own', 'report.json'));
    assert.throws(() => writeFileSafe(path.join(root, 'own', 'report.json'), 'x', { root }), /symbolic link/);
    const elsewhere = path.join(base, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(root, '.labellint'));
    assert.throws(() => writeFileSafe(path.join(root, '.labellint', 'labellint-report.json'), 'x', { root }), /\.labellint is a symbolic link/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('CLI --out: an existing file that is not a LabelLint report is refused before the analysis starts (--force replaces it)', () => {
  const dir = fixture();
  try {
    const labels = path.join(dir, 'labels.csv');
    const before = fs.readFileSync(labels);
    const r = cli(['analyze', dir, '--format', 'csv', '--out', labels, '--workers', '1']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /not a LabelLint report.*--force/s);
    assert.ok(fs.readFileSync(labels).equals(before), 'labels.csv untouched');
    assert.ok(!fs.existsSync(path.join(dir, '.labellint', 'cache.db')), 'refused before the analysis (no cache written)');
    assert.doesNotMatch(r.err, /to embed/);

    const img = path.join(dir, 'images', fs.readdirSync(path.join(dir, 'images'))[0]);
    const imgBytes = fs.readFileSync(img);
    const r2 = cli(['analyze', dir, '--format', 'json', '--out', img + '.json']);
    assert.equal(r2.code, 0, r2.err); // a new file is fine
    const r3 = cli(['analyze', dir, '--format', 'json', '--out', img, '--workers', '1']);
    assert.equal(r3.code, 2);
    assert.ok(fs.readFileSync(img).equals(imgBytes), 'the image is untouched');
    const r4 = cli(['analyze', dir, '--format', 'json', '--out', img + '.json', '--workers', '1']);
    assert.equal(r4.code, 0, 'an existing LabelLint report is replaced: ' + r4.err);
    const forced = path.join(dir, 'notes.txt');
    fs.writeFileSync(forced, 'mine');
    const r5 = cli(['analyze', dir, '--format', 'json', '--out', forced, '--force', '--workers', '1']);
    assert.equal(r5.code, 0, r5.err);
    assert.equal(JSON.parse(fs.readFileSync(forced, 'utf8')).tool, 'labellint');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: an output that cannot be written (folder in the way, .labellint a link) fails before the analysis', () => {
  const dir = fixture();
  const elsewhere = tmp();
  try {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, 'a file where a folder should be');
    const r = cli(['analyze', dir, '--format', 'json,csv', '--out', path.join(blocker, 'reports'), '--workers', '1']);
    assert.equal(r.code, 2, r.err);
    assert.ok(!fs.existsSync(path.join(dir, '.labellint', 'cache.db')), 'nothing analysed');
    fs.symlinkSync(elsewhere, path.join(dir, '.labellint'));
    const r2 = cli(['analyze', dir, '--format', 'json', '--workers', '1']);
    assert.equal(r2.code, 2, r2.err);
    assert.match(r2.err, /\.labellint is a symbolic link/);
    assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the link');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('engine: a .labellint that is a link is refused before the cache is opened (language server and --out elsewhere too)', async () => {
  const { runAnalysis } = await import('../../server/engine/pipeline/analyze');
  const { sanitizeSettings } = await import('../../protocol/settings');
  const dir = fixture();
  const elsewhere = tmp();
  try {
    fs.symlinkSync(elsewhere, path.join(dir, '.labellint'));
    await assert.rejects(runAnalysis(dir, sanitizeSettings({ workers: 1 }), {}), /\.labellint is a symbolic link/);
    assert.deepEqual(fs.readdirSync(elsewhere), [], 'no cache written through the link');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('report recognition: JSON, CSV and HTML reports LabelLint wrote are recognised; other files are not', async () => {
  const { isLabelLintReport } = await import('../../server/report/output');
  const { toCsv, toJson } = await import('../../server/report/text');
  const { toHtml } = await import('../../server/report/html');
  const { makeResult, image } = await import('./lsp-fixture');
  const r = makeResult({ root: '/d', classes: ['a'], images: [image('a/1.png', 'a')], issues: [] });
  for (const text of [toJson(r), toCsv(r), await toHtml(r)]) assert.ok(isLabelLintReport(Buffer.from(text)), text.slice(0, 60));
  for (const other of ['path,label\na.png,cat\n', '{"tool":"other"}', '<!doctype html><html><head><title>x</title>', '\x89PNG\r\n']) {
    assert.ok(!isLabelLintReport(Buffer.from(other)), other);
  }
});

test('reports in pieces: the streamed JSON and CSV are the same text as the one-string writers, and go through the safe write', async () => {
  const { toCsv, toCsvChunks, toJson, toJsonChunks } = await import('../../server/report/text');
  const { writeReport } = await import('../../server/report/output');
  const { makeResult, image, labelIssue } = await import('./lsp-fixture');
  const images = Array.from({ length: 2000 }, (_, i) => image(`c${i % 3}/${i}, "q".png`, `c${i % 3}`, { issueKinds: i % 7 ? [] : ['label'] }));
  const base = makeResult({ root: '/d', classes: ['c0', 'c1', 'c2'], images, issues: [labelIssue('c0/0, "q".png', 'c1', 0.9)] });
  const r = { ...base, scanProblems: [{ path: 'x\ny', kind: 'bad-name' as const, message: 'm' }], scanNotes: [] };
  assert.equal([...toJsonChunks(r)].join(''), toJson(r));
  assert.equal([...toCsvChunks(r)].join(''), toCsv(r));
  const dir = tmp();
  try {
    writeReport(path.join(dir, 'r.json'), toJsonChunks(r), dir);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8')), JSON.parse(toJson(r)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
