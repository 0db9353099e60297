/** Progress of a running analysis, reported by the engine to the CLI and (via LSP) to the extension. */

export const PHASES = ['scan', 'hash', 'embed', 'classify', 'knn', 'label-issues', 'duplicates', 'map', 'report'] as const;
export type Phase = (typeof PHASES)[number];

export interface AnalysisProgress {
  readonly phase: Phase;
  /** Units done / total in this phase (images for scan/hash/embed, folds for classify, …). */
  readonly done: number;
  readonly total: number;
  /** Embedding throughput, images per second (embed phase). */
  readonly imagesPerSecond?: number;
  /** Seconds left in this phase, when it can be estimated. */
  readonly etaSeconds?: number;
  /** Backend in use for embedding, e.g. 'wasm ×2 workers'. */
  readonly backend?: string;
  readonly message?: string;
}
