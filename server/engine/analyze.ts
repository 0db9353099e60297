/**
 * The analysis pipeline: dataset folder → inventory → cached embeddings → label issues, duplicates,
 * outliers, quality flags and a 2-D map. Used unchanged by the CLI and the language server.
 */
import type { AnalysisResult } from '../../protocol/results';
import type { AnalysisProgress } from '../../protocol/progress';
import type { Settings } from '../../protocol/settings';

export interface AnalyzeHooks {
  onProgress?: (p: AnalysisProgress) => void;
  /** Checked between batches; when it returns true the run stops, keeping what is cached. */
  isCancelled?: () => boolean;
  log?: (message: string) => void;
}

export async function runAnalysis(root: string, settings: Settings, hooks: AnalyzeHooks = {}): Promise<AnalysisResult> {
  void root; void settings; void hooks;
  throw new Error('runAnalysis: being written');
}
