import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, toCsv, CSV_COLUMNS, formatSummary } from '../../server/report/text';
import { escapeHtml, scriptJson, toHtml } from '../../server/report/html';
import type { AnalysisResult, ImageResult } from '../../protocol/results';

function image(path: string, given: string, suggested: string, q: number, issue: boolean): ImageResult {
  return { path, hash: 'h' + path, split: null, givenLabel: given, suggestedLabel: suggested, suggestedProb: 0.9, labelQuality: q,
    isLabelIssue: issue, pLabelWrong: issue ? 0.9 : 0.05, verdict: issue ? 'confident' : 'none', neighbourAgreement: 0.5, outlierScore: 0.1, x: 0, y: 0, issueKinds: issue ? ['label'] : [], reviewed: false };
}

function result(): AnalysisResult {
  return {
    schemaVersion: 1, tool: 'labellint', createdAt: '2026-01-01T00:00:00Z', root: '/nonexistent-root', layout: 'imagefolder',
    model: { id: 'm', name: 'M', dim: 4, inputSize: 224 }, backend: 'wasm', classes: ['cat', 'dog'],
    images: [image('cat/a,"b".png', 'cat', 'dog', 0.1, true), image('dog/<img src=x onerror=alert(1)>.png', 'dog', 'dog', 0.9, false)],
    issues: [{ kind: 'label', path: 'cat/a,"b".png', score: 0.9, message: "a,\"b\".png: labelled 'cat' but probably 'dog' (90% chance the label is wrong)", suggestedLabel: 'dog', suggestedProb: 0.9, pLabelWrong: 0.9, verdict: 'confident' }],
    scanProblems: [], noiseInterval: [0.4, 0.6], possibleLabelIssues: 3, diagnosis: { linear: 0.5, linearCleaned: 0.6, dropped: 1, mlp: 0.55, knn: 0.45, summary: 'The labels are the bigger lever.' }, duplicates: [], confusion: [[0, 1], [0, 1]], noiseMatrix: [[0.8, 0.1], [0.2, 0.9]],
    estimatedNoiseRate: 0.15, perClassNoiseRate: [0.2, 0.1], cvAccuracy: 0.5,
    counts: { label: 1, duplicate: 0, 'conflicting-duplicate': 0, leakage: 0, outlier: 0, broken: 0, quality: 0 },
    timings: { embed: 1200 }, settings: {},
  };
}

test('CSV quotes fields with commas and quotes and has the documented columns', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,"b"'), '"a,""b"""');
  assert.equal(csvField('line\nbreak'), '"line\nbreak"');
  const lines = toCsv(result()).trim().split('\n');
  assert.equal(lines[0], CSV_COLUMNS.join(','));
  assert.ok(lines[0].startsWith('path,given_label,suggested_label,label_quality,is_label_issue'));
  assert.ok(lines[1].startsWith('"cat/a,""b"".png",cat,dog,0.100000,1,'));
  assert.equal(lines.length, 3);
});

test('summary names the noise estimate, accuracy and top suspects', () => {
  const s = formatSummary(result());
  assert.match(s, /Cross-validated accuracy against the given labels: 50\.0%/);
  assert.match(s, /Estimated share of wrong labels: 15\.0% \(90% interval 40\.0%–60\.0%\)/);
  assert.match(s, /dog → cat: 10\.0%/);
  assert.match(s, /\n {2}cat\/a,"b"\.png: labelled 'cat' but probably 'dog' \(90% chance the label is wrong\)/);
  assert.match(s, /\s3 {2}possible wrong labels \(review queue/);
  assert.match(s, /\(c\) deeper head \(one hidden layer\): 55\.0%/);
  assert.match(s, /The labels are the bigger lever\./);
});

test('HTML report escapes file names and cannot be broken out of its script', async () => {
  assert.equal(escapeHtml('<img src=x onerror=alert(1)>'), '&lt;img src=x onerror=alert(1)&gt;');
  assert.doesNotMatch(scriptJson(['</script><script>alert(1)</script>']), /<\/script>/);
  const html = await toHtml(result());
  assert.doesNotMatch(html, /<img src=x onerror/);
  assert.match(html, /Content-Security-Policy/);
  assert.match(html, /Confusion matrix/);
  assert.match(html, /no preview/); // the files do not exist: a placeholder, not a crash
});
