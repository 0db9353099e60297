/**
 * The LabelLint language server: wires the engine (`runAnalysis`, same process; the heavy part runs in
 * worker threads) to LSP. One `Session` per dataset root holds the last result and what was published.
 *
 * Flow: analyze → progress (custom notification + cancellable `window/workDoneProgress`) → result →
 * issues document + diagnostics (pure conversions) → `resultsReady`. File changes re-run the analysis
 * after a quiet period (the engine cache re-embeds only changed files). Fixes are planned here, carried
 * out here and recorded in the dataset's journal (`journal.ts`), which also serves undo and redo.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CodeActionKind,
  ResponseError,
  ErrorCodes,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic,
  type InitializeResult,
  type WorkDoneProgressServerReporter,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import * as lsp from '../../protocol/lsp';
import { PHASES, type AnalysisProgress } from '../../protocol/progress';
import type { AnalysisResult, IssueKind } from '../../protocol/results';
import { sanitizeSettings, type Settings } from '../../protocol/settings';
import type { AnalyzeHooks } from '../engine/pipeline/analyze';
import { codeActionsFor } from './codeActions';
import { readCsvTable, type CsvTable } from './csv';
import { decodeCsv, type DecodedCsv } from '../engine/dataset/csvCodec';
import { Debouncer } from './debounce';
import { diagnosticKey, isDiagnosticData, SOURCE, toDiagnostics, type DiagnosticData } from './diagnostics';
import { formatIssuesDocument, issueAtLine, summaryFilter, type IssuesDocument } from './issuesDocument';
import { labelLevel, openIssues, summarize } from '../../protocol/summary';
import { formatPLabelWrong } from '../../protocol/format';
import { planQuarantine, planRelabel, QUARANTINE_DIR, type PlanContext } from './plan';
import { decisionMessage, decisionsFromPlan, opsFromPlan, undoMessage } from './decide';
import { Journal } from './journal';
import { JournalError, type JournalEntry } from './journalFormat';
import type { ReviewStore } from './journalOps';
import { fileUri, isInside, uriToPath } from './uris';
import { WarmEmbedder } from './warm';

/** Width of the thumbnail in a hover (CSS px): small images are scaled up so a 28 px digit is visible. */
const HOVER_THUMB_PX = 160;
/** Progress notifications are sent at most this often (ms), plus on every phase change. */
const PROGRESS_INTERVAL_MS = 100;
/**
 * Changes under these never trigger a re-run: what the scanner never enters (dot folders, which covers the
 * engine's own `.labellint/` cache and `.git/`, and node_modules).
 */
export function isIgnoredSegment(seg: string): boolean {
  return seg.startsWith('.') || seg.toLowerCase() === 'node_modules' || seg.toLowerCase() === '__macosx';
}

/**
 * Untrusted workspaces: the engine always writes its cache (`<root>/.labellint/`), so the server does not
 * analyse at all until the folder is trusted — "nothing written" holds. Lift this when the engine has a
 * read-only mode.
 */
/** The one message for a folder without usable images. */
export function emptyMessage(root: string): string {
  return `No images found in ${path.basename(root) || root}; expected ${'root/<class>/<image>'} (ImageFolder) or images with a labels.csv (path,label). Nothing was written.`;
}

export const UNTRUSTED_ANALYSIS =
  'LabelLint does not analyse untrusted folders: the analysis writes its cache into <dataset>/.labellint/. Trust the folder to analyse it.';

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

interface Run {
  cancelled: boolean;
  readonly promise: Promise<lsp.ResultSummary | null>;
}

class Session {
  readonly issuesUri: string;
  result: AnalysisResult | null = null;
  doc: IssuesDocument | null = null;
  csvPath: string | undefined;
  csvUri: string | undefined;
  /** Paths fixed or confirmed since the last run; hidden until the next result. */
  readonly suppressed = new Set<string>();
  /** URIs that got diagnostics last time (cleared when a publish leaves them out). */
  published = new Set<string>();
  /** vscode-eslint's record: diagnostic key → data for the quick fix. */
  records = new Map<string, DiagnosticData>();
  run: Run | null = null;
  rerun = false;
  /** The last scan found no usable images. */
  empty = false;
  /** The decision journal, opened on first use (opening writes nothing unless it rolls back a crashed step). */
  journal: Journal | null = null;
  constructor(readonly root: string) {
    this.issuesUri = lsp.issuesUriFor(root);
  }
}

