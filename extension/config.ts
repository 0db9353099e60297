/**
 * Typed view of the `labelLint.*` configuration. The server gets one raw bag per change and
 * sanitises it (`sanitizeSettings`); the client sanitises too, for what it shows.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { sanitizeSettings, type Settings } from '../protocol/settings';
import type { ConfigurationPayload } from '../protocol/lsp';
import type { IssueKind } from '../protocol/results';

export const SECTION = 'labelLint';

/**
 * Every key of `Settings`, read one by one so unknown keys never reach the server. A record, so a new
 * Settings field fails to compile here until it is added (and to contributes.configuration in package.json).
 */
const SETTING_KEY_SET: Record<keyof Settings, true> = {
  model: true, modelPath: true, modelLayers: true, modelPreprocess: true, backend: true, workers: true, batchSize: true, folds: true, k: true,
  seed: true, labelFilter: true, minConfidence: true, nearDuplicateThreshold: true, severities: true, exclude: true, maxImages: true,
  labelsCsv: true, predProbsCsv: true,
};
const SETTING_KEYS = Object.keys(SETTING_KEY_SET) as (keyof Settings)[];

export class Config {
  constructor(private readonly scope?: vscode.ConfigurationScope) {}

  private get cfg(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION, this.scope);
  }

  /** Raw values of every Settings key that the user set (or its default from package.json). */
  rawSettings(): Record<string, unknown> {
    const cfg = this.cfg;
    const raw: Record<string, unknown> = {};
    for (const k of SETTING_KEYS) {
      const v = cfg.get<unknown>(k);
      if (v !== undefined) raw[k] = v;
    }
    return raw;
  }

  settings(): Settings {
    return sanitizeSettings(this.rawSettings());
  }

  /** Issue kinds set to 'off' (the summary filter every count uses). */
  get offKinds(): IssueKind[] {
    const sev = this.settings().severities;
    return (Object.keys(sev) as IssueKind[]).filter((k) => sev[k] === 'off');
  }

  get autoAnalyze(): boolean {
    return this.cfg.get<boolean>('autoAnalyze') ?? true;
  }

  get showExplorerBadges(): boolean {
    return this.cfg.get<boolean>('explorerBadges') ?? true;
  }

  /**
   * Dataset roots: for each workspace folder, `labelLint.datasetRoot` resolved against it
   * (empty = the folder itself).
   */
  static roots(): string[] {
    const out: string[] = [];
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      if (f.uri.scheme !== 'file') continue;
      const rel = vscode.workspace.getConfiguration(SECTION, f.uri).get<string>('datasetRoot') ?? '';
      out.push(rel.trim() === '' ? f.uri.fsPath : path.resolve(f.uri.fsPath, rel));
    }
    return out;
  }

  /** What the server receives in `initializationOptions` and `workspace/didChangeConfiguration`. */
  static payload(): ConfigurationPayload {
    const roots = Config.roots();
    const first = vscode.workspace.workspaceFolders?.[0]?.uri;
    const c = new Config(first);
    return { settings: c.rawSettings(), roots, trusted: vscode.workspace.isTrusted, autoAnalyze: c.autoAnalyze };
  }
}
