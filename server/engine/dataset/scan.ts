/**
 * Dataset discovery: walks a dataset folder (ImageFolder `root/[split/]<class>/…` or a labels CSV) and returns an
 * `Inventory` of labelled image files plus the problems found on the way. Never decodes images; never aborts on a
 * bad file (only on a bad root or an unreadable explicit CSV).
 *
 * The stages: `layout.ts` decides the layout (and reads the CSV), `walk.ts` walks class folders, `statFiles.ts`
 * stats the candidates; this module puts them in order and judges the classes.
 */
import type { DatasetItem, DatasetLayout, Inventory, ScanProblem, Split } from '../../../protocol/dataset';
import { makeExcludeMatcher } from './exclude';
import { showPath, toSplit } from './csv';
import { relativeInside } from './safePath';
import { detect, resolveRoot, type Detected, type LayoutOptions } from './layout';
import { currentIdentity, makeCsvStat, makeImageFolderStat, statInOrder, type StatOutcome } from './statFiles';
import {
  compareCodePoints,
  createWalkCtx,
  listDir,
  onePerRealFile,
  sameFolder,
  walkClass,
  walkDeferred,
  type Candidate,
  type DirRef,
  type WalkCtx,
} from './walk';

// Where callers look for them: the image-extension list (imageFiles.ts), the exclude globs (exclude.ts), the path
// order (walk.ts) and layout detection (layout.ts).
export { IMAGE_EXTENSIONS, isImageFile } from './imageFiles';
export { globToRegExp } from './exclude';
export { compareCodePoints } from './walk';
export { detectLayout, type LayoutInfo } from './layout';

export interface ScanOptions extends LayoutOptions {
  /** Keep only the first N usable images in path order (a note records the cut). */
  readonly maxImages?: number;
  /**
   * Follow symbolic links (default true). Only links whose real path stays inside the dataset root are followed
   * (`outside-root` otherwise); links back into a folder being walked are `symlink-loop`; a file or folder reached
   * a second time under another name is `same-file` (counted once).
   */
  readonly followSymlinks?: boolean;
}

