/**
 * LabelLint extension entry. Kept short: build the context, register commands, start the server,
 * surface start-up errors (VS Code would swallow them), return a typed API.
 * Loads no TensorFlow and no engine: the analysis runs in the server process.
 */
import { ReportPanel } from './panel';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../protocol/results';
import type { ResultSummary } from '../protocol/lsp';
import { registerCommands } from './commands';
import { Ctx } from './ctx';

/** What `vscode.extensions.getExtension('labellint.labellint').exports` gives (integration tests use it). */
export interface LabelLintApi {
  /** Resolves when the server is up. */
  readonly ready: Promise<void>;
  analyze(root?: string): Promise<ResultSummary | null>;
  getResult(root?: string): Promise<AnalysisResult | null>;
  readonly onDidAnalyze: vscode.Event<ResultSummary>;
  summary(root?: string): ResultSummary | undefined;
}

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): LabelLintApi {
  const t0 = Date.now();
  const c = new Ctx(context);
  ctx = c;
  registerCommands(c);
  c.extDisposables.push(ReportPanel.registerSerializer(c));
  // Not awaited: activation stays fast (< 200 ms); the server's own start is reported when it fails.
  c.start().catch((err: unknown) => {
    const message = `LabelLint failed to start its server: ${err instanceof Error ? err.message : String(err)}`;
    c.log(message);
    c.status.stopped(message);
    void vscode.window.showErrorMessage(message, 'Show Output').then((pick) => pick && c.output.show());
  });
  c.log(`LabelLint activated in ${Date.now() - t0} ms (the server starts in the background).`);
  return {
    ready: c.ready,
    analyze: (root) => c.analyze(root),
    getResult: (root) => c.getResult(root),
    onDidAnalyze: c.onDidAnalyze,
    summary: (root) => c.summary(root),
  };
}

export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
