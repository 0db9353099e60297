/**
 * Walking an ImageFolder dataset: reads folders (bounded concurrency), skips ignored and excluded names, follows
 * symbolic links only inside the root, walks each real folder once, and collects every image below a class folder
 * as a `Candidate`. Problems found on the way go to `ctx.problems`; nothing is stat'ed or decoded here (statFiles.ts).
 */
import type { Dirent } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { ScanProblem, Split } from '../../../protocol/dataset';
import { isImageFile } from './imageFiles';
import type { ExcludeMatcher } from './exclude';
import { showPath } from './csv';
import { realPathInside } from './safePath';

/** Folders read at once. */
const READDIR_CONCURRENCY = 16;
/** Names never entered or listed, besides anything starting with '.' (which covers `.labellint/`). Lowercase. */
const IGNORED_NAMES: ReadonlySet<string> = new Set(['node_modules', '__macosx', 'thumbs.db', 'desktop.ini']);

export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || IGNORED_NAMES.has(name.toLowerCase());
}

/**
 * Compares strings by Unicode code point (not UTF-16 code unit), so astral characters sort after U+E000–U+FFFF.
 * Surrogates are remapped above the rest of the BMP at the first differing unit.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Dot-named folders that are expected tool state, not forgotten classes: skipped without a note. */
const QUIET_HIDDEN: ReadonlySet<string> = new Set(['.labellint', '.git', '.hg', '.svn', '.vscode', '.idea', '.ipynb_checkpoints', '.ds_store', '.trash']);

export interface WalkCtx {
  readonly followSymlinks: boolean;
  readonly exclude: ExcludeMatcher;
  readonly limiter: Limiter;
  readonly problems: ScanProblem[];
  /** Real path of the dataset root: nothing whose real path lies outside it is read, listed or followed. */
  readonly rootReal: string;
  /** Real folders already walked (or being walked) → the relative path they were walked under. */
  readonly visitedDirs: Map<string, string>;
  /** Folders reached through a link, walked after every real folder (so a real name wins over a link's). */
  readonly deferred: { dir: DirRef; ancestors: ReadonlySet<string>; label: string; split: Split | null }[];
  /** Dot-named folders passed over (relative paths), for the notes. */
  readonly hiddenDirs: string[];
  nonImageFiles: number;
  skippedSymlinks: number;
}

/** A fresh walk of the dataset whose root's real path is `rootReal` (that folder counts as walked). */
export function createWalkCtx(followSymlinks: boolean, exclude: ExcludeMatcher, rootReal: string): WalkCtx {
  return {
    followSymlinks,
    exclude,
    limiter: new Limiter(READDIR_CONCURRENCY),
    problems: [],
    rootReal,
    visitedDirs: new Map([[rootReal, '']]),
    deferred: [],
    hiddenDirs: [],
    nonImageFiles: 0,
    skippedSymlinks: 0,
  };
}

export interface DirRef {
  readonly name: string;
  readonly abs: string;
  /** Relative to the root, `/` separators; '' for the root. */
  readonly rel: string;
  /** Real path (symlinks resolved), for loop detection. */
  readonly real: string;
  /** Reached through a symbolic link. */
  readonly viaLink?: boolean;
}

interface FileRef {
  readonly name: string;
  readonly abs: string;
  readonly rel: string;
  readonly real: string;
  readonly viaLink: boolean;
}

export interface Listing {
  readonly dirs: DirRef[];
  /** Image files only (non-images are counted in ctx). */
  readonly files: FileRef[];
}

/** A directory entry whose name is the raw bytes (`readdir` with `encoding: 'buffer'`). */
type RawDirent = Omit<Dirent, 'name'> & { readonly name: Buffer };

/**
 * `readdir` with file types. Names are read as text (fast); only a folder holding a name with U+FFFD (what a byte
 * that is not UTF-8 decodes to) is read again with byte names, so such names can be told apart and reported.
 */
async function readdirChecked(dir: string): Promise<{ entries: Dirent[]; badNames: Buffer[] }> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  if (!entries.some((e) => e.name.includes('\uFFFD'))) return { entries, badNames: [] };
  // The bundled @types/node lacks the `encoding: 'buffer'` overload with file types.
  const raw = await (fsp.readdir as unknown as (p: string, o: object) => Promise<RawDirent[]>)(dir, { withFileTypes: true, encoding: 'buffer' });
  const good: Dirent[] = [];
  const badNames: Buffer[] = [];
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const r of raw) {
    const name = r.name.toString('utf8');
    if (Buffer.from(name, 'utf8').equals(r.name)) {
      const e = byName.get(name);
      if (e) good.push(e);
    } else badNames.push(r.name);
  }
  return { entries: good, badNames };
}

