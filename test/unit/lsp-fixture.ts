/** Hand-built AnalysisResults for the LSP-layer unit tests (no engine, no VS Code). */
import type { AnalysisResult, ImageResult, Issue, IssueKind } from '../../protocol/results';
import type { DatasetLayout, Split } from '../../protocol/dataset';
import { ISSUE_KINDS } from '../../protocol/results';

export function image(p: string, givenLabel: string, extra: Partial<ImageResult> = {}): ImageResult {
  return {
    path: p,
    hash: `hash-${p}`,
    split: null as Split | null,
    givenLabel,
    suggestedLabel: givenLabel,
    suggestedProb: 0.9,
    labelQuality: 0.9,
    isLabelIssue: false,
    pLabelWrong: 0,
    verdict: 'none',
    neighbourAgreement: 1,
    outlierScore: 0,
    x: 0,
    y: 0,
    issueKinds: [],
    reviewed: false,
    ...extra,
  };
}

export function labelIssue(p: string, suggestedLabel: string, suggestedProb: number, score = suggestedProb): Issue {
  return { kind: 'label', path: p, score, message: `looks like ${suggestedLabel}`, suggestedLabel, suggestedProb };
}

export function makeResult(opts: {
  root: string;
  layout?: DatasetLayout;
  classes: string[];
  images: ImageResult[];
  issues: Issue[];
}): AnalysisResult {
  const counts = Object.fromEntries(ISSUE_KINDS.map((k) => [k, 0])) as { [K in IssueKind]: number };
  for (const i of opts.issues) counts[i.kind]++;
  return {
    schemaVersion: 1,
    tool: 'labellint',
    createdAt: '2026-01-01T00:00:00.000Z',
    root: opts.root,
    layout: opts.layout ?? 'imagefolder',
    model: { id: 'test', name: 'test', dim: 4, inputSize: 8 },
    backend: 'cpu',
    classes: opts.classes,
    images: opts.images,
    issues: opts.issues,
    noiseInterval: [0, 0],
    possibleLabelIssues: 0,
    diagnosis: null,
    scanProblems: [],
    duplicates: [],
    confusion: [],
    noiseMatrix: [],
    estimatedNoiseRate: 0.05,
    perClassNoiseRate: [],
    cvAccuracy: 0.9,
    counts,
    timings: {},
    settings: {},
  };
}

/** A small ImageFolder result: classes shirt / T-shirt / coat, two label issues in 'shirt'. */
export function fashionResult(root: string): AnalysisResult {
  return makeResult({
    root,
    classes: ['T-shirt', 'coat', 'shirt'],
    images: [
      image('shirt/a.png', 'shirt', { suggestedLabel: 'T-shirt', suggestedProb: 0.91, pLabelWrong: 0.998, isLabelIssue: true, issueKinds: ['label'] }),
      image('shirt/b.png', 'shirt', { suggestedLabel: 'T-shirt', suggestedProb: 0.42, isLabelIssue: true, issueKinds: ['label'] }),
      image('shirt/c.png', 'shirt'),
      image('coat/d.png', 'coat', { outlierScore: 0.99, issueKinds: ['outlier'] }),
      image('T-shirt/e.png', 'T-shirt'),
    ],
    issues: [
      labelIssue('shirt/b.png', 'T-shirt', 0.42),
      { kind: 'outlier', path: 'coat/d.png', score: 0.99, message: 'Far from every other image' },
      labelIssue('shirt/a.png', 'T-shirt', 0.91),
    ],
  });
}
