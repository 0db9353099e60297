/**
 * The decision journal: the ONE record of what a person decided about a dataset (relabel, mark correct,
 * quarantine), with undo/redo that survives a reload. One append-only JSON-lines file, `journal.jsonl` in the
 * dataset's state folder (`<root>/.labellint/`, or the per-user folder of a read-only dataset: the store's one rule,
 * engine/store/stateDir.ts), created by the first decision (an unanalysed or empty folder gets nothing). A
 * `.labellint` that is a symbolic link is neither read nor written through: decisions are refused with the reason.
 * The file format is `journalFormat.ts`; the operations on the dataset (move, patch, review), confined to the root,
 * are `journalOps.ts`; this module keeps the history (undo and redo stacks) and recovers from crashes.
 *
 * Write-ahead: the `do` line (the entry with all its operations) is flushed before the first operation,
 * `done` after the last. Undo writes `undo` before reverting and `undone` after; redo `redo`/`redone`.
 * On open, an interrupted transition is rolled back operation by operation (each operation can tell from
 * the file system whether it landed: a moved file must be where the journal says, with the size it recorded),
 * and an `aborted` / `undone` / `redone` line closes it, so the folder is left as it was before the interrupted
 * step. Only a journal written for this folder is rolled back (its header names the root's real path): one that
 * came with a copied or downloaded dataset is reported, not acted on.
 *
 * A journal is input like any file in a dataset: an entry whose paths are not confined to the root (absolute,
 * `..`, through a link that leads elsewhere, into the state folder) or that is malformed is ignored with a message
 * naming the file and the entry (`ignored`), never carried out, undone or redone. Nothing here imports VS Code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureStateGitignore, locateStateDir, resolveStateDir, stateDir, StateDirError, type StateDirLocation } from '../engine/store/stateDir';
import { appendJournalLine, JOURNAL_FILE, JournalError, parseEntry, rawEntryId, rawEntryMessage, readJournalText, readLine, type DecisionAction, type JournalEntry, type JournalOp, type Line, type PathDecision } from './journalFormat';
import { DatasetOps, exists, opLabel, type DatasetOpsOptions } from './journalOps';

// The journal's names, from their homes, for callers and branches that import them from here.
export { JOURNAL_FILE, JOURNAL_VERSION, JournalError } from './journalFormat';
export type { DecisionAction, JournalEntry, JournalOp, MoveOp, PatchOp, PathDecision, ReviewOp, Splice } from './journalFormat';
export { applySplices, invertSplices, sha256, type ReviewStore } from './journalOps';

export interface JournalOptions extends DatasetOpsOptions {
  /** Called after each operation of a `record`, `undo` or `redo` lands (tests crash the process here). */
  readonly afterOp?: (entryId: number, opIndex: number) => void;
}

type Status = 'applied' | 'undone' | 'aborted';
type Step = 'do' | 'undo' | 'redo';

export interface Recovery {
  readonly entry: JournalEntry;
  /** What was interrupted. */
  readonly step: Step;
  /** Sentence for the user. */
  readonly message: string;
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
  /** Interrupted steps found by `open`: rolled back, or (a journal written for another folder) only reported. */
  readonly recovered: Recovery[] = [];
  /** Entries of the file that are not loaded (a path not confined to the root, a malformed entry): one sentence each. */
  readonly ignored: string[] = [];
  /** The state folder (found without creating it), or why the dataset's `.labellint` is refused. */
  private at: StateDirLocation | StateDirError;
  private readonly ops: DatasetOps;
  /** Real path of the root: written into a new journal's header, compared with an existing one's. */
  private readonly rootReal: string;
  /** The root named by the file's header; null when the header names none (or there is no header). */
  private origin: string | null = null;

