/**
 * The journal's operations on the dataset: moving a file, splicing the bytes of the labels CSV, writing a review,
 * each forward (do, redo) and backward (undo, rollback), and telling from the file system whether one has landed.
 *
 * Every path an operation names goes through the one inside-the-root check (engine/dataset/safePath.ts): when a
 * journal is read (`entryProblem`: relative `/` paths only, no absolute path, no `..`, no NUL, nothing in the state
 * folder, and the real path inside the root) and again at the time of each move or patch (a folder replaced by a link
 * since is refused). The one file that may lie outside the root is the labels CSV in use (`labelsCsv`), which a patch
 * names by its absolute path.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realInsideSync, resolveRelative } from '../engine/dataset/safePath';
import { STATE_DIR } from '../engine/store/stateDir';
import { JournalError, type JournalEntry, type JournalOp, type MoveOp, type PatchOp, type Splice } from './journalFormat';

/** Where "label is correct" reviews are stored (the engine cache and its reviews.json). */
export interface ReviewStore {
  setCorrect(entries: readonly { readonly hash: string; readonly path: string }[]): void;
  clearCorrect(hashes: readonly string[]): void;
}

export interface DatasetOpsOptions {
  readonly reviews?: ReviewStore;
  /** The labels CSV in use (absolute): the one file a patch may name by an absolute path (it can lie outside the root). */
  readonly labelsCsv?: () => string | undefined;
}

export type Direction = 'forward' | 'backward';

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