function isInitOptions(x: unknown): x is lsp.InitializationOptions {
  const o = x as lsp.InitializationOptions;
  return !!o && typeof o === 'object' && Array.isArray(o.roots) && typeof o.trusted === 'boolean';
}

function isCancelledError(err: unknown): boolean {
  return err instanceof Error && err.name === 'CancelledError';
}

/** Share of the whole run done, 0–100, from the phase index and the phase's done/total. */
export function overallPercent(p: AnalysisProgress): number {
  const i = Math.max(0, PHASES.indexOf(p.phase));
  const within = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  return Math.round(((i + within) / PHASES.length) * 100);
}

export class LabelLintServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly sessions = new Map<string, Session>();
  private rawSettings: unknown = {};
  private trusted = false;
  private autoAnalyze = true;
  private workDoneSupported = false;
  private readonly debouncer: Debouncer<string>;

  constructor(
    private readonly connection: Connection,
    private readonly deps: ServerDeps = engineDeps,
  ) {
    this.debouncer = new Debouncer<string>((roots) => {
      for (const r of roots) void this.analyzeQuietly(r);
    }, deps.debounceMs);
  }

  /** The Settings the engine gets: sanitised; untrusted → no user model; quarantine never analysed. */
  get settings(): Settings {
    const s = sanitizeSettings(this.rawSettings);
    return {
      ...s,
      modelPath: this.trusted ? s.modelPath : null,
      modelLayers: this.trusted ? s.modelLayers : [],
      predProbsCsv: this.trusted ? s.predProbsCsv : null,
      exclude: s.exclude.includes(QUARANTINE_DIR) ? s.exclude : [...s.exclude, QUARANTINE_DIR],
    };
  }

  listen(): void {
    const c = this.connection;
    c.onInitialize((params): InitializeResult => {
      const opts = params.initializationOptions;
      const roots: string[] = [];
      if (isInitOptions(opts)) {
        this.rawSettings = opts.settings;
        this.trusted = opts.trusted;
        this.autoAnalyze = opts.autoAnalyze !== false;
        roots.push(...opts.roots.filter((r): r is string => typeof r === 'string'));
      }
      if (roots.length === 0) {
        for (const f of params.workspaceFolders ?? []) {
          const p = uriToPath(f.uri);
          if (p) roots.push(p);
        }
      }
      this.setRoots(roots);
      this.workDoneSupported = params.capabilities.window?.workDoneProgress === true && !(isInitOptions(opts) && opts.ownProgress === true);
      return {
        capabilities: {
          textDocumentSync: TextDocumentSyncKind.Incremental,
          codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
          hoverProvider: true,
        },
        serverInfo: { name: 'labellint' },
      };
    });
    c.onInitialized(() => {
      c.sendNotification(lsp.serverReady);
      if (this.autoAnalyze) for (const r of this.sessions.keys()) void this.analyzeQuietly(r);
    });
    c.onDidChangeConfiguration((params) => this.onConfiguration(params.settings));
    c.onDidChangeWatchedFiles((params) => {
      for (const change of params.changes) {
        const p = uriToPath(change.uri);
        if (!p) continue;
        for (const s of this.sessions.values()) {
          if (!isInside(s.root, p)) continue;
          const rel = path.relative(s.root, p).split(path.sep);
          if (rel.some(isIgnoredSegment)) continue;
          this.debouncer.push(s.root);
        }
      }
    });
    c.onRequest(lsp.analyze, async (params) => {
      const s = this.session(params?.root);
      try {
        return await this.analyze(s);
      } catch (err) {
        throw new ResponseError(ErrorCodes.InternalError, err instanceof Error ? err.message : String(err));
      }
    });
    c.onNotification(lsp.cancel, (params) => {
      for (const s of this.sessions.values()) {
        if (!params?.root || s.root === params.root) this.cancel(s);
      }
    });
    c.onRequest(lsp.getResult, (params) => this.session(params?.root).result);
    c.onRequest(lsp.relabel, async (params) => {
      const s = this.session(params?.root);
      return planRelabel(await this.planContext(s), Array.isArray(params?.items) ? params.items : []);
    });
    c.onRequest(lsp.quarantine, async (params) => {
      const s = this.session(params?.root);
      return planQuarantine(await this.planContext(s), Array.isArray(params?.paths) ? params.paths : []);
    });
    c.onRequest(lsp.decide, (params) => this.decide(this.session(params?.root), params));
    c.onRequest(lsp.undo, (params) => this.undoRedo(this.session(params?.root), 'undo'));
    c.onRequest(lsp.redo, (params) => this.undoRedo(this.session(params?.root), 'redo'));
    c.onRequest(lsp.journalState, (params) => this.journalState(this.session(params?.root)));
    c.onRequest(lsp.thumbnails, (params) => this.thumbnails(this.session(params?.root), params));
    c.onRequest(lsp.thumbnailFolder, (params) => this.thumbnailFolder(this.session(params?.root)));
    c.onRequest(lsp.issuesDocument, (params) => {
      const s = [...this.sessions.values()].find((x) => x.issuesUri === params?.uri);
      if (!s) return { text: '# LabelLint: no dataset is open for this document.\n' };
      if (!s.doc) {
        const what = !this.trusted
          ? UNTRUSTED_ANALYSIS
          : s.empty
            ? emptyMessage(s.root)
            : s.run
            ? 'Analysis is running…'
            : 'No analysis yet. Run "LabelLint: Analyze Dataset".';
        return { text: `# LabelLint: ${what}\n# Dataset: ${s.root}\n` };
      }
      return { text: s.doc.text };
    });
    c.onHover((params) => this.hover(params.textDocument.uri, params.position.line));
    c.onCodeAction((params) => {
      const s = this.sessionForUri(params.textDocument.uri);
      if (!s?.result) return [];
      const uri = params.textDocument.uri === s.issuesUri ? s.issuesUri : (s.csvUri ?? params.textDocument.uri);
      const ours = params.context.diagnostics.filter((d) => d.source === SOURCE);
      return codeActionsFor({
        result: s.result,
        diagnostics: ours,
        trusted: this.trusted,
        suppressed: s.suppressed,
        dataOf: (d: Diagnostic) => (isDiagnosticData(d.data) ? d.data : s.records.get(diagnosticKey(uri, d))),
      });
    });
    c.onShutdown(async () => {
      this.debouncer.dispose();
      for (const s of this.sessions.values()) this.cancel(s);
      await this.deps.reset?.();
    });
    this.documents.listen(c);
    c.listen();
  }

  private log(message: string): void {
    this.connection.console.log(message);
  }

  private setRoots(roots: readonly string[]): void {
    const want = new Set(roots.map((r) => path.resolve(r)));
    for (const [root, s] of this.sessions) {
      if (want.has(root)) continue;
      this.cancel(s);
      for (const uri of s.published) this.connection.sendDiagnostics({ uri, diagnostics: [] });
      this.sessions.delete(root);
    }
    for (const r of want) if (!this.sessions.has(r)) this.sessions.set(r, new Session(r));
  }

  private session(root: string | undefined): Session {
    const s = root ? this.sessions.get(path.resolve(root)) : this.sessions.values().next().value;
    if (!s) {
      throw new ResponseError(
        ErrorCodes.InvalidParams,
        root ? `LabelLint has no dataset open at ${root}` : 'LabelLint has no dataset folder open',
      );
    }
    return s;
  }

  private sessionForUri(uri: string): Session | undefined {
    const all = [...this.sessions.values()];
    const byDoc = all.find((s) => s.issuesUri === uri);
    if (byDoc) return byDoc;
    const p = uriToPath(uri);
    return p ? all.find((s) => s.csvPath !== undefined && path.resolve(s.csvPath) === path.resolve(p)) : undefined;
  }

  private onConfiguration(raw: unknown): void {
    const payload = (raw && typeof raw === 'object' ? raw : {}) as Partial<lsp.ConfigurationPayload>;
    const before = JSON.stringify({ ...this.settings, severities: null });
    const wasTrusted = this.trusted;
    if ('settings' in payload) this.rawSettings = payload.settings;
    if (typeof payload.trusted === 'boolean') this.trusted = payload.trusted;
    if (typeof payload.autoAnalyze === 'boolean') this.autoAnalyze = payload.autoAnalyze;
    const known = new Set(this.sessions.keys());
    const becameTrusted = this.trusted && !wasTrusted;
    if (Array.isArray(payload.roots)) this.setRoots(payload.roots.filter((r): r is string => typeof r === 'string'));
    const analysisChanged = JSON.stringify({ ...this.settings, severities: null }) !== before;
    for (const s of this.sessions.values()) {
      if (!known.has(s.root) || becameTrusted || (analysisChanged && s.result)) {
        if (this.autoAnalyze) this.debouncer.push(s.root);
      } else if (s.result) void this.publish(s); // severities only: republish, no re-run
    }
  }

  private cancel(s: Session): void {
    if (s.run) s.run.cancelled = true;
    s.rerun = false;
  }

  /** Analyse for a file change or on start: join a running analysis by asking for one more run after it. */
  private async analyzeQuietly(root: string): Promise<void> {
    const s = this.sessions.get(root);
    if (!s || !this.trusted) return;
    if (s.run) {
      s.rerun = true;
      return;
    }
    try {
      await this.analyze(s);
    } catch {
      // reported through the state notification
    }
  }

  /** Starts an analysis of `s`, or joins the running one. Resolves with the summary; null when cancelled. */
  analyze(s: Session): Promise<lsp.ResultSummary | null> {
    if (!this.trusted) return Promise.reject(new Error(UNTRUSTED_ANALYSIS));
    if (s.run) return s.run.promise;
    const run: { cancelled: boolean; promise?: Promise<lsp.ResultSummary | null> } = { cancelled: false };
    run.promise = this.execute(s, run).finally(() => {
      s.run = null;
      if (s.rerun) {
        s.rerun = false;
        void this.analyzeQuietly(s.root);
      }
    });
    s.run = run as Run;
    return run.promise;
  }

  private async execute(s: Session, run: { cancelled: boolean }): Promise<lsp.ResultSummary | null> {
    const c = this.connection;
    const started = Date.now();
    const settings = this.settings;
    if (this.deps.countImages) {
      let n: number;
      try {
        n = await this.deps.countImages(s.root, settings);
      } catch (err) {
        n = -1;
        this.log(`LabelLint: scanning ${s.root} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      s.empty = n === 0;
      if (n === 0) {
        s.result = null;
        s.doc = null;
        for (const uri of s.published) c.sendDiagnostics({ uri, diagnostics: [] });
        s.published.clear();
        c.sendNotification(lsp.issuesDocumentChanged, { uris: [s.issuesUri] });
        c.sendNotification(lsp.state, { root: s.root, state: 'empty', message: emptyMessage(s.root) });
        return null;
      }
    }
    c.sendNotification(lsp.state, { root: s.root, state: 'running' });
    let reporter: WorkDoneProgressServerReporter | undefined;
    if (this.workDoneSupported) {
      try {
        reporter = await c.window.createWorkDoneProgress();
        reporter.begin(`LabelLint: ${path.basename(s.root)}`, 0, 'scanning…', true);
        reporter.token.onCancellationRequested(() => (run.cancelled = true));
      } catch {
        reporter = undefined;
      }
    }
    let lastSent = 0;
    let lastPhase = '';
    let backend: string | null = null;
    const onProgress = (p: AnalysisProgress): void => {
      if (p.backend) backend = p.backend;
      const now = Date.now();
      if (p.phase === lastPhase && now - lastSent < PROGRESS_INTERVAL_MS && p.done < p.total) return;
      lastSent = now;
      lastPhase = p.phase;
      c.sendNotification(lsp.progress, { root: s.root, progress: p, backend });
      const rate = p.imagesPerSecond ? ` · ${p.imagesPerSecond.toFixed(0)} img/s` : '';
      reporter?.report(overallPercent(p), `${p.phase} ${p.done}/${p.total}${rate}`);
    };
    try {
      const result = await this.deps.runAnalysis(s.root, settings, {
        onProgress,
        isCancelled: () => run.cancelled,
        log: (m) => this.log(m),
      });
      if (run.cancelled) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
      s.result = result;
      s.suppressed.clear();
      s.csvPath = result.layout === 'csv' ? await this.deps.findCsv(s.root, settings).catch(() => undefined) : undefined;
      s.csvUri = s.csvPath ? fileUri(s.csvPath) : undefined;
      await this.publish(s);
      const summary = this.summary(s, Date.now() - started);
      c.sendNotification(lsp.state, { root: s.root, state: 'done' });
      c.sendNotification(lsp.resultsReady, summary);
      return summary;
    } catch (err) {
      if (isCancelledError(err) || run.cancelled) {
        c.sendNotification(lsp.state, { root: s.root, state: 'cancelled' });
        return null;
      }
      const message = err instanceof Error ? err.message : String(err);
      this.log(`LabelLint: analysis of ${s.root} failed: ${err instanceof Error && err.stack ? err.stack : message}`);
      c.sendNotification(lsp.state, { root: s.root, state: 'failed', message });
      await this.deps.reset?.();
      throw err;
    } finally {
      reporter?.done();
    }
  }

  private summary(s: Session, elapsedMs: number): lsp.ResultSummary {
    const r = s.result!;
    const settings = this.settings;
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

  /** The labels table, from the open editor when the CSV is open (its unsaved text is what an edit applies to). */
  private async csvTable(s: Session): Promise<CsvTable | null> {
    if (!s.csvPath) return null;
    const open = this.documents.all().find((d) => uriToPath(d.uri) === s.csvPath);
    let decoded: DecodedCsv;
    try {
      // The bytes on disk tell the encoding even when the editor has the file open (its text is already decoded,
      // possibly wrongly: a Latin-1 file opened as UTF-8 holds U+FFFD).
      decoded = decodeCsv(await fs.promises.readFile(s.csvPath));
    } catch {
      if (!open) return null;
      decoded = { text: open.getText(), encoding: 'utf8' };
    }
    return readCsvTable(s.root, s.csvPath, open ? open.getText() : decoded.text, decoded.encoding);
  }

  private async planContext(s: Session): Promise<PlanContext> {
    if (!s.result) throw new ResponseError(ErrorCodes.InvalidRequest, 'LabelLint has no analysis result yet');
    if (!this.trusted) throw new ResponseError(ErrorCodes.InvalidRequest, 'LabelLint changes nothing in an untrusted workspace');
    return { root: s.root, result: s.result, exists: this.deps.exists, csv: await this.csvTable(s), csvUri: s.csvUri };
  }

  /** Publishes the issues document and diagnostics for `s` and clears URIs that no longer have any. */
  private async publish(s: Session): Promise<void> {
    if (!s.result) return;
    const settings = this.settings;
    s.doc = formatIssuesDocument(s.result, settings, { suppressed: s.suppressed });
    const csv = await this.csvTable(s);
    const byUri = toDiagnostics({ result: s.result, settings, doc: s.doc, issuesUri: s.issuesUri, csv, csvUri: s.csvUri });
    const records = new Map<string, DiagnosticData>();
    for (const [uri, diags] of byUri) {
      for (const d of diags) if (isDiagnosticData(d.data)) records.set(diagnosticKey(uri, d), d.data);
    }
    s.records = records;
    this.connection.sendNotification(lsp.issuesDocumentChanged, { uris: [s.issuesUri] });
    for (const uri of s.published) if (!byUri.has(uri)) this.connection.sendDiagnostics({ uri, diagnostics: [] });
    for (const [uri, diagnostics] of byUri) this.connection.sendDiagnostics({ uri, diagnostics });
    s.published = new Set(byUri.keys());
  }

  // ------------------------------------------------------------------ decisions and the journal

  /**
   * The journal of `s`, opened on first use; a crashed step found on open is rolled back (or, in a journal written
   * for another folder, only reported), and entries that are not confined to the root are ignored and reported.
   */
  private journalOf(s: Session): Journal {
    if (!s.journal) {
      // The one file outside the root a journal entry may patch: the labels CSV the user configured.
      const labelsCsv = (): string | undefined => s.csvPath ?? (this.settings.labelsCsv ? path.resolve(s.root, this.settings.labelsCsv) : undefined);
      s.journal = Journal.open(s.root, { reviews: this.deps.reviewStore(s.root, (m) => this.log(m)), labelsCsv });
      for (const r of s.journal.recovered) {
        this.log(r.message);
        void this.connection.window.showWarningMessage(`LabelLint: ${r.message}`);
      }
      for (const m of s.journal.ignored) this.log(`LabelLint: ${m}`);
      if (s.journal.ignored.length > 0) {
        const n = s.journal.ignored.length;
        void this.connection.window.showWarningMessage(
          `LabelLint: ${n === 1 ? s.journal.ignored[0] : `${n} entries of ${s.journal.file} were ignored (paths outside the dataset root or malformed); they are not carried out, undone or redone. See the LabelLint output.`}`,
        );
      }
    }
    return s.journal;
  }

  journalState(s: Session): lsp.JournalState {
    if (!this.trusted) return { root: s.root, decisions: [] };
    const j = this.journalOf(s);
    return {
      root: s.root,
      undo: j.peekUndo()?.message,
      redo: j.peekRedo()?.message,
      decisions: [...j.decisions().values()].map((d) => ({ path: d.path, action: d.action, label: d.label, newPath: d.newPath })),
    };
  }

  private journalChanged(s: Session): lsp.JournalState {
    const state = this.journalState(s);
    this.connection.sendNotification(lsp.didChangeJournal, state);
    return state;
  }

  /** The labels CSV bytes as on disk, refusing when the editor holds unsaved changes (they would be lost or clash). */
  private async csvOnDisk(s: Session): Promise<{ abs: string; bytes: Buffer; table: CsvTable | null } | null> {
    if (!s.csvPath) return null;
    const bytes = await fs.promises.readFile(s.csvPath);
    const text = decodeCsv(bytes).text;
    const open = this.documents.all().find((d) => uriToPath(d.uri) === s.csvPath);
    if (open && open.getText() !== text) {
      throw new JournalError(`${path.basename(s.csvPath)} has unsaved changes in the editor: save or revert it first`);
    }
    return { abs: s.csvPath, bytes, table: readCsvTable(s.root, s.csvPath, text) };
  }

  /** Carries out a decision and records it as one journal entry; refuses (changing nothing) with a reason. */
  async decide(s: Session, params: lsp.DecideParams): Promise<lsp.DecideResult> {
    const nothing = (message: string, refused: lsp.Refusal[] = []): lsp.DecideResult => ({
      applied: [],
      refused,
      message,
      state: this.trusted ? this.journalState(s) : { root: s.root, decisions: [] },
    });
    if (!this.trusted) return nothing('LabelLint changes nothing in an untrusted workspace.');
    if (!s.result) return nothing('no analysis result yet');
    const result = s.result;
    const images = new Map(result.images.map((im) => [im.path, im]));
    const given = (p: string): string | undefined => images.get(p)?.givenLabel;
    const action = params?.action;
    try {
      if (action === 'correct') {
        const refused: lsp.Refusal[] = [];
        const ok: { path: string; hash: string }[] = [];
        for (const p of Array.isArray(params.paths) ? params.paths : []) {
          const im = typeof p === 'string' ? images.get(p) : undefined;
          if (!im || !isInside(s.root, path.join(s.root, im.path))) refused.push({ path: String(p), reason: 'not an analysed image of this dataset' });
          else if (!ok.some((o) => o.path === im.path)) ok.push({ path: im.path, hash: im.hash });
        }
        if (ok.length === 0) return nothing('nothing to mark correct', refused);
        const decisions = ok.map((o) => ({ path: o.path, action: 'correct' as const }));
        const message = decisionMessage('correct', decisions, given);
        this.journalOf(s).record('correct', message, decisions, ok.map((o) => ({ op: 'review' as const, path: o.path, hash: o.hash })));
        return this.afterDecision(s, ok.map((o) => o.path), refused, message);
      }
      if (action !== 'relabel' && action !== 'quarantine') return nothing(`unknown action '${String(action)}' (relabel, quarantine, correct)`);
      const csv = result.layout === 'csv' ? await this.csvOnDisk(s) : null;
      const ctx: PlanContext = { root: s.root, result, exists: this.deps.exists, csv: csv?.table ?? null, csvUri: s.csvUri };
      const items = Array.isArray(params.items) ? params.items : [];
      const plan = action === 'relabel' ? planRelabel(ctx, items) : planQuarantine(ctx, Array.isArray(params.paths) ? params.paths : []);
      if (plan.edits.length === 0) return nothing(plan.refused.length ? `not changed: ${plan.refused.map((r) => `${r.path} (${r.reason})`).join('; ')}` : 'nothing to change', [...plan.refused]);
      const labelOf = (p: string): string | undefined => items.find((i) => i.path === p)?.newLabel;
      const decisions = decisionsFromPlan(action, plan, labelOf);
      const message = decisionMessage(action, decisions, given);
      const ops = opsFromPlan(s.root, plan, csv ? { abs: csv.abs, bytes: csv.bytes } : null);
      this.journalOf(s).record(action, message, decisions, ops);
      return this.afterDecision(s, decisions.map((d) => d.path), [...plan.refused], message);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.log(`LabelLint: decision refused: ${reason}`);
      return nothing(`nothing changed: ${reason}`);
    }
  }

  private afterDecision(s: Session, paths: readonly string[], refused: lsp.Refusal[], message: string): lsp.DecideResult {
    for (const p of paths) s.suppressed.add(p);
    void this.publish(s);
    return { applied: paths, refused, message, state: this.journalChanged(s) };
  }

  async undoRedo(s: Session, which: 'undo' | 'redo'): Promise<lsp.UndoResult> {
    if (!this.trusted) return { done: false, message: 'LabelLint changes nothing in an untrusted workspace.', paths: [], state: { root: s.root, decisions: [] } };
    const j = this.journalOf(s);
    let entry: JournalEntry | null;
    try {
      entry = which === 'undo' ? j.undo() : j.redo();
    } catch (err) {
      const next = which === 'undo' ? j.peekUndo() : j.peekRedo();
      const reason = err instanceof Error ? err.message : String(err);
      return { done: false, message: `Cannot ${which} "${next?.message ?? ''}": ${reason}. Nothing was changed.`, paths: [], state: this.journalState(s) };
    }
    if (!entry) return { done: false, message: `Nothing to ${which}.`, paths: [], state: this.journalState(s) };
    const paths = entry.decisions.map((d) => d.path);
    for (const p of paths) {
      if (which === 'undo') s.suppressed.delete(p);
      else s.suppressed.add(p);
    }
    void this.publish(s);
    // Moves and CSV edits are seen by the file watcher; a review alone changes no file, so re-run for it.
    if (entry.ops.every((o) => o.op === 'review') && this.autoAnalyze) this.debouncer.push(s.root);
    return { done: true, message: undoMessage(which === 'undo' ? 'Undid' : 'Redid', entry.message, entry.ops), paths, state: this.journalChanged(s) };
  }

  private async thumbnails(s: Session, params: lsp.ThumbnailParams): Promise<lsp.ThumbnailResult> {
    const out: Record<string, lsp.ThumbnailResult['thumbs'][string]> = {};
    if (!s.result || !this.deps.thumbnails || !Array.isArray(params?.paths)) return { thumbs: out };
    const images = new Map(s.result.images.map((im) => [im.path, im]));
    const items: { rel: string; abs: string; hash: string }[] = [];
    for (const p of params.paths.slice(0, 10_000)) {
      const im = typeof p === 'string' ? images.get(p) : undefined;
      const abs = im ? path.join(s.root, ...im.path.split('/')) : undefined;
      if (!im || !abs || !isInside(s.root, abs)) out[String(p)] = null;
      else items.push({ rel: im.path, abs, hash: im.hash });
    }
    // Untrusted: nothing is written, thumbnails come back inline.
    const persist = params.persist === true && this.trusted;
    const got = await this.deps.thumbnails(s.root, items, persist);
    items.forEach((it, i) => (out[it.rel] = got[i] ?? null));
    const file = got.find((t) => t?.file)?.file; // every cached file lies in the one thumbnail folder
    return file ? { thumbs: out, dir: path.dirname(file) } : { thumbs: out };
  }

  /** Where the thumbnails of `s` are kept (the store's state folder rule); null when untrusted (nothing written). */
  private async thumbnailFolder(s: Session): Promise<lsp.ThumbnailFolderResult> {
    if (!this.trusted || !this.deps.thumbnailDir) return { dir: null };
    return { dir: await this.deps.thumbnailDir(s.root).catch(() => null) };
  }

  /** Hover on an issue line (issues document) or a flagged CSV row: the image's thumbnail, name, labels and issues. */
  private async hover(uri: string, line: number): Promise<{ contents: { kind: 'markdown'; value: string } } | null> {
    const s = this.sessionForUri(uri);
    if (!s?.result || !s.doc) return null;
    let p: string | undefined;
    if (uri === s.issuesUri) {
      // The line as the editor shows it (a newer run may have shifted the server's lines since): its first token is the path.
      const shown = this.documents.get(uri)?.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
      const token = shown?.trim().split(/\s+/)[0];
      p = token && !token.startsWith('#') && s.result.images.some((x) => x.path === token) ? token : shown === undefined ? issueAtLine(s.doc, line)?.issue.path : undefined;
    }
    else {
      const csv = await this.csvTable(s);
      for (const [rel, row] of csv?.rows ?? []) {
        if (row.range.start.line <= line && line <= row.range.end.line) {
          p = rel;
          break;
        }
      }
    }
    const im = p ? s.result.images.find((x) => x.path === p) : undefined;
    if (!im) return null;
    const issues = s.doc.lines.filter((l) => l.issue.path === im.path).map((l) => l.issue);
    const md: string[] = [];
    const thumb = await this.thumbDataUri(s, im.path);
    const name = path.posix.basename(im.path);
    if (thumb) md.push(`![${name.replace(/[[\]]/g, '')}](${thumb}|width=${HOVER_THUMB_PX})`, '');
    const sug = im.suggestedLabel && im.suggestedLabel !== im.givenLabel ? ` · suggested **${im.suggestedLabel}** (${Math.round(im.suggestedProb * 100)}% likely given the image and its label; P(label wrong) ${formatPLabelWrong(im.pLabelWrong)})` : '';
    md.push(`**${name}** — labelled **${im.givenLabel}**${sug}`, '', `\`${im.path}\``);
    for (const i of issues) md.push('', `- ${i.kind}: ${i.message.replace(/\s+/g, ' ').slice(0, 200)}`);
    return { contents: { kind: 'markdown', value: md.join('\n') } };
  }

  /** A `data:` URI of the image's cached thumbnail (made on demand), or null. */
  private async thumbDataUri(s: Session, rel: string): Promise<string | null> {
    const im = s.result?.images.find((x) => x.path === rel);
    if (!im || !this.deps.thumbnails) return null;
    const abs = path.join(s.root, ...rel.split('/'));
    if (!isInside(s.root, abs)) return null;
    const [t] = await this.deps.thumbnails(s.root, [{ abs, hash: im.hash }], this.trusted).catch(() => [null]);
    if (t?.dataUri) return t.dataUri;
    if (t?.file) {
      try {
        return `data:image/webp;base64,${(await fs.promises.readFile(t.file)).toString('base64')}`;
      } catch {
        return null;
      }
    }
    return null;
  }
}
