/**
 * Messages between the report webview and the extension host (GitLens `webviews/ipc` style).
 * Every message is declared once here with its params (and, for requests, its response) and a
 * one-line comment saying who sends it. Each declaration has an `is()` guard that checks the method
 * AND the shape of the params, so the host can treat anything that fails `is()` as hostile.
 *
 * No runtime imports: this module is compiled twice (CommonJS for the host, ES modules for the
 * webview) and must load in a browser. Import as a namespace: `import * as wv from './webview'`.
 *
 * Wire format: `{ kind: 'command' | 'request' | 'response' | 'notification', method, id?, params }`.
 */
import type { AnalysisResult, IssueKind } from './results';

export type MessageKind = 'command' | 'request' | 'response' | 'notification';

export interface IpcMessage<P = unknown> {
  readonly kind: MessageKind;
  readonly method: string;
  /** Requests and their responses share an id (unique per webview session). */
  readonly id?: number;
  readonly params: P;
}

type Check<P> = (params: unknown) => params is P;

/** Webview → host, fire and forget. */
export class IpcCommand<P> {
  readonly kind = 'command' as const;
  constructor(readonly method: string, private readonly check: Check<P>) {}
  is(msg: unknown): msg is IpcMessage<P> {
    return isEnvelope(msg, 'command', this.method) && this.check(msg.params);
  }
  create(params: P): IpcMessage<P> {
    return { kind: 'command', method: this.method, params };
  }
}

/** Webview → host, answered by one `response` with the same id (the result, or `error`). */
export class IpcRequest<P, R> {
  readonly kind = 'request' as const;
  constructor(readonly method: string, private readonly check: Check<P>, private readonly checkResponse: Check<R>) {}
  is(msg: unknown): msg is IpcMessage<P> & { readonly id: number } {
    return isEnvelope(msg, 'request', this.method) && isId((msg as IpcMessage).id) && this.check(msg.params);
  }
  isResponse(msg: unknown): msg is IpcMessage<ResponseParams<R>> & { readonly id: number } {
    if (!isEnvelope(msg, 'response', this.method) || !isId((msg as IpcMessage).id)) return false;
    const p = msg.params as ResponseParams<unknown>;
    return isRecord(p) && (typeof p.error === 'string' || this.checkResponse(p.result));
  }
  create(id: number, params: P): IpcMessage<P> {
    return { kind: 'request', method: this.method, id, params };
  }
  respond(id: number, result: R): IpcMessage<ResponseParams<R>> {
    return { kind: 'response', method: this.method, id, params: { result } };
  }
  fail(id: number, error: string): IpcMessage<ResponseParams<R>> {
    return { kind: 'response', method: this.method, id, params: { error } };
  }
}

export interface ResponseParams<R> {
  readonly result?: R;
  readonly error?: string;
}

/** Host → webview. */
export class IpcNotification<P> {
  readonly kind = 'notification' as const;
  constructor(readonly method: string, private readonly check: Check<P>) {}
  is(msg: unknown): msg is IpcMessage<P> {
    return isEnvelope(msg, 'notification', this.method) && this.check(msg.params);
  }
  create(params: P): IpcMessage<P> {
    return { kind: 'notification', method: this.method, params };
  }
}

// ---------------------------------------------------------------------------------------------
// Shape helpers (pure, browser-safe)

/** Most paths one action or request may carry; bigger batches are refused, not truncated. */
export const MAX_PATHS_PER_MESSAGE = 10_000;
/** Longest relative path accepted (bytes of UTF-16, generous for deep dataset trees). */
export const MAX_PATH_LENGTH = 4096;
/** Longest class name accepted. */
export const MAX_LABEL_LENGTH = 512;

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isEnvelope(msg: unknown, kind: MessageKind, method: string): msg is IpcMessage {
  return isRecord(msg) && msg.kind === kind && msg.method === method && 'params' in msg;
}

/**
 * A dataset-relative path as the engine writes it: `/` separators, no empty, `.` or `..` segment,
 * not absolute, no backslash, drive letter or NUL. This is a syntax check only; the host also
 * requires the path to be one of the result's images and to resolve inside the root.
 */
