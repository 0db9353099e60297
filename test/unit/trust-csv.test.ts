/**
 * Issue 7, labels CSV: a hostile/messy labels.csv (BOM, CRLF, quoted commas, duplicate rows, missing files, absolute
 * and `../` paths aimed at a real image outside the dataset) goes through the real pipeline; every bad row is
 * reported with its line, nothing outside the root is read, the good rows are analysed. Also: a relabel edit of such
 * a file keeps its BOM, CRLF and quoting. Parser-level cases are in csv.test.ts and scan.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runAnalysis } from '../../server/engine/pipeline/analyze';
import { scanDataset } from '../../server/engine/dataset/scan';
import { readCsvTable } from '../../server/lsp/csv';
import { planRelabel } from '../../server/lsp/plan';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import type { AnalysisResult, ImageResult } from '../../protocol/results';
import type { PlannedEdit } from '../../protocol/lsp';
import { sampleImages, tempDir } from './trust-helpers';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** parent/outside.png (a real image) next to parent/ds/ (the dataset). */
function messyCsvDataset(): { root: string; outside: string; csv: string } {
  const parent = tempDir('csv');
  dirs.push(parent);
  const root = path.join(parent, 'ds');
  fs.mkdirSync(path.join(root, 'images'), { recursive: true });
  const outside = path.join(parent, 'outside.png');
  fs.copyFileSync(sampleImages('coat', 1)[0], outside);
  const bags = sampleImages('bag', 6);
  const trousers = sampleImages('trouser', 6);
  const rows: string[] = ['path,label'];
  bags.forEach((src, i) => {
    const name = i === 0 ? 'bag, with a comma.png' : `bag${i}.png`;
    fs.copyFileSync(src, path.join(root, 'images', name));
    rows.push(i === 0 ? `"images/${name}","bag"` : `images/${name},bag`);
  });
  trousers.forEach((src, i) => {
    fs.copyFileSync(src, path.join(root, 'images', `trouser${i}.png`));
    rows.push(`images/trouser${i}.png,trouser`);
  });
  rows.push('images/bag1.png,bag'); // line 14: duplicate, same label
  rows.push('images/bag2.png,trouser'); // line 15: duplicate, conflicting label
  rows.push('images/missing.png,bag'); // line 16
  rows.push(`${outside},bag`); // line 17: absolute path to a real image
  rows.push('../outside.png,trouser'); // line 18: escapes the root
  rows.push('images/../../outside.png,bag'); // line 19: escapes after normalisation
  const csv = '\ufeff' + rows.join('\r\n') + '\r\n';
  fs.writeFileSync(path.join(root, 'labels.csv'), csv);
  return { root, outside, csv };
}

test('labels CSV with BOM, CRLF, quoted commas, duplicates, missing files and escaping paths: every bad row reported, none followed', async () => {
  const { root } = messyCsvDataset();
  const inv = await scanDataset(root);
  assert.equal(inv.layout, 'csv');
  assert.deepEqual(inv.classes, ['bag', 'trouser']);
  assert.equal(inv.items.length, 12);
  assert.ok(inv.items.some((it) => it.path === 'images/bag, with a comma.png' && it.label === 'bag'), 'quoted comma kept');
  for (const it of inv.items) {
    assert.ok(it.absPath.startsWith(root + path.sep), `${it.absPath} is inside the root`);
    assert.ok(!it.path.includes('outside'));
  }
  const byLine = new Map(inv.problems.filter((p) => p.line !== undefined).map((p) => [p.line, p]));
  assert.equal(byLine.get(14)?.kind, 'duplicate-row');
  assert.match(byLine.get(15)!.message, /conflicts with 'bag' on line 4; kept line 4/);
  assert.equal(byLine.get(16)?.kind, 'missing-file');
  assert.match(byLine.get(16)!.message, /images\/missing\.png: file listed in the CSV does not exist \(labels\.csv line 16\)/);
  assert.equal(byLine.get(17)?.kind, 'outside-root');
  assert.match(byLine.get(17)!.message, /is an absolute path/);
  assert.equal(byLine.get(18)?.kind, 'outside-root');
  assert.match(byLine.get(18)!.message, /\.\.\/outside\.png points outside the dataset root; row skipped/);
  assert.equal(byLine.get(19)?.kind, 'outside-root');

  // Through the whole pipeline: the outside image is never hashed, decoded or shown.
  const result: AnalysisResult = await runAnalysis(root, { ...DEFAULT_SETTINGS, workers: 1, folds: 3, k: 5 });
  assert.equal(result.images.length, 12);
  assert.ok(result.images.every((im) => !im.path.includes('outside')));
  assert.equal(result.scanProblems.filter((p) => p.kind === 'outside-root').length, 3);
  assert.ok(result.issues.every((i) => !i.path.includes('outside.png') || i.kind === 'broken' || i.path === 'labels.csv'));
});

