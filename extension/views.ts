/**
 * What the extension shows besides the server's diagnostics: the status-bar item, Explorer badges
 * (FileDecorationProvider) and the `labellint-issues:` text documents (TextDocumentContentProvider).
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { AnalysisProgress } from '../protocol/progress';
import type { ResultSummary } from '../protocol/lsp';
import { badgeFor, countBadge, statusText, summaryText, summaryTooltip } from './format';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('labelLint.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'LabelLint';
    this.idle('$(checklist) LabelLint', 'LabelLint: no analysis yet. Click to analyse.', 'labelLint.analyze');
    this.item.show();
  }

  idle(text: string, tooltip: string, command: string): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = command;
    this.item.backgroundColor = undefined;
  }

  progress(p: AnalysisProgress, backend: string | null): void {
    this.item.text = statusText(p, backend);
    this.item.tooltip = `${p.message ?? p.phase}${p.etaSeconds ? ` · about ${Math.ceil(p.etaSeconds)} s left` : ''}\nClick to cancel.`;
    this.item.command = 'labelLint.cancel';
  }

  summary(s: ResultSummary): void {
    this.idle(summaryText(s), `${summaryTooltip(s)}\nClick to show the issues.`, 'labelLint.showIssues');
  }

  /** The folder has no usable images: one clear message, nothing looks healthy. */
  empty(message: string): void {
    this.idle('$(circle-slash) LabelLint: no images', `${message}\nClick to analyse again.`, 'labelLint.analyze');
    this.item.backgroundColor = undefined;
  }

  failed(message: string): void {
    this.idle('$(error) LabelLint', `Analysis failed: ${message}\nClick to retry.`, 'labelLint.analyze');
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
  }

  stopped(why: string): void {
    this.idle('$(debug-disconnect) LabelLint', `${why}\nClick to restart the server.`, 'labelLint.restartServer');
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** Badges on flagged files ('L' label, 'D' duplicate, 'O' outlier, '!' broken, 'Q' quality) and counts on class folders. */
export class Badges implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.emitter.event;
  private files = new Map<string, vscode.FileDecoration>();
  private readonly byRoot = new Map<string, ResultSummary>();
  enabled = true;

  update(s: ResultSummary | { root: string; clear: true }): void {
    if ('clear' in s) this.byRoot.delete(s.root);
    else this.byRoot.set(s.root, s);
    this.rebuild();
  }

  private rebuild(): void {
    const files = new Map<string, vscode.FileDecoration>();
    for (const s of this.byRoot.values()) {
      const folderCounts = new Map<string, number>();
      for (const f of s.flagged) {
        const abs = path.join(s.root, ...f.path.split('/'));
        const d = new vscode.FileDecoration(badgeFor(f.kinds), `LabelLint: ${f.kinds.join(', ')}`, new vscode.ThemeColor('list.warningForeground'));
        files.set(abs, d);
        if (f.kinds.includes('label')) {
          const dir = path.dirname(abs);
          folderCounts.set(dir, (folderCounts.get(dir) ?? 0) + 1);
        }
      }
      for (const [dir, n] of folderCounts) {
        files.set(dir, new vscode.FileDecoration(countBadge(n), `LabelLint: ${n} suspected wrong label${n === 1 ? '' : 's'}`));
      }
    }
    this.files = files;
    this.emitter.fire(undefined);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    return this.enabled && uri.scheme === 'file' ? this.files.get(uri.fsPath) : undefined;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/**
 * How long diagnostics for an issues document wait for its new text to reach the editor. VS Code moves markers
 * with the edits of a refresh, so markers set before the refresh lands end up on the wrong lines; a refresh takes
 * a round trip and a diff (tens of ms), and this bounds the wait when VS Code drops one.
 */
const SETTLE_TIMEOUT_MS = 3_000;

/**
 * Serves `labellint-issues:` documents by asking the server; refreshed when the server says they changed.
 * `settled(uri)` resolves once an open document shows the server's latest text, so its diagnostics can be
 * applied to the text they were computed for (see `applyAfterRefresh`).
 */
export class IssuesDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  /** Per URI: the refresh in flight (resolves when the editor shows it, or at once when the document is not open). */
  private readonly refreshes = new Map<string, Promise<void>>();
  /** Text fetched by a refresh, handed to VS Code's re-read instead of asking the server twice. */
  private readonly fetched = new Map<string, string>();
  /** Per URI: the last diagnostics publication queued, so they apply in arrival order. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly fetch: (uri: string) => Promise<string>) {}

  changed(uris: readonly string[]): void {
    for (const u of uris) this.refreshes.set(u, this.refresh(u));
  }

  /** Runs `apply` (publishing diagnostics for `uri`) after the document shows the text they belong to, in order. */
  applyAfterRefresh(uri: string, apply: () => void): void {
    const refresh = this.refreshes.get(uri) ?? Promise.resolve();
    const next = (this.queues.get(uri) ?? Promise.resolve()).then(() => refresh).then(apply, apply);
    this.queues.set(uri, next);
  }

  provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const key = uri.toString();
    const text = this.fetched.get(key);
    this.fetched.delete(key);
    return text !== undefined ? Promise.resolve(text) : this.fetch(key);
  }

  private async refresh(key: string): Promise<void> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (!open) return; // VS Code asks for the text when the document is opened
    const text = await this.fetch(key);
    if (open.isClosed || open.getText() === text) return;
    const uri = vscode.Uri.parse(key);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      };
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === key && e.document.getText() === text) done();
      });
      const timer = setTimeout(done, SETTLE_TIMEOUT_MS);
      this.fetched.set(key, text);
      this.emitter.fire(uri);
    });
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