export function isRelativePath(x: unknown): x is string {
  if (typeof x !== 'string' || x.length === 0 || x.length > MAX_PATH_LENGTH) return false;
  if (x.includes('\\') || x.includes('\0') || x.startsWith('/') || /^[A-Za-z]:/.test(x)) return false;
  return x.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

export function isPathList(x: unknown): x is string[] {
  return Array.isArray(x) && x.length > 0 && x.length <= MAX_PATHS_PER_MESSAGE && x.every(isRelativePath);
}

function isLabel(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_LABEL_LENGTH;
}

function hasOnly(x: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(x).every((k) => keys.includes(k));
}

const isEmpty = (x: unknown): x is Record<string, never> => isRecord(x) && Object.keys(x).length === 0;
const isPaths = (x: unknown): x is PathsParams => isRecord(x) && hasOnly(x, ['paths']) && isPathList(x.paths);
const isPath = (x: unknown): x is PathParams => isRecord(x) && hasOnly(x, ['path']) && isRelativePath(x.path);

// ---------------------------------------------------------------------------------------------
// Webview → host

export type EmptyParams = Record<string, never>;
export interface PathsParams {
  /** Dataset-relative paths exactly as in the result. */
  readonly paths: readonly string[];
}
export interface PathParams {
  readonly path: string;
}
export interface RelabelParams extends PathsParams {
  /** Must be one of the result's classes. */
  readonly label: string;
}

/** Webview → host. The page has loaded; the host answers with `didChangeResult`. */
export const ready = new IpcCommand<EmptyParams>('ready', isEmpty);

/** Webview → host. Relabel files (same code path as the quick fix). */
export const relabel = new IpcCommand<RelabelParams>(
  'relabel',
  (x): x is RelabelParams => isRecord(x) && hasOnly(x, ['paths', 'label']) && isPathList(x.paths) && isLabel(x.label),
);

/** Webview → host. A person confirmed the given labels. */
export const markCorrect = new IpcCommand<PathsParams>('markCorrect', isPaths);

/** Webview → host. Move files to `<root>/_quarantine/`. */
export const quarantine = new IpcCommand<PathsParams>('quarantine', isPaths);

/** Webview → host. Open the image in an editor beside the report. */
export const openFile = new IpcCommand<PathParams>('openFile', isPath);

/** Webview → host. Reveal the image in the Explorer. */
export const revealFile = new IpcCommand<PathParams>('revealFile', isPath);

/** Webview → host. Run VS Code's Undo (the relabels are WorkspaceEdits, so Undo reverts them). */
export const undo = new IpcCommand<EmptyParams>('undo', isEmpty);

export interface ThumbnailsResult {
  /** Webview URI of each requested path's thumbnail, null when the file could not be decoded. */
  readonly uris: Readonly<Record<string, string | null>>;
}

/** Webview → host. Thumbnails for these paths (generated on demand into the thumbnail cache). */
export const thumbnails = new IpcRequest<PathsParams, ThumbnailsResult>(
  'thumbnails',
  isPaths,
  (x): x is ThumbnailsResult => isRecord(x) && isRecord(x.uris) && Object.values(x.uris).every((u) => u === null || typeof u === 'string'),
);

/** Every message the webview may send, for the host's dispatcher. */
export const WEBVIEW_COMMANDS = [ready, relabel, markCorrect, quarantine, openFile, revealFile, undo] as const;
export const WEBVIEW_REQUESTS = [thumbnails] as const;

// ---------------------------------------------------------------------------------------------
// Host → webview

export interface ResultParams {
  /** Absolute dataset root (display only; the webview never builds file paths from it). */
  readonly root: string;
  /** The full result, or null when there is no analysis yet. */
  readonly result: AnalysisResult | null;
  /** Why there is no result (server not running, no analysis yet). */
  readonly message?: string;
}

/** Host → webview. A (new) result; the view re-renders and keeps its selection where it can. */
export const didChangeResult = new IpcNotification<ResultParams>(
  'didChangeResult',
  (x): x is ResultParams => isRecord(x) && typeof x.root === 'string' && (x.result === null || isRecord(x.result)),
);

export type ActionKind = 'relabel' | 'markCorrect' | 'quarantine';

export interface DidApplyParams {
  readonly action: ActionKind;
  /** Paths whose change landed. */
  readonly applied: readonly string[];
  /** Paths that were asked for but did not change (refused, cancelled, or failed). */
  readonly notApplied: readonly string[];
  readonly label?: string;
}

/** Host → webview. The outcome of a relabel / markCorrect / quarantine command. */
export const didApply = new IpcNotification<DidApplyParams>(
  'didApply',
  (x): x is DidApplyParams =>
    isRecord(x) &&
    (x.action === 'relabel' || x.action === 'markCorrect' || x.action === 'quarantine') &&
    Array.isArray(x.applied) &&
    Array.isArray(x.notApplied),
);

/** Host → webview. An analysis of this root started (running) or ended. */
export const didChangeRunning = new IpcNotification<{ readonly running: boolean }>(
  'didChangeRunning',
  (x): x is { running: boolean } => isRecord(x) && typeof x.running === 'boolean',
);

// ---------------------------------------------------------------------------------------------
// Host-side validation of everything the webview sends

/** What a message may refer to: the current result's images and classes. */
export interface MessageScope {
  readonly paths: ReadonlySet<string>;
  readonly classes: ReadonlySet<string>;
}

export type WebviewMessage =
  | { readonly method: 'ready'; readonly kind: 'command'; readonly params: EmptyParams }
  | { readonly method: 'relabel'; readonly kind: 'command'; readonly params: RelabelParams }
  | { readonly method: 'markCorrect' | 'quarantine'; readonly kind: 'command'; readonly params: PathsParams }
  | { readonly method: 'openFile' | 'revealFile'; readonly kind: 'command'; readonly params: PathParams }
  | { readonly method: 'undo'; readonly kind: 'command'; readonly params: EmptyParams }
  | { readonly method: 'thumbnails'; readonly kind: 'request'; readonly id: number; readonly params: PathsParams };

export type Validation = { readonly ok: true; readonly message: WebviewMessage } | { readonly ok: false; readonly reason: string; readonly id?: number };

/**
 * Checks one raw message from the webview: known method, exact param shape, every path one of the
 * result's images (so inside the root), every label one of its classes. Anything else is refused
 * with a reason for the log; a refused request keeps its id so the host can answer it with an error.
 */
export function validateWebviewMessage(raw: unknown, scope: MessageScope | undefined): Validation {
  if (!isRecord(raw) || typeof raw.method !== 'string' || typeof raw.kind !== 'string') return { ok: false, reason: 'not a message envelope' };
  const id = isId(raw.id) ? raw.id : undefined;
  const method = raw.method.slice(0, 40);
  let message: WebviewMessage | undefined;
  for (const c of WEBVIEW_COMMANDS) if ((c as IpcCommand<unknown>).is(raw)) message = raw as unknown as WebviewMessage;
  for (const r of WEBVIEW_REQUESTS) if ((r as IpcRequest<unknown, unknown>).is(raw)) message = raw as unknown as WebviewMessage;
  if (!message) {
    const known = [...WEBVIEW_COMMANDS, ...WEBVIEW_REQUESTS].some((m) => m.method === raw.method && m.kind === raw.kind);
    return { ok: false, id, reason: known ? `bad params for '${method}'` : `unknown message '${raw.kind}:${method}'` };
  }
  if (message.method === 'ready' || message.method === 'undo') return { ok: true, message };
  if (!scope) return { ok: false, id, reason: `'${method}' before a result was loaded` };
  const paths = 'paths' in message.params ? message.params.paths : [message.params.path];
  const unknown = paths.find((p) => !scope.paths.has(p));
  if (unknown !== undefined) return { ok: false, id, reason: `'${method}': ${JSON.stringify(unknown.slice(0, 200))} is not an image of this dataset` };
  if (new Set(paths).size !== paths.length) return { ok: false, id, reason: `'${method}': repeated paths` };
  if (message.method === 'relabel' && !scope.classes.has(message.params.label)) {
    return { ok: false, id, reason: `'relabel': ${JSON.stringify(message.params.label.slice(0, 100))} is not a class of this dataset` };
  }
  return { ok: true, message };
}

/** Issue kinds re-exported as a type for the webview's filters. */
export type { IssueKind };
