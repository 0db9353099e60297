/**
 * LabelLint's state folder: its one name under a dataset root, the one check that it is safe to write into
 * (`resolveStateDir`), and the per-user fallback for read-only datasets. What lives in it and who writes it:
 * `cache.db` + `reviews.json` + `.gitignore` (store/cache.ts), `thumbs/` (dataset/thumbs.ts), and the
 * reports the CLI writes when no `--out` is given (server/cli.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UnsafeWriteError } from '../dataset/safeWrite';

/** Folder under the dataset root that holds LabelLint's state. */
export const STATE_DIR = '.labellint';

/** `<root>/.labellint`. */
export function stateDir(root: string): string {
  return path.join(root, STATE_DIR);
}

/**
 * `.labellint` is a link or not a folder: LabelLint writes nothing there. The one check of that rule (the engine,
 * the CLI's default report folder and the language server all reach it through `resolveStateDir`); a refused
 * safe write like any other (`code` 'ELINK' or 'ENOTDIR').
 */
export class StateDirError extends UnsafeWriteError {
  constructor(message: string, code: 'ELINK' | 'ENOTDIR') {
    super(message, code);
    this.name = 'StateDirError';
  }
}

/** Where LabelLint keeps a dataset's state (cache, reviews, default reports). */
export interface StateDir {
  /** Absolute folder, existing when returned. */
  readonly dir: string;
  /** True for `<root>/.labellint`; false for the per-user folder used when the dataset is read-only. */
  readonly inDataset: boolean;
  /** Why the per-user folder is used (a sentence), when it is. */
  readonly reason?: string;
}

/** The per-user cache root: $LABELLINT_CACHE_DIR, else %LOCALAPPDATA%\labellint, else $XDG_CACHE_HOME or ~/.cache /labellint. */
export function userCacheRoot(): string {
  if (process.env.LABELLINT_CACHE_DIR) return path.resolve(process.env.LABELLINT_CACHE_DIR);
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return path.join(process.env.LOCALAPPDATA, 'labellint');
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'labellint');
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * The state folder of the dataset at `root`: `<root>/.labellint` (created when missing), or, when the dataset
 * cannot be written (read-only mount, someone else's files), `<userCacheRoot>/datasets/<sha256 of the real
 * root path, 16 hex>`. Throws `StateDirError` when `.labellint` is a symbolic link (writing through it could
 * land anywhere) or not a folder.
 */
export function resolveStateDir(root: string): StateDir {
  const dir = stateDir(root);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
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
  try {
    if (!st) fs.mkdirSync(dir);
    fs.accessSync(dir, fs.constants.W_OK);
    return { dir, inDataset: true };
  } catch (e) {
    if (!NOT_WRITABLE.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
  const real = fs.realpathSync(root);
  const user = path.join(userCacheRoot(), 'datasets', createHash('sha256').update(real).digest('hex').slice(0, 16));
  fs.mkdirSync(user, { recursive: true, mode: 0o700 });
  const marker = path.join(user, 'dataset.txt');
  if (!fs.existsSync(marker)) fs.writeFileSync(marker, `${real}\n`);
  return { dir: user, inDataset: false, reason: `${root} is read-only` };
}
