/**
 * The report webview host (vscode-extension-samples `webview-sample`): one panel, reused by
 * `createOrShow`, restored after a reload by a serializer. The page is `page.ts` (CSP
 * `default-src 'none'`, nonce'd style and module script); its scripts come from the compiled
 * bundle folder and thumbnails from the folder the server keeps them in (`lsp.thumbnailFolder`: `<root>/.labellint/thumbs/`,
 * or the per-user folder of a read-only dataset) — the only two `localResourceRoots`.
 *
 * Every message from the webview is validated (`wv.validateWebviewMessage`: known method, exact
 * shape, paths that are images of the current result, labels that are its classes; then each path
 * must resolve inside the root) and refused with a log line otherwise. Relabel / mark correct /
 * quarantine run the registered quick-fix commands (`lsp.Commands.*`), so the view and the
 * lightbulb share one code path: the server carries the decision out and records it in the journal;
 * `u` / Ctrl+Z in the view run `LabelLint: Undo`. Thumbnails come from the server (`lsp.thumbnails`):
 * the extension host never loads sharp or any engine code.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as lsp from '../protocol/lsp';
import * as wv from '../protocol/webview';
import type { AnalysisResult } from '../protocol/results';
import { Config } from './config';
import { decide } from './decisions';
import { renderPage } from './page';
import type { Ctx } from './ctx';

/** The compiled webview bundle (webview/tsconfig.json `outDir`), relative to the extension root. */
export const WEBVIEW_BUNDLE_DIR = ['out', 'webview'] as const;
/** Entry module inside the bundle (`rootDir` is the repository, so sources keep their folders). */
export const WEBVIEW_ENTRY = [...WEBVIEW_BUNDLE_DIR, 'webview', 'main.js'] as const;

