/** What every pipeline stage may report to and ask of its caller. */
import type { AnalysisProgress } from '../../../protocol/progress';

export interface StageHooks {
  onProgress?: (p: AnalysisProgress) => void;
  /** Checked between blocks of work; when it returns true the stage stops with CancelledError. */
  isCancelled?: () => boolean;
}
