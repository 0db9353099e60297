/**
 * The decision journal: the ONE record of what a person decided about a dataset (relabel, mark correct,
 * quarantine), with undo/redo that survives a reload. One append-only JSON-lines file, `journal.jsonl` in the
 * dataset's state folder (`<root>/.labellint/`, or the per-user folder of a read-only dataset: the store's one rule,
 * engine/store/stateDir.ts), created by the first decision (an unanalysed or empty folder gets nothing). A
 * `.labellint` that is a symbolic link is neither read nor written through: decisions are refused with the reason.
 *
 * Each decision is one entry (a bulk action is one entry) holding the operations that carry it out:
 * - `move`   rename a file root-relative `from` → `to`; never overwrites (the target must be free);
 * - `patch`  byte splices of one file (the labels CSV), with sha256 of the whole file before and after,
 *            so undo restores the bytes exactly and refuses when the file changed since;
 * - `review` a "label is correct" review for a content hash (written through to the engine's review store).
 *
 * Write-ahead: the `do` line (the entry with all its operations) is flushed before the first operation,
 * `done` after the last. Undo writes `undo` before reverting and `undone` after; redo `redo`/`redone`.
 * On open, an interrupted transition is rolled back operation by operation (each operation can tell from
 * the file system whether it landed), and an `aborted` / `undone` / `redone` line closes it, so the
 * folder is always left as it was before the interrupted step. Nothing here imports VS Code.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureStateGitignore, locateStateDir, resolveStateDir, stateDir, StateDirError, type StateDirLocation } from '../engine/store/stateDir';

export const JOURNAL_FILE = 'journal.jsonl';
export const JOURNAL_VERSION = 1;

export type DecisionAction = 'relabel' | 'quarantine' | 'correct';

export interface MoveOp {
  readonly op: 'move';
  /** Root-relative, `/` separators. */
  readonly from: string;
  readonly to: string;
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

type Line =
  | { readonly type: 'header'; readonly version: number; readonly note: string }
  | { readonly type: 'do'; readonly entry: JournalEntry }
  | { readonly type: 'done' | 'aborted' | 'undo' | 'undone' | 'redo' | 'redone'; readonly id: number; readonly time?: string };

/** Where "label is correct" reviews are stored (the engine cache and its reviews.json). */
export interface ReviewStore {
  setCorrect(entries: readonly { readonly hash: string; readonly path: string }[]): void;
  clearCorrect(hashes: readonly string[]): void;
}

export interface JournalOptions {
  readonly reviews?: ReviewStore;
  /** Called after each operation of a `record`, `undo` or `redo` lands (tests crash the process here). */
  readonly afterOp?: (entryId: number, opIndex: number) => void;
}

/** Thrown when a decision, undo or redo cannot be carried out; nothing was changed. */
export class JournalError extends Error {
  override name = 'JournalError';
}

type Status = 'applied' | 'undone' | 'aborted';

export interface Recovery {
  readonly entry: JournalEntry;
  /** What was interrupted. */
  readonly step: 'do' | 'undo' | 'redo';
  /** Sentence for the user. */
  readonly message: string;
}

