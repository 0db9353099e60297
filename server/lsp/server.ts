/**
 * The LabelLint language server: wires the engine (`runAnalysis`, same process; the heavy part runs in
 * worker threads) to LSP. One `Session` per dataset root holds the last result and what was published.
 *
 * Flow: analyze → progress (custom notification + cancellable `window/workDoneProgress`) → result →
 * issues document + diagnostics (pure conversions) → `resultsReady`. File changes re-run the analysis
 * after a quiet period (the engine cache re-embeds only changed files). Fixes are planned here, carried
 * out here and recorded in the dataset's journal (`journal.ts`), which also serves undo and redo.
 *
 * This file holds the server object (state, settings, handler registration, sessions, publication); its parts are
 * `engineDeps.ts` (the engine behind `ServerDeps`), `session.ts`, `analysisRun.ts` (one run), `decisions.ts`
 * (decisions, undo/redo), `thumbnails.ts` and `editor.ts` (issues document text, hover, quick fixes).
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
  type FileEvent,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import * as lsp from '../../protocol/lsp';
import { sanitizeSettings, type Settings } from '../../protocol/settings';
import { decodeCsv, type DecodedCsv } from '../engine/dataset/csvCodec';
import { executeRun, UNTRUSTED_ANALYSIS } from './analysisRun';
import { readCsvTable, type CsvTable } from './csv';
import { Debouncer } from './debounce';
import { Decisions } from './decisions';
import { diagnosticKey, isDiagnosticData, toDiagnostics, type DiagnosticData } from './diagnostics';
import { codeActions, hover, issuesDocumentText } from './editor';
import { engineDeps, type ServerDeps } from './engineDeps';
import { formatIssuesDocument } from './issuesDocument';
import { planQuarantine, planRelabel, QUARANTINE_DIR, type PlanContext } from './plan';
import { Session, type Run, type ServerContext } from './session';
import { thumbnailFolder, thumbnails } from './thumbnails';
import { isInside, uriToPath } from './uris';

export { engineDeps, type ServerDeps } from './engineDeps';
export { emptyMessage, overallPercent, UNTRUSTED_ANALYSIS } from './analysisRun';

/**
 * Changes under these never trigger a re-run: what the scanner never enters (dot folders, which covers the
 * engine's own `.labellint/` cache and `.git/`, and node_modules).
 */
export function isIgnoredSegment(seg: string): boolean {
  return seg.startsWith('.') || seg.toLowerCase() === 'node_modules' || seg.toLowerCase() === '__macosx';
}

function isInitOptions(x: unknown): x is lsp.InitializationOptions {
  const o = x as lsp.InitializationOptions;
  return !!o && typeof o === 'object' && Array.isArray(o.roots) && typeof o.trusted === 'boolean';
}

export class LabelLintServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly sessions = new Map<string, Session>();
  private rawSettings: unknown = {};
  private trusted = false;
  private autoAnalyze = true;
  private workDoneSupported = false;
  private readonly debouncer: Debouncer<string>;
  /** What the server's parts (analysis run, decisions, thumbnails, editor features) see of it. */
  private readonly ctx: ServerContext;
  private readonly decisions: Decisions;

  constructor(
    private readonly connection: Connection,
    private readonly deps: ServerDeps = engineDeps,
  ) {
    this.debouncer = new Debouncer<string>((roots) => {
      for (const r of roots) void this.analyzeQuietly(r);
    }, deps.debounceMs);
    this.ctx = {
      connection,
      deps,
      documents: this.documents,
      trusted: () => this.trusted,
      autoAnalyze: () => this.autoAnalyze,
      workDoneSupported: () => this.workDoneSupported,
      settings: () => this.settings,
      log: (m) => this.log(m),
      publish: (s) => this.publish(s),
      csvTable: (s) => this.csvTable(s),
      rerunSoon: (root) => this.debouncer.push(root),
    };
    this.decisions = new Decisions(this.ctx);
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

  /** Registers every LSP handler, grouped by area, and starts listening. */
  listen(): void {
    const c = this.connection;
    this.listenLifecycle(c);
    this.listenAnalysis(c);
    this.listenDecisions(c);
    this.listenEditor(c);
    this.documents.listen(c);
    c.listen();
  }

  // ------------------------------------------------------------------ handler registration

  /** initialize/initialized, configuration and file changes, shutdown. */
  private listenLifecycle(c: Connection): void {
    c.onInitialize((params) => this.initialize(params));
    c.onInitialized(() => {
      c.sendNotification(lsp.serverReady);
      if (this.autoAnalyze) for (const r of this.sessions.keys()) void this.analyzeQuietly(r);
    });
    c.onDidChangeConfiguration((params) => this.onConfiguration(params.settings));
    c.onDidChangeWatchedFiles((params) => this.onWatchedFiles(params.changes));
    c.onShutdown(async () => {
      this.debouncer.dispose();
      for (const s of this.sessions.values()) this.cancel(s);
      await this.deps.reset?.();
    });
  }

  /** Analyse, cancel, the result, and the planned (not carried out) relabel and quarantine edits. */
  private listenAnalysis(c: Connection): void {
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
  }

  /** Decisions and the journal (`decisions.ts`), and the webview's thumbnails (`thumbnails.ts`). */
  private listenDecisions(c: Connection): void {
    c.onRequest(lsp.decide, (params) => this.decisions.decide(this.session(params?.root), params));
    c.onRequest(lsp.undo, (params) => this.decisions.undoRedo(this.session(params?.root), 'undo'));
    c.onRequest(lsp.redo, (params) => this.decisions.undoRedo(this.session(params?.root), 'redo'));
    c.onRequest(lsp.journalState, (params) => this.decisions.journalState(this.session(params?.root)));
    c.onRequest(lsp.thumbnails, (params) => thumbnails(this.ctx, this.session(params?.root), params));
    c.onRequest(lsp.thumbnailFolder, (params) => thumbnailFolder(this.ctx, this.session(params?.root)));
  }

  /** The issues document's text, hovers and quick fixes (`editor.ts`). */
  private listenEditor(c: Connection): void {
    c.onRequest(lsp.issuesDocument, (params) =>
      issuesDocumentText(
        [...this.sessions.values()].find((x) => x.issuesUri === params?.uri),
        this.trusted,
      ),
    );
    c.onHover(async (params) => hover(this.ctx, this.sessionForUri(params.textDocument.uri), params.textDocument.uri, params.position.line));
    c.onCodeAction((params) => codeActions(this.sessionForUri(params.textDocument.uri), params, this.trusted));
  }

  // ------------------------------------------------------------------ lifecycle and sessions

  private initialize(params: InitializeParams): InitializeResult {
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
  }

  /** A changed file inside a root (outside the folders the scanner skips) re-runs its analysis after the quiet period. */
  private onWatchedFiles(changes: readonly FileEvent[]): void {
    for (const change of changes) {
      const p = uriToPath(change.uri);
      if (!p) continue;
      for (const s of this.sessions.values()) {
        if (!isInside(s.root, p)) continue;
        const rel = path.relative(s.root, p).split(path.sep);
        if (rel.some(isIgnoredSegment)) continue;
        this.debouncer.push(s.root);
      }
    }
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
    run.promise = executeRun(this.ctx, s, run).finally(() => {
      s.run = null;
      if (s.rerun) {
        s.rerun = false;
        void this.analyzeQuietly(s.root);
      }
    });
    s.run = run as Run;
    return run.promise;
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
}
