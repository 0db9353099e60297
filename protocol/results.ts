/**
 * Analysis result types: what the engine produces and every consumer (CLI, server, webview) reads.
 * Shapes are noted as N (images) × K (classes).
 */
import type { DatasetLayout, ScanProblem, Split } from './dataset';

/** Every kind of issue LabelLint reports. */
export const ISSUE_KINDS = [
  'label', // the given label is probably wrong
  'duplicate', // byte-identical or near-identical images
  'conflicting-duplicate', // (near-)duplicates that carry different labels
  'leakage', // (near-)duplicates across train/val/test splits
  'outlier', // far from every other image
  'broken', // could not be decoded
  'quality', // dark, overexposed, blurry, low information, odd size/aspect, greyscale in a colour set
] as const;
export type IssueKind = (typeof ISSUE_KINDS)[number];

export function isIssueKind(x: unknown): x is IssueKind {
  return typeof x === 'string' && (ISSUE_KINDS as readonly string[]).includes(x);
}

/**
 * How sure the analysis is that an image's given label is wrong, from its calibrated `pLabelWrong`:
 * - `confident`: pLabelWrong ≥ `Settings.minConfidence` (default 0.5) — a Problems-panel warning, counted in `counts.label`;
 * - `possible`: in the ranked review queue below that (pLabelWrong ≥ `POSSIBLE_MIN_P`), information/hint level, counted in `possibleLabelIssues`;
 * - `none`: no evidence worth a person's time.
 */
export const LABEL_VERDICTS = ['confident', 'possible', 'none'] as const;
export type LabelVerdict = (typeof LABEL_VERDICTS)[number];
/** Lowest pLabelWrong that enters the "possible" review queue (below it an image is not listed at all). */
export const POSSIBLE_MIN_P = 0.2;

/** Image-quality flags computed from decoded pixels. */
export type QualityFlag = 'dark' | 'overexposed' | 'blurry' | 'low-information' | 'odd-size' | 'odd-aspect' | 'grayscale';

/** One issue about one file. */
export interface Issue {
  readonly kind: IssueKind;
  /** Path relative to the dataset root, `/` separators. */
  readonly path: string;
  /** Severity score in [0,1], higher = more certain / more serious. */
  readonly score: number;
  /** A sentence a person reads in the Problems panel. */
  readonly message: string;
  /** For `label`: the suggested class and its probability. */
  readonly suggestedLabel?: string;
  readonly suggestedProb?: number;
  /** For `label`: calibrated probability in [0,1] that the given label is wrong (higher = more likely wrong). */
  readonly pLabelWrong?: number;
  /** For `label`: `confident` or `possible` (see LABEL_VERDICTS). */
  readonly verdict?: LabelVerdict;
  /** For duplicate kinds: the other paths in the group. */
  readonly related?: readonly string[];
  /** For `quality`: which flags. */
  readonly flags?: readonly QualityFlag[];
}

/** Per-image analysis output. */
export interface ImageResult {
  readonly path: string;
  /** Content hash (hex sha256 of the file bytes) — the key reviews are stored under. */
  readonly hash: string;
  readonly split: Split | null;
  readonly givenLabel: string;
  /** Most likely label (out-of-fold), null when the image could not be analysed. */
  readonly suggestedLabel: string | null;
  /** Probability of the suggested label. */
  readonly suggestedProb: number;
  /** In [0,1]; lower = more likely mislabelled. */
  readonly labelQuality: number;
  /** True when verdict === 'confident' (pLabelWrong ≥ minConfidence). */
  readonly isLabelIssue: boolean;
  /** Calibrated probability in [0,1] that the given label is wrong; 0 when the image could not be analysed. */
  readonly pLabelWrong: number;
  readonly verdict: LabelVerdict;
  /** Share of the k nearest neighbours that carry the same given label. */
  readonly neighbourAgreement: number;
  /** Outlier score in [0,1], higher = more unusual. */
  readonly outlierScore: number;
  /** 2-D map coordinates. */
  readonly x: number;
  readonly y: number;
  readonly issueKinds: readonly IssueKind[];
  /** True when a person confirmed the given label (review decision). */
  readonly reviewed: boolean;
}

/** Groups of duplicate images. */
export interface DuplicateGroup {
  readonly paths: readonly string[];
  readonly exact: boolean;
  /** Minimum pairwise cosine similarity inside the group (1 for exact). */
  readonly similarity: number;
  readonly labels: readonly string[];
  readonly splits: readonly (Split | null)[];
}

/** Wall-clock time of each phase, in ms. */
export interface PhaseTimings {
  [phase: string]: number;
}

export interface ModelInfo {
  readonly id: string;
  readonly name: string;
  readonly dim: number;
  readonly inputSize: number;
}

/**
 * Answers "is the last-layer model the limit, or are my labels the problem?" on the user's own data.
 * Every accuracy is cross-validated (out-of-fold) against the given labels, in [0,1].
 */
export interface Diagnosis {
  /** (a) the linear head (softmax regression) on the given labels. */
  readonly linear: number;
  /** (b) the same head refitted after dropping the confident label issues, scored on the kept images. */
  readonly linearCleaned: number;
  /** Images dropped for (b). */
  readonly dropped: number;
  /** (c) a deeper head (one hidden layer); null when not measured (too few images). */
  readonly mlp: number | null;
  /** (d) k-nearest-neighbour vote. */
  readonly knn: number;
  /** One sentence: which lever (cleaning labels or a stronger model/backbone) is bigger. */
  readonly summary: string;
}

export interface AnalysisResult {
  readonly schemaVersion: 1;
  readonly tool: 'labellint';
  readonly createdAt: string;
  readonly root: string;
  readonly layout: DatasetLayout;
  readonly model: ModelInfo;
  /** Backend used for embedding, e.g. 'wasm', 'tensorflow', 'webgpu'. */
  readonly backend: string;
  readonly classes: readonly string[];
  readonly images: readonly ImageResult[];
  readonly issues: readonly Issue[];
  readonly scanProblems: readonly ScanProblem[];
  /**
   * What the scan passed over on purpose, one sentence each (loose images outside class folders, hidden folders,
   * the maxImages cut, files without an image extension). Absent in results from before issue 12.
   */
  readonly scanNotes?: readonly string[];
  readonly duplicates: readonly DuplicateGroup[];
  /** K×K, rows = given label, columns = out-of-fold predicted label. */
  readonly confusion: readonly (readonly number[])[];
  /** K×K estimated P(given = i | true = j) (cleanlab's noise matrix, columns sum to 1). */
  readonly noiseMatrix: readonly (readonly number[])[];
  /** Estimated share of wrong labels overall (the mean of pLabelWrong over analysed images). */
  readonly estimatedNoiseRate: number;
  /** 90% interval of `estimatedNoiseRate` (bootstrap), [low, high]. */
  readonly noiseInterval: readonly [number, number];
  /** Label issues with verdict 'possible' (the review queue); `counts.label` holds the confident ones. */
  readonly possibleLabelIssues: number;
  /** "Labels or model?": cross-validated accuracies of several heads on the user's own data; null when not measured. */
  readonly diagnosis: Diagnosis | null;
  /** K: estimated share of wrong labels per given class. */
  readonly perClassNoiseRate: readonly number[];
  /** Out-of-fold accuracy of the classifier against the given labels. */
  readonly cvAccuracy: number;
  readonly counts: { readonly [K in IssueKind]: number };
  readonly timings: PhaseTimings;
  readonly settings: Readonly<Record<string, unknown>>;
}
