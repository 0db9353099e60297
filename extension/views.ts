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

/** Serves `labellint-issues:` documents by asking the server; refreshed when the server says they changed. */
export class IssuesDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly fetch: (uri: string) => Promise<string>) {}

  changed(uris: readonly string[]): void {
    for (const u of uris) this.emitter.fire(vscode.Uri.parse(u));
  }

  provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    return this.fetch(uri.toString());
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
