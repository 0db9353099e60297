import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  detectDelimiter,
  parseCsv,
  parseCsvRecords,
  parseLabelsCsv,
  serializeCsvField,
  serializeCsvRow,
  toSplit,
} from '../../server/engine/dataset/csv';
import { IMG, makeTree, removeTree } from './helpers/scan-fixtures';

// parseLabelsCsv only touches the disk for header detection of header-less-looking first rows; a fixed fake root is fine
// elsewhere.
const ROOT = path.resolve('/data/set');
const CSV = path.join(ROOT, 'labels.csv');

test('parseCsv: plain fields, empty fields, trailing delimiter', () => {
  assert.deepEqual(parseCsv('a,b,c\n1,,3\nx,y,\n'), [
    ['a', 'b', 'c'],
    ['1', '', '3'],
    ['x', 'y', ''],
  ]);
  assert.deepEqual(parseCsv(''), []);
  assert.deepEqual(parseCsv('\uFEFF'), []);
  assert.deepEqual(parseCsv('only'), [['only']]);
});

test('parseCsv: quoted fields with delimiters, doubled quotes and line breaks', () => {
  const text = 'path,label\n"a, b.png","say ""hi"""\n"multi\nline.png",cat\r\n"cr\r\nlf",x\n';
  assert.deepEqual(parseCsv(text), [
    ['path', 'label'],
    ['a, b.png', 'say "hi"'],
    ['multi\nline.png', 'cat'],
    ['cr\r\nlf', 'x'],
  ]);
  assert.deepEqual(parseCsv('"",""\n'), [['', '']]);
});

test('parseCsv: BOM stripped, CRLF / LF / CR line ends, one trailing line break ignored', () => {
  const expected = [
    ['a', 'b'],
    ['c', 'd'],
    ['e', 'f'],
  ];
  assert.deepEqual(parseCsv('\uFEFFa,b\r\nc,d\r\ne,f\r\n'), expected);
  assert.deepEqual(parseCsv('a,b\nc,d\ne,f'), expected);
  assert.deepEqual(parseCsv('a,b\rc,d\re,f\r'), expected);
  assert.deepEqual(parseCsv('a,b\r\nc,d\ne,f\r'), expected);
  // An empty line in the middle is a record with one empty field.
  assert.deepEqual(parseCsv('a\n\nb\n'), [['a'], [''], ['b']]);
});

test('parseCsv: lenient on stray quotes; parseCsvRecords marks an unterminated quote', () => {
  assert.deepEqual(parseCsv('ab"c,d\n'), [['ab"c', 'd']]);
  assert.deepEqual(parseCsv('"ab"c,d\n'), [['abc', 'd']]);
  const recs = parseCsvRecords('a,b\n"open,c\nd\n');
  assert.equal(recs.length, 2);
  assert.equal(recs[1].unterminated, true);
  assert.deepEqual(recs[1].fields, ['open,c\nd\n']);
});

test('parseCsvRecords: 1-based starting line of each record, counting breaks inside quotes', () => {
  const recs = parseCsvRecords('h1,h2\r\n"x\r\ny",1\r\nz,2\r\n\r\nw,3\n');
  assert.deepEqual(
    recs.map((r) => [r.line, r.fields]),
    [
      [1, ['h1', 'h2']],
      [2, ['x\r\ny', '1']],
      [4, ['z', '2']],
      [5, ['']],
      [6, ['w', '3']],
    ],
  );
});

test('detectDelimiter: comma, semicolon, tab from the first record; comma by default', () => {
  assert.equal(detectDelimiter('path,label\n'), ',');
  assert.equal(detectDelimiter('path;label\na;b'), ';');
  assert.equal(detectDelimiter('\uFEFFpath\tlabel\tsplit\n'), '\t');
  assert.equal(detectDelimiter('"a;b;c",label\n'), ',');
  assert.equal(detectDelimiter('single\n'), ',');
  assert.deepEqual(parseCsv('a;"b;c"\n', ';'), [['a', 'b;c']]);
});