/** The files a scan will stat, how to stat them, and where each class is named (folder or CSV) for class problems. */
interface Candidates {
  readonly cands: Candidate[];
  readonly classPlaces: Map<string, string>;
  readonly statOne: (c: Candidate) => Promise<StatOutcome>;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The CSV layout's candidates: one per row the exclude globs keep. */
function csvCandidates(ctx: WalkCtx, detected: Detected, rootAbs: string, notes: string[]): Candidates {
  const csvPath = detected.info.csvPath ?? '';
  const csvShown = relativeInside(rootAbs, csvPath) ?? csvPath;
  const cands: Candidate[] = [];
  const classPlaces = new Map<string, string>();
  for (const p of detected.csv?.problems ?? []) ctx.problems.push(p); // one by one: 100k+ refused rows overflow a spread
  let excluded = 0;
  for (const r of detected.csv?.rows ?? []) {
    if (ctx.exclude.excludesPath(r.path)) {
      excluded++;
      continue;
    }
    cands.push({ abs: r.absPath, rel: r.path, label: r.label, split: r.split, csvLine: r.line });
    if (!classPlaces.has(r.label)) classPlaces.set(r.label, csvShown);
  }
  if (excluded > 0) notes.push(`${plural(excluded, 'CSV row')} left out by exclude patterns.`);
  return { cands, classPlaces, statOne: makeCsvStat(ctx.followSymlinks, csvShown, currentIdentity(), ctx.rootReal) };
}

interface ClassDir {
  readonly dir: DirRef;
  readonly split: Split | null;
  readonly ancestors: ReadonlySet<string>;
}

/**
 * The class folders of an ImageFolder dataset: the root's folders, or, when the root holds split folders, the
 * folders inside them (other root folders are classes without a split). Loose images are noted, not kept.
 */
async function findClassDirs(ctx: WalkCtx, rootAbs: string, notes: string[]): Promise<ClassDir[]> {
  const rootRef: DirRef = { name: '', abs: rootAbs, rel: '', real: ctx.rootReal };
  const rootAncestors = new Set([ctx.rootReal]);
  const top = await listDir(ctx, rootRef, rootAncestors);
  const splitDirs = top.dirs.filter((d) => toSplit(d.name) !== null);
  const classDirs: ClassDir[] = [];
  const loose: string[] = [];
  if (top.files.length > 0) loose.push(`${plural(top.files.length, 'image file')} in the root folder`);
  if (splitDirs.length > 0) {
    const others = top.dirs.filter((d) => toSplit(d.name) === null);
    if (others.length > 0) {
      notes.push(`Folders ${others.map((d) => showPath(d.name)).join(', ')} sit next to split folders; read as classes without a split.`);
    }
    for (const d of others) classDirs.push({ dir: d, split: null, ancestors: rootAncestors });
    const splitsToList = splitDirs.filter((d) => {
      if (ctx.visitedDirs.has(d.real)) {
        sameFolder(ctx, d);
        return false;
      }
      ctx.visitedDirs.set(d.real, d.rel);
      return true;
    });
    const listings = await Promise.all(
      splitsToList.map(async (s) => {
        const anc = new Set(rootAncestors).add(s.real);
        return { s, anc, listing: await listDir(ctx, s, anc) };
      }),
    );
    for (const { s, anc, listing } of listings) {
      if (listing.files.length > 0) loose.push(`${plural(listing.files.length, 'image file')} in ${showPath(s.rel)}/`);
      for (const d of listing.dirs) classDirs.push({ dir: d, split: toSplit(s.name), ancestors: anc });
    }
  } else {
    for (const d of top.dirs) classDirs.push({ dir: d, split: null, ancestors: rootAncestors });
  }
  if (loose.length > 0) notes.push(`Skipped image files not inside a class folder: ${loose.join(', ')}.`);
  return classDirs.sort((a, b) => compareCodePoints(a.dir.rel, b.dir.rel));
}

/** The ImageFolder layout's candidates: every image below a class folder, one per real file. */
async function folderCandidates(ctx: WalkCtx, rootAbs: string, notes: string[]): Promise<Candidates> {
  const classDirs = await findClassDirs(ctx, rootAbs, notes);
  const classPlaces = new Map<string, string>();
  for (const c of classDirs) if (!classPlaces.has(c.dir.name)) classPlaces.set(c.dir.name, c.dir.rel);
  const walked: Candidate[] = [];
  await Promise.all(classDirs.map((c) => walkClass(ctx, c.dir, c.ancestors, c.dir.name, c.split, walked)));
  await walkDeferred(ctx, walked);
  const cands = onePerRealFile(walked, ctx.problems);
  // A class folder that turned out to be another's second name is not a class of its own.
  const sameAs = new Set(ctx.problems.filter((p) => p.kind === 'same-file').map((p) => p.path));
  for (const c of classDirs) if (sameAs.has(c.dir.rel) && !cands.some((x) => x.label === c.dir.name)) classPlaces.delete(c.dir.name);
  return { cands, classPlaces, statOne: makeImageFolderStat(currentIdentity()) };
}

/**
 * The classes that keep at least one image (sorted), with `empty-class` / `small-class` problems. Labels with
 * candidates past the cut are not judged: truncation, not the dataset, made them small.
 */
function judgeClasses(
  items: readonly DatasetItem[],
  { cands, classPlaces }: Candidates,
  cut: number,
  layout: DatasetLayout,
  problems: ScanProblem[],
): string[] {
  const counts = new Map<string, number>();
  for (const label of classPlaces.keys()) counts.set(label, 0);
  for (const it of items) counts.set(it.label, (counts.get(it.label) ?? 0) + 1);
  const cutLabels = new Set(cands.slice(cut).map((c) => c.label));
  const classes: string[] = [];
  for (const [label, n] of counts) {
    const place = classPlaces.get(label) ?? label;
    const isFolder = layout === 'imagefolder';
    const subject = `${showPath(place)}: class '${label}'`;
    if (n > 0) classes.push(label);
    if (cutLabels.has(label)) continue;
    if (n === 0) {
      problems.push({
        path: place,
        kind: 'empty-class',
        message: `${subject} has no usable images${isFolder ? '' : ' (every row was skipped)'}; class left out`,
      });
    } else if (n === 1) {
      problems.push({
        path: place,
        kind: 'small-class',
        message: `${subject} has only 1 image; kept, but its label cannot be checked against other examples of the class`,
      });
    }
  }
  return classes.sort(compareCodePoints);
}

/** Notes on what the walk passed over: non-image files, hidden folders, links not followed, no images at all. */
function walkNotes(ctx: WalkCtx, kept: number, rootAbs: string, notes: string[]): void {
  if (ctx.nonImageFiles > 0) notes.push(`Skipped ${plural(ctx.nonImageFiles, 'file')} without an image extension.`);
  if (ctx.hiddenDirs.length > 0) {
    const n = ctx.hiddenDirs.length;
    const shown = ctx.hiddenDirs.sort(compareCodePoints).slice(0, 5).map(showPath).join(', ');
    notes.push(`Skipped ${plural(n, 'hidden folder')} (name starting with '.'): ${shown}${n > 5 ? ', …' : ''}.`);
  }
  if (ctx.skippedSymlinks > 0) notes.push(`Skipped ${plural(ctx.skippedSymlinks, 'symbolic link')} (following links is off).`);
  if (kept === 0) notes.push(`No usable image files found under ${rootAbs}.`);
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
  const ctx = createWalkCtx(opts.followSymlinks ?? true, makeExcludeMatcher(opts.exclude), rootReal);
  for (const p of detected.problems ?? []) ctx.problems.push(p);
  const notes: string[] = [];
  const isCsv = detected.info.layout === 'csv' && detected.csv && detected.info.csvPath;
  const found = isCsv ? csvCandidates(ctx, detected, rootAbs, notes) : await folderCandidates(ctx, rootAbs, notes);

  const { cands } = found;
  cands.sort((a, b) => compareCodePoints(a.rel, b.rel));
  const { items, cut } = await statInOrder(cands, maxImages, found.statOne, ctx.problems);
  if (cut < cands.length) {
    notes.push(
      `Kept the first ${items.length} images in path order because maxImages is ${maxImages}; ${cands.length - cut} more image file${cands.length - cut === 1 ? ' was' : 's were'} not read.`,
    );
  }
  const classes = judgeClasses(items, found, cut, detected.info.layout, ctx.problems);
  walkNotes(ctx, items.length, rootAbs, notes);

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
