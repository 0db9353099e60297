/**
 * Custom LSP messages between the LabelLint extension (client) and the language server.
 * Every message is declared once here, with its params and result types beside it and a comment
 * saying who sends it. Import as a namespace: `import * as lsp from './lsp'`.
 *
 * Both vscode-languageclient and vscode-languageserver depend on this one copy of
 * vscode-languageserver-protocol, so the types below are shared by both sides.
 */
import { NotificationType, NotificationType0, RequestType } from 'vscode-languageserver-protocol';
import type { AnalysisProgress } from './progress';
import type { AnalysisResult, IssueKind } from './results';
import type { DatasetLayout } from './dataset';
import type { IssueSummary } from './summary';

// ---------------------------------------------------------------------------------------------
// Initialisation

/** Sent by the client in `initialize.initializationOptions`. */
export interface InitializationOptions {
  /** Raw `labelLint.*` settings; the server passes them through `sanitizeSettings`. */
  readonly settings: unknown;
  /** Absolute dataset roots (one per workspace folder, or `labelLint.datasetRoot` resolved). */
  readonly roots: readonly string[];
  /** `vscode.workspace.isTrusted`. Untrusted: no user model is loaded and the server writes nothing. */
  readonly trusted: boolean;
  /** Run an analysis as soon as the server starts. */
  readonly autoAnalyze: boolean;
  /**
   * The client shows its own progress (one status item, a cancellable notification for the first run) from
   * `labelLint/progress`: the server then sends no `window/workDoneProgress` (which VS Code would show as a second item).
   */
  readonly ownProgress?: boolean;
}

/** Sent by the client as `workspace/didChangeConfiguration` params' `settings`. */
export interface ConfigurationPayload {
  readonly settings: unknown;
  readonly roots: readonly string[];
  readonly trusted: boolean;
  readonly autoAnalyze: boolean;
}

// ---------------------------------------------------------------------------------------------
// Analysis

export interface AnalyzeParams {
  /** Absolute dataset root; defaults to the server's first root. */
  readonly root?: string;
}

/** A compact view of a finished analysis, small enough to send after every run. */
export interface ResultSummary {
  readonly root: string;
  readonly layout: DatasetLayout;
  readonly images: number;
  readonly classes: readonly string[];
  /** The counts every view shows (`protocol/summary` summarize: same filter everywhere). */
  readonly summary: IssueSummary;
  /** = summary.byKind (kept for older readers). */
  readonly counts: { readonly [K in IssueKind]: number };
  readonly cvAccuracy: number;
  readonly estimatedNoiseRate: number;
  readonly backend: string;
  /** The `labellint-issues:` document that holds the quick-fixable diagnostics. */
  readonly issuesUri: string;
  /** Flagged files (relative paths) with their issue kinds, for Explorer badges. */
  readonly flagged: readonly FlaggedFile[];
  /** Wall-clock time of the run in ms. */
  readonly elapsedMs: number;
}

export interface FlaggedFile {
  readonly path: string;
  readonly kinds: readonly IssueKind[];
}

/** Client → server. Starts (or restarts) an analysis and resolves when it ends; null when it was cancelled or superseded. */
export const analyze = new RequestType<AnalyzeParams, ResultSummary | null, void>('labelLint/analyze');

/** Client → server. Cancels the running analysis of `root` (all roots when omitted). */
export const cancel = new NotificationType<AnalyzeParams>('labelLint/cancel');

export interface ProgressParams {
  readonly root: string;
  readonly progress: AnalysisProgress;
  /** Embedding backend, once known. */
  readonly backend: string | null;
}

/** Server → client. Progress of a running analysis (also reported through `window/workDoneProgress`). */
export const progress = new NotificationType<ProgressParams>('labelLint/progress');

/** 'empty': the folder has no usable images; nothing was analysed and nothing written (no `.labellint/`). */
export type RunState = 'running' | 'done' | 'cancelled' | 'failed' | 'empty';

export interface StateParams {
  readonly root: string;
  readonly state: RunState;
  /** For 'failed': the error message; for 'empty': what was expected. */
  readonly message?: string;
}

/** Server → client. The analysis of `root` changed state. */
export const state = new NotificationType<StateParams>('labelLint/state');

