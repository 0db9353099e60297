/**
 * The one owner of the language client's lifecycle (rust-analyzer `ctx.ts`): start, stop, restart,
 * and two disposal lists — `extDisposables` live as long as the extension, `clientDisposables` as long
 * as one client, so a restart leaks nothing. Nothing here loads TensorFlow or the engine.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import * as lsp from '../protocol/lsp';
import type { AnalysisResult } from '../protocol/results';
import { Config } from './config';
import { RestartBudget } from './restartBudget';
import { Badges, IssuesDocuments, StatusItem } from './views';
import { doneMessage, overallPercentOf, progressMessage } from './format';

/** Path of the server module relative to the extension root. */
export const SERVER_MODULE = 'out/server/main.js';
/** An explicit Analyze repeats the "no images" message only when the last one is older than this. */
const EMPTY_REPEAT_MS = 5_000;
/** Grace period for the server to exit on stop. */
const STOP_TIMEOUT_MS = 2_000;
/** Files whose changes make the server re-analyse (it ignores dot folders such as `.labellint/`). */
const WATCH_GLOB = '**/*.{png,PNG,jpg,JPG,jpeg,JPEG,bmp,gif,webp,tif,tiff,csv,CSV}';

export class Ctx {
  private client: LanguageClient | undefined;
  private clientDisposables: vscode.Disposable[] = [];
  private readonly budget = new RestartBudget();
  private readonly summaries = new Map<string, lsp.ResultSummary>();
  private readonly journalEmitter = new vscode.EventEmitter<lsp.JournalState>();
  /** The journal of a root changed (decision, undo, redo): the report redraws decided tiles. */
  readonly onDidChangeJournal = this.journalEmitter.event;
  private readonly resultsEmitter = new vscode.EventEmitter<lsp.ResultSummary>();
  readonly onDidAnalyze = this.resultsEmitter.event;
  private readonly rootEmitter = new vscode.EventEmitter<string>();
  /** What a root shows changed: a new result, or the folder turned out to hold no images. */
  readonly onDidChangeRoot = this.rootEmitter.event;
  readonly output: vscode.OutputChannel;
  readonly status: StatusItem;
  readonly badges: Badges;
  readonly issues: IssuesDocuments;
  private readyResolve!: () => void;
  /** The client's start, while it is starting (commands wait for it instead of saying "not running"). */
  private starting: Promise<void> | undefined;
  /** Per root: the cancellable notification of a first run, while it is open. */
  private readonly firstRun = new Map<string, { report: (p: lsp.ProgressParams) => void; end: () => void; shown: boolean }>();
  /** Per root: when it was last told that it holds no images (auto-runs repeat silently; no duplicate toasts). */
  private readonly toldEmpty = new Map<string, number>();
  /** Per root: why there is no result because the folder holds no images. */
  private readonly empties = new Map<string, string>();
  /** Explicit Analyze commands in flight: they report their own outcome, so the state handler stays quiet. */
  explicitRuns = 0;
  /** Resolves once the server said it is ready (for the API and integration tests). */
  readonly ready = new Promise<void>((r) => (this.readyResolve = r));

