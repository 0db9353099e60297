import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import { issuesUriFor } from '../../protocol/lsp';
import { formatIssuesDocument, issueAtLine, lineOfIssue } from '../../server/lsp/issuesDocument';
import { fashionResult } from './lsp-fixture';

test('one line per issue, label issues first and most certain first', () => {
  const doc = formatIssuesDocument(fashionResult('/data/fashion'), DEFAULT_SETTINGS);
  const lines = doc.text.split('\n');
  assert.match(lines[0], /^# LabelLint: 3 issues \(2 label issues, 1 outlier\) in fashion \(ImageFolder, 5 images, 3 classes\)$/);
  assert.equal(lines[doc.lines[0].line], "shirt/a.png  shirt → T-shirt  (classifier: 91% 'T-shirt')");
  assert.equal(lines[doc.lines[1].line], "shirt/b.png  shirt → T-shirt  (classifier: 42% 'T-shirt')");
  assert.equal(lines[doc.lines[2].line], 'coat/d.png  [outlier] Far from every other image');
  assert.ok(doc.text.endsWith('\n'));
});

test('line ↔ issue mapping', () => {
  const doc = formatIssuesDocument(fashionResult('/data/fashion'), DEFAULT_SETTINGS);
  for (const l of doc.lines) {
    assert.equal(issueAtLine(doc, l.line)?.issue.path, l.issue.path);
    assert.equal(lineOfIssue(doc, l.issue.path, l.issue.kind), l.line);
  }
  assert.equal(issueAtLine(doc, 0), undefined, 'header lines carry no issue');
  assert.equal(issueAtLine(doc, 999), undefined);
  assert.equal(lineOfIssue(doc, 'nope.png'), -1);
});

test('suppressed paths (fixed or confirmed) are left out', () => {
  const doc = formatIssuesDocument(fashionResult('/data/fashion'), DEFAULT_SETTINGS, { suppressed: new Set(['shirt/a.png']) });
  assert.equal(doc.lines.length, 2);
  assert.ok(!doc.text.includes('shirt/a.png'));
});

test('issues URI is stable and URI-safe', () => {
  assert.equal(issuesUriFor('/data/fashion mnist (mini)/'), 'labellint-issues:/fashion-mnist--mini-.labellint-issues');
  assert.equal(issuesUriFor('C:\\data\\set'), 'labellint-issues:/set.labellint-issues');
});
