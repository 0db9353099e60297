/**
 * Where LabelLint keeps a dataset's state, the one implementation of that rule. What lives in the folder and
 * who writes it: `cache.db` + `reviews.json` (store/cache.ts), `maps/` (store/mapCache.ts), `journal.jsonl` (server/lsp/journal.ts),
 * `thumbs/` (dataset/thumbs.ts), `.gitignore` (here), and the reports the CLI writes when no `--out` is given
 * (server/cli.ts).
 *
 * The folder is `<root>/.labellint`, or, when the dataset cannot be written (read-only mount, someone else's
 * files), a per-user folder. A `.labellint` that is a symbolic link or not a folder is refused (`StateDirError`):
 * writing through a link could land anywhere. `locateStateDir` answers without creating anything (for readers);
 * `resolveStateDir` creates the folder (for writers).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UnsafeWriteError, writeFileSafe } from '../dataset/safeWrite';

/** Folder under the dataset root that holds LabelLint's state. */
export const STATE_DIR = '.labellint';

/** `<root>/.labellint`. */
export function stateDir(root: string): string {
  return path.join(root, STATE_DIR);
}

/**
 * `.labellint` is a link or not a folder: LabelLint writes nothing there. The one check of that rule (the engine,
 * the CLI's default report folder, the journal and the language server all reach it through this module); a refused
 * safe write like any other (`code` 'ELINK' or 'ENOTDIR').
 */
export class StateDirError extends UnsafeWriteError {
  constructor(message: string, code: 'ELINK' | 'ENOTDIR') {
    super(message, code);
    this.name = 'StateDirError';
  }
}

/** Where LabelLint keeps a dataset's state (cache, reviews, journal, default reports). */
export interface StateDir {
  /** Absolute folder (existing when returned by `resolveStateDir`). */
  readonly dir: string;
  /** True for `<root>/.labellint`; false for the per-user folder used when the dataset is read-only. */
  readonly inDataset: boolean;
  /** Why the per-user folder is used (a sentence), when it is. */
  readonly reason?: string;
}

/** A `StateDir` found without creating anything; `exists` says whether the folder is there yet. */
export interface StateDirLocation extends StateDir {
  readonly exists: boolean;
}

/** The per-user cache root: $LABELLINT_CACHE_DIR, else %LOCALAPPDATA%\labellint, else $XDG_CACHE_HOME or ~/.cache /labellint. */
export function userCacheRoot(): string {
  if (process.env.LABELLINT_CACHE_DIR) return path.resolve(process.env.LABELLINT_CACHE_DIR);
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return path.join(process.env.LOCALAPPDATA, 'labellint');
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'labellint');
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? '';
}

/** Whether this process may create files in `dir`; false for the errors of a read-only folder, others thrown. */
function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch (e) {
    if (NOT_WRITABLE.has(errno(e))) return false;
    throw e;
  }
}

/** `<userCacheRoot>/datasets/<sha256 of the real root path, 16 hex>`: the state of a read-only dataset. */
function userStateDir(root: string): StateDirLocation {
  const real = fs.realpathSync(root);
  const dir = path.join(userCacheRoot(), 'datasets', createHash('sha256').update(real).digest('hex').slice(0, 16));
  return { dir, inDataset: false, reason: `${root} is read-only`, exists: fs.existsSync(dir) };
}

/**
 * Where the state of the dataset at `root` is (or would be), creating nothing: `<root>/.labellint` when it exists
 * and is writable, or is missing and the root is writable; else the per-user folder. Throws `StateDirError` when
 * `.labellint` is a symbolic link or not a folder.
 */
export function locateStateDir(root: string): StateDirLocation {
  const dir = stateDir(root);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
  if (st?.isSymbolicLink()) {
    let target = '?';
    try {
      target = fs.readlinkSync(dir);
    } catch {
      /* the message says '?' */
    }
    throw new StateDirError(
      `${dir} is a symbolic link (to ${target}); LabelLint writes its cache and reports only into a real folder. Remove the link or replace it by a folder.`,
      'ELINK',
    );
  }
  if (st && !st.isDirectory()) throw new StateDirError(`${dir} exists and is not a folder; LabelLint keeps its cache and reports in that folder.`, 'ENOTDIR');
  if (writable(st ? dir : root)) return { dir, inDataset: true, exists: st !== undefined };
  return userStateDir(root);
}

/** The per-user folder of `root`, created, with a note naming the dataset it belongs to. */
function makeUserStateDir(root: string): StateDir {
  const user = userStateDir(root);
  fs.mkdirSync(user.dir, { recursive: true, mode: 0o700 });
  const marker = path.join(user.dir, 'dataset.txt');
  if (!fs.existsSync(marker)) fs.writeFileSync(marker, `${fs.realpathSync(root)}\n`);
  return { dir: user.dir, inDataset: false, reason: user.reason };
}

/**
 * The state folder of the dataset at `root`, created when missing (see `locateStateDir` for which folder).
 * Throws `StateDirError` when `.labellint` is a symbolic link or not a folder.
 */
export function resolveStateDir(root: string): StateDir {
  const at = locateStateDir(root);
  if (!at.inDataset) return makeUserStateDir(root);
  try {
    if (!at.exists) fs.mkdirSync(at.dir);
    return { dir: at.dir, inDataset: true };
  } catch (e) {
    if (!NOT_WRITABLE.has(errno(e))) throw e;
  }
  return makeUserStateDir(root);
}

/** What git should not track in `<root>/.labellint/` (reviews.json is meant to be committed). */
const GITIGNORE_LINES = ['cache.db*', '*.tmp-*', '.*.tmp', 'journal.jsonl', 'maps/', 'thumbs/'] as const;
const GITIGNORE_HEAD = '# Written by LabelLint: commit reviews.json, not the cache or the journal.';

/**
 * Makes `<dir>/.gitignore` (dir from `resolveStateDir`, in the dataset) list every line of `GITIGNORE_LINES`,
 * through the safe write (never through a link). Best effort: a checkout that cannot take it still works.
 */
export function ensureStateGitignore(root: string, dir: string): void {
  const file = path.join(dir, '.gitignore');
  try {
    let text: string | null = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      text = null;
    }
    const have = new Set((text ?? '').split(/\r?\n/).map((l) => l.trim()));
    const missing = GITIGNORE_LINES.filter((l) => !have.has(l));
    if (missing.length === 0) return;
    const base = text === null ? `${GITIGNORE_HEAD}\n` : text.endsWith('\n') || text === '' ? text : `${text}\n`;
    writeFileSafe(file, `${base}${missing.join('\n')}\n`, { root });
  } catch {
    /* best effort, see above */
  }
}
