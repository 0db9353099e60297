/**
 * The decision journal's file format (`journal.jsonl`): the shapes of its lines and entries, reading and appending
 * the file, and the shape check every entry read back passes before anything acts on it. Paths are checked against
 * the dataset root by `journalOps.ts`; the undo/redo history and crash recovery are `journal.ts`.
 *
 * One JSON object per line: a `header` first (format version, and the real path of the dataset root the journal was
 * written for), then per decision a `do` line holding the whole entry, and one-word status lines (`done`, `aborted`,
 * `undo`, `undone`, `redo`, `redone`) naming the entry's id.
 */
import * as fs from 'node:fs';

export const JOURNAL_FILE = 'journal.jsonl';
export const JOURNAL_VERSION = 1;

export type DecisionAction = 'relabel' | 'quarantine' | 'correct';
const ACTIONS: readonly DecisionAction[] = ['relabel', 'quarantine', 'correct'];

export interface MoveOp {
  readonly op: 'move';
  /** Root-relative, `/` separators. */
  readonly from: string;
  readonly to: string;
  /** Bytes of the file when the move was recorded; undo, redo and recovery move only a file of this size. */
  readonly size?: number;
}

export interface Splice {
  /** Byte offset in the file the splice applies to. */
  readonly offset: number;
  /** Bytes removed (base64). */
  readonly remove: string;
  /** Bytes inserted (base64). */
  readonly insert: string;
}

export interface PatchOp {
  readonly op: 'patch';
  /** Root-relative path of the file (the labels CSV may also live outside the root: then absolute). */
  readonly file: string;
  /** Non-overlapping splices in ascending offset order, offsets in the file as it was before. */
  readonly splices: readonly Splice[];
  readonly sha256Before: string;
  readonly sha256After: string;
}

export interface ReviewOp {
  readonly op: 'review';
  readonly path: string;
  readonly hash: string;
}

export type JournalOp = MoveOp | PatchOp | ReviewOp;

/** What the decision was about one image (keyed by the path the image had in the analysed result). */
export interface PathDecision {
  readonly path: string;
  readonly action: DecisionAction;
  /** relabel: the new class. */
  readonly label?: string;
  /** relabel (ImageFolder) / quarantine: where the file went. */
  readonly newPath?: string;
}

export interface JournalEntry {
  readonly id: number;
  /** ISO time of the decision. */
  readonly time: string;
  readonly action: DecisionAction;
  /** What a person reads: "Relabelled 00131.png → trouser". */
  readonly message: string;
  readonly decisions: readonly PathDecision[];
  readonly ops: readonly JournalOp[];
}

export type StatusType = 'done' | 'aborted' | 'undo' | 'undone' | 'redo' | 'redone';
const STATUS_TYPES: readonly StatusType[] = ['done', 'aborted', 'undo', 'undone', 'redo', 'redone'];

export type Line =
  /** `root`: real path of the dataset root the journal was written for (absent in journals of older versions). */
  | { readonly type: 'header'; readonly version: number; readonly note: string; readonly root?: string }
  | { readonly type: 'do'; readonly entry: JournalEntry }
  | { readonly type: StatusType; readonly id: number; readonly time?: string };

/** Thrown when a decision, undo or redo cannot be carried out; nothing was changed. */
export class JournalError extends Error {
  override name = 'JournalError';
}

/** One line of the file as read: a header, an entry (`raw`, not yet checked), a status line, or nothing usable. */
export type ReadLine =
  | { readonly kind: 'header'; readonly root: string | null }
  | { readonly kind: 'do'; readonly raw: unknown }
  | { readonly kind: 'status'; readonly type: StatusType; readonly id: number }
  | { readonly kind: 'skip' };

/** Parses one line of the file; a torn or unknown line is `skip` (a crash mid-write: the step it began never started). */
export function readLine(raw: string): ReadLine {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return { kind: 'skip' };
  }
  if (!isRecord(o)) return { kind: 'skip' };
  if (o.type === 'header') return { kind: 'header', root: typeof o.root === 'string' ? o.root : null };
  if (o.type === 'do') return { kind: 'do', raw: o.entry };
  if (STATUS_TYPES.includes(o.type as StatusType) && Number.isSafeInteger(o.id)) return { kind: 'status', type: o.type as StatusType, id: o.id as number };
  return { kind: 'skip' };
}

/** The id of an entry as written, when it is one (for messages about an entry that fails its checks). */
export function rawEntryId(raw: unknown): number | null {
  return isRecord(raw) && Number.isSafeInteger(raw.id) ? (raw.id as number) : null;
}

