/** Pure helpers of the extension (no VS Code): restart budget, cleaned-labels export, badges, status text. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RestartBudget } from '../../extension/restartBudget';
import { badgeFor, cleanedLabelsCsv, countBadge, statusText } from '../../extension/format';

test('restart budget: at most 5 restarts in any 3 minutes', () => {
  const b = new RestartBudget();
  for (let i = 0; i < 5; i++) assert.equal(b.tryRestart(i * 1000), true);
  assert.equal(b.tryRestart(10_000), false);
  assert.equal(b.tryRestart(180_000), true, 'the first crash left the window');
});

test('cleaned labels: accepted relabels (with new paths) applied, quarantined files left out, quoting', () => {
  const csv = cleanedLabelsCsv(
    [
      { path: 'shirt/a.png', givenLabel: 'shirt' },
      { path: 'shirt/b, c.png', givenLabel: 'shirt' },
      { path: 'coat/d.png', givenLabel: 'coat' },
    ],
    new Map([['shirt/a.png', { label: 'T-shirt', newPath: 'T-shirt/a (1).png' }]]),
    new Set(['coat/d.png']),
  );
  assert.equal(csv, 'path,label\nT-shirt/a (1).png,T-shirt\n"shirt/b, c.png",shirt\n');
});

test('badges and status text', () => {
  assert.equal(badgeFor(['outlier', 'label']), 'L');
  assert.equal(badgeFor(['leakage']), 'D');
  assert.equal(countBadge(12), '12', 'class folders show their own count, not all "9+"');
  assert.equal(countBadge(250), '99');
  assert.equal(statusText({ phase: 'embed', done: 10, total: 100, imagesPerSecond: 41.6 }, 'wasm ×2 workers'), '$(sync~spin) LabelLint: embed 10/100 · 42 img/s · wasm ×2 workers');
});
