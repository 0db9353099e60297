/**
 * The one way LabelLint writes a file that someone may read back (reports, reviews.json, .gitignore, thumbnails,
 * converted models): never half a file, never through a link, never into a predictable name.
 *
 * 1. The temp file is created next to the target with `wx` (O_CREAT|O_EXCL: fails on anything already there,
 *    a dangling link included, so a planted `<name>.tmp-<pid>` link cannot redirect the write) under a
 *    128-bit random name.
 * 2. The bytes are written and fsync'ed, then the temp file is renamed over the target. rename(2) replaces a link
 *    at the target with the file; it never writes through it. A target that is a link or not a regular file is
 *    refused before anything is written.
 * 3. With `root`, every folder from the root down to the target's folder must be a real folder (not a link) and the
 *    target must lie below the root: a dataset that ships `.labellint -> /somewhere` is refused, not written into.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lexicallyInside } from './safePath';

export interface SafeWriteOptions {
  /**
   * The folder the target must stay inside; each folder between it and the target is checked not to be a link
   * (and created when missing, with `mkdir`).
   */
  readonly root?: string;
  /** File mode for a new file (default 0o666 before umask). */
  readonly mode?: number;
}

/** A refused or failed safe write; the message names the path and the reason. */
export class UnsafeWriteError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'UnsafeWriteError';
  }
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** The unpredictable temp name for `target` (same folder, so the rename stays on one file system). */
export function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(16).toString('hex')}.tmp`);
}

/**
 * Makes sure every folder from `root` (exclusive of what lies above it) down to `dir` exists and is a real
 * folder, not a link. Creates missing ones. Throws `UnsafeWriteError` naming the first link found.
 */
export function ensureRealDirs(root: string, dir: string): void {
  const base = path.resolve(root);
  const target = path.resolve(dir);
  if (!lexicallyInside(base, target)) throw new UnsafeWriteError(`${target} is outside ${base}; not written`);
  const segs = path.relative(base, target).split(path.sep).filter((s) => s !== '');
  let cur = base;
  for (const s of segs) {
    cur = path.join(cur, s);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(cur);
    } catch (e) {
      if (code(e) !== 'ENOENT') throw new UnsafeWriteError(`${cur} cannot be checked (${code(e) ?? String(e)}); not written`, code(e));
    }
    if (st === undefined) {
      try {
        fs.mkdirSync(cur);
      } catch (e) {
        if (code(e) !== 'EEXIST') throw new UnsafeWriteError(`${cur} cannot be created (${code(e) ?? String(e)})`, code(e));
      }
      st = fs.lstatSync(cur);
    }
    if (st.isSymbolicLink()) {
      throw new UnsafeWriteError(`${cur} is a symbolic link; LabelLint does not write through links (remove it or make it a real folder)`, 'ELINK');
    }
    if (!st.isDirectory()) throw new UnsafeWriteError(`${cur} is not a folder; not written`, 'ENOTDIR');
  }
}

/**
 * Why `target` must not be replaced, or null when it may: missing, or a regular file. A link, folder or device is
 * refused (a link is never written through, and replacing it would surprise whoever made it).
 */
export function targetRefusal(target: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch (e) {
    if (code(e) === 'ENOENT') return null;
    return `${target} cannot be checked (${code(e) ?? String(e)})`;
  }
  if (st.isSymbolicLink()) return `${target} is a symbolic link; LabelLint does not write through links`;
  if (!st.isFile()) return `${target} exists and is not a regular file`;
  return null;
}

/** What `writeFileSafe` writes: bytes, text, or text in pieces (a report too big for one string). */
export type SafeWriteData = string | Uint8Array | Iterable<string>;

/** Bytes gathered before each write when the data comes in pieces. */
const CHUNK_BYTES = 1 << 20;

function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

function writeData(fd: number, data: SafeWriteData): void {
  if (typeof data === 'string') return writeAll(fd, Buffer.from(data, 'utf8'));
  if (data instanceof Uint8Array) return writeAll(fd, data);
  let pending: string[] = [];
  let size = 0;
  for (const piece of data) {
    pending.push(piece);
    size += piece.length;
    if (size >= CHUNK_BYTES) {
      writeAll(fd, Buffer.from(pending.join(''), 'utf8'));
      pending = [];
      size = 0;
    }
  }
  if (pending.length > 0) writeAll(fd, Buffer.from(pending.join(''), 'utf8'));
}

/** Writes `data` to `target` atomically and safely (see the module comment). Synchronous. */
export function writeFileSafe(target: string, data: SafeWriteData, opts: SafeWriteOptions = {}): void {
  const abs = path.resolve(target);
  const dir = path.dirname(abs);
  if (opts.root !== undefined) ensureRealDirs(opts.root, dir);
  else fs.mkdirSync(dir, { recursive: true });
  const refusal = targetRefusal(abs);
  if (refusal) throw new UnsafeWriteError(`${refusal}; not written`, 'ELINK');
  const tmp = tempNameFor(abs);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'wx', opts.mode ?? 0o666);
  } catch (e) {
    throw new UnsafeWriteError(`${abs} cannot be written (${code(e) ?? String(e)} creating a temporary file in ${dir})`, code(e));
  }
  try {
    try {
      writeData(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, abs);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new UnsafeWriteError(`${abs} cannot be written (${code(e) ?? String(e)})`, code(e));
  }
  try {
    // Make the rename durable; not every platform can open a folder.
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // best effort
  }
}

/** `writeFileSafe` for async callers (thumbnails): same steps with fs.promises. */
export async function writeFileSafeAsync(target: string, data: string | Uint8Array, opts: SafeWriteOptions = {}): Promise<void> {
  const abs = path.resolve(target);
  const dir = path.dirname(abs);
  if (opts.root !== undefined) ensureRealDirs(opts.root, dir);
  else await fs.promises.mkdir(dir, { recursive: true });
  const refusal = targetRefusal(abs);
  if (refusal) throw new UnsafeWriteError(`${refusal}; not written`, 'ELINK');
  const tmp = tempNameFor(abs);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(tmp, 'wx', opts.mode ?? 0o666);
  } catch (e) {
    throw new UnsafeWriteError(`${abs} cannot be written (${code(e) ?? String(e)} creating a temporary file in ${dir})`, code(e));
  }
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, abs);
  } catch (e) {
    await fs.promises.unlink(tmp).catch(() => undefined);
    throw new UnsafeWriteError(`${abs} cannot be written (${code(e) ?? String(e)})`, code(e));
  }
}
