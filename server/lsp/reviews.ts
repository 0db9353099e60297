/** Stores "label is correct" reviews in the engine cache (`<root>/.labellint/`), keyed by content hash. */
import { AnalysisCache } from '../engine/store/cache';
import type { ReviewStore } from './journalOps';

export interface ReviewEntry {
  readonly hash: string;
  readonly path: string;
}

function withCache(root: string, log: (m: string) => void, f: (c: AnalysisCache) => void): void {
  const cache = AnalysisCache.open(root, { log, check: 'quick' });
  try {
    f(cache);
  } finally {
    cache.close();
  }
}

/** The engine's review table (and its reviews.json) as the journal's review store; throws what the cache throws. */
export function cacheReviewStore(root: string, log: (m: string) => void): ReviewStore {
  return {
    setCorrect: (entries) => withCache(root, log, (c) => c.setReviews(entries.map((e) => ({ hash: e.hash, path: e.path, decision: { kind: 'correct' } })))),
    clearCorrect: (hashes) => withCache(root, log, (c) => hashes.forEach((h) => c.clearReview(h))),
  };
}
