/** Stores "label is correct" reviews in the engine cache (`<root>/.labellint/`), keyed by content hash. */
import { AnalysisCache } from '../engine/store/cache';

export interface ReviewEntry {
  readonly hash: string;
  readonly path: string;
}

/** Writes the reviews; throws what the cache throws (the caller reports it). */
export function storeCorrectReviews(root: string, entries: readonly ReviewEntry[], log: (m: string) => void): void {
  const cache = AnalysisCache.open(root, { log, check: 'quick' });
  try {
    for (const e of entries) cache.setReview(e.hash, { kind: 'correct' }, e.path);
  } finally {
    cache.close();
  }
}
