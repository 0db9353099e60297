/**
 * The CLI end to end on the committed CSV fixture (30 real Fashion-MNIST images, 3 classes, 2 wrong labels):
 * output schemas, cache reuse on a second run, the exit-code gate, and the user-probabilities path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { AnalysisResult } from '../../protocol/results';
import { loadOnnxRuntime } from '../../server/engine/embed/onnxRunner';
import { nchwNet } from './helpers/tiny-onnx';

const REPO = resolve(__dirname, '..', '..', '..');
const BIN = join(REPO, 'bin', 'labellint.js');

function run(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'labellint-e2e-'));
  cpSync(join(REPO, 'test', 'fixtures', 'csv-mini'), dir, { recursive: true });
  return dir;
}

test('analyze writes JSON, CSV and HTML; a second run embeds nothing', () => {
  const dir = fixture();
  const out = join(dir, 'reports');
  try {
    const first = run(['analyze', dir, '--format', 'json,csv,html', '--out', out, '--workers', '1']);
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, /0 of 30 images cached, 30 to embed/);
    assert.match(first.out, /30 images, 3 classes \(csv\)/);

    const json = JSON.parse(readFileSync(join(out, 'labellint-report.json'), 'utf8')) as AnalysisResult;
    assert.equal(json.tool, 'labellint');
    assert.equal(json.layout, 'csv');
    assert.deepEqual(json.classes, ['bag', 'sneaker', 'trouser']);
    assert.equal(json.images.length, 30);
    for (const im of json.images) {
      assert.match(im.path, /^images\/\d{5}\.png$/);
      assert.ok(im.labelQuality >= 0 && im.labelQuality <= 1);
      assert.ok(json.classes.includes(im.suggestedLabel!));
    }
    assert.equal(json.confusion.length, 3);
    // One count per thing: counts.label holds the confident verdicts, possibleLabelIssues the review queue.
    const labelIssues = json.issues.filter((i) => i.kind === 'label');
    assert.equal(json.counts.label, labelIssues.filter((i) => i.verdict === 'confident').length);
    assert.equal(json.possibleLabelIssues, labelIssues.filter((i) => i.verdict === 'possible').length);

    const csv = readFileSync(join(out, 'labellint-report.csv'), 'utf8').trim().split('\n');
    assert.ok(csv[0].startsWith('path,given_label,suggested_label,label_quality,is_label_issue'));
    assert.equal(csv.length, 31);
    const flaggedInCsv = csv.slice(1).filter((l) => l.split(',')[4] === '1').length;
    assert.equal(flaggedInCsv, json.images.filter((i) => i.isLabelIssue).length);

    const html = readFileSync(join(out, 'labellint-report.html'), 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /Confusion matrix/);

    const second = run(['analyze', dir, '--out', join(dir, 'r2.json'), '--workers', '1']);
    assert.equal(second.code, 0, second.err);
    assert.match(second.err, /30 of 30 images cached, 0 to embed/);
    const again = JSON.parse(readFileSync(join(dir, 'r2.json'), 'utf8')) as AnalysisResult;
    assert.deepEqual(again.images.map((i) => i.labelQuality), json.images.map((i) => i.labelQuality), 'same inputs, same scores');

    // The gate: exit 1 exactly when there are more label issues than allowed.
    const gate = run(['analyze', dir, '--max-label-issues', '0', '--quiet', '--out', join(dir, 'r3.json')]);
    assert.equal(gate.code, json.counts.label > 0 ? 1 : 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--pred-probs: the user model\'s probabilities replace the classifier', () => {
  const dir = fixture();
  try {
    const rows = readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    // A "model" that agrees with every given label except on the first image, which it calls 'bag'.
    const lines = ['path,trouser,sneaker,bag'];
    rows.forEach(([p, label], i) => {
      const probs = { trouser: 0.01, sneaker: 0.01, bag: 0.01 } as Record<string, number>;
      probs[i === 0 ? 'bag' : label] = 0.98;
      lines.push(`${p},${probs.trouser},${probs.sneaker},${probs.bag}`);
    });
    writeFileSync(join(dir, 'probs.csv'), lines.join('\n'));
    const r = run(['analyze', dir, '--pred-probs', join(dir, 'probs.csv'), '--out', join(dir, 'r.json'), '--workers', '1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /your model's probabilities cover 30 of 30 images/);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as AnalysisResult;
    assert.equal(json.cvAccuracy, Math.round((29 / 30) * 1e6) / 1e6);

    const bad = run(['analyze', dir, '--pred-probs', join(dir, 'labels.csv'), '--quiet']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /labels\.csv: no column for class\(es\) 'bag', 'sneaker', 'trouser'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--model-path net.onnx --layers: a user\'s ONNX network embeds the dataset; a wrong node name is named', { skip: hasOrt() ? false : 'onnxruntime-node is not installed' }, () => {
  const dir = fixture();
  try {
    const model = join(dir, 'net.onnx');
    writeFileSync(model, nchwNet());
    const env = { ...process.env, LABELLINT_CACHE_DIR: join(dir, 'cache') };
    const r = spawnSync(process.execPath, [BIN, 'analyze', dir, '--model-path', model, '--layers', 'relu1,c2', '--model-preprocess', 'zero-one', '--out', join(dir, 'r.json'), '--workers', '1'], { encoding: 'utf8', timeout: 300_000, env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /model custom:[^ ]*\/net\.onnx \(10-d\) on onnxruntime-node .*input NCHW 224×224, preprocessing zero-one/);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as AnalysisResult;
    assert.equal(json.model.dim, 10);
    assert.equal(json.images.length, 30);

    const bad = spawnSync(process.execPath, [BIN, 'analyze', dir, '--model-path', model, '--layers', 'relu2', '--quiet'], { encoding: 'utf8', timeout: 300_000, env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /net\.onnx: no node or tensor named 'relu2' \(6 nodes\)\. Similar names: relu1\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function hasOrt(): boolean {
  return loadOnnxRuntime(undefined).ort !== undefined;
}
