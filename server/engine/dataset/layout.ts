/**
 * Layout detection: decides whether a dataset gives its labels as ImageFolder (`root/[split/]<class>/…`) or as a
 * labels CSV, and reads that CSV once (the scanner reuses the parsed rows). Also resolves the dataset root.
 */
import type { Dirent } from 'node:fs';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { DatasetLayout, ScanProblem } from '../../../protocol/dataset';
import { isImageFile } from './imageFiles';
import { makeExcludeMatcher } from './exclude';
import { namedColumns, parseCsvRecords, detectDelimiter, parseLabelsCsv, showPath, toSplit } from './csv';
import type { LabelsCsv } from './csv';
import { decodeCsv } from './csvCodec';
import { realPathInside } from './safePath';
import { compareCodePoints, errCode, isIgnoredName } from './walk';

/** The options that decide the layout (a part of `ScanOptions`). */
export interface LayoutOptions {
  /** Explicit labels CSV; a relative path is resolved against the dataset root. Forces the CSV layout. */
  readonly csv?: string;
  /**
   * Globs (VS Code's syntax, see exclude.ts) matched against `/`-separated paths relative to the root: `*` and `?`
   * stay inside one path segment, `**` spans segments, `{a,b}` is either. A pattern without `/` is also matched against the
   * file or folder name alone (`*.png`, `tmp`). A matching folder is not entered.
   */
  readonly exclude?: readonly string[];
}

/** What `detectLayout` decided. */
export interface LayoutInfo {
  readonly layout: DatasetLayout;
  /** Absolute path of the labels CSV for the CSV layout. */
  readonly csvPath?: string;
  /** True when the dataset has a split level (split folders, or a split column in the CSV). */
  readonly hasSplits: boolean;
}

/** The conventional labels file name, matched case-insensitively at the root. */
const LABELS_CSV_NAME = 'labels.csv';
/** Enough text to hold a CSV header row; only used to read column names. */
const FIRST_ROW_SCAN_CHARS = 64 * 1024;

/** The dataset root, absolute and real; throws when it is missing or not a folder. */
export async function resolveRoot(root: string): Promise<{ abs: string; real: string }> {
  const abs = path.resolve(root);
  let st: fs.Stats;
  try {
    st = await fsp.stat(abs);
  } catch (e) {
    const code = errCode(e);
    throw new Error(
      code === 'ENOENT' ? `Dataset root ${abs} does not exist` : `Dataset root ${abs} cannot be read (${code})`,
      { cause: e },
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

/** The CSV's text, decoded from its bytes (UTF-8 with or without BOM, UTF-16 LE/BE with BOM, else Latin-1). */
async function readCsvText(csvPath: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(csvPath);
  } catch (e) {
    throw new Error(`Labels CSV ${csvPath} cannot be read (${errCode(e)})`, { cause: e });
  }
  return decodeCsv(bytes).text;
}

/** True when the file at `abs` really lies inside the root (a `labels.csv` linked from elsewhere does not). */
async function csvInsideRoot(abs: string, rootReal: string): Promise<boolean> {
  try {
    return realPathInside(rootReal, await fsp.realpath(abs));
  } catch {
    return true; // missing or unreadable: the read reports it
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

export interface Detected {
  readonly info: LayoutInfo;
  readonly csv?: LabelsCsv;
  /** CSV files at the root that were not read because their real path is outside the root. */
  readonly problems?: ScanProblem[];
}

/** `detectLayout` for a resolved root, with the parsed labels CSV when the layout is CSV. */
export async function detect(rootAbs: string, opts: LayoutOptions): Promise<Detected> {
  const rootReal = await fsp.realpath(rootAbs);
  const exclude = makeExcludeMatcher(opts.exclude);
  if (opts.csv !== undefined) {
    const csvPath = path.resolve(rootAbs, opts.csv);
    let st: fs.Stats;
    try {
      st = await fsp.stat(csvPath);
    } catch (e) {
      throw new Error(`Labels CSV ${csvPath} ${errCode(e) === 'ENOENT' ? 'does not exist' : `cannot be read (${errCode(e)})`}`, { cause: e });
    }
    if (!st.isFile()) throw new Error(`Labels CSV ${csvPath} is not a file`);
    const csv = parseLabelsCsv(await readCsvText(csvPath), csvPath, rootAbs);
    return { info: { layout: 'csv', csvPath, hasSplits: csv.splitColumn !== undefined }, csv };
  }

  let entries: Dirent[];
  try {
    entries = await fsp.readdir(rootAbs, { withFileTypes: true });
  } catch (e) {
    throw new Error(`Dataset root ${rootAbs} cannot be read (${errCode(e)})`, { cause: e });
  }
  const visible = entries.filter((e) => !isIgnoredName(e.name) && !exclude.matches(e.name, e.isDirectory()));
  const hasSplitDirs = visible.some((e) => (e.isDirectory() || e.isSymbolicLink()) && toSplit(e.name) !== null);

  const problems: ScanProblem[] = [];
  const csvFiles: string[] = [];
  for (const e of visible) {
    if (!(e.isFile() || e.isSymbolicLink()) || !e.name.toLowerCase().endsWith('.csv')) continue;
    if (e.isSymbolicLink() && !(await csvInsideRoot(path.join(rootAbs, e.name), rootReal))) {
      problems.push({ path: e.name, kind: 'outside-root', message: `${showPath(e.name)}: symbolic link leads outside the dataset root; not read` });
      continue;
    }
    csvFiles.push(e.name);
  }
  csvFiles.sort(compareCodePoints);
  const imagefolder: Detected = { info: { layout: 'imagefolder', hasSplits: hasSplitDirs }, problems };
  let candidate: LoadedCsv | undefined;
  const labelsName = csvFiles.find((n) => n.toLowerCase() === LABELS_CSV_NAME);
  if (labelsName !== undefined) {
    candidate = loadCsv(path.join(rootAbs, labelsName), await readCsvText(path.join(rootAbs, labelsName)), rootAbs);
  } else {
    const named: LoadedCsv[] = [];
    for (const n of csvFiles) {
      let text: string;
      try {
        text = decodeCsv(await fsp.readFile(path.join(rootAbs, n))).text;
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
  return { info: { layout: 'csv', csvPath: candidate.csvPath, hasSplits: csv.splitColumn !== undefined }, csv, problems };
}

/**
 * Decides how a dataset gives its labels. CSV when `opts.csv` is given, or when the root holds `labels.csv` (or exactly
 * one `.csv` whose header names path and label columns) that lists image files not already sorted into
 * `[split/]<label>/` folders; ImageFolder otherwise. Throws when the root is missing or not a folder.
 */
export async function detectLayout(root: string, opts: LayoutOptions = {}): Promise<LayoutInfo> {
  const { abs } = await resolveRoot(root);
  return (await detect(abs, opts)).info;
}
