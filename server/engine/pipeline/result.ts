/**
 * Assembles the public AnalysisResult from the engine's typed arrays.
 */
import type { AnalysisResult, ImageResult, IssueKind } from '../../../protocol/results';
import { ISSUE_KINDS } from '../../../protocol/results';
import type { Settings } from '../../../protocol/settings';
import type { Inventory } from '../../../protocol/dataset';
import { shortBackend, type EmbeddedItem } from './analyze';
import type { LintOutput } from './lint';
import type { Embedder } from '../embed';

/** Rounds a float for JSON output: 6 significant decimals are plenty and keep files small. */
function r6(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : 0;
}

export function buildResult(a: {
  inv: Inventory;
  items: readonly EmbeddedItem[];
  lint: LintOutput;
  settings: Settings;
  embedder: Embedder;
  timings: Record<string, number>;
  trusted?: readonly boolean[];
}): AnalysisResult {
  const { inv, items, lint, settings, embedder } = a;
  const kindsByPath = new Map<string, Set<IssueKind>>();
  for (const is of lint.issues) {
    let s = kindsByPath.get(is.path);
    if (!s) kindsByPath.set(is.path, (s = new Set()));
    s.add(is.kind);
  }
  const images: ImageResult[] = items.map((e, i) => ({
    path: e.item.path,
    hash: e.hash,
    split: e.item.split,
    givenLabel: e.item.label,
    suggestedLabel: lint.predicted[i] >= 0 ? inv.classes[lint.predicted[i]] : null,
    suggestedProb: r6(lint.predictedProb[i]),
    labelQuality: r6(lint.labelQuality[i]),
    isLabelIssue: lint.isLabelIssue[i] === 1,
    // Contract step: until calibrated verdicts land, today's binary flag is the only evidence.
    pLabelWrong: lint.isLabelIssue[i] === 1 ? 1 : 0,
    verdict: lint.isLabelIssue[i] === 1 ? 'confident' : 'none',
    neighbourAgreement: r6(lint.agreement[i]),
    outlierScore: r6(lint.outlier[i]),
    x: r6(lint.x[i]),
    y: r6(lint.y[i]),
    issueKinds: ISSUE_KINDS.filter((k) => kindsByPath.get(e.item.path)?.has(k)),
    reviewed: a.trusted?.[i] ?? false,
  }));
  const counts = Object.fromEntries(ISSUE_KINDS.map((k) => [k, 0])) as { [K in IssueKind]: number };
  for (const is of lint.issues) counts[is.kind]++;
  return {
    schemaVersion: 1,
    tool: 'labellint',
    createdAt: new Date().toISOString(),
    root: inv.root,
    layout: inv.layout,
    model: { id: embedder.model.id, name: embedder.model.name, dim: embedder.model.dim, inputSize: embedder.model.inputSize },
    backend: shortBackend(embedder),
    classes: [...inv.classes],
    images,
    issues: lint.issues,
    scanProblems: [...inv.problems],
    duplicates: lint.duplicates,
    confusion: lint.confusion,
    noiseMatrix: lint.noiseMatrix.map((row) => row.map(r6)),
    estimatedNoiseRate: r6(lint.estimatedNoiseRate),
    noiseInterval: [r6(lint.estimatedNoiseRate), r6(lint.estimatedNoiseRate)],
    possibleLabelIssues: 0,
    diagnosis: null,
    perClassNoiseRate: lint.perClassNoiseRate.map(r6),
    cvAccuracy: r6(lint.cvAccuracy),
    counts,
    timings: a.timings,
    settings: { ...settings, mapMethod: lint.mapMethod },
  };
}
