/**
 * Settings: one typed shape shared by the CLI, the language server and the extension (`labelLint.*`).
 * Raw values from any source go through `sanitizeSettings`, which never throws and falls back to defaults.
 */
import { ISSUE_KINDS, type IssueKind } from './results';

export const BACKENDS = ['auto', 'onnx', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu', 'webgpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export const LABEL_FILTERS = [
  'prune_by_noise_rate',
  'prune_by_class',
  'both',
  'confident_learning',
  'predicted_neq_given',
] as const;
export type LabelFilter = (typeof LABEL_FILTERS)[number];

/**
 * Pixel normalisation for a user's ONNX model (`modelPath` ending in .onnx); 'auto' = ImageNet mean/std for
 * NCHW inputs, raw 0–255 for NHWC. Presets: server/engine/models/onnxModel.ts (`PREPROCESS`).
 */
export const MODEL_PREPROCESS = ['auto', 'imagenet', 'zero-one', 'raw255', 'minus-one-one'] as const;
export type ModelPreprocess = (typeof MODEL_PREPROCESS)[number];

export type Severity = 'error' | 'warning' | 'information' | 'hint' | 'off';
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint', 'off'];

export interface Settings {
  /** Registered model id, e.g. 'centernet+ssdlite' (the default) or 'centernet-mnv3'. */
  readonly model: string;
  /** A user's own TF.js model.json or ONNX file (overrides `model` when set). */
  readonly modelPath: string | null;
  /** Node (or ONNX tensor) names to pool features from, for `modelPath`. */
  readonly modelLayers: readonly string[];
  /** Pixel normalisation for an ONNX `modelPath`. */
  readonly modelPreprocess: ModelPreprocess;
  readonly backend: Backend;
  /** Embedding worker threads; 0 = one per core. */
  readonly workers: number;
  readonly batchSize: number;
  /** Cross-validation folds for out-of-fold predicted probabilities. */
  readonly folds: number;
  /** Neighbours for kNN agreement, outliers and duplicates. */
  readonly k: number;
  readonly seed: number;
  readonly labelFilter: LabelFilter;
  /**
   * Calibrated probability that a label is wrong at or above which an image is a confident label issue
   * (Problems-panel warning, `is_label_issue`, counts); below it, down to POSSIBLE_MIN_P, it is "possible".
   */
  readonly minConfidence: number;
  /**
   * Embedding cosine similarity at or above which two neighbours are near-duplicates on their own.
   * Below it, a near-duplicate also needs a perceptual-hash match (see server/engine/issues/duplicates.ts).
   */
  readonly nearDuplicateThreshold: number;
  /** Per issue kind: severity, or 'off' to hide. */
  readonly severities: { readonly [K in IssueKind]: Severity };
  /** Glob patterns (relative to the dataset root) to leave out. */
  readonly exclude: readonly string[];
  /** 0 = no limit. */
  readonly maxImages: number;
  /** Labels CSV (relative to the dataset root) for CSV datasets; null = auto-detect. */
  readonly labelsCsv: string | null;
  /** Predicted probabilities from the user's own model (CSV `path,<class…>`), used instead of LabelLint's classifier. */
  readonly predProbsCsv: string | null;
}

export const DEFAULT_SETTINGS: Settings = {
  model: 'centernet+ssdlite',
  modelPath: null,
  modelLayers: [],
  modelPreprocess: 'auto',
  backend: 'auto',
  workers: 0,
  batchSize: 16,
  folds: 5,
  k: 10,
  seed: 42,
  labelFilter: 'prune_by_noise_rate',
  minConfidence: 0.5,
  nearDuplicateThreshold: 0.995,
  severities: {
    label: 'warning',
    duplicate: 'information',
    'conflicting-duplicate': 'warning',
    leakage: 'warning',
    outlier: 'information',
    broken: 'error',
    // Not 'hint': VS Code lists no hints in the Problems panel, and every counted issue must be findable there.
    quality: 'information',
  },
  exclude: [],
  maxImages: 0,
  labelsCsv: null,
  predProbsCsv: null,
};

function int(x: unknown, def: number, min: number, max: number): number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max ? x : def;
}
function num(x: unknown, def: number, min: number, max: number): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= min && x <= max ? x : def;
}
function str(x: unknown): string | null {
  return typeof x === 'string' && x.trim() !== '' ? x : null;
}
function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string' && s !== '') : [];
}
function oneOf<T extends string>(x: unknown, valid: readonly T[], def: T): T {
  return typeof x === 'string' && (valid as readonly string[]).includes(x) ? (x as T) : def;
}

/** Turns an untrusted bag of values (VS Code config, CLI flags, JSON) into valid Settings. */
export function sanitizeSettings(raw: unknown): Settings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const d = DEFAULT_SETTINGS;
  const sevRaw = (r.severities && typeof r.severities === 'object' ? r.severities : {}) as Record<string, unknown>;
  const severities = Object.fromEntries(
    ISSUE_KINDS.map((k) => [k, oneOf(sevRaw[k], SEVERITIES, d.severities[k])]),
  ) as { [K in IssueKind]: Severity };
  return {
    model: str(r.model) ?? d.model,
    modelPath: str(r.modelPath),
    modelLayers: strings(r.modelLayers),
    modelPreprocess: oneOf(r.modelPreprocess, MODEL_PREPROCESS, d.modelPreprocess),
    backend: oneOf(r.backend, BACKENDS, d.backend),
    workers: int(r.workers, d.workers, 0, 256),
    batchSize: int(r.batchSize, d.batchSize, 1, 4096),
    folds: int(r.folds, d.folds, 2, 20),
    k: int(r.k, d.k, 1, 100),
    seed: int(r.seed, d.seed, 0, 2 ** 31 - 1),
    labelFilter: oneOf(r.labelFilter, LABEL_FILTERS, d.labelFilter),
    minConfidence: num(r.minConfidence, d.minConfidence, 0.01, 1),
    nearDuplicateThreshold: num(r.nearDuplicateThreshold, d.nearDuplicateThreshold, 0.5, 1),
    severities,
    exclude: strings(r.exclude),
    maxImages: int(r.maxImages, d.maxImages, 0, 10_000_000),
    labelsCsv: str(r.labelsCsv),
    predProbsCsv: str(r.predProbsCsv),
  };
}