  constructor(readonly extCtx: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('LabelLint');
    this.status = new StatusItem();
    this.badges = new Badges();
    this.issues = new IssuesDocuments((uri) => this.issuesText(uri));
    this.extDisposables.push(
      this.output,
      this.status,
      this.badges,
      this.issues,
      this.resultsEmitter,
      this.rootEmitter,
      this.journalEmitter,
      vscode.window.registerFileDecorationProvider(this.badges),
      vscode.workspace.registerTextDocumentContentProvider(lsp.ISSUES_SCHEME, this.issues),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('labelLint')) this.sendConfiguration();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.sendConfiguration()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.log('Workspace trusted: analysis, user models and fixes are enabled.');
        this.status.idle('$(checklist) LabelLint', 'LabelLint: analysing…', 'labelLint.analyze');
        this.sendConfiguration();
      }),
    );
    this.badges.enabled = new Config().showExplorerBadges;
  }

  get extDisposables(): vscode.Disposable[] {
    return this.extCtx.subscriptions;
  }

  get isRunning(): boolean {
    return this.client?.state === State.Running;
  }

  log(message: string): void {
    this.output.appendLine(`[${new Date().toISOString()}] ${message}`);
  }

  /** The running client, or a thrown error that says what to do. */
  requireClient(): LanguageClient {
    if (!this.client || !this.isRunning) throw new Error('The LabelLint server is not running. Run "LabelLint: Restart Server".');
    return this.client;
  }

  async start(): Promise<void> {
    if (this.client) return;
    const module = this.extCtx.asAbsolutePath(SERVER_MODULE);
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const watcher = vscode.workspace.createFileSystemWatcher(WATCH_GLOB);
    const init: lsp.InitializationOptions = Config.payload();
    if (!init.trusted) {
      this.log('Untrusted workspace: LabelLint writes nothing and loads no user model, so it does not analyse (the analysis writes its cache into <dataset>/.labellint/). Trust the folder to analyse it.');
      this.status.idle('$(shield) LabelLint: restricted', 'Untrusted workspace: LabelLint writes nothing and loads no user model, so it does not analyse. Click to manage workspace trust.', 'workbench.trust.manage');
    }
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: lsp.ISSUES_SCHEME }, { scheme: 'file', pattern: '**/*.{csv,CSV}' }],
      synchronize: { fileEvents: watcher },
      // A function, so a restart after a crash sends the configuration of that moment.
      initializationOptions: (): lsp.InitializationOptions => ({ ...Config.payload(), ownProgress: true }),
      outputChannel: this.output,
      errorHandler: this.errorHandler(),
      middleware: {
        // Issues-document diagnostics wait for the document's new text: markers set on the old text would be
        // moved by the refresh's edits onto the wrong lines.
        handleDiagnostics: (uri, diagnostics, next) =>
          uri.scheme === lsp.ISSUES_SCHEME ? this.issues.applyAfterRefresh(uri.toString(), () => next(uri, diagnostics)) : next(uri, diagnostics),
      },
    };
    const client = new LanguageClient('labelLint', 'LabelLint', serverOptions, clientOptions);
    this.client = client;
    this.clientDisposables.push(
      watcher,
      client.onNotification(lsp.serverReady, () => this.readyResolve()),
      client.onNotification(lsp.progress, (p) => {
        this.status.progress(p.progress, p.backend);
        this.firstRun.get(p.root)?.report(p);
      }),
      client.onNotification(lsp.state, (s) => this.onState(s)),
      client.onNotification(lsp.resultsReady, (s) => this.onResults(s)),
      client.onNotification(lsp.issuesDocumentChanged, (p) => this.issues.changed(p.uris)),
      client.onNotification(lsp.didChangeJournal, (st) => this.onJournal(st)),
      client.onDidChangeState((e) => {
        if (e.newState === State.Stopped) this.status.stopped('The LabelLint server stopped.');
      }),
    );
    this.starting = client.start();
    try {
      await this.starting;
    } finally {
      this.starting = undefined;
    }
  }

  /** Waits (at most `ms`) for a client that is starting, so a command run right after activation finds it running. */
  async whenStarted(ms = 15_000): Promise<void> {
    const s = this.starting;
    if (!s) return;
    await Promise.race([s.catch(() => undefined), new Promise((r) => setTimeout(r, ms))]);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientDisposables.splice(0)) d.dispose();
    if (client) {
      try {
        await client.stop(STOP_TIMEOUT_MS);
      } catch (err) {
        this.log(`Stopping the server: ${String(err)}`);
      }
      await client.dispose(STOP_TIMEOUT_MS).catch(() => undefined);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.budget.reset();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
  }

  private errorHandler(): ErrorHandler {
    return {
      error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
      closed: () => {
        if (this.budget.tryRestart(Date.now())) {
          this.log('The LabelLint server stopped unexpectedly; restarting it.');
          return { action: CloseAction.Restart };
        }
        const message = 'The LabelLint server crashed 5 times in the last 3 minutes and will not be restarted. See the "LabelLint" output, then run "LabelLint: Restart Server".';
        this.status.stopped(message);
        return { action: CloseAction.DoNotRestart, message };
      },
    };
  }

  private sendConfiguration(): void {
    this.badges.enabled = new Config().showExplorerBadges;
    if (!this.isRunning) return;
    void this.client!.sendNotification(DidChangeConfigurationNotification.type, { settings: Config.payload() });
  }

  private onState(s: lsp.StateParams): void {
    if (s.state !== 'running') this.endFirstRun(s.root);
    if (s.state === 'running') {
      this.toldEmpty.delete(s.root);
      if (!this.summaries.has(s.root)) this.startFirstRun(s.root);
    } else if (s.state === 'empty') {
      const message = s.message ?? 'No images found.';
      this.empties.set(s.root, message);
      this.summaries.delete(s.root);
      this.rootEmitter.fire(s.root); // open views re-ask and show the message
      this.badges.update({ root: s.root, clear: true });
      this.status.empty(message);
      this.log(message);
      const last = this.toldEmpty.get(s.root);
      if (last === undefined || (this.explicitRuns > 0 && Date.now() - last > EMPTY_REPEAT_MS)) {
        this.toldEmpty.set(s.root, Date.now());
        void vscode.window.showInformationMessage(`LabelLint: ${message}`);
      }
    } else if (s.state === 'failed') {
      this.status.failed(s.message ?? 'unknown error');
      this.log(`Analysis of ${s.root} failed: ${s.message ?? ''}`);
      void vscode.window.showErrorMessage(`LabelLint: the analysis failed: ${s.message ?? 'unknown error'}`, 'Show Output', 'Retry').then((pick) => {
        if (pick === 'Show Output') this.output.show(true);
        if (pick === 'Retry') void vscode.commands.executeCommand('labelLint.analyze');
      });
    } else if (s.state === 'cancelled') {
      const last = this.summaries.get(s.root);
      if (last) this.status.summary(last);
      else this.status.idle('$(checklist) LabelLint', 'Analysis cancelled. Click to analyse.', 'labelLint.analyze');
    }
  }

  /** The first run of a root gets a cancellable notification with phase, images/s and ETA. */
  private startFirstRun(root: string): void {
    if (this.firstRun.has(root)) return;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const entry = { report: (_p: lsp.ProgressParams): void => undefined, end: resolve, shown: true };
    this.firstRun.set(root, entry);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `LabelLint: analysing ${root.split(/[\\/]/).pop() || root}`, cancellable: true },
      (progress, token) => {
        let last = 0;
        entry.report = (p) => {
          const pct = overallPercentOf(p.progress);
          progress.report({ message: progressMessage(p.progress, p.backend), increment: Math.max(0, pct - last) });
          last = Math.max(last, pct);
        };
        token.onCancellationRequested(() => {
          if (this.isRunning) void this.client!.sendNotification(lsp.cancel, { root });
        });
        return done;
      },
    );
  }

  private endFirstRun(root: string): boolean {
    const e = this.firstRun.get(root);
    if (!e) return false;
    this.firstRun.delete(root);
    e.end();
    return e.shown;
  }

  private onResults(s: lsp.ResultSummary): void {
    const first = !this.summaries.has(s.root);
    this.empties.delete(s.root);
    this.summaries.set(s.root, s);
    if (first && this.explicitRuns === 0) {
      // The first result of an automatic run: say it is done, with the way in (an explicit Analyze says it itself).
      void vscode.window.showInformationMessage(doneMessage(s), 'Show Report', 'Show Issues').then((pick) => {
        if (pick === 'Show Report') void vscode.commands.executeCommand('labelLint.showReport');
        if (pick === 'Show Issues') void vscode.commands.executeCommand('labelLint.showIssues');
      });
    }
    this.status.summary(s);
    this.badges.update(s);
    this.resultsEmitter.fire(s);
    this.rootEmitter.fire(s.root);
    if (this.isRunning) void this.journalState(s.root).then((st) => this.onJournal(st), () => undefined);
  }

  /** Why `root` has no result when its folder holds no usable images; undefined otherwise. */
  emptyMessage(root: string): string | undefined {
    return this.empties.get(root);
  }

  summary(root?: string): lsp.ResultSummary | undefined {
    return root ? this.summaries.get(root) : this.summaries.values().next().value;
  }

  /** The journal's state for `root` (decisions in force, what undo/redo would do): the one record of decisions. */
  journalState(root: string): Promise<lsp.JournalState> {
    return this.requireClient().sendRequest(lsp.journalState, { root });
  }

  onJournal(state: lsp.JournalState): void {
    // Keybinding contexts: Ctrl+Z / Ctrl+Shift+Z in the Problems panel run LabelLint's undo only when it has a step.
    void vscode.commands.executeCommand('setContext', 'labelLint.hasUndo', state.undo !== undefined);
    void vscode.commands.executeCommand('setContext', 'labelLint.hasRedo', state.redo !== undefined);
    this.journalEmitter.fire(state);
  }

  /** The dataset root a command acts on: the only one, or the one the user picks. */
  async pickRoot(): Promise<string | undefined> {
    const roots = Config.roots();
    if (roots.length <= 1) return roots[0];
    return vscode.window.showQuickPick(roots, { placeHolder: 'Which dataset?' });
  }

  analyze(root?: string): Promise<lsp.ResultSummary | null> {
    return this.requireClient().sendRequest(lsp.analyze, { root });
  }

  getResult(root?: string): Promise<AnalysisResult | null> {
    return this.requireClient().sendRequest(lsp.getResult, { root });
  }

  private async issuesText(uri: string): Promise<string> {
    if (!this.isRunning) return '# LabelLint: the server is not running. Run "LabelLint: Restart Server".\n';
    try {
      return (await this.client!.sendRequest(lsp.issuesDocument, { uri })).text;
    } catch (err) {
      return `# LabelLint: could not load the issues (${err instanceof Error ? err.message : String(err)}).\n`;
    }
  }
}