/** Absolute path of a dataset-relative `/` path, or null when it would leave the root (a second line of defence). */
export function resolveInsideRoot(root: string, rel: string): string | null {
  if (rel.length === 0 || rel.includes('\\') || rel.includes('\0') || rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return null;
  const segs = rel.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return null;
  const base = path.resolve(root);
  const abs = path.resolve(base, ...segs);
  return abs.startsWith(base.endsWith(path.sep) ? base : base + path.sep) ? abs : null;
}

interface Scope extends wv.MessageScope {
  readonly hashOf: ReadonlyMap<string, string>;
}

export class ReportPanel {
  static readonly viewType = 'labelLint.report';
  private static current: ReportPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private scope: Scope | undefined;
  private loading: Promise<void> | undefined;

  /** Opens the report for `root` (asks when there are several), or brings the open one forward. */
  static async createOrShow(ctx: Ctx, root?: string): Promise<void> {
    const r = root ?? ReportPanel.current?.root ?? (await ctx.pickRoot());
    if (!r) {
      void vscode.window.showInformationMessage('LabelLint: open a dataset folder first.');
      return;
    }
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    if (ReportPanel.current) {
      ReportPanel.current.panel.reveal(column);
      if (ReportPanel.current.root !== r) await ReportPanel.current.setRoot(r);
      return;
    }
    const thumbDir = await ReportPanel.thumbFolder(ctx, r);
    if (ReportPanel.current) return ReportPanel.createOrShow(ctx, r); // opened meanwhile by another call: reuse it
    const panel = vscode.window.createWebviewPanel(ReportPanel.viewType, ReportPanel.title(r), column, ReportPanel.options(ctx, thumbDir));
    ReportPanel.current = new ReportPanel(panel, ctx, r, thumbDir);
  }

  /** Restores the panel after a window reload. Add `onWebviewPanel:labelLint.report` to activationEvents. */
  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(ReportPanel.viewType, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        // The state comes from the webview: only a root we would offer ourselves is accepted.
        const roots = Config.roots();
        const wanted = wv.isRecord(state) && typeof state.root === 'string' ? state.root : undefined;
        const root = wanted !== undefined && roots.includes(wanted) ? wanted : roots[0];
        if (!root) {
          panel.dispose();
          return;
        }
        const thumbDir = await ReportPanel.thumbFolder(ctx, root);
        panel.webview.options = ReportPanel.options(ctx, thumbDir);
        ReportPanel.current?.panel.dispose();
        ReportPanel.current = new ReportPanel(panel, ctx, root, thumbDir);
      },
    });
  }

  /** For the client's `labelLint/state` handler: shows or hides the "analysis running" banner. */
  static setRunning(root: string, running: boolean): void {
    const c = ReportPanel.current;
    if (c && c.root === root) void c.post(wv.didChangeRunning.create({ running }));
  }

  private static title(root: string): string {
    return `LabelLint: ${path.basename(root) || root}`;
  }

  /** `thumbDir`: the folder the server keeps the dataset's thumbnails in (null: none on disk, they come inline). */
  private static options(ctx: Ctx, thumbDir: string | null): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const bundle = vscode.Uri.joinPath(ctx.extCtx.extensionUri, ...WEBVIEW_BUNDLE_DIR);
    return {
      enableScripts: true,
      enableForms: false,
      enableCommandUris: false,
      retainContextWhenHidden: false, // view state survives through getState/setState; the host re-sends the result
      localResourceRoots: thumbDir ? [bundle, vscode.Uri.file(thumbDir)] : [bundle],
    };
  }

  /** Where the server keeps `root`'s thumbnails (`lsp.thumbnailFolder`); null when untrusted or the server is not running. */
  private static async thumbFolder(ctx: Ctx, root: string): Promise<string | null> {
    if (!vscode.workspace.isTrusted || !ctx.isRunning) return null;
    try {
      return (await ctx.requireClient().sendRequest(lsp.thumbnailFolder, { root })).dir;
    } catch {
      return null;
    }
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    private root: string,
    private thumbDir: string | null,
  ) {
    panel.title = ReportPanel.title(root);
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      ctx.onDidChangeRoot((root) => {
        if (root === this.root) void this.sendResult();
      }),
      ctx.onDidChangeJournal((st) => {
        if (st.root === this.root) void this.post(wv.didChangeDecisions.create({ decisions: st.decisions, undo: st.undo, redo: st.redo }));
      }),
    );
  }

  private async setRoot(root: string): Promise<void> {
    this.root = root;
    this.scope = undefined;
    this.panel.title = ReportPanel.title(root);
    const thumbDir = await ReportPanel.thumbFolder(this.ctx, root);
    if (root !== this.root) return; // another root was chosen meanwhile
    this.thumbDir = thumbDir;
    this.panel.webview.options = ReportPanel.options(this.ctx, thumbDir);
    this.panel.webview.html = this.html(); // reload: the page asks for the result with `ready`
  }

  private html(): string {
    const w = this.panel.webview;
    return renderPage({
      cspSource: w.cspSource,
      nonce: randomBytes(16).toString('hex'),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(this.ctx.extCtx.extensionUri, ...WEBVIEW_ENTRY)).toString(),
    });
  }

  private post(msg: wv.IpcMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(msg);
  }

  private log(message: string): void {
    this.ctx.log(`Report view: ${message}`);
  }

  /** Fetches the result from the server and sends it; concurrent calls share one fetch. */
  private sendResult(): Promise<void> {
    this.loading ??= (async () => {
      const root = this.root;
      let result: AnalysisResult | null = null;
      let message: string | undefined;
      try {
        result = this.ctx.isRunning ? await this.ctx.getResult(root) : null;
        if (!this.ctx.isRunning) message = 'The LabelLint server is not running. Run "LabelLint: Restart Server".';
        else if (!result) message = this.ctx.emptyMessage(root) ?? 'No analysis yet. Run "LabelLint: Analyze Dataset".';
      } catch (err) {
        message = `Could not load the analysis: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (root !== this.root) return;
      this.scope = result
        ? {
            paths: new Set(result.images.map((i) => i.path)),
            classes: new Set(result.classes),
            hashOf: new Map(result.images.map((i) => [i.path, i.hash])),
          }
        : undefined;
      await this.post(wv.didChangeResult.create({ root, result, message, off: new Config(vscode.Uri.file(root)).offKinds }));
      if (result) {
        const st = await this.ctx.journalState(root).catch(() => undefined);
        if (st && root === this.root) await this.post(wv.didChangeDecisions.create({ decisions: st.decisions, undo: st.undo, redo: st.redo }));
      }
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async onMessage(raw: unknown): Promise<void> {
    const v = wv.validateWebviewMessage(raw, this.scope);
    if (!v.ok) {
      this.log(`refused a message: ${v.reason}`);
      if (v.id !== undefined && wv.isRecord(raw) && raw.method === wv.thumbnails.method) void this.post(wv.thumbnails.fail(v.id, v.reason));
      return;
    }
    const m = v.message;
    // Second line of defence: every path must resolve inside the root.
    const paths = m.method === 'ready' || m.method === 'undo' || m.method === 'redo' ? [] : 'paths' in m.params ? m.params.paths : [m.params.path];
    const outside = paths.find((p) => resolveInsideRoot(this.root, p) === null);
    if (outside !== undefined) {
      this.log(`refused '${m.method}': ${JSON.stringify(outside)} is outside ${this.root}`);
      if (m.method === 'thumbnails') void this.post(wv.thumbnails.fail(m.id, 'path outside the dataset root'));
      return;
    }
    try {
      switch (m.method) {
        case 'ready':
          return await this.sendResult();
        case 'relabel':
          return await this.act('relabel', m.params.paths, m.params.label);
        case 'markCorrect':
          return await this.act('markCorrect', m.params.paths);
        case 'quarantine':
          return await this.act('quarantine', m.params.paths);
        case 'openFile':
          await vscode.commands.executeCommand('vscode.open', this.uriOf(m.params.path), { preview: true, preserveFocus: true, viewColumn: vscode.ViewColumn.Beside });
          return;
        case 'revealFile':
          await vscode.commands.executeCommand('revealInExplorer', this.uriOf(m.params.path));
          return;
        case 'undo':
          await vscode.commands.executeCommand(lsp.Commands.undo, { root: this.root });
          return;
        case 'redo':
          await vscode.commands.executeCommand(lsp.Commands.redo, { root: this.root });
          return;
        case 'thumbnails':
          return await this.answerThumbnails(m.id, m.params.paths);
      }
    } catch (err) {
      this.log(`'${m.method}' failed: ${err instanceof Error ? err.message : String(err)}`);
      if (m.method === 'thumbnails') void this.post(wv.thumbnails.fail(m.id, 'failed'));
    }
  }

  private uriOf(rel: string): vscode.Uri {
    return vscode.Uri.file(resolveInsideRoot(this.root, rel)!);
  }

  /** Carries out a decision (same path as the quick fix) and tells the webview what landed. */
  private async act(action: wv.ActionKind, paths: readonly string[], label?: string): Promise<void> {
    const root = this.root;
    const params: lsp.DecideParams & { root: string } =
      action === 'relabel'
        ? { root, action: 'relabel', items: paths.map((p) => ({ path: p, newLabel: label! })) }
        : { root, action: action === 'markCorrect' ? 'correct' : 'quarantine', paths };
    const r = await decide(this.ctx, params);
    const applied = r ? [...r.applied] : [];
    await this.post(wv.didApply.create({ action, applied, notApplied: paths.filter((p) => !applied.includes(p)), label }));
  }

  private async answerThumbnails(id: number, paths: readonly string[]): Promise<void> {
    const persist = vscode.workspace.isTrusted; // untrusted: nothing is written; thumbnails come inline
    const uris: Record<string, string | null> = {};
    try {
      const r = await this.ctx.requireClient().sendRequest(lsp.thumbnails, { root: this.root, paths, persist });
      // The folder was not known when the view opened (server not running yet) or moved since (the dataset became
      // read-only): allow the one the server names.
      if (r.dir && r.dir !== this.thumbDir) {
        this.thumbDir = r.dir;
        this.panel.webview.options = ReportPanel.options(this.ctx, r.dir);
      }
      for (const p of paths) {
        const t = r.thumbs[p];
        uris[p] = t?.file ? this.panel.webview.asWebviewUri(vscode.Uri.file(t.file)).toString() : (t?.dataUri ?? null);
      }
    } catch (err) {
      this.log(`thumbnails: ${err instanceof Error ? err.message : String(err)}`);
      for (const p of paths) uris[p] = null;
    }
    await this.post(wv.thumbnails.respond(id, { uris }));
  }

  private dispose(): void {
    if (ReportPanel.current === this) ReportPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