  private constructor(
    readonly root: string,
    private readonly opts: JournalOptions,
  ) {
    this.at = locateState(root);
    this.ops = new DatasetOps(root, opts);
    this.rootReal = realPathOr(root);
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
   * Records a decision and carries it out: checks every operation first (its paths confined to the root, a move's
   * target free and its source present, a patch's file with the expected hash), writes the entry, applies the
   * operations, marks it done. If an operation fails part-way, the ones that landed are reverted and the entry is
   * marked aborted; the error is rethrown. Returns the entry.
   */
  record(action: DecisionAction, message: string, decisions: readonly PathDecision[], ops: readonly JournalOp[]): JournalEntry {
    if (ops.length === 0) throw new JournalError('nothing to do');
    const entry: JournalEntry = { id: this.nextId, time: new Date().toISOString(), action, message, decisions, ops: this.ops.withSizes(ops) };
    const bad = this.ops.entryProblem(entry);
    if (bad) throw new JournalError(bad);
    for (const op of entry.ops) this.ops.check(op, 'forward');
    this.nextId++;
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
    for (const op of [...entry.ops].reverse()) this.ops.check(op, 'backward');
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
    for (const op of entry.ops) this.ops.check(op, 'forward');
    this.append({ type: 'redo', id: entry.id });
    this.runForward(entry);
    this.append({ type: 'redone', id: entry.id });
    this.redoStack.pop();
    this.undoStack.push(entry.id);
    this.status.set(entry.id, 'applied');
    return entry;
  }

  /** Applies all ops; on failure the ones that landed are reverted, the entry is marked aborted (or undone again). */
  private runForward(entry: JournalEntry): void {
    try {
      this.ops.applyAll(entry.ops, 'forward', (i) => this.opts.afterOp?.(entry.id, i));
    } catch (err) {
      const wasRedo = this.status.get(entry.id) === 'undone';
      this.append({ type: wasRedo ? 'undone' : 'aborted', id: entry.id });
      if (!wasRedo) this.status.set(entry.id, 'aborted');
      throw err;
    }
  }

  private runBackward(entry: JournalEntry): void {
    try {
      this.ops.applyAll([...entry.ops].reverse(), 'backward', (i) => this.opts.afterOp?.(entry.id, i));
    } catch (err) {
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
    appendJournalLine(file, line, { fresh, newline: this.needsNewline, rootReal: this.rootReal });
    this.needsNewline = false;
    if (fresh) this.origin = this.rootReal;
  }

  /** Reads the file: entries that pass their checks build the history; the others are reported in `ignored`. */
  private load(): void {
    if (this.at instanceof StateDirError || !this.at.exists) return;
    let text: string;
    try {
      text = readJournalText(this.file);
    } catch {
      return; // no journal yet (or a link, which is not read)
    }
    this.needsNewline = text.length > 0 && !text.endsWith('\n');
    /** The step in flight after the last line: which entry and which transition. */
    let open: { id: number; step: Step } | null = null;
    let sawHeader = false;
    const seen = new Set<number>();
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      if (lines[n].trim() === '') continue;
      const line = readLine(lines[n]);
      if (line.kind === 'header') {
        if (!sawHeader) this.origin = line.root;
        sawHeader = true;
      } else if (line.kind === 'do') {
        const entry = this.admit(line.raw, n + 1, seen);
        open = entry ? { id: entry.id, step: 'do' } : null;
      } else if (line.kind === 'status' && this.entries.has(line.id)) {
        open = this.replay(line.type, line.id);
      }
    }
    if (open) this.recover(open.id, open.step);
  }

  /** The entry of a `do` line when it passes the shape and path checks (then kept); else null, and why in `ignored`. */
  private admit(raw: unknown, lineNo: number, seen: Set<number>): JournalEntry | null {
    const id = rawEntryId(raw);
    if (id !== null) this.nextId = Math.max(this.nextId, id + 1);
    const parsed = parseEntry(raw);
    const problem = typeof parsed === 'string' ? parsed : id !== null && seen.has(id) ? `its id ${id} is used by an earlier entry` : this.ops.entryProblem(parsed);
    if (id !== null) seen.add(id);
    if (problem === null && typeof parsed !== 'string') {
      this.entries.set(parsed.id, parsed);
      return parsed;
    }
    const message = rawEntryMessage(raw);
    const which = id !== null ? `entry ${id}` : `the entry on line ${lineNo}`;
    this.ignored.push(`${this.file}: ${which}${message !== null ? ` (${JSON.stringify(message.slice(0, 120))})` : ''} ignored: ${problem}. It is not carried out, undone or redone.`);
    return null;
  }

  /** Applies one status line to the stacks; returns the step left in flight (an `undo` or `redo` without its end). */
  private replay(type: Exclude<Line['type'], 'header' | 'do'>, id: number): { id: number; step: Step } | null {
    switch (type) {
      case 'done':
      case 'redone':
        if (this.status.get(id) !== 'applied') {
          removeFrom(this.redoStack, id);
          this.undoStack.push(id);
          if (type === 'done') this.redoStack.length = 0;
        }
        this.status.set(id, 'applied');
        return null;
      case 'undone':
        if (this.status.get(id) === 'applied') {
          removeFrom(this.undoStack, id);
          this.redoStack.push(id);
        }
        this.status.set(id, 'undone');
        return null;
      case 'aborted':
        this.status.set(id, 'aborted');
        return null;
      case 'undo':
      case 'redo':
        return { id, step: type };
    }
  }

  /**
   * An interrupted step: rolled back to the state before it when this journal was written for this folder (its
   * header names this root); a journal written elsewhere (a dataset copied or downloaded with its journal) is not
   * acted on: the step is reported, the files are left as they are and nothing is written.
   */
  private recover(id: number, step: Step): void {
    const entry = this.entries.get(id)!;
    const verb = step === 'do' ? '' : `${step} of `;
    if (this.writtenElsewhere()) {
      removeFrom(this.undoStack, id);
      removeFrom(this.redoStack, id);
      this.status.set(id, 'aborted');
      const where = this.origin === null ? 'a journal that does not say which folder it was written for' : `a journal written for ${this.origin}`;
      const message = `An interrupted ${verb}"${entry.message}" was found in ${this.file}, ${where}; it was not rolled back and the files were left as they are (check by hand: ${entry.ops.map(opLabel).slice(0, 5).join('; ')}${entry.ops.length > 5 ? '; …' : ''}).`;
      this.recovered.push({ entry, step, message });
      return;
    }
    const problems = step === 'undo' ? this.rollForward(entry) : this.rollBack(entry, step);
    const msg = `An interrupted ${verb}"${entry.message}" was rolled back${problems.length ? ` (check by hand: ${problems.join('; ')})` : ''}.`;
    this.recovered.push({ entry, step, message: msg });
  }

  /** True when the journal lies in the dataset and its header does not name this root (copied, downloaded, older). */
  private writtenElsewhere(): boolean {
    return !(this.at instanceof StateDirError) && this.at.inDataset && this.origin !== this.rootReal;
  }

  /** An interrupted undo, back to applied: redo what it reverted. Returns what could not be told or done. */
  private rollForward(entry: JournalEntry): string[] {
    const problems: string[] = [];
    for (const op of entry.ops) {
      const l = this.ops.landed(op);
      try {
        if (l === false || op.op === 'review') this.ops.apply(op, 'forward');
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
      if (l === null && op.op !== 'review') problems.push(`cannot tell whether ${opLabel(op)} was undone`);
    }
    this.append({ type: 'redone', id: entry.id });
    this.status.set(entry.id, 'applied');
    if (!this.undoStack.includes(entry.id)) this.undoStack.push(entry.id);
    return problems;
  }

  /** An interrupted do or redo, back to before it: revert what landed. Returns what could not be told or done. */
  private rollBack(entry: JournalEntry, step: 'do' | 'redo'): string[] {
    const problems: string[] = [];
    for (const op of [...entry.ops].reverse()) {
      const l = this.ops.landed(op);
      try {
        if (l === true || op.op === 'review') this.ops.apply(op, 'backward');
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
      if (l === null && op.op !== 'review') problems.push(`cannot tell whether ${opLabel(op)} happened`);
    }
    if (step === 'do') {
      this.append({ type: 'aborted', id: entry.id });
      this.status.set(entry.id, 'aborted');
    } else {
      this.append({ type: 'undone', id: entry.id });
      this.status.set(entry.id, 'undone');
      if (!this.redoStack.includes(entry.id)) this.redoStack.push(entry.id);
    }
    return problems;
  }
}

function removeFrom(stack: number[], id: number): void {
  const i = stack.lastIndexOf(id);
  if (i >= 0) stack.splice(i, 1);
}

function realPathOr(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p;
  }
}


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
