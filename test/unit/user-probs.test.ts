import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUserProbs } from '../../server/engine/labels/userProbs';

test('user probabilities: columns by class name, rows renormalised, problems named by line', () => {
  const csv = '\ufeffdog,path,cat\r\n0.25,a/1.png,0.75\r\n0.5,b/2.png,0.6\r\nx,c/3.png,1\r\n0.1,a/1.png,0.9\r\n';
  const r = parseUserProbs(csv, 'probs.csv', ['cat', 'dog']);
  assert.deepEqual(Array.from(r.byPath.get('a/1.png')!), [0.75, 0.25]);
  const b = r.byPath.get('b/2.png')!;
  assert.ok(Math.abs(b[0] - 0.6 / 1.1) < 1e-6 && Math.abs(b[1] - 0.5 / 1.1) < 1e-6);
  assert.equal(r.byPath.has('c/3.png'), false);
  assert.deepEqual(r.problems, [
    'probs.csv:3: probabilities sum to 1.1000; renormalised',
    'probs.csv:4: row skipped (needs a path and a non-negative number per class)',
    'probs.csv:5: duplicate row for a/1.png; the first is used',
  ]);
});

test('user probabilities: a missing class column or path column is a clear error', () => {
  assert.throws(() => parseUserProbs('path,cat\na.png,1\n', 'p.csv', ['cat', 'dog']), /p\.csv: no column for class\(es\) 'dog'/);
  assert.throws(() => parseUserProbs('name,cat,dog\n', 'p.csv', ['cat', 'dog']), /p\.csv: header needs a 'path' column/);
});
