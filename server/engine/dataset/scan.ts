/**
 * Dataset discovery: walks a dataset folder (ImageFolder `root/[split/]<class>/…` or a labels CSV) and returns an
 * `Inventory` of labelled image files plus the problems found on the way. Never decodes images; never aborts on a
 * bad file (only on a bad root or an unreadable explicit CSV).
 */
import type { Dirent } from 'node:fs';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { DatasetItem, DatasetLayout, Inventory, ScanProblem, Split } from '../../../protocol/dataset';
import { isImageFile, namedColumns, parseCsvRecords, detectDelimiter, parseLabelsCsv, showPath, toSplit } from './csv';
import type { LabelsCsv } from './csv';

// csv.ts owns the extension list (it needs it and must not import this module); re-exported here as the public home.
export { IMAGE_EXTENSIONS, isImageFile } from './csv';

export interface ScanOptions {
  /** Explicit labels CSV; a relative path is resolved against the dataset root. Forces the CSV layout. */
  readonly csv?: string;
  /**
   * Simple globs matched against `/`-separated paths relative to the root: `*` and `?` stay inside one path segment,
   * `**` spans segments. A pattern without `/` is also matched against the file or folder name alone (`*.png`, `tmp`).
   * A matching folder is not entered.
   */
  readonly exclude?: readonly string[];
  /** Keep only the first N usable images in path order (a note records the cut). */
  readonly maxImages?: number;
  /** Follow symbolic links (default true); links back into a folder being walked are reported as `symlink-loop`. */
  readonly followSymlinks?: boolean;
}

/** What `detectLayout` decided. */
export interface LayoutInfo {
  readonly layout: DatasetLayout;
  /** Absolute path of the labels CSV for the CSV layout. */
  readonly csvPath?: string;
  /** True when the dataset has a split level (split folders, or a split column in the CSV). */
  readonly hasSplits: boolean;
}

/** Files stat'ed at once; bounded so 100,000-file datasets do not flood the libuv thread pool or memory. */
const STAT_CONCURRENCY = 64;
/** With `maxImages`, candidates are stat'ed this many at a time, stopping once enough images are kept. */
const STAT_CHUNK = 1024;
/** Folders read at once. */
const READDIR_CONCURRENCY = 16;
/** Names never entered or listed, besides anything starting with '.' (which covers `.labellint/`). Lowercase. */
const IGNORED_NAMES: ReadonlySet<string> = new Set(['node_modules', '__macosx', 'thumbs.db', 'desktop.ini']);
/** The conventional labels file name, matched case-insensitively at the root. */
const LABELS_CSV_NAME = 'labels.csv';
/** Enough text to hold a CSV header row; only used to read column names. */
const FIRST_ROW_SCAN_CHARS = 64 * 1024;

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

// ---------------------------------------------------------------------------------------------
// Exclude globs