/** A file name's bytes as text when they are not valid UTF-8: printable ASCII kept, other bytes as \xNN. */
function showBytes(name: Buffer): string {
  let s = '';
  for (const b of name) s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0').toUpperCase()}`;
  return s;
}

/** The `code` of a file-system error ('error' when it has none). */
export function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}

/** `path.join` for a normalised folder and one plain name; join() itself is measurable over 100,000 files. */
function joinAbs(dir: string, name: string): string {
  return dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}

function joinRel(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}

/** What one folder entry turned out to be, once links are resolved; null when it is skipped (a problem says why). */
interface EntryKind {
  readonly kind: 'file' | 'dir' | 'other';
  /** Real path when the entry is a link ('' otherwise: the caller derives it from the folder's). */
  readonly real: string;
  readonly viaLink: boolean;
}

/**
 * Resolves a symbolic link: followed only when links are followed, its target resolves, lies inside the root and,
 * for a folder, is not one of `ancestors`. Decided on the real path before anything at the target is looked at.
 */
async function followLink(ctx: WalkCtx, abs: string, rel: string, ancestors: ReadonlySet<string>): Promise<EntryKind | null> {
  if (!ctx.followSymlinks) {
    ctx.skippedSymlinks++;
    return null;
  }
  const skip = (kind: ScanProblem['kind'], what: string): null => {
    ctx.problems.push({ path: rel, kind, message: `${showPath(rel)}: ${what}` });
    return null;
  };
  let real: string;
  try {
    real = await fsp.realpath(abs);
  } catch (e) {
    const code = errCode(e);
    if (code === 'ELOOP') return skip('symlink-loop', 'symbolic link loops back on itself; skipped');
    if (code === 'ENOENT') return skip('unreadable', 'symbolic link points to nothing (broken link); skipped');
    return skip('unreadable', `symbolic link cannot be followed (${code}); skipped`);
  }
  // Decided on the real path before anything at the target is looked at (no stat, no read, no listing).
  if (!realPathInside(ctx.rootReal, real)) return skip('outside-root', 'symbolic link leads outside the dataset root; not followed');
  let kind: EntryKind['kind'];
  try {
    const st = await fsp.stat(real);
    kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch (e) {
    return skip('unreadable', `symbolic link cannot be followed (${errCode(e)}); skipped`);
  }
  if (kind === 'dir' && ancestors.has(real)) {
    return skip('symlink-loop', `symbolic link points back to a folder that contains it (${real}); not followed`);
  }
  return { kind, real, viaLink: true };
}

/** The kind of a folder entry: links resolved (`followLink`), a type the file system did not report asked for. */
async function entryKind(ctx: WalkCtx, ent: Dirent, abs: string, rel: string, ancestors: ReadonlySet<string>): Promise<EntryKind | null> {
  const plain = (kind: EntryKind['kind']): EntryKind => ({ kind, real: '', viaLink: false });
  if (ent.isSymbolicLink()) return followLink(ctx, abs, rel, ancestors);
  if (ent.isDirectory()) return plain('dir');
  if (ent.isFile()) return plain('file');
  if (ent.isFIFO() || ent.isSocket() || ent.isCharacterDevice() || ent.isBlockDevice()) return plain('other');
  // Type not reported by the file system (DT_UNKNOWN): ask.
  try {
    const st = await fsp.lstat(abs);
    if (st.isSymbolicLink()) {
      ctx.problems.push({ path: rel, kind: 'unreadable', message: `${showPath(rel)}: symbolic link of unknown type; skipped` });
      return null;
    }
    return plain(st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other');
  } catch (e) {
    ctx.problems.push({ path: rel, kind: 'unreadable', message: `${showPath(rel)}: cannot be read (${errCode(e)}); skipped` });
    return null;
  }
}

/**
 * Reads one folder: skips ignored names and excluded paths, resolves symlinks (or skips them), reports unreadable
 * entries and symlink loops. `ancestors` holds the real paths of the folders above, this one included.
 */
export async function listDir(ctx: WalkCtx, dir: DirRef, ancestors: ReadonlySet<string>): Promise<Listing> {
  const out: Listing = { dirs: [], files: [] };
  let entries: Dirent[];
  let badNames: Buffer[];
  try {
    // A name that is not valid UTF-8 would decode to U+FFFD and collide with another: such names are reported.
    ({ entries, badNames } = await ctx.limiter.run(() => readdirChecked(dir.abs)));
  } catch (e) {
    const shown = dir.rel === '' ? dir.abs : showPath(dir.rel);
    ctx.problems.push({ path: dir.rel, kind: 'unreadable', message: `${shown}: folder cannot be read (${errCode(e)}); skipped` });
    return out;
  }
  for (const raw of badNames) {
    const rel = joinRel(dir.rel, showBytes(raw));
    ctx.problems.push({
      path: rel,
      kind: 'bad-name',
      message: `${showPath(rel)}: file name is not valid UTF-8, so it cannot be named without being confused with another; skipped (rename it to analyse it)`,
    });
  }
  for (const ent of entries) {
    const name = ent.name;
    if (isIgnoredName(name)) {
      if (name.startsWith('.') && !QUIET_HIDDEN.has(name.toLowerCase()) && (ent.isDirectory() || ent.isSymbolicLink())) {
        ctx.hiddenDirs.push(joinRel(dir.rel, name));
      }
      continue;
    }
    const abs = joinAbs(dir.abs, name);
    const rel = joinRel(dir.rel, name);
    const entry = await entryKind(ctx, ent, abs, rel, ancestors);
    if (entry === null) continue;
    const { kind, viaLink } = entry;
    const real = entry.real || joinAbs(dir.real, name);
    if (kind === 'dir') {
      if (!ctx.exclude.matches(rel, true)) out.dirs.push({ name, abs, rel, real, viaLink });
    } else if (kind === 'file') {
      if (!isImageFile(name)) ctx.nonImageFiles++;
      else if (!ctx.exclude.matches(rel, false)) out.files.push({ name, abs, rel, real, viaLink });
    }
  }
  return out;
}

export interface Candidate {
  readonly abs: string;
  readonly rel: string;
  readonly label: string;
  readonly split: Split | null;
  readonly csvLine?: number;
  /** Real path (ImageFolder layout), for counting each real file once. */
  readonly real?: string;
  readonly viaLink?: boolean;
}

/**
 * Collects every image below `dir` (any depth) as a candidate with the given label and split. Each real folder is
 * walked once: a folder reached through a link is deferred (`ctx.deferred`) and walked by `walkDeferred` after the
 * real folders, unless it was walked already.
 */
export async function walkClass(
  ctx: WalkCtx,
  dir: DirRef,
  ancestors: ReadonlySet<string>,
  label: string,
  split: Split | null,
  out: Candidate[],
): Promise<void> {
  if (dir.viaLink) {
    ctx.deferred.push({ dir, ancestors, label, split });
    return;
  }
  if (ctx.visitedDirs.has(dir.real)) {
    sameFolder(ctx, dir);
    return;
  }
  ctx.visitedDirs.set(dir.real, dir.rel);
  const here = new Set(ancestors).add(dir.real);
  const listing = await listDir(ctx, dir, here);
  for (const f of listing.files) out.push({ abs: f.abs, rel: f.rel, label, split, real: f.real, viaLink: f.viaLink });
  await Promise.all(listing.dirs.map((d) => walkClass(ctx, d, here, label, split, out)));
}

export function sameFolder(ctx: WalkCtx, dir: DirRef): void {
  const first = ctx.visitedDirs.get(dir.real) ?? '';
  ctx.problems.push({
    path: dir.rel,
    kind: 'same-file',
    message: `${showPath(dir.rel)}: same folder as ${first === '' ? 'the dataset root' : showPath(first)} (a symbolic link); scanned once`,
  });
}

/** Walks the folders reached through links, in path order, one at a time: each real folder once, whatever the graph. */
export async function walkDeferred(ctx: WalkCtx, out: Candidate[]): Promise<void> {
  // Generation by generation (links found while walking linked folders come next), each sorted once.
  while (ctx.deferred.length > 0) {
    const generation = ctx.deferred.splice(0).sort((a, b) => compareCodePoints(a.dir.rel, b.dir.rel));
    for (const next of generation) {
      if (ctx.visitedDirs.has(next.dir.real)) {
        sameFolder(ctx, next.dir);
        continue;
      }
      await walkClass(ctx, { ...next.dir, viaLink: false }, next.ancestors, next.label, next.split, out);
    }
  }
}

/**
 * Keeps one candidate per real file: a real name before a link's, then the first in path order; the others become
 * `same-file` problems. Candidates without a real path are kept as they are.
 */
export function onePerRealFile(cands: Candidate[], problems: ScanProblem[]): Candidate[] {
  // Without links every real folder is walked once, so every real file has one name already.
  if (!cands.some((c) => c.viaLink)) return cands;
  const order = cands.slice().sort((a, b) => Number(a.viaLink ?? false) - Number(b.viaLink ?? false) || compareCodePoints(a.rel, b.rel));
  const kept = new Map<string, Candidate>();
  const out: Candidate[] = [];
  for (const c of order) {
    if (c.real === undefined) {
      out.push(c);
      continue;
    }
    const first = kept.get(c.real);
    if (first) {
      problems.push({ path: c.rel, kind: 'same-file', message: `${showPath(c.rel)}: same file as ${showPath(first.rel)} (a symbolic link); counted once` });
      continue;
    }
    kept.set(c.real, c);
    out.push(c);
  }
  return out;
}
