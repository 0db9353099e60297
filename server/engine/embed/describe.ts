/** How an embedder is named in progress messages and in `AnalysisResult.backend`. */
import type { Embedder } from './index';

/** The backend in a few words (e.g. 'wasm (SIMD, single-threaded) × 2 worker threads'), without the list of skipped ones. */
export function shortBackend(e: Pick<Embedder, 'backendDetail'>): string {
  return e.backendDetail.split(';')[0].trim();
}
