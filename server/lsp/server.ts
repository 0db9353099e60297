/**
 * The LabelLint language server: wires the engine (`runAnalysis`, same process; the heavy part runs in
 * worker threads) to LSP. One `Session` per dataset root holds the last result and what was published.
 *
 * Flow: analyze → progress (custom notification + cancellable `window/workDoneProgress`) → result →
 * issues document + diagnostics (pure conversions) → `resultsReady`. File changes re-run the analysis
 * after a quiet period (the engine cache re-embeds only changed files). Fixes are planned here and
 * applied by the extension as WorkspaceEdits.
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
import { ISSUE_KINDS, type AnalysisResult, type IssueKind } from '../../protocol/results';
import { sanitizeSettings, type Settings } from '../../protocol/settings';
import type { AnalyzeHooks } from '../engine/pipeline/analyze';
import { codeActionsFor } from './codeActions';
import { readCsvTable, type CsvTable } from './csv';
import { Debouncer } from './debounce';
import { diagnosticKey, isDiagnosticData, SOURCE, toDiagnostics, type DiagnosticData } from './diagnostics';
import { formatIssuesDocument, type IssuesDocument } from './issuesDocument';
import { planQuarantine, planRelabel, QUARANTINE_DIR, type PlanContext } from './plan';
import { fileUri, isInside, uriToPath } from './uris';
import { WarmEmbedder } from './warm';

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
export const UNTRUSTED_ANALYSIS =
  'LabelLint does not analyse untrusted folders: the analysis writes its cache into <dataset>/.labellint/. Trust the folder to analyse it.';

export interface ServerDeps {
  readonly runAnalysis: (root: string, settings: Settings, hooks: AnalyzeHooks) => Promise<AnalysisResult>;
  /** Absolute path of the labels CSV, for CSV datasets. */
  readonly findCsv: (root: string, settings: Settings) => Promise<string | undefined>;
  readonly storeCorrectReviews: (root: string, entries: { hash: string; path: string }[], log: (m: string) => void) => void;
  readonly exists: (abs: string) => boolean;
  readonly debounceMs?: number;
  /** Called after a failed run (drop warm state) and on shutdown. */
  readonly reset?: () => Promise<void>;
}

const warm = new WarmEmbedder();
/** Per dataset root: the kNN graph and map of the last run, reused when a relabel leaves the images the same. */
const memos = new Map<string, import('../engine/pipeline/lint').LintMemo>();

/** The real engine, loaded on first use so the server answers `initialize` before TensorFlow loads. */
export const engineDeps: ServerDeps = {
  runAnalysis: async (root, settings, hooks) => {
    const { LintMemo } = await import('../engine/pipeline/lint');
    let memo = memos.get(root);
    if (!memo) memos.set(root, (memo = new LintMemo()));
    return (await import('../engine/pipeline/analyze')).runAnalysis(root, settings, { ...hooks, embedder: await warm.get(settings), memo });
  },
  findCsv: async (root, settings) => {
    const { detectLayout } = await import('../engine/dataset/scan');
    const info = await detectLayout(root, { csv: settings.labelsCsv ?? undefined, exclude: settings.exclude });
    return info.layout === 'csv' ? info.csvPath : undefined;
  },
  storeCorrectReviews: (root, entries, log) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./reviews') as typeof import('./reviews')).storeCorrectReviews(root, entries, log);
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
      this.workDoneSupported = params.capabilities.window?.workDoneProgress === true;
      return {
        capabilities: {
          textDocumentSync: TextDocumentSyncKind.Incremental,
          codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
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
    c.onNotification(lsp.didApplyEdits, (params) => {
      const s = this.sessions.get(params?.root ?? '');
      if (!s || !Array.isArray(params.paths)) return;
      for (const p of params.paths) if (typeof p === 'string') s.suppressed.add(p);
      void this.publish(s);
    });
    c.onRequest(lsp.markCorrect, (params) => this.markCorrect(this.session(params?.root), params?.paths ?? []));
    c.onRequest(lsp.issuesDocument, (params) => {
      const s = [...this.sessions.values()].find((x) => x.issuesUri === params?.uri);
      if (!s) return { text: '# LabelLint: no dataset is open for this document.\n' };
      if (!s.doc) {
        const what = !this.trusted
          ? UNTRUSTED_ANALYSIS
          : s.run
            ? 'Analysis is running…'
            : 'No analysis yet. Run "LabelLint: Analyze Dataset".';
        return { text: `# LabelLint: ${what}\n# Dataset: ${s.root}\n` };
      }
      return { text: s.doc.text };
    });
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
    const kinds = new Map<string, IssueKind[]>();
    for (const i of r.issues) {
      if (settings.severities[i.kind] === 'off' || s.suppressed.has(i.path)) continue;
      const k = kinds.get(i.path) ?? [];
      if (!k.includes(i.kind)) k.push(i.kind);
      kinds.set(i.path, k);
    }
    const counts = Object.fromEntries(ISSUE_KINDS.map((k) => [k, 0])) as { [K in IssueKind]: number };
    for (const i of r.issues) if (settings.severities[i.kind] !== 'off' && !s.suppressed.has(i.path)) counts[i.kind]++;
    return {
      root: s.root,
      layout: r.layout,
      images: r.images.length,
      classes: r.classes,
      counts,
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
    let text: string;
    try {
      text = open ? open.getText() : await fs.promises.readFile(s.csvPath, 'utf8');
    } catch {
      return null;
    }
    return readCsvTable(s.root, s.csvPath, text);
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

  private markCorrect(s: Session, paths: readonly unknown[]): lsp.MarkCorrectResult {
    if (!s.result) return { accepted: [], stored: false, refused: [], message: 'no analysis result yet' };
    const images = new Map(s.result.images.map((im) => [im.path, im]));
    const refused: lsp.Refusal[] = [];
    const entries: { hash: string; path: string }[] = [];
    for (const p of paths) {
      const im = typeof p === 'string' ? images.get(p) : undefined;
      if (!im || !isInside(s.root, path.join(s.root, im.path))) refused.push({ path: String(p), reason: 'not an analysed image of this dataset' });
      else entries.push({ hash: im.hash, path: im.path });
    }
    for (const e of entries) s.suppressed.add(e.path);
    void this.publish(s);
    const accepted = entries.map((e) => e.path);
    if (!this.trusted) {
      return { accepted, stored: false, refused, message: 'Untrusted workspace: hidden for this session only, nothing written.' };
    }
    try {
      if (entries.length > 0) this.deps.storeCorrectReviews(s.root, entries, (m) => this.log(m));
      return { accepted, stored: entries.length > 0, refused };
    } catch (err) {
      const message = `Could not store the review: ${err instanceof Error ? err.message : String(err)}`;
      this.log(message);
      return { accepted, stored: false, refused, message };
    }
  }
}