/** Whether anything (a link too) is at `abs`. */
export function exists(abs: string): boolean {
  try {
    fs.lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

/** Size of a regular file (not followed through a link), or null. */
function fileSize(abs: string): number | null {
  try {
    const st = fs.lstatSync(abs);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/** Why `p` fails `resolveRelative`, in words (the decision is `resolveRelative`'s; this only names the reason). */
function refusalReason(p: string): string {
  if (p.includes('\0')) return 'contains a NUL character';
  if (path.isAbsolute(p) || p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p)) return 'is an absolute path (the journal names files relative to the dataset root)';
  if (p.split(/[\\/]/).includes('..')) return 'leaves the dataset root';
  if (p.includes('\\')) return 'contains a backslash';
  return 'is not a plain relative path';
}

const OUTSIDE_BY_LINK = 'leads outside the dataset root (a symbolic link on the way points elsewhere)';

/** Quoted, shortened path for messages (a hostile journal's text is not echoed at length). */
function q(p: string): string {
  return JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p);
}

export function opLabel(op: JournalOp): string {
  return op.op === 'move' ? `the move ${op.from} → ${op.to}` : op.op === 'patch' ? `the edit of ${path.basename(op.file)}` : `the review of ${op.path}`;
}

/** The journal's operations on one dataset root. All methods are synchronous. */
export class DatasetOps {
  constructor(
    readonly root: string,
    private readonly opts: DatasetOpsOptions = {},
  ) {}

  /** Absolute path of `p` as an entry names it, or why it may not be acted on (by path text; see `confine`). */
  private locate(p: string, mayBeOutside: boolean): { abs: string } | { problem: string } {
    const abs = resolveRelative(this.root, p);
    if (abs !== null) {
      if (p.split('/')[0].toLowerCase() === STATE_DIR) return { problem: `${q(p)} is in LabelLint's state folder, not a dataset file` };
      return { abs };
    }
    if (mayBeOutside && path.isAbsolute(p) && this.isLabelsCsvPath(p)) return { abs: path.resolve(p) };
    return { problem: `${q(p)} ${refusalReason(p)}` };
  }

  private isLabelsCsvPath(abs: string): boolean {
    const f = this.opts.labelsCsv?.();
    return f !== undefined && path.resolve(f) === path.resolve(abs);
  }

  /** Absolute path of a file an operation moves or patches, checked now, links resolved; throws JournalError. */
  private confine(p: string, mayBeOutside = false): string {
    const at = this.locate(p, mayBeOutside);
    if ('problem' in at) throw new JournalError(at.problem);
    if (!realInsideSync(this.root, at.abs) && !(mayBeOutside && this.isLabelsCsvPath(at.abs))) throw new JournalError(`${q(p)} ${OUTSIDE_BY_LINK}`);
    return at.abs;
  }

  /** Why an entry read from a journal must not be acted on (a path that is not confined to the root), or null. */
  entryProblem(entry: JournalEntry): string | null {
    /** [what, path, how it is used]: moved or patched files are checked by real path, names by text. */
    const named: [string, string, 'moved' | 'patched' | 'named'][] = [];
    for (const d of entry.decisions) {
      named.push(['the decision path', d.path, 'named']);
      if (d.newPath !== undefined) named.push(['the new path', d.newPath, 'named']);
    }
    for (const op of entry.ops) {
      if (op.op === 'move') named.push(['the move source', op.from, 'moved'], ['the move target', op.to, 'moved']);
      else if (op.op === 'patch') named.push(['the patched file', op.file, 'patched']);
      else named.push(['the review path', op.path, 'named']);
    }
    for (const [what, p, use] of named) {
      try {
        if (use === 'named') {
          const at = this.locate(p, false);
          if ('problem' in at) return `${what} ${at.problem}`;
        } else this.confine(p, use === 'patched');
      } catch (err) {
        return `${what} ${(err as Error).message}`;
      }
    }
    return null;
  }

  /** `ops` with the size of each moved file recorded (what undo, redo and recovery check before moving it). */
  withSizes(ops: readonly JournalOp[]): JournalOp[] {
    return ops.map((op) => {
      if (op.op !== 'move' || op.size !== undefined) return op;
      const size = fileSize(this.confine(op.from));
      return size === null ? op : { ...op, size };
    });
  }

  private sizeProblem(op: MoveOp, rel: string, abs: string): string | null {
    if (op.size === undefined) return null;
    const size = fileSize(abs);
    return size === op.size ? null : `${rel} is not the file that was moved (${size ?? 'no'} bytes; the journal recorded ${op.size})`;
  }

  private hashOf(file: string): string | null {
    try {
      return sha256(fs.readFileSync(this.confine(file, true)));
    } catch {
      return null;
    }
  }

  /** Throws JournalError (nothing changed) when `op` cannot be carried out in direction `dir` now. */
  check(op: JournalOp, dir: Direction): void {
    if (op.op === 'move') {
      const from = this.confine(op.from);
      const to = this.confine(op.to);
      if (dir === 'forward') {
        if (!exists(from)) throw new JournalError(`${op.from} is no longer there`);
        if (exists(to)) throw new JournalError(`${op.to} already exists (nothing is overwritten)`);
      } else {
        if (!exists(to)) throw new JournalError(`${op.to} is no longer there (moved or deleted since)`);
        if (exists(from)) throw new JournalError(`${op.from} exists again (nothing is overwritten)`);
      }
      const bad = dir === 'forward' ? this.sizeProblem(op, op.from, from) : this.sizeProblem(op, op.to, to);
      if (bad) throw new JournalError(bad);
    } else if (op.op === 'patch') {
      this.confine(op.file, true);
      const h = this.hashOf(op.file);
      if (dir === 'forward' && h !== op.sha256Before) throw new JournalError(`${path.basename(op.file)} changed since (its bytes are not what this step expects)`);
      if (dir === 'backward' && h !== op.sha256After) throw new JournalError(`${path.basename(op.file)} was edited since; undo would overwrite those edits`);
    }
  }

  /** Carries out `op` in direction `dir`; throws JournalError when it cannot (a move that did not happen changed nothing). */
  apply(op: JournalOp, dir: Direction): void {
    if (op.op === 'move') this.move(op, dir);
    else if (op.op === 'patch') this.patch(op, dir);
    else if (dir === 'forward') this.opts.reviews?.setCorrect([{ hash: op.hash, path: op.path }]);
    else this.opts.reviews?.clearCorrect([op.hash]);
  }

  private move(op: MoveOp, dir: Direction): void {
    const [src, dst] = dir === 'forward' ? [op.from, op.to] : [op.to, op.from];
    const s = this.confine(src);
    const d = this.confine(dst);
    if (dir === 'backward' && exists(d)) throw new JournalError(`${dst} exists again (nothing is overwritten)`);
    const bad = this.sizeProblem(op, src, s);
    if (bad) throw new JournalError(bad);
    fs.mkdirSync(path.dirname(d), { recursive: true });
    this.confine(dst); // again: no folder made or swapped meanwhile leads out of the root
    if (dir === 'forward' && exists(d)) throw new JournalError(`${dst} already exists (nothing is overwritten)`);
    fs.renameSync(s, d);
  }

  private patch(op: PatchOp, dir: Direction): void {
    const file = this.confine(op.file, true);
    const name = path.basename(op.file);
    const buf = fs.readFileSync(file);
    if (dir === 'forward') {
      if (sha256(buf) !== op.sha256Before) throw new JournalError(`${name} changed while it was being edited`);
      const out = applySplices(buf, op.splices);
      if (sha256(out) !== op.sha256After) throw new JournalError(`the edit of ${name} does not give the planned bytes`);
      replaceFile(file, out);
    } else {
      if (sha256(buf) !== op.sha256After) throw new JournalError(`${name} was edited since; undo would overwrite those edits`);
      const out = applySplices(buf, invertSplices(op.splices));
      if (sha256(out) !== op.sha256Before) throw new JournalError(`undoing the edit of ${name} does not restore its bytes`);
      replaceFile(file, out);
    }
  }

  /**
   * Whether `op` has landed, from the file system: true, false, or null when neither state matches (a file of
   * another size where the moved one should be, a path that is not confined to the root, a review).
   */
  landed(op: JournalOp): boolean | null {
    if (op.op === 'move') {
      let from: string, to: string;
      try {
        from = this.confine(op.from);
        to = this.confine(op.to);
      } catch {
        return null;
      }
      const f = exists(from);
      const t = exists(to);
      if (t && !f) return this.sizeProblem(op, op.to, to) === null ? true : null;
      if (f && !t) return this.sizeProblem(op, op.from, from) === null ? false : null;
      return null;
    }
    if (op.op === 'patch') {
      const h = this.hashOf(op.file);
      return h === op.sha256After ? true : h === op.sha256Before ? false : null;
    }
    return null; // a review is idempotent: the caller sets it to the wanted state
  }

  /**
   * Applies `ops` in direction `dir` in order, calling `after(i)` as each lands. On a failure the ones that landed
   * are reverted (best effort) and the error is rethrown.
   */
  applyAll(ops: readonly JournalOp[], dir: Direction, after?: (i: number) => void): void {
    const back: Direction = dir === 'forward' ? 'backward' : 'forward';
    let n = 0;
    try {
      for (const op of ops) {
        this.apply(op, dir);
        n++;
        after?.(n - 1);
      }
    } catch (err) {
      for (const op of ops.slice(0, n).reverse()) {
        try {
          this.apply(op, back);
        } catch {
          /* reported by the rethrow below; the journal keeps the entry for inspection */
        }
      }
      throw err;
    }
  }
}