/** Server → client. A new result is available; diagnostics have been published. */
export const resultsReady = new NotificationType<ResultSummary>('labelLint/resultsReady');

export interface GetResultParams {
  readonly root?: string;
}

/** Client → server. The full result of the last analysis of `root`, or null when there is none. */
export const getResult = new RequestType<GetResultParams, AnalysisResult | null, void>('labelLint/getResult');

// ---------------------------------------------------------------------------------------------
// Fixes. The server plans and (through `decide`) carries them out, recording each decision in the journal.

export interface RelabelItem {
  /** Path relative to the dataset root, `/` separators, exactly as in the result. */
  readonly path: string;
  readonly newLabel: string;
}

export interface RelabelParams {
  readonly root?: string;
  readonly items: readonly RelabelItem[];
}

/** Move a file. Never overwrites: `to` was free when planned, and the edit sets `overwrite: false`. */
export interface PlannedMove {
  readonly kind: 'move';
  readonly path: string;
  readonly fromUri: string;
  readonly toUri: string;
  /** The new path relative to the root. */
  readonly newPath: string;
}

/** Replace one CSV field (0-based LSP positions); line endings and the rest of the row are untouched. */
export interface PlannedTextEdit {
  readonly kind: 'text';
  readonly path: string;
  readonly uri: string;
  readonly range: { readonly start: Position; readonly end: Position };
  readonly newText: string;
}

export interface Position {
  readonly line: number;
  readonly character: number;
}

export type PlannedEdit = PlannedMove | PlannedTextEdit;

export interface Refusal {
  readonly path: string;
  readonly reason: string;
}

export interface EditPlan {
  readonly root: string;
  readonly edits: readonly PlannedEdit[];
  readonly refused: readonly Refusal[];
}

/** Client → server. Plans relabels (a dry run, nothing changes): ImageFolder → collision-free moves; CSV → label-field edits. */
export const relabel = new RequestType<RelabelParams, EditPlan, void>('labelLint/relabel');

export interface PathsParams {
  readonly root?: string;
  readonly paths: readonly string[];
}

/** Client → server. Plans moves into `<root>/_quarantine/<original folder>/` (collision-free; a dry run). */
export const quarantine = new RequestType<PathsParams, EditPlan, void>('labelLint/quarantine');

// ---------------------------------------------------------------------------------------------
// Decisions: carried out by the server and recorded in the dataset's journal (`.labellint/journal.jsonl`),
// the one record of what people decided. `relabel` / `quarantine` above only plan (a dry run).

export type DecisionAction = 'relabel' | 'quarantine' | 'correct';

export interface DecideParams {
  readonly root?: string;
  readonly action: DecisionAction;
  /** For 'relabel'. */
  readonly items?: readonly RelabelItem[];
  /** For 'quarantine' and 'correct'. */
  readonly paths?: readonly string[];
}

/** One image's decision in force (keyed by the path it had in the analysed result). */
export interface DecidedImage {
  readonly path: string;
  readonly action: DecisionAction;
  readonly label?: string;
  readonly newPath?: string;
}

export interface JournalState {
  readonly root: string;
  /** What Undo / Redo would do next ("Relabelled 00131.png → trouser"), absent when nothing. */
  readonly undo?: string;
  readonly redo?: string;
  readonly decisions: readonly DecidedImage[];
}

export interface DecideResult {
  /** Paths whose decision was carried out (all of the request's valid paths, or none: a decision is atomic). */
  readonly applied: readonly string[];
  readonly refused: readonly Refusal[];
  /** "Relabelled 00131.png → trouser", or why nothing happened. */
  readonly message: string;
  readonly state: JournalState;
}

/** Client → server. Carry out a decision (moves / CSV edit / review) and record it as one journal entry. */
export const decide = new RequestType<DecideParams, DecideResult, void>('labelLint/decide');

export interface UndoResult {
  /** False when there was nothing to undo/redo or it was refused (then `message` says why; nothing changed). */
  readonly done: boolean;
  /** "Undid: Relabelled 00131.png → trouser (file back at shirt/00131.png)". */
  readonly message: string;
  /** Paths of the images the step was about. */
  readonly paths: readonly string[];
  readonly state: JournalState;
}