test('serializeCsvField: quotes only when needed and round-trips through parseCsv', () => {
  assert.equal(serializeCsvField('plain.png'), 'plain.png');
  assert.equal(serializeCsvField('a,b'), '"a,b"');
  assert.equal(serializeCsvField('say "hi"'), '"say ""hi"""');
  assert.equal(serializeCsvField(' lead'), '" lead"');
  assert.equal(serializeCsvField('a;b'), 'a;b');
  assert.equal(serializeCsvField('a;b', ';'), '"a;b"');
  const fields = ['x, y.png', 'q"uote', 'new\nline', 'cr\rlf', '', 'ünï cödé 🐱', ' pad '];
  const line = serializeCsvRow(fields);
  assert.deepEqual(parseCsv(line + '\r\n'), [fields]);
});

test('toSplit: folder and cell names map to canonical splits', () => {
  assert.equal(toSplit('train'), 'train');
  assert.equal(toSplit('Valid'), 'val');
  assert.equal(toSplit('validation'), 'val');
  assert.equal(toSplit(' TEST '), 'test');
  assert.equal(toSplit('cats'), null);
});

test('parseLabelsCsv: named header in any column order, split column, line numbers', () => {
  const text = '\uFEFFSplit,Class,File Name\r\nvalid,cat,"a, b.png"\r\ntrain,dog,sub/d.png\r\nweird,dog,e.png\r\n';
  const r = parseLabelsCsv(text, CSV, ROOT);
  assert.equal(r.header, true);
  assert.equal(r.pathColumn, 2);
  assert.equal(r.labelColumn, 1);
  assert.equal(r.splitColumn, 0);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.rows.map((x) => [x.path, x.label, x.split, x.line]),
    [
      ['a, b.png', 'cat', 'val', 2],
      ['sub/d.png', 'dog', 'train', 3],
      ['e.png', 'dog', null, 4],
    ],
  );
  assert.equal(r.rows[1].absPath, path.join(ROOT, 'sub', 'd.png'));
});

test('parseLabelsCsv: no header when the first row names an image; path, label, split by position', () => {
  const r = parseLabelsCsv('a.png,cat,train\nb.png,dog,test\n', CSV, ROOT);
  assert.equal(r.header, false);
  assert.equal(r.pathColumn, 0);
  assert.equal(r.labelColumn, 1);
  assert.equal(r.splitColumn, 2);
  assert.deepEqual(
    r.rows.map((x) => [x.path, x.label, x.split, x.line]),
    [
      ['a.png', 'cat', 'train', 1],
      ['b.png', 'dog', 'test', 2],
    ],
  );
  // Third column that is not all split names is not a split column.
  const r2 = parseLabelsCsv('a.png,cat,0.9\n', CSV, ROOT);
  assert.equal(r2.splitColumn, undefined);
  assert.equal(r2.rows[0].split, null);
});

test('parseLabelsCsv: unnamed first row without image extension is a header; an existing file is data', () => {
  const r = parseLabelsCsv('x,y\nimg1,cat\n', CSV, ROOT);
  assert.equal(r.header, true);
  assert.deepEqual(r.rows.map((x) => [x.path, x.label]), [['img1', 'cat']]);
  // A first row whose first cell is an existing (extension-less) file is data, not a header.
  const root = makeTree({ 'img0': IMG, 'img1': IMG });
  try {
    const r2 = parseLabelsCsv('img0,cat\nimg1,dog\n', path.join(root, 'labels.csv'), root);
    assert.equal(r2.header, false);
    assert.deepEqual(r2.rows.map((x) => x.path), ['img0', 'img1']);
  } finally {
    removeTree(root);
  }
});