/** The message of an entry as written, when it has one (for messages about an entry that fails its checks). */
export function rawEntryMessage(raw: unknown): string | null {
  return isRecord(raw) && typeof raw.message === 'string' ? raw.message : null;
}

const HASH_RE = /^[0-9a-f]{64}$/;
/** A review's key (the image's content hash; tests use short names): word characters and `-./`, nothing else. */
const REVIEW_KEY_RE = /^[\w./-]{1,200}$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isOptionalString = (x: unknown): boolean => x === undefined || typeof x === 'string';

function splicesProblem(x: unknown): string | null {
  if (!Array.isArray(x)) return 'its splices are not a list';
  for (const s of x) {
    if (!isRecord(s) || !Number.isSafeInteger(s.offset) || (s.offset as number) < 0) return 'a splice has no valid offset';
    if (typeof s.remove !== 'string' || typeof s.insert !== 'string' || !BASE64_RE.test(s.remove) || !BASE64_RE.test(s.insert)) return 'a splice is not base64';
  }
  return null;
}

/** Why `op` is not a journal operation of this version, or null. Paths are checked separately (`journalOps.ts`). */
function opProblem(op: unknown): string | null {
  if (!isRecord(op)) return 'an operation is not an object';
  if (op.op === 'move') {
    if (typeof op.from !== 'string' || typeof op.to !== 'string') return 'a move has no from/to';
    if (op.size !== undefined && (!Number.isSafeInteger(op.size) || (op.size as number) < 0)) return 'a move has an invalid size';
    return null;
  }
  if (op.op === 'patch') {
    if (typeof op.file !== 'string') return 'a patch names no file';
    if (typeof op.sha256Before !== 'string' || typeof op.sha256After !== 'string' || !HASH_RE.test(op.sha256Before) || !HASH_RE.test(op.sha256After)) return 'a patch has no valid sha256';
    return splicesProblem(op.splices);
  }
  if (op.op === 'review') {
    if (typeof op.path !== 'string') return 'a review names no path';
    return typeof op.hash === 'string' && REVIEW_KEY_RE.test(op.hash) ? null : 'a review has no valid content hash';
  }
  return `unknown operation ${JSON.stringify(String(op.op)).slice(0, 40)}`;
}

function decisionProblem(d: unknown): string | null {
  if (!isRecord(d) || typeof d.path !== 'string' || !ACTIONS.includes(d.action as DecisionAction)) return 'a decision has no path or action';
  return isOptionalString(d.label) && isOptionalString(d.newPath) ? null : 'a decision has an invalid label or new path';
}

/** `raw` as an entry when it has the shape of one (every field typed as written by this version), else why not. */
export function parseEntry(raw: unknown): JournalEntry | string {
  if (!isRecord(raw)) return 'not an object';
  if (!Number.isSafeInteger(raw.id) || (raw.id as number) < 1) return 'no valid id';
  if (typeof raw.time !== 'string' || typeof raw.message !== 'string' || !ACTIONS.includes(raw.action as DecisionAction)) return 'no time, message or action';
  if (!Array.isArray(raw.decisions) || !Array.isArray(raw.ops) || raw.ops.length === 0) return 'no decisions or operations';
  for (const d of raw.decisions) {
    const bad = decisionProblem(d);
    if (bad) return bad;
  }
  for (const op of raw.ops) {
    const bad = opProblem(op);
    if (bad) return bad;
  }
  return raw as unknown as JournalEntry;
}

/** `fs.constants.O_NOFOLLOW` where the platform has it (not on Windows, where links need privileges). */
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/** The journal's text, refusing to follow a link at its last component. Throws when it is missing (or a link). */
export function readJournalText(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | NOFOLLOW);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Appends `line` (stamped with the time unless it is a `do`) and flushes it. A new file starts with the header
 * (`rootReal`: the dataset root it belongs to); `newline` first ends a torn last line. O_NOFOLLOW: a journal.jsonl that
 * is a link is not written through (fails with ELOOP).
 */
export function appendJournalLine(file: string, line: Line, opts: { readonly fresh: boolean; readonly newline: boolean; readonly rootReal: string }): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | NOFOLLOW, 0o644);
  try {
    if (opts.fresh) {
      const header: Line = {
        type: 'header',
        version: JOURNAL_VERSION,
        note: 'LabelLint decision journal (undo/redo history of this machine); see the README. Not meant to be committed.',
        root: opts.rootReal,
      };
      fs.writeSync(fd, `${JSON.stringify(header)}\n`);
    }
    if (opts.newline) fs.writeSync(fd, '\n');
    fs.writeSync(fd, `${JSON.stringify(line.type === 'do' ? line : { ...line, time: new Date().toISOString() })}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
