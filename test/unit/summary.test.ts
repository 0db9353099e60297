/**
 * One number per thing: the status bar (ResultSummary.summary), the issues document, the Problems panel
 * (diagnostics), the report header and grid (webview model), the matrix and Fix Next all count from
 * `protocol/summary` with one filter, so they agree — also after a decision and with a kind set to 'off'.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fixQueue, summarize, summaryLine, type SummaryFilter } from '../../protocol/summary';
import { sanitizeSettings } from '../../protocol/settings';
import { ISSUE_KINDS, type Issue } from '../../protocol/results';
import { formatIssuesDocument, summaryFilter } from '../../server/lsp/issuesDocument';
import { toDiagnostics } from '../../server/lsp/diagnostics';
import { buildDataset, confusionFromImages, selectImages, stableOrder } from '../../webview/model';
import { image, makeResult } from './lsp-fixture';

const root = '/data/fashion';
const label = (p: string, sug: string, verdict: 'confident' | 'possible', score: number): Issue => ({
  kind: 'label',
  path: p,
  score,
  message: `looks like ${sug}`,
  suggestedLabel: sug,
  suggestedProb: score,
  verdict,
  pLabelWrong: verdict === 'confident' ? 0.8 : 0.3,
});

function fixture() {
  const images = [
    image('shirt/1.png', 'shirt', { suggestedLabel: 'coat', pLabelWrong: 0.8, verdict: 'confident' }),
    image('shirt/2.png', 'shirt', { suggestedLabel: 'coat', pLabelWrong: 0.8, verdict: 'confident' }),
    image('shirt/3.png', 'shirt', { suggestedLabel: 'trouser', pLabelWrong: 0.3, verdict: 'possible' }),
    image('coat/4.png', 'coat', { suggestedLabel: 'shirt', pLabelWrong: 0.8, verdict: 'confident' }),
    image('coat/5.png', 'coat', { suggestedLabel: 'shirt', pLabelWrong: 0.3, verdict: 'possible' }),
    image('coat/6.png', 'coat'),
    image('trouser/7.png', 'trouser', { suggestedLabel: null }),
    image('trouser/8.png', 'trouser'),
  ];
  const issues: Issue[] = [
    label('shirt/1.png', 'coat', 'confident', 0.9),
    label('shirt/2.png', 'coat', 'confident', 0.8),
    label('shirt/3.png', 'trouser', 'possible', 0.4),
    label('coat/4.png', 'shirt', 'confident', 0.7),
    label('coat/5.png', 'shirt', 'possible', 0.35),
    { kind: 'duplicate', path: 'coat/6.png', score: 1, message: 'duplicate of trouser/8.png', related: ['trouser/8.png'] },
    { kind: 'duplicate', path: 'trouser/8.png', score: 1, message: 'duplicate of coat/6.png', related: ['coat/6.png'] },
    { kind: 'broken', path: 'trouser/7.png', score: 1, message: 'cannot decode' },
    { kind: 'quality', path: 'trouser/8.png', score: 0.5, message: 'dark' },
  ];
  return makeResult({ root, classes: ['shirt', 'coat', 'trouser'], images, issues });
}

test('summarize: label issues and possible ones counted apart; kinds off and decided images left out', () => {
  const r = fixture();
  const all = summarize(r);
  assert.deepEqual(all.byKind, { label: 3, duplicate: 2, 'conflicting-duplicate': 0, leakage: 0, outlier: 0, broken: 1, quality: 1 });
  assert.equal(all.possibleLabel, 2);
  assert.equal(all.total, 7, 'possible label issues are not in the total');
  assert.equal(all.flaggedImages, 6);
  const f: SummaryFilter = { off: ['quality'], decided: ['shirt/1.png'] };
  const s = summarize(r, f);
  assert.equal(s.byKind.label, 2);
  assert.equal(s.byKind.quality, 0);
  assert.equal(s.total, 5);
  assert.equal(s.decided, 1);
  assert.equal(summaryLine(s), '5 issues (2 label issues, 2 duplicates, 1 broken, 2 possible label issues (review queue, not counted)) · 1 decided since the last analysis');
});

test('status bar = issues document = Problems = Fix Next, with a kind off and a decision made', () => {
  const r = fixture();
  const settings = sanitizeSettings({ severities: { quality: 'off' } });
  const suppressed = new Set(['shirt/1.png']);
  const s = summarize(r, summaryFilter(settings, suppressed));
  const doc = formatIssuesDocument(r, settings, { suppressed });
  assert.match(doc.text.split('\n')[0], new RegExp(`^# LabelLint: ${s.total} issues \\(`));
  assert.equal(doc.lines.length, s.total + s.possibleLabel, 'the document lists counted and possible issues, one line each');
  const diags = [...toDiagnostics({ result: r, settings, doc, issuesUri: 'labellint-issues:/fashion.labellint-issues' }).values()].flat();
  assert.equal(diags.length, doc.lines.length, 'one problem per issue line');
  const info = diags.filter((d) => d.severity !== undefined && d.severity >= 3 && (d.data as { kind: string }).kind === 'label');
  assert.equal(info.length, s.possibleLabel, "'possible' label issues are information/hint level");
  assert.equal(fixQueue(r, summaryFilter(settings, suppressed)).length, s.byKind.label, 'Fix Next walks exactly the label issues counted');
});

test('report: header chips = grid per kind; flagged grid = flagged images; every matrix cell = the grid it opens', () => {
  const r = fixture();
  const off = ['quality'] as const;
  const s = summarize(r, { off });
  const d = buildDataset(r, off);
  for (const k of ISSUE_KINDS) assert.equal(selectImages(d, { kind: 'issue', issue: k }).length, s.byKind[k], `kind ${k}`);
  assert.equal(selectImages(d, { kind: 'flagged' }).length, s.flaggedImages);
  assert.equal(selectImages(d, { kind: 'review', minP: 0.2 }).length, s.byKind.label + s.possibleLabel, 'the review queue at the lowest threshold holds both levels');
  assert.equal(selectImages(d, { kind: 'review', minP: 0.5 }).length, s.byKind.label);
  const m = confusionFromImages(d);
  d.classes.forEach((g, i) =>
    d.classes.forEach((p, j) => assert.equal(selectImages(d, { kind: 'cell', given: g, predicted: p }).length, m[i][j], `cell ${g}→${p}`)),
  );
});

test('review stays put: a re-run keeps the grid order, a moved image keeps its place under its new path', () => {
  const r = fixture();
  const d0 = buildDataset(r);
  const before = selectImages(d0, { kind: 'issue', issue: 'label' }).map((i) => d0.images[i].path);
  assert.deepEqual([...before].sort(), ['coat/4.png', 'shirt/1.png', 'shirt/2.png']);
  // shirt/2.png was relabelled to coat: the re-run has it at coat/2.png, no longer flagged, and a new issue appeared.
  const images = r.images.map((im) => (im.path === 'shirt/2.png' ? { ...im, path: 'coat/2.png', givenLabel: 'coat' } : im));
  const issues = r.issues.filter((i) => i.path !== 'shirt/2.png').concat([label('trouser/8.png', 'coat', 'confident', 0.99)]);
  const d1 = buildDataset({ ...r, images, issues });
  const fresh = selectImages(d1, { kind: 'issue', issue: 'label' });
  const order = stableOrder(d1, before, fresh, new Map([['shirt/2.png', 'coat/2.png']])).map((i) => d1.images[i].path);
  assert.deepEqual(order, [...before.map((p) => (p === 'shirt/2.png' ? 'coat/2.png' : p)), 'trouser/8.png'], 'decided tile kept in place, new issue appended, no re-sort');
});