/** Client → server. Undo the last decision of `root` (restores files / CSV bytes exactly). */
export const undo = new RequestType<AnalyzeParams, UndoResult, void>('labelLint/undo');

/** Client → server. Redo the last undone decision of `root`. */
export const redo = new RequestType<AnalyzeParams, UndoResult, void>('labelLint/redo');

/** Client → server. The journal's state (what undo/redo would do, decisions in force). */
export const journalState = new RequestType<AnalyzeParams, JournalState, void>('labelLint/journalState');

/** Server → client. The journal of `root` changed (a decision, undo, redo, or a recovery after a crash). */
export const didChangeJournal = new NotificationType<JournalState>('labelLint/didChangeJournal');

// ---------------------------------------------------------------------------------------------
// Thumbnails (the server owns the thumbnail cache; the extension never loads sharp)

export interface ThumbnailParams {
  readonly root?: string;
  /** Root-relative image paths as in the result. */
  readonly paths: readonly string[];
  /** True: write/read the dataset's thumbnail folder (`thumbnailFolder`); false (untrusted): render in memory only. */
  readonly persist: boolean;
}

export interface ThumbnailResult {
  /** Per path: an absolute file path of the cached thumbnail (persist) or a `data:` URI; null when undecodable. */
  readonly thumbs: Readonly<Record<string, { readonly file?: string; readonly dataUri?: string } | null>>;
  /** The folder the `file`s are in (persist); a viewer that loads them must allow it (see `thumbnailFolder`). */
  readonly dir?: string;
}

/** Client → server. Thumbnails for these images (report grid, hovers). */
export const thumbnails = new RequestType<ThumbnailParams, ThumbnailResult, void>('labelLint/thumbnails');

export interface ThumbnailFolderResult {
  /**
   * The folder the server keeps `root`'s thumbnails in: `<root>/.labellint/thumbs`, or the per-user folder of a
   * read-only dataset (the store's rule). Null when thumbnails are not kept on disk (untrusted workspace, a
   * `.labellint` link): they then come back as `data:` URIs.
   */
  readonly dir: string | null;
}

/** Client → server. Where `root`'s thumbnails are kept: the report view's resource root for them. */
export const thumbnailFolder = new RequestType<AnalyzeParams, ThumbnailFolderResult, void>('labelLint/thumbnailFolder');

// ---------------------------------------------------------------------------------------------
// The issues document: a text home for ImageFolder diagnostics (VS Code asks for code actions only on text documents).

export const ISSUES_SCHEME = 'labellint-issues';

export interface IssuesDocumentParams {
  readonly uri: string;
}

export interface IssuesDocumentResult {
  readonly text: string;
}

/** Client → server. Content of a `labellint-issues:` document (the extension's TextDocumentContentProvider asks). */
export const issuesDocument = new RequestType<IssuesDocumentParams, IssuesDocumentResult, void>(
  'labelLint/issuesDocument',
);

/** Server → client. Issues documents changed; the provider fires `onDidChange` for these URIs. */
export const issuesDocumentChanged = new NotificationType<{ readonly uris: readonly string[] }>(
  'labelLint/issuesDocumentChanged',
);

/** Server → client. The server is ready to take requests (after `initialized`). */
export const serverReady = new NotificationType0('labelLint/serverReady');

/**
 * The issues-document URI for a dataset root. Only `[A-Za-z0-9._-]` in the path, so every URI
 * library (vscode-uri on the client, plain strings on the server) prints it the same way.
 * The server maps it back to its root; two open roots with the same folder name share a name (known limit).
 */
export function issuesUriFor(root: string): string {
  const base = root.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || 'dataset';
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '-');
  return `${ISSUES_SCHEME}:/${safe}.labellint-issues`;
}

/** The client-side command a code action runs, with its argument type. */
export const Commands = {
  applyRelabel: 'labelLint.applyRelabel',
  applyQuarantine: 'labelLint.applyQuarantine',
  markCorrect: 'labelLint.markCorrect',
  undo: 'labelLint.undo',
  redo: 'labelLint.redo',
} as const;

export type ApplyRelabelArgs = RelabelParams & { readonly root: string };
export type PathsArgs = PathsParams & { readonly root: string };
