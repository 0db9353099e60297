import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import { DEFAULT_SETTINGS, sanitizeSettings } from '../../protocol/settings';
import { issuesUriFor } from '../../protocol/lsp';
import { toDiagnostics, README_URL, type DiagnosticData } from '../../server/lsp/diagnostics';
import { formatIssuesDocument } from '../../server/lsp/issuesDocument';
import { readCsvTable } from '../../server/lsp/csv';
import { fashionResult, image, labelIssue, makeResult } from './lsp-fixture';

const ROOT = '/data/fashion';
const URI = issuesUriFor(ROOT);

function diags(settings = DEFAULT_SETTINGS, result = fashionResult(ROOT)) {
  const doc = formatIssuesDocument(result, settings);
  return { doc, map: toDiagnostics({ result, settings, doc, issuesUri: URI }) };
}

test('ImageFolder issues become diagnostics on the issues document, one per line, nothing on image files', () => {
  const { doc, map } = diags();
  assert.deepEqual([...map.keys()], [URI]);
  const list = map.get(URI)!;
  assert.equal(list.length, 3);
  for (const d of list) {
    const line = doc.text.split('\n')[d.range.start.line];
    assert.ok(line.startsWith((d.data as DiagnosticData).path), `line ${d.range.start.line} is ${line}`);
    assert.equal(d.range.start.character, 0);
    assert.equal(d.range.end.character, line.length);
    assert.equal(d.source, 'labellint');
    assert.equal(d.codeDescription?.href, `${README_URL}#issue-${d.code}`);
  }
});

test('message, code and data of a label diagnostic', () => {
  const { map } = diags();
  const a = map.get(URI)!.find((d) => (d.data as DiagnosticData).path === 'shirt/a.png')!;
  assert.equal(a.message, "shirt/a.png: probably mislabelled: labelled 'shirt', looks like 'T-shirt' (classifier: 91% 'T-shirt')", 'starts with the path (Problems filter), says what the percentage is');
  assert.equal(a.code, 'label');
  assert.deepEqual(a.data, { root: ROOT, path: 'shirt/a.png', kind: 'label', givenLabel: 'shirt', suggestedLabel: 'T-shirt', suggestedProb: 0.91 });
});

test('severity follows settings, and an unsure label issue is one level lower', () => {
  const { map } = diags();
  const by = (p: string) => map.get(URI)!.find((d) => (d.data as DiagnosticData).path === p)!;
  assert.equal(by('shirt/a.png').severity, DiagnosticSeverity.Warning);
  assert.equal(by('shirt/b.png').severity, DiagnosticSeverity.Information, '42% < LOW_CONFIDENCE');
  assert.equal(by('coat/d.png').severity, DiagnosticSeverity.Information);
  const s = sanitizeSettings({ severities: { label: 'error', outlier: 'hint' } });
  const m2 = diags(s).map;
  const by2 = (p: string) => m2.get(URI)!.find((d) => (d.data as DiagnosticData).path === p)!;
  assert.equal(by2('shirt/a.png').severity, DiagnosticSeverity.Error);
  assert.equal(by2('shirt/b.png').severity, DiagnosticSeverity.Warning);
  assert.equal(by2('coat/d.png').severity, DiagnosticSeverity.Hint);
  const hint = sanitizeSettings({ severities: { label: 'hint' } });
  const m3 = diags(hint).map;
  assert.ok(m3.get(URI)!.every((d) => d.code !== 'label' || d.severity === DiagnosticSeverity.Hint), 'never below hint');
});

test("'off' hides a kind from diagnostics and from the issues document", () => {
  const s = sanitizeSettings({ severities: { outlier: 'off' } });
  const { doc, map } = diags(s);
  assert.equal(map.get(URI)!.length, 2);
  assert.ok(map.get(URI)!.every((d) => d.code === 'label'));
  assert.ok(!doc.text.includes('coat/d.png'));
  const allOff = sanitizeSettings({ severities: Object.fromEntries(['label', 'outlier'].map((k) => [k, 'off'])) });
  assert.deepEqual(diags(allOff).map.get(URI), [], 'the URI stays, empty, so a publish clears old diagnostics');
});

test('CSV datasets: diagnostics go on the image rows with the row range', () => {
  const root = '/data/csvset';
  const csvPath = `${root}/labels.csv`;
  const csvUri = 'file:///data/csvset/labels.csv';
  const text = 'path,label\r\nimg/1.png,cat\r\n"img/2.png","dog"\r\nimg/3.png,cat\r\n';
  const csv = readCsvTable(root, csvPath, text)!;
  const result = makeResult({
    root,
    layout: 'csv',
    classes: ['cat', 'dog'],
    images: [image('img/1.png', 'cat'), image('img/2.png', 'dog'), image('img/3.png', 'cat'), image('img/4.png', 'dog')],
    issues: [labelIssue('img/2.png', 'cat', 0.8), labelIssue('img/3.png', 'dog', 0.7), { kind: 'broken', path: 'img/4.png', score: 1, message: 'broken' }],
  });
  const doc = formatIssuesDocument(result, DEFAULT_SETTINGS);
  const map = toDiagnostics({ result, settings: DEFAULT_SETTINGS, doc, issuesUri: issuesUriFor(root), csv, csvUri });
  const rows = map.get(csvUri)!;
  assert.equal(rows.length, 2);
  const d2 = rows.find((d) => (d.data as DiagnosticData).path === 'img/2.png')!;
  assert.deepEqual(d2.range, { start: { line: 2, character: 0 }, end: { line: 2, character: '"img/2.png","dog"'.length } });
  const d3 = rows.find((d) => (d.data as DiagnosticData).path === 'img/3.png')!;
  assert.deepEqual(d3.range, { start: { line: 3, character: 0 }, end: { line: 3, character: 13 } });
  // An issue without a CSV row still has a home: the issues document.
  assert.equal(map.get(issuesUriFor(root))!.length, 1);
  assert.equal(map.get(issuesUriFor(root))![0].code, 'broken');
});
