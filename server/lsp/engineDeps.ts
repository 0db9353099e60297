/** The server's dependencies (`ServerDeps`) and the real engine behind them, with its per-root warm state. */
import * as fs from 'node:fs';
import type * as lsp from '../../protocol/lsp';
import type { AnalysisResult } from '../../protocol/results';
import type { Settings } from '../../protocol/settings';
import type { AnalyzeHooks } from '../engine/pipeline/analyze';
import type { ReviewStore } from './journalOps';
import { WarmEmbedder } from './warm';

export interface ServerDeps {
  readonly runAnalysis: (root: string, settings: Settings, hooks: AnalyzeHooks) => Promise<AnalysisResult>;
  /** Absolute path of the labels CSV, for CSV datasets. */
  readonly findCsv: (root: string, settings: Settings) => Promise<string | undefined>;
  /** Where "label is correct" reviews go (the engine cache); the journal writes through it. */
  readonly reviewStore: (root: string, log: (m: string) => void) => ReviewStore;
  /** The folder cached thumbnails of `root` are in (created by nothing), or null when they cannot be kept on disk. */
  readonly thumbnailDir?: (root: string) => Promise<string | null>;
  /** Thumbnails of images (absolute path + content hash): a cached file path (persist) or a data: URI. */
  readonly thumbnails?: (root: string, items: readonly { abs: string; hash: string }[], persist: boolean) => Promise<lsp.ThumbnailResult['thumbs'][string][]>;
  readonly exists: (abs: string) => boolean;
  readonly debounceMs?: number;
  /**
   * Usable images under the root, found without writing anything (the scan only). A folder with none is
   * not analysed, so no `.labellint/` is created in a folder that is not a dataset.
   */
  readonly countImages?: (root: string, settings: Settings) => Promise<number>;
  /** Called after a failed run (drop warm state) and on shutdown. */
  readonly reset?: () => Promise<void>;
}

const warm = new WarmEmbedder();
/** Per dataset root: the kNN graph and map of the last run, reused when a relabel leaves the images the same. */
const memos = new Map<string, import('../engine/pipeline/lint').LintMemo>();
/** Per dataset root: the thumbnail cache (loads sharp on first decode, in this process, never in the extension host). */
const thumbCaches = new Map<string, import('../engine/dataset/thumbs').ThumbnailCache>();

/** The real engine, loaded on first use so the server answers `initialize` before TensorFlow loads. */
export const engineDeps: ServerDeps = {
  runAnalysis: async (root, settings, hooks) => {
    const { LintMemo } = await import('../engine/pipeline/lint');
    let memo = memos.get(root);
    if (!memo) memos.set(root, (memo = new LintMemo()));
    return (await import('../engine/pipeline/analyze')).runAnalysis(root, settings, { ...hooks, embedder: await warm.get(settings), memo });
  },
  countImages: async (root, settings) => {
    const { scanDataset } = await import('../engine/dataset/scan');
    const inv = await scanDataset(root, { csv: settings.labelsCsv ?? undefined, exclude: [...settings.exclude], maxImages: 1 });
    return inv.items.length;
  },
  findCsv: async (root, settings) => {
    const { detectLayout } = await import('../engine/dataset/scan');
    const info = await detectLayout(root, { csv: settings.labelsCsv ?? undefined, exclude: settings.exclude });
    return info.layout === 'csv' ? info.csvPath : undefined;
  },
  reviewStore: (root, log) => {
    return (require('./reviews') as typeof import('./reviews')).cacheReviewStore(root, log);
  },
  thumbnails: async (root, items, persist) => {
    const { ThumbnailCache } = await import('../engine/dataset/thumbs');
    let cache = thumbCaches.get(root);
    if (!cache) thumbCaches.set(root, (cache = new ThumbnailCache(root)));
    const c = cache;
    return Promise.all(
      items.map(async (it) => {
        try {
          if (persist) {
            // A cache that cannot be written (a `.labellint` link) falls through to the thumbnail in memory.
            const file = await c.ensure({ absPath: it.abs, hash: it.hash }).catch(() => undefined);
            if (file !== undefined) return file ? { file } : null;
          }
          const bytes = await c.render(it.abs);
          return bytes ? { dataUri: `data:image/webp;base64,${bytes.toString('base64')}` } : null;
        } catch {
          return null;
        }
      }),
    );
  },
  thumbnailDir: async (root) => {
    const { thumbDir } = await import('../engine/dataset/thumbs');
    try {
      return thumbDir(root);
    } catch {
      return null; // a `.labellint` link: thumbnails come inline
    }
  },
  exists: (abs) => fs.existsSync(abs),
  reset: () => {
    memos.clear();
    return warm.dispose();
  },
};
