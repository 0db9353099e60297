/**
 * Issue 7, fuzzing: seeded property tests throw random bytes, mutated real PNG/JPEG/GIF bytes and random CSV text at
 * the decoders and parsers, for a bounded number of iterations. The only failure allowed is the documented one
 * (`DecodeError` from the decoder; a sentence-`Error` naming the CSV from `parseUserProbs` when its header is
 * unusable); nothing may hang (each decode is raced against a timeout). A failure prints the seed and iteration.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DecodeError, decodeImage, decodeThumbnail, sniffImageFormat } from '../../server/engine/dataset/decode';
import { detectDelimiter, parseCsv, parseCsvRecords, parseLabelsCsv } from '../../server/engine/dataset/csv';
import { parseUserProbs } from '../../server/engine/labels/userProbs';
import { readCsvTable } from '../../server/lsp/csv';
import { animatedGif, cmykJpeg, mulberry32, noiseJpeg, onePixelPng, sampleImages, tempDir, withTimeout } from './trust-helpers';

const SEED = 0x1abe11;
const DECODE_ITERATIONS = 300;
const CSV_ITERATIONS = 2000;
/** Generous: a legitimate decode here takes milliseconds; only a hang gets near this. */
const DECODE_TIMEOUT_MS = 15_000;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

type Rng = () => number;
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 256);
  return b;
}

/** One to eight random edits: flip, overwrite, insert, delete a run, truncate, or duplicate a slice. */
function mutate(rng: Rng, src: Buffer): Buffer {
  let b: Buffer = Buffer.from(src);
  const edits = 1 + int(rng, 8);
  for (let e = 0; e < edits && b.length > 0; e++) {
    const at = int(rng, b.length);
    switch (int(rng, 6)) {
      case 0:
        b[at] ^= 1 << int(rng, 8);
        break;
      case 1:
        b[at] = [0x00, 0xff, 0x7f, 0x80][int(rng, 4)];
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 1 + int(rng, 16)), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(rng, 64)))]);
        break;
      case 4:
        b = b.subarray(0, at);
        break;
      default:
        b = Buffer.concat([b, b.subarray(at, at + int(rng, 256))]);
    }
  }
  return b;
}

test(`fuzz: ${DECODE_ITERATIONS} random and mutated images never crash or hang the decoder (seed ${SEED})`, async () => {
  const rng = mulberry32(SEED);
  const seeds: Buffer[] = [
    fs.readFileSync(sampleImages('bag', 1)[0]),
    await noiseJpeg(48, 40, 3),
    await cmykJpeg(),
    await animatedGif(),
    await onePixelPng(),
  ];
  const reasons = new Map<string, number>();
  let decoded = 0;
  for (let i = 0; i < DECODE_ITERATIONS; i++) {
    const kind = int(rng, 3);
    const bytes =
      kind === 0 ? randomBytes(rng, int(rng, 600)) : kind === 1 ? mutate(rng, seeds[int(rng, seeds.length)]) : Buffer.concat([seeds[int(rng, seeds.length)].subarray(0, 8), randomBytes(rng, int(rng, 400))]);
    const where = `seed ${SEED}, iteration ${i}, ${bytes.length} bytes starting ${bytes.subarray(0, 8).toString('hex')}`;
    const sniffed = sniffImageFormat(bytes); // pure: must never throw
    assert.ok(sniffed === null || typeof sniffed.format === 'string', where);
    try {
      const img = await withTimeout(decodeImage(bytes, 32), DECODE_TIMEOUT_MS, `decodeImage (${where})`);
      assert.equal(img.pixels.length, 32 * 32 * 3, where);
      assert.ok(img.width > 0 && img.height > 0, where);
      for (const v of [img.quality.brightness, img.quality.contrast]) assert.ok(Number.isFinite(v), where);
      decoded++;
    } catch (e) {
      if (!(e instanceof DecodeError)) assert.fail(`${where}: expected a DecodeError, got ${e instanceof Error ? e.stack : String(e)}`);
      assert.ok(e.message.length > 0 && !/\n/.test(e.message), `one-sentence message (${where}): ${e.message}`);
      reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
    }
    if (i % 10 === 0) {
      // The lenient thumbnail path too (it uses failOn: 'none').
      try {
        await withTimeout(decodeThumbnail(bytes, 64), DECODE_TIMEOUT_MS, `decodeThumbnail (${where})`);
      } catch (e) {
        if (!(e instanceof DecodeError)) assert.fail(`${where}: thumbnail: expected a DecodeError, got ${String(e)}`);
      }
    }
  }
  // The corpus exercised both outcomes and several reasons (not only "not an image").
  assert.ok(decoded > 0, 'some mutated images still decode');
  assert.ok(reasons.size >= 3, `reasons seen: ${JSON.stringify([...reasons])}`);
});