/** Applies LSP-style edits (line/character in UTF-16 units) to a text, last first. */
function applyTextEdits(text: string, edits: readonly PlannedEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\r' && text[i + 1] === '\n') i++;
    if (text[i] === '\n' || text[i] === '\r') starts.push(i + 1);
  }
  const offs = edits
    .filter((e): e is Extract<PlannedEdit, { kind: 'text' }> => e.kind === 'text')
    .map((e) => ({ from: starts[e.range.start.line] + e.range.start.character, to: starts[e.range.end.line] + e.range.end.character, text: e.newText }))
    .sort((a, b) => b.from - a.from);
  let out = text;
  for (const o of offs) out = out.slice(0, o.from) + o.text + out.slice(o.to);
  return out;
}

function csvResult(root: string, images: Array<[string, string]>): AnalysisResult {
  const ims = images.map(([p, givenLabel]) => ({ path: p, givenLabel, split: null }) as unknown as ImageResult);
  return { root, layout: 'csv', classes: ['bag', 'trouser'], images: ims } as unknown as AnalysisResult;
}

test('a CSV relabel edit keeps the BOM, CRLF line endings and the quoting of every other cell', () => {
  const { root, csv } = messyCsvDataset();
  const csvPath = path.join(root, 'labels.csv');
  // The server reads the file from disk (BOM included) when the CSV is not open in the editor.
  const table = readCsvTable(root, csvPath, csv);
  assert.ok(table);
  const result = csvResult(root, [['images/bag, with a comma.png', 'bag'], ['images/bag1.png', 'bag']]);
  const plan = planRelabel({ root, result, exists: () => false, csv: table, csvUri: 'file:///labels.csv' }, [
    { path: 'images/bag, with a comma.png', newLabel: 'trouser' },
    { path: 'images/bag1.png', newLabel: 'trouser' },
  ]);
  assert.deepEqual(plan.refused, []);
  const edited = applyTextEdits(csv, plan.edits);
  assert.ok(edited.startsWith('\ufeffpath,label\r\n'), 'BOM and header untouched');
  assert.ok(edited.includes('\r\n"images/bag, with a comma.png","trouser"\r\n'), 'a quoted label stays quoted');
  assert.ok(edited.includes('\r\nimages/bag1.png,trouser\r\n'));
  assert.ok(!/[^\r]\n/.test(edited), 'CRLF everywhere');
  // Everything but the two label cells is byte-identical.
  assert.equal(edited.replace('"trouser"', '"bag"').replace('bag1.png,trouser', 'bag1.png,bag'), csv);
});

test(
  'a headerless CSV with a BOM: the relabel edit lands on the label cell of line 1 as the editor sees it',
  () => {
    const { root } = messyCsvDataset();
    const csvPath = path.join(root, 'labels.csv');
    const disk = '\ufeffimages/bag1.png,bag\r\nimages/bag2.png,bag\r\nimages/trouser0.png,trouser\r\n';
    fs.writeFileSync(csvPath, disk);
    const table = readCsvTable(root, csvPath, disk); // what the server computes from the file on disk
    assert.ok(table);
    const result = csvResult(root, [['images/bag1.png', 'bag']]);
    const plan = planRelabel({ root, result, exists: () => false, csv: table, csvUri: 'file:///labels.csv' }, [
      { path: 'images/bag1.png', newLabel: 'trouser' },
    ]);
    const editorText = disk.slice(1); // VS Code strips the BOM from the document and writes it back on save
    assert.equal(applyTextEdits(editorText, plan.edits), 'images/bag1.png,trouser\r\nimages/bag2.png,bag\r\nimages/trouser0.png,trouser\r\n');
  },
);
