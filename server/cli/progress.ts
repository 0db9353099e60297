/**
 * Terminal progress: a redrawn bar on a TTY, plain lines otherwise (CI logs, pipes).
 */
import type { AnalysisProgress } from '../../protocol/progress';

/** On a non-TTY, print a line at most this often per phase (ms), plus the phase's first and last update. */
const PLAIN_LINE_INTERVAL_MS = 5_000;
/** On a TTY, redraw at most this often (ms): faster redraws only cost CPU. */
const TTY_REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 28;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One progress line without terminal control codes, e.g. `embed [#####-----] 120/600 20% 31.2 img/s ETA 0:15`. */
export function formatProgressLine(p: AnalysisProgress, withBar: boolean): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const parts: string[] = [p.phase.padEnd(12)];
  if (withBar) {
    const full = Math.round(frac * BAR_WIDTH);
    parts.push(`[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}]`);
  }
  if (p.total > 0) parts.push(`${p.done}/${p.total}`, `${Math.floor(frac * 100)}%`);
  if (p.imagesPerSecond !== undefined) parts.push(`${p.imagesPerSecond.toFixed(1)} img/s`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  if (p.backend) parts.push(`(${p.backend})`);
  if (p.message) parts.push(p.message);
  return parts.join(' ');
}

export interface ProgressSink {
  update(p: AnalysisProgress): void;
  /** Print a message above the bar. */
  log(message: string): void;
  end(): void;
}

export function createProgress(stream: NodeJS.WriteStream, opts: { quiet: boolean; now?: () => number }): ProgressSink {
  const now = opts.now ?? Date.now;
  if (opts.quiet) return { update() {}, log: (m) => stream.write(`${m}\n`), end() {} };
  const tty = Boolean(stream.isTTY);
  let last = 0;
  let lastPhase = '';
  let shown = '';
  let pending: AnalysisProgress | null = null;
  const clear = (): void => {
    if (tty && shown) stream.write('\r\x1b[2K');
    shown = '';
  };
  const draw = (p: AnalysisProgress): void => {
    const cols = stream.columns || 100;
    const line = formatProgressLine(p, true).slice(0, cols - 1);
    stream.write(`\r\x1b[2K${line}`);
    shown = line;
  };
  return {
    update(p) {
      const t = now();
      const phaseChanged = p.phase !== lastPhase;
      const finished = p.total > 0 && p.done >= p.total;
      if (tty) {
        pending = p;
        if (phaseChanged || finished || t - last >= TTY_REDRAW_INTERVAL_MS) {
          draw(p);
          last = t;
          pending = null;
        }
      } else if (phaseChanged || finished || t - last >= PLAIN_LINE_INTERVAL_MS) {
        stream.write(`${formatProgressLine(p, false)}\n`);
        last = t;
      }
      lastPhase = p.phase;
    },
    log(m) {
      clear();
      stream.write(`${m}\n`);
      if (tty && pending) draw(pending);
    },
    end() {
      clear();
    },
  };
}
