/**
 * Issue 12, one CSV codec: encodings detected and kept, byte-exact cell edits, UTF-16 read (not ignored), the
 * editor never asked to save a non-UTF-8 CSV, and 130k refused rows without a stack overflow.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeCsv, detectEncoding, editCell, encodeCsv, readCsv, type CsvEncoding } from '../../server/engine/dataset/csvCodec';
import { readCsvTable } from '../../server/lsp/csv';
import { planRelabel, type PlanContext } from '../../server/lsp/plan';
import { parseUserProbs } from '../../server/engine/labels/userProbs';
import { scanDataset } from '../../server/engine/dataset/scan';
import { image, makeResult } from './lsp-fixture';
import { makeTree, removeTree, IMG } from './helpers/scan-fixtures';

const TEXT = 'path,label\r\n"img/é 1.png",chat\r\nimg/2.png,"chien, grand"\r\n';

test('CSV codec: UTF-8, UTF-8 BOM, UTF-16 LE/BE (BOM) and Latin-1 are detected and round-trip byte for byte', () => {
  const cases: [CsvEncoding, Buffer][] = [
    ['utf8', Buffer.from(TEXT, 'utf8')],
    ['utf8-bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')])],
    ['utf16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')])],
    ['utf16be', encodeCsv(TEXT, 'utf16be')],
    ['latin1', Buffer.from(TEXT, 'latin1')],
  ];
  for (const [enc, bytes] of cases) {
    assert.equal(detectEncoding(bytes), enc);
    const d = decodeCsv(bytes);
    assert.equal(d.text, TEXT, enc);
    assert.ok(encodeCsv(d.text, d.encoding).equals(bytes), `${enc} round-trips`);
  }
});

test('CSV codec: an edit keeps every byte outside the cell (encoding, BOM, CRLF, quoting) or refuses', () => {
  for (const enc of ['utf8', 'utf8-bom', 'utf16le', 'utf16be', 'latin1'] as CsvEncoding[]) {
    const bytes = encodeCsv(TEXT, enc);
    const recs = readCsv(decodeCsv(bytes).text);
    const cell = recs[1].fields[1];
    const r = editCell(bytes, cell.start, cell.end, 'étoile');
    assert.ok(r.ok, enc);
    if (r.ok) assert.ok(r.bytes.equals(encodeCsv(TEXT.replace(',chat\r', ',étoile\r'), enc)), enc);
  }
  const latin = Buffer.from(TEXT, 'latin1');
  const cell = readCsv(decodeCsv(latin).text)[1].fields[1];
  const refused = editCell(latin, cell.start, cell.end, '猫');
  assert.equal(refused.ok, false);
  if (!refused.ok) assert.match(refused.reason, /Latin-1/);
  const odd = Buffer.concat([encodeCsv(TEXT, 'utf16le'), Buffer.from([0x41])]); // a stray byte: cannot be kept
  assert.equal(editCell(odd, cell.start, cell.end, 'x').ok, false);
});

test('CSV codec: reader offsets point at the raw field text; quoted line breaks count lines', () => {
  const text = 'a,"b\r\nc",d\n"e""f",g';
  const recs = readCsv(text);
  assert.deepEqual(recs.map((r) => r.fields.map((f) => f.value)), [['a', 'b\r\nc', 'd'], ['e"f', 'g']]);
  assert.deepEqual(recs.map((r) => r.line), [1, 3]);
  for (const r of recs) for (const f of r.fields) assert.equal(text.slice(f.start, f.end).replace(/^"|"$/g, '').replace(/""/g, '"'), f.value);
});

test('editor: a relabel in a Latin-1 labels CSV is refused with a clear message (VS Code would save U+FFFD)', () => {
  const root = '/data/latin';
  const bytes = Buffer.from('path,label\nimg/1.png,caf\u00e9\nimg/2.png,th\u00e9\n', 'latin1');
  const d = decodeCsv(bytes);
  const csv = readCsvTable(root, `${root}/labels.csv`, d.text, d.encoding);
  assert.ok(csv);
  const result = makeResult({ root, layout: 'csv', classes: ['café', 'thé'], images: [image('img/1.png', 'café'), image('img/2.png', 'thé')], issues: [] });
  const ctx: PlanContext = { root, result, exists: () => false, csv, csvUri: 'file:///data/latin/labels.csv' };
  const plan = planRelabel(ctx, [{ path: 'img/1.png', newLabel: 'thé' }]);
  assert.equal(plan.edits.length, 0);
  assert.match(plan.refused[0].reason, /not UTF-8/);
});

test('scan: UTF-16 (LE and BE) and Latin-1 labels CSVs are read, not ignored', async () => {
  for (const enc of ['utf16le', 'utf16be', 'latin1'] as CsvEncoding[]) {
    const root = makeTree({ 'img/1.png': IMG, 'img/2.png': IMG, 'img/3.png': IMG });
    try {
      fs.writeFileSync(path.join(root, 'labels.csv'), encodeCsv('path,label\r\nimg/1.png,caf\u00e9\r\nimg/2.png,th\u00e9\r\nimg/3.png,th\u00e9\r\n', enc));
      const inv = await scanDataset(root);
      assert.equal(inv.layout, 'csv', enc);
      assert.deepEqual(inv.items.map((i) => [i.path, i.label]), [['img/1.png', 'café'], ['img/2.png', 'thé'], ['img/3.png', 'thé']], enc);
    } finally {
      removeTree(root);
    }
  }
});

test('scan: 130,000 refused CSV rows (absolute and ../ paths) are reported without overflowing the stack', async () => {
  const root = makeTree({ 'img/1.png': IMG, 'img/2.png': IMG });
  try {
    const lines = ['path,label', 'img/1.png,a', 'img/2.png,b'];
    for (let i = 0; i < 130_000; i++) lines.push(i % 2 ? `/abs/${i}.png,a` : `../up/${i}.png,b`);
    fs.writeFileSync(path.join(root, 'labels.csv'), lines.join('\n') + '\n');
    const inv = await scanDataset(root);
    assert.equal(inv.items.length, 2);
    assert.equal(inv.problems.filter((p) => p.kind === 'outside-root').length, 130_000);
  } finally {
    removeTree(root);
  }
});

test('predicted probabilities: a UTF-16 or Latin-1 file is read through the same codec', () => {
  for (const enc of ['utf16le', 'utf16be', 'latin1', 'utf8-bom'] as CsvEncoding[]) {
    const bytes = encodeCsv('path,caf\u00e9,th\u00e9\r\nimg/1.png,0.25,0.75\r\n', enc);
    const up = parseUserProbs(bytes, 'probs.csv', ['café', 'thé']);
    assert.deepEqual([...up.byPath.get('img/1.png')!], [0.25, 0.75], enc);
  }
});
