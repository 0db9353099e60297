/** Per dataset root state (`Session`, its `Run`) and `ServerContext`, the view of the server its parts share. */
import type { Connection, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import * as lsp from '../../protocol/lsp';
import type { AnalysisResult } from '../../protocol/results';
import type { Settings } from '../../protocol/settings';
import type { CsvTable } from './csv';
import type { DiagnosticData } from './diagnostics';
import type { ServerDeps } from './engineDeps';
import type { IssuesDocument } from './issuesDocument';
import type { Journal } from './journal';

export interface Run {
  cancelled: boolean;
  readonly promise: Promise<lsp.ResultSummary | null>;
}

export class Session {
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

/**
 * What the server's parts (analysis run, decisions, thumbnails, editor features) use of the server. State that
 * configuration changes is read through functions, at the moment it is needed.
 */
export interface ServerContext {
  readonly connection: Connection;
  readonly deps: ServerDeps;
  /** The open text documents (the labels CSV's unsaved text, the issues document as the editor shows it). */
  readonly documents: TextDocuments<TextDocument>;
  /** Whether the workspace is trusted. */
  trusted(): boolean;
  /** Whether file changes and reviews re-run the analysis. */
  autoAnalyze(): boolean;
  /** Whether the client shows `window/workDoneProgress` for the server. */
  workDoneSupported(): boolean;
  /** The Settings the engine gets (see `LabelLintServer.settings`). */
  settings(): Settings;
  log(message: string): void;
  /** Publishes the issues document and diagnostics of `s`. */
  publish(s: Session): Promise<void>;
  /** The labels table of `s`, from the open editor when the CSV is open. */
  csvTable(s: Session): Promise<CsvTable | null>;
  /** Queues a quiet re-run of `root` after the debounce period. */
  rerunSoon(root: string): void;
}
