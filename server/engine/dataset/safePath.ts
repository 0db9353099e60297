/**
 * The one inside-the-dataset-root check. Everything that reads, lists, moves or writes a dataset file asks here.
 *
 * Two questions, kept apart on purpose:
 * - `lexicallyInside(root, p)`: is the path *text* at or below the root (after resolving `.`/`..`)? Cheap, no file
 *   system; right for validating requests before anything exists. A name that merely starts with `..`
 *   (`..foo/a.png`) is inside.
 * - `realInside(root, p)`: does the path, with every symbolic link resolved (fs.realpath), land at or below the
 *   root's own real path? A link inside the root that points elsewhere is outside. For a path that does not exist
 *   yet (a move target), the deepest existing folder above it is resolved and the rest appended, so a link on the
 *   way is still seen.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** True when `rel` (from `path.relative`) does not climb out: '' or a path whose first segment is not `..`. */
function relStaysInside(rel: string): boolean {
  if (rel === '') return true;
  if (path.isAbsolute(rel)) return false; // another drive on Windows
  return rel !== '..' && !rel.startsWith('..' + path.sep);
}

/** True when `p` is `root` or lies below it, by path text only (`..` resolved, links not followed). */
export function lexicallyInside(root: string, p: string): boolean {
  return relStaysInside(path.relative(root, p)); // relative() resolves both
}

/**
 * `root`-relative `/`-separated path of `abs`, or null when `abs` is not strictly below `root` (by path text).
 */
export function relativeInside(root: string, abs: string): string | null {
  const rel = path.relative(root, abs); // resolves both
  if (rel === '' || !relStaysInside(rel)) return null;
  return path.sep === '/' ? rel : rel.split(path.sep).join('/');
}

/**
 * Absolute path of a dataset-relative `/`-separated path, or null when the text could leave the root or is
 * ambiguous: empty, absolute, a drive letter, a backslash, NUL, or an empty, `.` or `..` segment.
 * Lexical only; call `realInside` before touching the file.
 */
export function resolveRelative(root: string, rel: string): string | null {
  if (typeof rel !== 'string' || rel.length === 0) return null;
  if (rel.includes('\\') || rel.includes('\0') || rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return null;
  const segs = rel.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return null;
  const base = path.resolve(root);
  const abs = path.resolve(base, ...segs);
  return relStaysInside(path.relative(base, abs)) && abs !== base ? abs : null;
}

/** The real path of `p`, or of its deepest existing ancestor with the missing rest appended. */
function realpathOrAncestorSync(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(cur), ...rest.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const parent = path.dirname(cur);
      // ENOENT: not there yet; anything else (ELOOP, EACCES, ENOTDIR) cannot be proven inside.
      if (code !== 'ENOENT' || parent === cur) throw e;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

async function realpathOrAncestor(p: string): Promise<string> {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(await fs.promises.realpath(cur), ...rest.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const parent = path.dirname(cur);
      if (code !== 'ENOENT' || parent === cur) throw e;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * True when `p`, links resolved, is `root` or lies below the root's real path. False when it cannot be resolved
 * (a link loop, no permission): what cannot be proven inside is treated as outside.
 */
export async function realInside(root: string, p: string): Promise<boolean> {
  try {
    const [r, x] = await Promise.all([realpathOrAncestor(root), realpathOrAncestor(p)]);
    return relStaysInside(path.relative(r, x));
  } catch {
    return false;
  }
}

/** `realInside` for synchronous callers (plan validation in the language server). */
export function realInsideSync(root: string, p: string): boolean {
  try {
    return relStaysInside(path.relative(realpathOrAncestorSync(root), realpathOrAncestorSync(p)));
  } catch {
    return false;
  }
}

/** True when a real path (already resolved) is the real root or below it. */
export function realPathInside(rootReal: string, real: string): boolean {
  return relStaysInside(path.relative(rootReal, real));
}