const CSV_ALPHABET = ['a', 'b', 'é', '猫', '🐱', ',', ';', '\t', '"', '""', '\r', '\n', '\r\n', ' ', '/', '\\', '..', '../', '.png', 'C:/', '/etc/passwd', '\ufeff', '\u0000', '\ud800', 'label', 'path', 'cat', 'dog', 'x.png', '0.5', '1', '-1', 'NaN', 'train'];

function randomCsv(rng: Rng): string {
  const parts: string[] = [];
  const n = int(rng, 120);
  if (rng() < 0.2) parts.push('\ufeff');
  if (rng() < 0.5) parts.push(['path,label', 'path,label,split', 'file;class', 'path,cat,dog', 'image\ttarget'][int(rng, 5)], rng() < 0.5 ? '\r\n' : '\n');
  for (let i = 0; i < n; i++) parts.push(CSV_ALPHABET[int(rng, CSV_ALPHABET.length)]);
  return parts.join('');
}

test(`fuzz: ${CSV_ITERATIONS} random CSVs never crash the CSV, labels and probabilities parsers (seed ${SEED})`, () => {
  const rng = mulberry32(SEED + 1);
  const parent = tempDir('fuzz');
  dirs.push(parent);
  const root = path.join(parent, 'ds');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'x.png'), 'x');
  const csvPath = path.join(root, 'sub', 'labels.csv');
  let labelRows = 0;
  let cellsChecked = 0;
  for (let i = 0; i < CSV_ITERATIONS; i++) {
    const text = randomCsv(rng);
    const where = `seed ${SEED + 1}, iteration ${i}: ${JSON.stringify(text)}`;
    const delim = detectDelimiter(text);
    assert.ok([',', ';', '\t'].includes(delim), where);
    const records = parseCsvRecords(text, delim);
    assert.deepEqual(parseCsv(text, delim), records.map((r) => r.fields), where);
    for (let k = 1; k < records.length; k++) assert.ok(records[k].line >= records[k - 1].line, `line numbers ascend (${where})`);

    const labels = parseLabelsCsv(text, csvPath, root);
    const seen = new Set<string>();
    labelRows += labels.rows.length;
    for (const row of labels.rows) {
      const rel = path.relative(root, row.absPath);
      assert.ok(rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel), `row stays inside the root: ${row.absPath} (${where})`);
      assert.ok(row.label !== '' && row.path !== '', where);
      assert.ok(!seen.has(row.path), `no duplicate rows (${where})`);
      seen.add(row.path);
    }
    for (const p of labels.problems) assert.ok(p.message.length > 0, where);

    // The editor-side table (server/lsp/csv.ts) must point at the same cells the engine read, or a relabel
    // would edit the wrong text: the label cell's raw text, unquoted and trimmed, is the engine's label.
    const table = readCsvTable(root, csvPath, text);
    for (const row of labels.rows) {
      const t = table?.rows.get(row.path);
      if (!t) continue;
      cellsChecked++;
      const raw = text.slice(t.labelField.start, t.labelField.end);
      assert.equal(t.labelField.value.trim(), row.label, `label cell of ${JSON.stringify(row.path)} (${where}; raw ${JSON.stringify(raw)})`);
    }

    try {
      const probs = parseUserProbs(text, 'probs.csv', ['cat', 'dog']);
      for (const [p, v] of probs.byPath) {
        assert.ok(p !== '', where);
        const sum = v[0] + v[1];
        assert.ok(Number.isFinite(sum) && Math.abs(sum - 1) < 1e-5 && v[0] >= 0 && v[1] >= 0, `rows sum to 1 (${where})`);
      }
    } catch (e) {
      // The documented failure: a header without a path column or class columns, or an empty file.
      assert.ok(e instanceof Error && /^probs\.csv: /.test(e.message), `${where}: ${String(e)}`);
    }
  }
  assert.ok(labelRows > 100 && cellsChecked > 100, `the corpus produced usable rows (${labelRows} rows, ${cellsChecked} cells checked)`);
});
