/** protocol/format.ts: the one way a P(label wrong) is shown (capped at ≥95%, see SHOWN_P_LABEL_WRONG_CAP). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPLabelWrong, SHOWN_P_LABEL_WRONG_CAP } from '../../protocol/format';
import { labelEvidence } from '../../server/lsp/issuesDocument';
import { labelVerdicts } from '../../server/engine/labels/issues';

test('formatPLabelWrong: rounded percent below the cap, "≥95%" at and above it, "?" for no number', () => {
  assert.equal(SHOWN_P_LABEL_WRONG_CAP, 0.95);
  assert.equal(formatPLabelWrong(0), '0%');
  assert.equal(formatPLabelWrong(0.42), '42%');
  assert.equal(formatPLabelWrong(0.944), '94%');
  assert.equal(formatPLabelWrong(0.946), '≥95%', 'rounds to the cap: never a bare "95%"');
  assert.equal(formatPLabelWrong(0.95), '≥95%');
  assert.equal(formatPLabelWrong(1), '≥95%');
  assert.equal(formatPLabelWrong(1.2), '≥95%');
  assert.equal(formatPLabelWrong(-0.1), '0%');
  assert.equal(formatPLabelWrong(NaN), '?');
  assert.equal(formatPLabelWrong(undefined), '?');
});

test('the issues document and the engine issue messages show the same capped P(label wrong)', () => {
  const evidence = labelEvidence({ kind: 'label', path: 'a/x.png', score: 0.999, message: '', suggestedLabel: 'b', suggestedProb: 0.9, pLabelWrong: 0.999, verdict: 'confident' });
  assert.match(evidence, /^P\(label wrong\) ≥95% · 'b' 90% likely$/);
  assert.match(labelEvidence({ kind: 'label', path: 'a/x.png', score: 0.946, message: '', suggestedLabel: 'b', suggestedProb: 0.9, pLabelWrong: 0.946 }), /P\(label wrong\) ≥95%/);
  const rows = labelVerdicts({
    j: { pLabelWrong: new Float32Array([0.999, 0.6]), truePosterior: new Float32Array([0.001, 0.999, 0.4, 0.6]) },
    labels: new Int32Array([0, 0]),
    analysed: new Int32Array([0, 1]),
    items: [{ item: { path: 'a/x.png', label: 'a' } }, { item: { path: 'a/y.png', label: 'a' } }],
    classes: ['a', 'b'],
    trusted: [false, false],
    minConfidence: 0.5,
  });
  assert.match(rows.issues[0].message, /\(≥95% chance the label is wrong\)/);
  assert.match(rows.issues[1].message, /\(60% chance the label is wrong\)/);
});