/** Turns one simple glob into a RegExp over a whole `/`-separated relative path. */
export function globToRegExp(glob: string): RegExp {
  const g = glob.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*') {
      if (g[i + 1] === '*') {
        i++;
        if (g[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

interface ExcludeMatcher {
  /** True when the file or folder at this relative path is excluded (its own pattern, not its parents'). */
  matches(rel: string, isDir: boolean): boolean;
  /** True when the path or any folder above it is excluded. */
  excludesPath(rel: string): boolean;
}

function makeExcludeMatcher(globs: readonly string[] | undefined): ExcludeMatcher {
  const full: RegExp[] = [];
  const base: RegExp[] = [];
  for (const g of globs ?? []) {
    const trimmed = g.trim();
    if (trimmed === '') continue;
    full.push(globToRegExp(trimmed));
    if (!trimmed.replace(/\/+$/, '').includes('/')) base.push(globToRegExp(trimmed));
  }
  const matches = (rel: string, isDir: boolean): boolean => {
    if (full.length === 0) return false;
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    return (
      full.some((r) => r.test(rel) || (isDir && r.test(rel + '/'))) || base.some((r) => r.test(name))
    );
  };
  return {
    matches,
    excludesPath(rel: string): boolean {
      if (full.length === 0) return false;
      const segs = rel.split('/');
      for (let i = 1; i < segs.length; i++) if (matches(segs.slice(0, i).join('/'), true)) return true;
      return matches(rel, false);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Walking

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

interface WalkCtx {
  readonly followSymlinks: boolean;
  readonly exclude: ExcludeMatcher;
  readonly limiter: Limiter;
  readonly problems: ScanProblem[];
  nonImageFiles: number;
  skippedSymlinks: number;
}

interface DirRef {
  readonly name: string;
  readonly abs: string;
  /** Relative to the root, `/` separators; '' for the root. */
  readonly rel: string;
  /** Real path (symlinks resolved), for loop detection. */
  readonly real: string;
}

interface Listing {
  readonly dirs: DirRef[];
  /** Image files only (non-images are counted in ctx). */
  readonly files: { readonly name: string; readonly abs: string; readonly rel: string }[];
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}

/** `path.join` for a normalised folder and one plain name; join() itself is measurable over 100,000 files. */
function joinAbs(dir: string, name: string): string {
  return dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}

function joinRel(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}

/**
 * Reads one folder: skips ignored names and excluded paths, resolves symlinks (or skips them), reports unreadable
 * entries and symlink loops. `ancestors` holds the real paths of the folders above, this one included.
 */
async function listDir(ctx: WalkCtx, dir: DirRef, ancestors: ReadonlySet<string>): Promise<Listing> {
  const out: Listing = { dirs: [], files: [] };
  let entries: Dirent[];
  try {
    entries = await ctx.limiter.run(() => fsp.readdir(dir.abs, { withFileTypes: true }));
  } catch (e) {
    const shown = dir.rel === '' ? dir.abs : showPath(dir.rel);
    ctx.problems.push({ path: dir.rel, kind: 'unreadable', message: `${shown}: folder cannot be read (${errCode(e)}); skipped` });
    return out;
  }
  for (const ent of entries) {
    const name = ent.name;
    if (isIgnoredName(name)) continue;
    const abs = joinAbs(dir.abs, name);
    const rel = joinRel(dir.rel, name);
    let real = '';
    let kind: 'file' | 'dir' | 'other';
    if (ent.isSymbolicLink()) {
      if (!ctx.followSymlinks) {
        ctx.skippedSymlinks++;
        continue;
      }
      try {
        real = await fsp.realpath(abs);
        const st = await fsp.stat(abs);
        kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      } catch (e) {
        const code = errCode(e);
        if (code === 'ELOOP') {
          ctx.problems.push({ path: rel, kind: 'symlink-loop', message: `${showPath(rel)}: symbolic link loops back on itself; skipped` });
        } else if (code === 'ENOENT') {
          ctx.problems.push({ path: rel, kind: 'unreadable', message: `${showPath(rel)}: symbolic link points to nothing (broken link); skipped` });
        } else {
          ctx.problems.push({ path: rel, kind: 'unreadable', message: `${showPath(rel)}: symbolic link cannot be followed (${code}); skipped` });
        }
        continue;
      }
      if (kind === 'dir' && ancestors.has(real)) {
        ctx.problems.push({
          path: rel,
          kind: 'symlink-loop',
          message: `${showPath(rel)}: symbolic link points back to a folder that contains it (${real}); not followed`,
        });
        continue;
      }
    } else if (ent.isDirectory()) kind = 'dir';
    else if (ent.isFile()) kind = 'file';
    else if (ent.isFIFO() || ent.isSocket() || ent.isCharacterDevice() || ent.isBlockDevice()) kind = 'other';
    else {
      // Type not reported by the file system (DT_UNKNOWN): ask.
      try {
        const st = await fsp.lstat(abs);
        kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      } catch (e) {
        ctx.problems.push({ path: rel, kind: 'unreadable', message: `${showPath(rel)}: cannot be read (${errCode(e)}); skipped` });
        continue;
      }
    }
    if (kind === 'dir') {
      if (!ctx.exclude.matches(rel, true)) out.dirs.push({ name, abs, rel, real: real || joinAbs(dir.real, name) });
    } else if (kind === 'file') {
      if (!isImageFile(name)) ctx.nonImageFiles++;
      else if (!ctx.exclude.matches(rel, false)) out.files.push({ name, abs, rel });
    }
  }
  return out;
}

interface Candidate {
  readonly abs: string;
  readonly rel: string;
  readonly label: string;
  readonly split: Split | null;
  readonly csvLine?: number;
}

/** Collects every image below `dir` (any depth) as a candidate with the given label and split. */
async function walkClass(
  ctx: WalkCtx,
  dir: DirRef,
  ancestors: ReadonlySet<string>,
  label: string,
  split: Split | null,
  out: Candidate[],
): Promise<void> {
  const here = new Set(ancestors).add(dir.real);
  const listing = await listDir(ctx, dir, here);
  for (const f of listing.files) out.push({ abs: f.abs, rel: f.rel, label, split });
  await Promise.all(listing.dirs.map((d) => walkClass(ctx, d, here, label, split, out)));
}

// ---------------------------------------------------------------------------------------------
// Layout detection

async function resolveRoot(root: string): Promise<{ abs: string; real: string }> {
  const abs = path.resolve(root);
  let st: fs.Stats;
  try {
    st = await fsp.stat(abs);
  } catch (e) {
    const code = errCode(e);
    throw new Error(
      code === 'ENOENT' ? `Dataset root ${abs} does not exist` : `Dataset root ${abs} cannot be read (${code})`,
    );
  }
  if (!st.isDirectory()) throw new Error(`Dataset root ${abs} is not a folder`);
  return { abs, real: await fsp.realpath(abs) };
}

/** True when the row's path is `<label>/…` or `<split>/<label>/…`: the CSV only restates class folders. */
function rowIsInClassFolder(p: string, label: string): boolean {
  const segs = p.split('/');
  if (segs.length >= 2 && segs[0] === label) return true;
  return segs.length >= 3 && toSplit(segs[0]) !== null && segs[1] === label;
}

async function readCsvText(csvPath: string): Promise<string> {
  try {
    return await fsp.readFile(csvPath, 'utf8');
  } catch (e) {
    throw new Error(`Labels CSV ${csvPath} cannot be read (${errCode(e)})`);
  }
}

interface LoadedCsv {
  readonly csvPath: string;
  readonly csv: LabelsCsv;
  /** The header row names both a path and a label column. */
  readonly namesPathAndLabel: boolean;
}

function loadCsv(csvPath: string, text: string, rootAbs: string): LoadedCsv {
  const csv = parseLabelsCsv(text, csvPath, rootAbs);
  const first = parseCsvRecords(text.slice(0, FIRST_ROW_SCAN_CHARS), detectDelimiter(text))[0];
  const cols = first ? namedColumns(first.fields) : undefined;
  return { csvPath, csv, namesPathAndLabel: cols !== undefined && cols.path >= 0 && cols.label >= 0 };
}

interface Detected {
  readonly info: LayoutInfo;
  readonly csv?: LabelsCsv;
}

async function detect(rootAbs: string, opts: ScanOptions): Promise<Detected> {
  const exclude = makeExcludeMatcher(opts.exclude);
  if (opts.csv !== undefined) {
    const csvPath = path.resolve(rootAbs, opts.csv);
    let st: fs.Stats;
    try {
      st = await fsp.stat(csvPath);
    } catch (e) {
      throw new Error(`Labels CSV ${csvPath} ${errCode(e) === 'ENOENT' ? 'does not exist' : `cannot be read (${errCode(e)})`}`);
    }
    if (!st.isFile()) throw new Error(`Labels CSV ${csvPath} is not a file`);
    const csv = parseLabelsCsv(await readCsvText(csvPath), csvPath, rootAbs);
    return { info: { layout: 'csv', csvPath, hasSplits: csv.splitColumn !== undefined }, csv };
  }

  let entries: Dirent[];
  try {
    entries = await fsp.readdir(rootAbs, { withFileTypes: true });
  } catch (e) {
    throw new Error(`Dataset root ${rootAbs} cannot be read (${errCode(e)})`);
  }
  const visible = entries.filter((e) => !isIgnoredName(e.name) && !exclude.matches(e.name, e.isDirectory()));
  const hasSplitDirs = visible.some((e) => (e.isDirectory() || e.isSymbolicLink()) && toSplit(e.name) !== null);
  const imagefolder: Detected = { info: { layout: 'imagefolder', hasSplits: hasSplitDirs } };

  const csvFiles = visible
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith('.csv'))
    .map((e) => e.name)
    .sort(compareCodePoints);
  let candidate: LoadedCsv | undefined;
  const labelsName = csvFiles.find((n) => n.toLowerCase() === LABELS_CSV_NAME);
  if (labelsName !== undefined) {
    candidate = loadCsv(path.join(rootAbs, labelsName), await readCsvText(path.join(rootAbs, labelsName)), rootAbs);
  } else {
    const named: LoadedCsv[] = [];
    for (const n of csvFiles) {
      let text: string;
      try {
        text = await fsp.readFile(path.join(rootAbs, n), 'utf8');
      } catch {
        continue; // an unreadable stray CSV is not the labels file
      }
      const loaded = loadCsv(path.join(rootAbs, n), text, rootAbs);
      if (loaded.namesPathAndLabel) named.push(loaded);
    }
    if (named.length === 1) candidate = named[0];
  }
  if (!candidate) return imagefolder;

  const { csv } = candidate;
  const looksLikeLabels = candidate.namesPathAndLabel || csv.rows.some((r) => isImageFile(r.path));
  const restatesFolders = csv.rows.every((r) => rowIsInClassFolder(r.path, r.label));
  if (!looksLikeLabels || restatesFolders) return imagefolder;
  return { info: { layout: 'csv', csvPath: candidate.csvPath, hasSplits: csv.splitColumn !== undefined }, csv };
}

/**
 * Decides how a dataset gives its labels. CSV when `opts.csv` is given, or when the root holds `labels.csv` (or exactly
 * one `.csv` whose header names path and label columns) that lists image files not already sorted into
 * `[split/]<label>/` folders; ImageFolder otherwise. Throws when the root is missing or not a folder.
 */
export async function detectLayout(root: string, opts: Pick<ScanOptions, 'csv' | 'exclude'> = {}): Promise<LayoutInfo> {
  const { abs } = await resolveRoot(root);
  return (await detect(abs, opts)).info;
}

// ---------------------------------------------------------------------------------------------
// Scanning

interface StatOutcome {
  readonly item?: DatasetItem;
  readonly problem?: ScanProblem;
}

/** `fs.stat` through its callback API, measurably cheaper than `fs.promises.stat` over 100,000 files. */
function statFile(p: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.stat(p, (err, st) => (err ? reject(err) : resolve(st))));
}

/** The process's user and groups, read once per scan, for `canRead`. Null where permission bits do not apply. */
interface Identity {
  readonly uid: number;
  readonly gids: ReadonlySet<number>;
}

function currentIdentity(): Identity | null {
  if (process.platform === 'win32' || typeof process.getuid !== 'function' || typeof process.getgid !== 'function') return null;
  const uid = process.getuid();
  if (uid === 0) return null; // root reads everything
  return { uid, gids: new Set([process.getgid(), ...(process.getgroups?.() ?? [])]) };
}

/**
 * Whether the permission bits let this process read the file: a syscall-free stand-in for `access(R_OK)`, which would
 * double the calls on 100,000-file datasets. ACLs are not seen; the decoder reports what this misses.
 */
function canRead(st: fs.Stats, who: Identity | null): boolean {
  if (who === null) return true;
  if (st.uid === who.uid) return (st.mode & 0o400) !== 0;
  if (who.gids.has(st.gid)) return (st.mode & 0o040) !== 0;
  return (st.mode & 0o004) !== 0;
}

function makeImageFolderStat(who: Identity | null): (c: Candidate) => Promise<StatOutcome> {
  return async (c) => {
    let st: fs.Stats;
    try {
      st = await statFile(c.abs);
    } catch (e) {
      return { problem: { path: c.rel, kind: 'unreadable', message: `${showPath(c.rel)}: file cannot be read (${errCode(e)}); skipped` } };
    }
    if (!canRead(st, who)) {
      return { problem: { path: c.rel, kind: 'unreadable', message: `${showPath(c.rel)}: file cannot be read (no read permission); skipped` } };
    }
    if (st.size === 0) return { problem: { path: c.rel, kind: 'zero-byte', message: `${showPath(c.rel)}: file is empty (0 bytes); skipped` } };
    return { item: { path: c.rel, absPath: c.abs, label: c.label, split: c.split, size: st.size, mtimeMs: st.mtimeMs } };
  };
}

function makeCsvStat(followSymlinks: boolean, csvShown: string, who: Identity | null): (c: Candidate) => Promise<StatOutcome> {
  return async (c) => {
    const shown = showPath(c.rel);
    const line = c.csvLine;
    const where = `${csvShown} line ${line}`;
    const problem = (kind: ScanProblem['kind'], what: string): StatOutcome => ({
      problem: { path: c.rel, kind, message: `${shown}: ${what} (${where}); skipped`, ...(line !== undefined ? { line } : {}) },
    });
    if (!isImageFile(c.rel)) return problem('not-an-image', 'listed in the CSV but has no image extension');
    let st: fs.Stats;
    try {
      st = followSymlinks ? await fsp.stat(c.abs) : await fsp.lstat(c.abs);
    } catch (e) {
      const code = errCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return problem('missing-file', 'file listed in the CSV does not exist');
      if (code === 'ELOOP') return problem('symlink-loop', 'symbolic link loops back on itself');
      return problem('unreadable', `file cannot be read (${code})`);
    }
    if (st.isSymbolicLink()) return problem('unreadable', 'is a symbolic link and following links is off');
    if (st.isDirectory()) return problem('missing-file', 'is a folder, not an image file');
    if (!st.isFile()) return problem('unreadable', 'is not a regular file');
    if (!canRead(st, who)) return problem('unreadable', 'file cannot be read (no read permission)');
    if (st.size === 0) return problem('zero-byte', 'file is empty (0 bytes)');
    return {
      item: { path: c.rel, absPath: c.abs, label: c.label, split: c.split, size: st.size, mtimeMs: st.mtimeMs, ...(line !== undefined ? { csvLine: line } : {}) },
    };
  };
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
async function mapPool<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Stats candidates (sorted by path), STAT_CONCURRENCY at a time, until `max` items are kept; when `max` is finite the
 * work goes in chunks of STAT_CHUNK so a small `max` does not stat the whole dataset.
 * Returns the kept items and `cut`, the index of the first candidate not considered (cands.length when all were).
 */
async function statInOrder(
  cands: readonly Candidate[],
  max: number,
  statOne: (c: Candidate) => Promise<StatOutcome>,
  problems: ScanProblem[],
): Promise<{ items: DatasetItem[]; cut: number }> {
  const items: DatasetItem[] = [];
  let cut = 0;
  const chunk = Number.isFinite(max) ? STAT_CHUNK : cands.length;
  for (let start = 0; start < cands.length && items.length < max; start += chunk) {
    const outcomes = await mapPool(cands.slice(start, start + chunk), STAT_CONCURRENCY, statOne);
    for (const o of outcomes) {
      if (items.length >= max) break;
      cut++;
      if (o.item) items.push(o.item);
      if (o.problem) problems.push(o.problem);
    }
  }
  return { items, cut };
}

/**
 * Scans a dataset folder and returns its inventory. Throws only when the root is missing or not a folder, or when an
 * explicit `opts.csv` cannot be read; everything else becomes a `ScanProblem` or a note.
 *
 * Classes are the labels that keep at least one image (folders or labels with none get an `empty-class` problem and
 * are left out of `classes`); classes with one image get `small-class` and keep it.
 */
export async function scanDataset(root: string, opts: ScanOptions = {}): Promise<Inventory> {
  const { abs: rootAbs, real: rootReal } = await resolveRoot(root);
  const maxImages = opts.maxImages ?? Infinity;
  if (!(maxImages >= 0)) throw new Error(`maxImages must be a number ≥ 0, got ${String(opts.maxImages)}`);
  const detected = await detect(rootAbs, opts);
  const ctx: WalkCtx = {
    followSymlinks: opts.followSymlinks ?? true,
    exclude: makeExcludeMatcher(opts.exclude),
    limiter: new Limiter(READDIR_CONCURRENCY),
    problems: [],
    nonImageFiles: 0,
    skippedSymlinks: 0,
  };
  const notes: string[] = [];
  const cands: Candidate[] = [];
  /** label → where the class is named (folder or CSV), for class problems. */
  const classPlaces = new Map<string, string>();
  let statOne: (c: Candidate) => Promise<StatOutcome>;

  if (detected.info.layout === 'csv' && detected.csv && detected.info.csvPath) {
    const csvPath = detected.info.csvPath;
    const rel = path.relative(rootAbs, csvPath);
    const csvShown = rel.startsWith('..') || path.isAbsolute(rel) ? csvPath : rel.split(path.sep).join('/');
    ctx.problems.push(...detected.csv.problems);
    let excluded = 0;
    for (const r of detected.csv.rows) {
      if (ctx.exclude.excludesPath(r.path)) {
        excluded++;
        continue;
      }
      cands.push({ abs: r.absPath, rel: r.path, label: r.label, split: r.split, csvLine: r.line });
      if (!classPlaces.has(r.label)) classPlaces.set(r.label, csvShown);
    }
    if (excluded > 0) notes.push(`${excluded} CSV row${excluded === 1 ? '' : 's'} left out by exclude patterns.`);
    statOne = makeCsvStat(ctx.followSymlinks, csvShown, currentIdentity());
  } else {
    const rootRef: DirRef = { name: '', abs: rootAbs, rel: '', real: rootReal };
    const rootAncestors = new Set([rootReal]);
    const top = await listDir(ctx, rootRef, rootAncestors);
    const splitDirs = top.dirs.filter((d) => toSplit(d.name) !== null);
    const classDirs: { dir: DirRef; split: Split | null; ancestors: ReadonlySet<string> }[] = [];
    const loose: string[] = [];
    if (top.files.length > 0) loose.push(`${top.files.length} in the root folder`);
    if (splitDirs.length > 0) {
      const others = top.dirs.filter((d) => toSplit(d.name) === null);
      if (others.length > 0) {
        notes.push(
          `Folders ${others.map((d) => showPath(d.name)).join(', ')} sit next to split folders; read as classes without a split.`,
        );
      }
      for (const d of others) classDirs.push({ dir: d, split: null, ancestors: rootAncestors });
      const listings = await Promise.all(
        splitDirs.map(async (s) => {
          const anc = new Set(rootAncestors).add(s.real);
          return { s, anc, listing: await listDir(ctx, s, anc) };
        }),
      );
      for (const { s, anc, listing } of listings) {
        if (listing.files.length > 0) loose.push(`${listing.files.length} in ${showPath(s.rel)}/`);
        for (const d of listing.dirs) classDirs.push({ dir: d, split: toSplit(s.name), ancestors: anc });
      }
    } else {
      for (const d of top.dirs) classDirs.push({ dir: d, split: null, ancestors: rootAncestors });
    }
    if (loose.length > 0) notes.push(`Image files not inside a class folder were skipped: ${loose.join(', ')}.`);
    classDirs.sort((a, b) => compareCodePoints(a.dir.rel, b.dir.rel));
    for (const c of classDirs) if (!classPlaces.has(c.dir.name)) classPlaces.set(c.dir.name, c.dir.rel);
    await Promise.all(classDirs.map((c) => walkClass(ctx, c.dir, c.ancestors, c.dir.name, c.split, cands)));
    statOne = makeImageFolderStat(currentIdentity());
  }

  cands.sort((a, b) => compareCodePoints(a.rel, b.rel));
  const { items, cut } = await statInOrder(cands, maxImages, statOne, ctx.problems);
  if (cut < cands.length) {
    notes.push(
      `Kept the first ${items.length} images in path order because maxImages is ${maxImages}; ${cands.length - cut} more image file${cands.length - cut === 1 ? ' was' : 's were'} not read.`,
    );
  }

  // Class sizes. Labels with candidates past the cut are not judged: truncation, not the dataset, made them small.
  const counts = new Map<string, number>();
  for (const label of classPlaces.keys()) counts.set(label, 0);
  for (const it of items) counts.set(it.label, (counts.get(it.label) ?? 0) + 1);
  const cutLabels = new Set(cands.slice(cut).map((c) => c.label));
  const classes: string[] = [];
  for (const [label, n] of counts) {
    const place = classPlaces.get(label) ?? label;
    const isFolder = detected.info.layout === 'imagefolder';
    const subject = `${showPath(place)}: class '${label}'`;
    if (n > 0) classes.push(label);
    if (cutLabels.has(label)) continue;
    if (n === 0) {
      ctx.problems.push({
        path: place,
        kind: 'empty-class',
        message: `${subject} has no usable images${isFolder ? '' : ' (every row was skipped)'}; class left out`,
      });
    } else if (n === 1) {
      ctx.problems.push({
        path: place,
        kind: 'small-class',
        message: `${subject} has only 1 image; kept, but its label cannot be checked against other examples of the class`,
      });
    }
  }
  classes.sort(compareCodePoints);

  if (ctx.nonImageFiles > 0) {
    notes.push(`Skipped ${ctx.nonImageFiles} file${ctx.nonImageFiles === 1 ? '' : 's'} without an image extension.`);
  }
  if (ctx.skippedSymlinks > 0) {
    notes.push(`Skipped ${ctx.skippedSymlinks} symbolic link${ctx.skippedSymlinks === 1 ? '' : 's'} (following links is off).`);
  }
  if (items.length === 0) notes.push(`No usable image files found under ${rootAbs}.`);

  const problems = ctx.problems.slice().sort(
    (a, b) => compareCodePoints(a.path, b.path) || (a.line ?? 0) - (b.line ?? 0) || compareCodePoints(a.kind, b.kind) || compareCodePoints(a.message, b.message),
  );
  return {
    root: rootAbs,
    layout: detected.info.layout,
    ...(detected.info.csvPath !== undefined ? { csvPath: detected.info.csvPath } : {}),
    classes,
    items,
    problems,
    notes,
    nonImageFiles: ctx.nonImageFiles,
  };
}
