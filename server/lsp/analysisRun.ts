/** One analysis run of a session: the scan for images, progress, the result's publication and its summary. */
import * as path from 'node:path';
import type { WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import * as lsp from '../../protocol/lsp';
import { PHASES, type AnalysisProgress } from '../../protocol/progress';
import type { IssueKind } from '../../protocol/results';
import type { Settings } from '../../protocol/settings';
import { labelLevel, openIssues, summarize } from '../../protocol/summary';
import { summaryFilter } from './issuesDocument';
import type { ServerContext, Session } from './session';
import { fileUri } from './uris';

/** Progress notifications are sent at most this often (ms), plus on every phase change. */
const PROGRESS_INTERVAL_MS = 100;

/** The one message for a folder without usable images. */
export function emptyMessage(root: string): string {
  return `No images found in ${path.basename(root) || root}; expected ${'root/<class>/<image>'} (ImageFolder) or images with a labels.csv (path,label). Nothing was written.`;
}

/**
 * Untrusted workspaces: the engine always writes its cache (`<root>/.labellint/`), so the server does not
 * analyse at all until the folder is trusted — "nothing written" holds. Lift this when the engine has a
 * read-only mode.
 */
export const UNTRUSTED_ANALYSIS =
  'LabelLint does not analyse untrusted folders: the analysis writes its cache into <dataset>/.labellint/. Trust the folder to analyse it.';

function isCancelledError(err: unknown): boolean {
  return err instanceof Error && err.name === 'CancelledError';
}

/** Share of the whole run done, 0–100, from the phase index and the phase's done/total. */
export function overallPercent(p: AnalysisProgress): number {
  const i = Math.max(0, PHASES.indexOf(p.phase));
  const within = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  return Math.round(((i + within) / PHASES.length) * 100);
}

/**
 * Counts the usable images (when the deps can) and, when there are none, clears what `s` showed and reports the
 * folder empty. True when the run should stop there.
 */
async function foundNoImages(ctx: ServerContext, s: Session, settings: Settings): Promise<boolean> {
  const c = ctx.connection;
  if (!ctx.deps.countImages) return false;
  let n: number;
  try {
    n = await ctx.deps.countImages(s.root, settings);
  } catch (err) {
    n = -1;
    ctx.log(`LabelLint: scanning ${s.root} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  s.empty = n === 0;
  if (n !== 0) return false;
  s.result = null;
  s.doc = null;
  for (const uri of s.published) c.sendDiagnostics({ uri, diagnostics: [] });
  s.published.clear();
  c.sendNotification(lsp.issuesDocumentChanged, { uris: [s.issuesUri] });
  c.sendNotification(lsp.state, { root: s.root, state: 'empty', message: emptyMessage(s.root) });
  return true;
}

/** A cancellable `window/workDoneProgress` for the run, when the client shows one. */
async function startWorkDone(ctx: ServerContext, s: Session, run: { cancelled: boolean }): Promise<WorkDoneProgressServerReporter | undefined> {
  if (!ctx.workDoneSupported()) return undefined;
  try {
    const reporter = await ctx.connection.window.createWorkDoneProgress();
    reporter.begin(`LabelLint: ${path.basename(s.root)}`, 0, 'scanning…', true);
    reporter.token.onCancellationRequested(() => (run.cancelled = true));
    return reporter;
  } catch {
    return undefined;
  }
}

/** The engine's progress callback: throttled progress notifications, mirrored in the work-done progress. */
function progressSender(ctx: ServerContext, s: Session, reporter: WorkDoneProgressServerReporter | undefined): (p: AnalysisProgress) => void {
  let lastSent = 0;
  let lastPhase = '';
  let backend: string | null = null;
  return (p) => {
    if (p.backend) backend = p.backend;
    const now = Date.now();
    if (p.phase === lastPhase && now - lastSent < PROGRESS_INTERVAL_MS && p.done < p.total) return;
    lastSent = now;
    lastPhase = p.phase;
    ctx.connection.sendNotification(lsp.progress, { root: s.root, progress: p, backend });
    const rate = p.imagesPerSecond ? ` · ${p.imagesPerSecond.toFixed(0)} img/s` : '';
    reporter?.report(overallPercent(p), `${p.phase} ${p.done}/${p.total}${rate}`);
  };
}

/** Runs the analysis of `s` and publishes its result. Resolves with the summary; null when cancelled or empty. */
export async function executeRun(ctx: ServerContext, s: Session, run: { cancelled: boolean }): Promise<lsp.ResultSummary | null> {
  const c = ctx.connection;
  const started = Date.now();
  const settings = ctx.settings();
  if (await foundNoImages(ctx, s, settings)) return null;
  c.sendNotification(lsp.state, { root: s.root, state: 'running' });
  const reporter = await startWorkDone(ctx, s, run);
  try {
    const result = await ctx.deps.runAnalysis(s.root, settings, {
      onProgress: progressSender(ctx, s, reporter),
      isCancelled: () => run.cancelled,
      log: (m) => ctx.log(m),
    });
    if (run.cancelled) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
    s.result = result;
    s.suppressed.clear();
    s.csvPath = result.layout === 'csv' ? await ctx.deps.findCsv(s.root, settings).catch(() => undefined) : undefined;
    s.csvUri = s.csvPath ? fileUri(s.csvPath) : undefined;
    await ctx.publish(s);
    const summary = resultSummary(s, ctx.settings(), Date.now() - started);
    c.sendNotification(lsp.state, { root: s.root, state: 'done' });
    c.sendNotification(lsp.resultsReady, summary);
    return summary;
  } catch (err) {
    if (isCancelledError(err) || run.cancelled) {
      c.sendNotification(lsp.state, { root: s.root, state: 'cancelled' });
      return null;
    }
    const message = err instanceof Error ? err.message : String(err);
    ctx.log(`LabelLint: analysis of ${s.root} failed: ${err instanceof Error && err.stack ? err.stack : message}`);
    c.sendNotification(lsp.state, { root: s.root, state: 'failed', message });
    await ctx.deps.reset?.();
    throw err;
  } finally {
    reporter?.done();
  }
}

/** The summary of the result of `s` sent with `resultsReady`: counts, and the flagged paths with their kinds (not the review queue). */
export function resultSummary(s: Session, settings: Settings, elapsedMs: number): lsp.ResultSummary {
  const r = s.result!;
  const filter = summaryFilter(settings, s.suppressed);
  const kinds = new Map<string, IssueKind[]>();
  for (const i of openIssues(r, filter)) {
    if (labelLevel(i) === 'possible') continue; // the review queue: no Explorer badge, not counted
    const k = kinds.get(i.path) ?? [];
    if (!k.includes(i.kind)) k.push(i.kind);
    kinds.set(i.path, k);
  }
  const summary = summarize(r, filter);
  return {
    summary,
    root: s.root,
    layout: r.layout,
    images: r.images.length,
    classes: r.classes,
    counts: summary.byKind,
    cvAccuracy: r.cvAccuracy,
    estimatedNoiseRate: r.estimatedNoiseRate,
    backend: r.backend,
    issuesUri: s.issuesUri,
    flagged: [...kinds].map(([p, k]) => ({ path: p, kinds: k })),
    elapsedMs,
  };
}