export function sha256(buf: Buffer): string {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

/** Applies non-overlapping ascending splices to `buf`; throws when a splice's removed bytes are not there. */
export function applySplices(buf: Buffer, splices: readonly Splice[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const s of splices) {
    const remove = Buffer.from(s.remove, 'base64');
    if (s.offset < at || s.offset + remove.length > buf.length) throw new JournalError('overlapping or out-of-range splice');
    if (!buf.subarray(s.offset, s.offset + remove.length).equals(remove)) throw new JournalError('the bytes to replace are not where they were');
    parts.push(buf.subarray(at, s.offset), Buffer.from(s.insert, 'base64'));
    at = s.offset + remove.length;
  }
  parts.push(buf.subarray(at));
  return Buffer.concat(parts);
}

/** The splices that turn the result of `splices` back into the original (offsets in the result). */
export function invertSplices(splices: readonly Splice[]): Splice[] {
  let shift = 0;
  return splices.map((s) => {
    const removed = Buffer.from(s.remove, 'base64').length;
    const inserted = Buffer.from(s.insert, 'base64').length;
    const inv = { offset: s.offset + shift, remove: s.insert, insert: s.remove };
    shift += inserted - removed;
    return inv;
  });
}

/** Writes `bytes` to `file` through a temp file in the same folder and a rename (keeps the file's mode). */
function replaceFile(file: string, bytes: Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.labellint-${crypto.randomBytes(6).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    mode = undefined;
  }
  const fd = fs.openSync(tmp, 'wx', mode ?? 0o644);
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function exists(abs: string): boolean {
  try {
    fs.lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

/** The decision journal of one dataset root. Open with `Journal.open`; all methods are synchronous. */
export class Journal {
  private readonly entries = new Map<number, JournalEntry>();
  private readonly status = new Map<number, Status>();
  /** Applied entries, oldest first: undo takes the last. */
  private readonly undoStack: number[] = [];
  /** Undone entries, most recently undone last: redo takes the last. Cleared by a new decision. */
  private readonly redoStack: number[] = [];
  private nextId = 1;
  /** The file ends in a torn line (a crash mid-write): the next line starts on a fresh line. */
  private needsNewline = false;
  /** Interrupted steps found and rolled back by `open`. */
  readonly recovered: Recovery[] = [];
  /** The state folder (found without creating it), or why the dataset's `.labellint` is refused. */
  private at: StateDirLocation | StateDirError;

  private constructor(
    readonly root: string,
    private readonly opts: JournalOptions,
  ) {
    this.at = locateState(root);
  }

  /**
   * Reads the journal (if any) and rolls back a step that a crash interrupted. Creates nothing when there is no
   * journal; reads nothing through a `.labellint` link (then every decision is refused, see `record`).
   */
  static open(root: string, opts: JournalOptions = {}): Journal {
    const j = new Journal(path.resolve(root), opts);
    j.load();
    return j;
  }

  /** The journal file: where it is, or where the first decision will write it. */
  get file(): string {
    return path.join(this.at instanceof StateDirError ? stateDir(this.root) : this.at.dir, JOURNAL_FILE);
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** The entry the next undo would revert. */
  peekUndo(): JournalEntry | undefined {
    const id = this.undoStack[this.undoStack.length - 1];
    return id === undefined ? undefined : this.entries.get(id);
  }

  peekRedo(): JournalEntry | undefined {
    const id = this.redoStack[this.redoStack.length - 1];
    return id === undefined ? undefined : this.entries.get(id);
  }

  /** Every applied entry, oldest first. */
  applied(): JournalEntry[] {
    return this.undoStack.map((id) => this.entries.get(id)!);
  }

  /** The decision in force per path (the latest applied entry naming it wins). */
  decisions(): Map<string, PathDecision & { readonly entryId: number }> {
    const out = new Map<string, PathDecision & { readonly entryId: number }>();
    for (const e of this.applied()) for (const d of e.decisions) out.set(d.path, { ...d, entryId: e.id });
    return out;
  }

  /**
   * Records a decision and carries it out: checks every operation first (a move's target must be free and its
   * source present; a patch's file must have the expected hash), writes the entry, applies the operations,
   * marks it done. If an operation fails part-way, the ones that landed are reverted and the entry is marked
   * aborted; the error is rethrown. Returns the entry.
   */
  record(action: DecisionAction, message: string, decisions: readonly PathDecision[], ops: readonly JournalOp[]): JournalEntry {
    if (ops.length === 0) throw new JournalError('nothing to do');
    for (const op of ops) this.checkForward(op);
    const entry: JournalEntry = { id: this.nextId++, time: new Date().toISOString(), action, message, decisions, ops };
    this.append({ type: 'do', entry });
    this.entries.set(entry.id, entry);
    this.runForward(entry);
    this.append({ type: 'done', id: entry.id });
    this.status.set(entry.id, 'applied');
    this.undoStack.push(entry.id);
    this.redoStack.length = 0;
    return entry;
  }

  /** Reverts the last applied decision; null when there is none. Throws JournalError (nothing changed) when it cannot. */
  undo(): JournalEntry | null {
    const entry = this.peekUndo();
    if (!entry) return null;
    for (const op of [...entry.ops].reverse()) this.checkBackward(op);
    this.append({ type: 'undo', id: entry.id });
    this.runBackward(entry);
    this.append({ type: 'undone', id: entry.id });
    this.undoStack.pop();
    this.redoStack.push(entry.id);
    this.status.set(entry.id, 'undone');
    return entry;
  }

  /** Carries out the last undone decision again; null when there is none. */
  redo(): JournalEntry | null {
    const entry = this.peekRedo();
    if (!entry) return null;
    for (const op of entry.ops) this.checkForward(op);
    this.append({ type: 'redo', id: entry.id });
    this.runForward(entry);
    this.append({ type: 'redone', id: entry.id });
    this.redoStack.pop();
    this.undoStack.push(entry.id);
    this.status.set(entry.id, 'applied');
    return entry;
  }

  // ------------------------------------------------------------------ operations

  private abs(rel: string): string {
    return path.isAbsolute(rel) ? rel : path.join(this.root, ...rel.split('/'));
  }

  private checkForward(op: JournalOp): void {
    if (op.op === 'move') {
      if (!exists(this.abs(op.from))) throw new JournalError(`${op.from} is no longer there`);
      if (exists(this.abs(op.to))) throw new JournalError(`${op.to} already exists (nothing is overwritten)`);
    } else if (op.op === 'patch') {
      const h = this.hashOf(op.file);
      if (h !== op.sha256Before) throw new JournalError(`${path.basename(op.file)} changed since (its bytes are not what this step expects)`);
    }
  }

  private checkBackward(op: JournalOp): void {
    if (op.op === 'move') {
      if (!exists(this.abs(op.to))) throw new JournalError(`${op.to} is no longer there (moved or deleted since)`);
      if (exists(this.abs(op.from))) throw new JournalError(`${op.from} exists again (nothing is overwritten)`);
    } else if (op.op === 'patch') {
      const h = this.hashOf(op.file);
      if (h !== op.sha256After) throw new JournalError(`${path.basename(op.file)} was edited since; undo would overwrite those edits`);
    }
  }

  private hashOf(file: string): string | null {
    try {
      return sha256(fs.readFileSync(this.abs(file)));
    } catch {
      return null;
    }
  }

  private forward(op: JournalOp): void {
    if (op.op === 'move') {
      const to = this.abs(op.to);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      if (exists(to)) throw new JournalError(`${op.to} already exists (nothing is overwritten)`);
      fs.renameSync(this.abs(op.from), to);
    } else if (op.op === 'patch') {
      const buf = fs.readFileSync(this.abs(op.file));
      if (sha256(buf) !== op.sha256Before) throw new JournalError(`${path.basename(op.file)} changed while it was being edited`);
      const out = applySplices(buf, op.splices);
      if (sha256(out) !== op.sha256After) throw new JournalError(`the edit of ${path.basename(op.file)} does not give the planned bytes`);
      replaceFile(this.abs(op.file), out);
    } else {
      this.opts.reviews?.setCorrect([{ hash: op.hash, path: op.path }]);
    }
  }

  private backward(op: JournalOp): void {
    if (op.op === 'move') {
      const from = this.abs(op.from);
      if (exists(from)) throw new JournalError(`${op.from} exists again (nothing is overwritten)`);
      fs.mkdirSync(path.dirname(from), { recursive: true });
      fs.renameSync(this.abs(op.to), from);
    } else if (op.op === 'patch') {
      const buf = fs.readFileSync(this.abs(op.file));
      if (sha256(buf) !== op.sha256After) throw new JournalError(`${path.basename(op.file)} was edited since; undo would overwrite those edits`);
      const out = applySplices(buf, invertSplices(op.splices));
      if (sha256(out) !== op.sha256Before) throw new JournalError(`undoing the edit of ${path.basename(op.file)} does not restore its bytes`);
      replaceFile(this.abs(op.file), out);
    } else {
      this.opts.reviews?.clearCorrect([op.hash]);
    }
  }

  /** Whether `op` has landed, from the file system: true, false, or null when neither state matches. */
  private landed(op: JournalOp): boolean | null {
    if (op.op === 'move') {
      const f = exists(this.abs(op.from));
      const t = exists(this.abs(op.to));
      return t && !f ? true : f && !t ? false : null;
    }
    if (op.op === 'patch') {
      const h = this.hashOf(op.file);
      return h === op.sha256After ? true : h === op.sha256Before ? false : null;
    }
    return null; // a review is idempotent: the caller sets it to the wanted state
  }

  /** Applies all ops; on failure reverts the ones that landed, marks the entry aborted and rethrows. */
  private runForward(entry: JournalEntry): void {
    let n = 0;
    try {
      for (const op of entry.ops) {
        this.forward(op);
        n++;
        this.opts.afterOp?.(entry.id, n - 1);
      }
    } catch (err) {
      for (const op of entry.ops.slice(0, n).reverse()) {
        try {
          this.backward(op);
        } catch {
          /* reported by the rethrow below; the journal keeps the entry for inspection */
        }
      }
      const wasRedo = this.status.get(entry.id) === 'undone';
      this.append({ type: wasRedo ? 'undone' : 'aborted', id: entry.id });
      if (!wasRedo) this.status.set(entry.id, 'aborted');
      throw err;
    }
  }

  private runBackward(entry: JournalEntry): void {
    const ops = [...entry.ops].reverse();
    let n = 0;
    try {
      for (const op of ops) {
        this.backward(op);
        n++;
        this.opts.afterOp?.(entry.id, n - 1);
      }
    } catch (err) {
      for (const op of ops.slice(0, n).reverse()) {
        try {
          this.forward(op);
        } catch {
          /* see runForward */
        }
      }
      this.append({ type: 'redone', id: entry.id }); // still applied
      throw err;
    }
  }

  // ------------------------------------------------------------------ file

  /** The state folder, created; checked again before every write (a `.labellint` link made since is refused). */
  private stateForWrite(): StateDirLocation {
    if (this.at instanceof StateDirError) throw new JournalError(this.at.message);
    try {
      this.at = { ...resolveStateDir(this.root), exists: true };
      return this.at;
    } catch (err) {
      if (err instanceof StateDirError) throw new JournalError(err.message);
      throw err;
    }
  }

  private append(line: Line): void {
    const state = this.stateForWrite();
    const file = path.join(state.dir, JOURNAL_FILE);
    const fresh = !exists(file);
    if (fresh && state.inDataset) ensureStateGitignore(this.root, state.dir);
    // O_NOFOLLOW: a journal.jsonl that is a link is not written through (fails with ELOOP).
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | NOFOLLOW, 0o644);
    try {
      if (fresh) {
        const header: Line = {
          type: 'header',
          version: JOURNAL_VERSION,
          note: 'LabelLint decision journal (undo/redo history of this machine); see the README. Not meant to be committed.',
        };
        fs.writeSync(fd, `${JSON.stringify(header)}\n`);
      }
      if (this.needsNewline) fs.writeSync(fd, '\n');
      this.needsNewline = false;
      fs.writeSync(fd, `${JSON.stringify(line.type === 'do' ? line : { ...line, time: new Date().toISOString() })}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  private load(): void {
    if (this.at instanceof StateDirError || !this.at.exists) return;
    let text: string;
    try {
      text = readNoFollow(this.file);
    } catch {
      return; // no journal yet (or a link, which is not read)
    }
    this.needsNewline = text.length > 0 && !text.endsWith('\n');
    /** The step in flight after the last line: which entry and which transition. */
    let open: { id: number; step: 'do' | 'undo' | 'redo' } | null = null;
    const lines = text.split('\n');
    for (const raw of lines) {
      if (raw.trim() === '') continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // a torn last line from a crash mid-write: the step it began never started
      }
      if (line.type === 'header') continue;
      if (line.type === 'do') {
        const e = line.entry;
        if (!e || typeof e.id !== 'number' || !Array.isArray(e.ops)) continue;
        this.entries.set(e.id, e);
        this.nextId = Math.max(this.nextId, e.id + 1);
        open = { id: e.id, step: 'do' };
        continue;
      }
      const id = line.id;
      if (!this.entries.has(id)) continue;
      switch (line.type) {
        case 'done':
        case 'redone':
          if (this.status.get(id) !== 'applied') {
            this.removeFrom(this.redoStack, id);
            this.undoStack.push(id);
            if (line.type === 'done') this.redoStack.length = 0;
          }
          this.status.set(id, 'applied');
          open = null;
          break;
        case 'undone':
          if (this.status.get(id) === 'applied') {
            this.removeFrom(this.undoStack, id);
            this.redoStack.push(id);
          }
          this.status.set(id, 'undone');
          open = null;
          break;
        case 'aborted':
          this.status.set(id, 'aborted');
          open = null;
          break;
        case 'undo':
        case 'redo':
          open = { id, step: line.type };
          break;
      }
    }
    if (open) this.recover(open.id, open.step);
  }

  private removeFrom(stack: number[], id: number): void {
    const i = stack.lastIndexOf(id);
    if (i >= 0) stack.splice(i, 1);
  }

  /** Rolls an interrupted step back to the state before it. */
  private recover(id: number, step: 'do' | 'undo' | 'redo'): void {
    const entry = this.entries.get(id)!;
    const problems: string[] = [];
    if (step === 'undo') {
      // Back to applied: redo what the interrupted undo reverted.
      for (const op of entry.ops) {
        const l = this.landed(op);
        try {
          if (l === false || op.op === 'review') this.forward(op);
        } catch (err) {
          problems.push(err instanceof Error ? err.message : String(err));
        }
        if (l === null && op.op !== 'review') problems.push(`cannot tell whether ${opLabel(op)} was undone`);
      }
      this.append({ type: 'redone', id });
      this.status.set(id, 'applied');
      if (!this.undoStack.includes(id)) this.undoStack.push(id);
    } else {
      // Back to before the step: revert what landed.
      for (const op of [...entry.ops].reverse()) {
        const l = this.landed(op);
        try {
          if (l === true || op.op === 'review') this.backward(op);
        } catch (err) {
          problems.push(err instanceof Error ? err.message : String(err));
        }
        if (l === null && op.op !== 'review') problems.push(`cannot tell whether ${opLabel(op)} happened`);
      }
      if (step === 'do') {
        this.append({ type: 'aborted', id });
        this.status.set(id, 'aborted');
      } else {
        this.append({ type: 'undone', id });
        this.status.set(id, 'undone');
        if (!this.redoStack.includes(id)) this.redoStack.push(id);
      }
    }
    const verb = step === 'do' ? '' : `${step} of `;
    const msg = `An interrupted ${verb}"${entry.message}" was rolled back${problems.length ? ` (check by hand: ${problems.join('; ')})` : ''}.`;
    this.recovered.push({ entry, step, message: msg });
  }
}

function opLabel(op: JournalOp): string {
  return op.op === 'move' ? `the move ${op.from} → ${op.to}` : op.op === 'patch' ? `the edit of ${path.basename(op.file)}` : `the review of ${op.path}`;
}

/** `fs.constants.O_NOFOLLOW` where the platform has it (not on Windows, where links need privileges). */
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/**
 * The state folder of `root` without creating it, or the refusal of a `.labellint` link (kept, not thrown). Any other
 * error (the root is gone, cannot be checked) reads as "no journal yet"; the first write meets it again and says so.
 */
function locateState(root: string): StateDirLocation | StateDirError {
  try {
    return locateStateDir(root);
  } catch (err) {
    if (err instanceof StateDirError) return err;
    return { dir: stateDir(root), inDataset: true, exists: false };
  }
}

/** A file's text, refusing to follow a link at its last component. */
function readNoFollow(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | NOFOLLOW);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