test('parseLabelsCsv: absolute paths and paths leaving the root are refused, not followed', () => {
  const text = [
    'path,label',
    '/etc/passwd.png,cat',
    '../outside.png,cat',
    'a/../../up.png,cat',
    'C:\\Windows\\x.png,cat',
    '..,cat',
    'ok/../fine.png,cat',
    'sub\\win.png,dog',
    '..weird.png,dog',
  ].join('\n');
  const r = parseLabelsCsv(text, CSV, ROOT);
  assert.deepEqual(r.rows.map((x) => x.path), ['fine.png', 'sub/win.png', '..weird.png']);
  assert.deepEqual(
    r.problems.map((p) => [p.kind, p.line, p.path]),
    [
      ['outside-root', 2, 'labels.csv'],
      ['outside-root', 3, 'labels.csv'],
      ['outside-root', 4, 'labels.csv'],
      ['outside-root', 5, 'labels.csv'],
      ['outside-root', 6, 'labels.csv'],
    ],
  );
  assert.match(r.problems[0].message, /labels\.csv line 2: \/etc\/passwd\.png is an absolute path/);
  assert.match(r.problems[1].message, /\.\.\/outside\.png points outside the dataset root/);
});

test('parseLabelsCsv: paths are relative to the CSV folder, which may sit below the root', () => {
  const csv = path.join(ROOT, 'meta', 'labels.csv');
  const r = parseLabelsCsv('path,label\n../images/a.png,cat\nb.png,dog\n../../c.png,x\n', csv, ROOT);
  assert.deepEqual(r.rows.map((x) => x.path), ['images/a.png', 'meta/b.png']);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].kind, 'outside-root');
  assert.equal(r.problems[0].path, 'meta/labels.csv');
});

test('parseLabelsCsv: duplicate rows keep the first and say when labels conflict', () => {
  const r = parseLabelsCsv('path,label\na.png,cat\n./a.png,cat\nb.png,cat\na.png,dog\n', CSV, ROOT);
  assert.deepEqual(r.rows.map((x) => [x.path, x.label, x.line]), [
    ['a.png', 'cat', 2],
    ['b.png', 'cat', 4],
  ]);
  assert.deepEqual(r.problems.map((p) => [p.kind, p.path, p.line]), [
    ['duplicate-row', 'a.png', 3],
    ['duplicate-row', 'a.png', 5],
  ]);
  assert.match(r.problems[0].message, /same label 'cat' as line 2/);
  assert.match(r.problems[1].message, /label 'dog', which conflicts with 'cat' on line 2; kept line 2/);
});

test('parseLabelsCsv: rows with missing cells are bad rows; blank lines are skipped quietly', () => {
  const r = parseLabelsCsv('path,label\na.png\n\n,cat\nb.png,  \nc.png , dog \n"open.png,cat\n', CSV, ROOT);
  assert.deepEqual(r.rows.map((x) => [x.path, x.label, x.line]), [['c.png', 'dog', 6]]);
  assert.deepEqual(r.problems.map((p) => [p.kind, p.line]), [
    ['bad-csv-row', 2],
    ['bad-csv-row', 4],
    ['bad-csv-row', 5],
    ['bad-csv-row', 7],
  ]);
  assert.match(r.problems[0].message, /^labels\.csv line 2: the label cell is missing or empty; row skipped$/);
  assert.match(r.problems[3].message, /never closed/);
});

test('parseLabelsCsv: semicolon and tab files, unicode / quotes / newlines in names', () => {
  const r = parseLabelsCsv('file;label\n"ü ñ.png";chat\n"say ""x"".png";"dog; big"\n"two\nlines.png";cat\n', CSV, ROOT);
  assert.deepEqual(r.rows.map((x) => [x.path, x.label, x.line]), [
    ['ü ñ.png', 'chat', 2],
    ['say "x".png', 'dog; big', 3],
    ['two\nlines.png', 'cat', 4],
  ]);
  const t = parseLabelsCsv('image\tcategory\na.png\tcat\n', CSV, ROOT);
  assert.deepEqual(t.rows.map((x) => [x.path, x.label]), [['a.png', 'cat']]);
});

test('parseLabelsCsv: empty or header-only text gives no rows', () => {
  assert.deepEqual(parseLabelsCsv('', CSV, ROOT).rows, []);
  const r = parseLabelsCsv('path,label\r\n', CSV, ROOT);
  assert.equal(r.header, true);
  assert.deepEqual(r.rows, []);
  assert.deepEqual(r.problems, []);
});
