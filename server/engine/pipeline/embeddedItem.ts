/** The per-image record the pipeline passes from the embedding stage (analyze.ts) to the lint stages (lint.ts). */
import type { DatasetItem } from '../../../protocol/dataset';
import type { QualityStats } from '../dataset/quality';

/** Per-image facts gathered before the label analysis. */
export interface EmbeddedItem {
  readonly item: DatasetItem;
  readonly hash: string;
  /** Null when the file could not be decoded. */
  readonly vector: Float32Array | null;
  readonly quality: QualityStats | null;
  readonly error: string | null;
}
