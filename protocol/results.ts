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
  readonly isLabelIssue: boolean;
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
  readonly duplicates: readonly DuplicateGroup[];
  /** K×K, rows = given label, columns = out-of-fold predicted label. */
  readonly confusion: readonly (readonly number[])[];
  /** K×K estimated P(given = i | true = j) (cleanlab's noise matrix, columns sum to 1). */
  readonly noiseMatrix: readonly (readonly number[])[];
  /** Estimated share of wrong labels overall. */
  readonly estimatedNoiseRate: number;
  /** K: estimated share of wrong labels per given class. */
  readonly perClassNoiseRate: readonly number[];
  /** Out-of-fold accuracy of the classifier against the given labels. */
  readonly cvAccuracy: number;
  readonly counts: { readonly [K in IssueKind]: number };
  readonly timings: PhaseTimings;
  readonly settings: Readonly<Record<string, unknown>>;
}
