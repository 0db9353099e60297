/**
 * Thumbnail cache for the report view: `<state>/thumbs/<hash>.webp`, one WebP per image content hash (sha256 of the
 * file bytes, as in `ImageResult.hash`), made with `decodeThumbnail`. `<state>` is the dataset's state folder, found
 * by the store's one rule (store/stateDir.ts): `<root>/.labellint`, or the per-user folder of a read-only dataset; a
 * `.labellint` link is refused (nothing read or written through it). The folder is git-ignored by the one
 * `.gitignore` writer (`ensureStateGitignore`).
 *
 * - Idempotent: an existing thumbnail is reused (the name is the content hash, so it cannot be stale);
 *   concurrent asks for the same hash share one promise.
 * - Concurrency-limited: at most `concurrency` decodes run at once, the rest queue in order.
 * - Atomic: written to a temporary name and renamed, so a reader never sees half a file.
 * - A file that cannot be decoded resolves to null and is remembered (per hash) for this cache's life.
 * - Loads sharp (via `decode.ts`) only on the first decode, so importing this module is cheap.
 * - `render` makes the same WebP in memory without writing anything (untrusted workspaces).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveRelative } from './safePath';
import { writeFileSafeAsync } from './safeWrite';
import { ensureStateGitignore, locateStateDir, resolveStateDir } from '../store/stateDir';

/** Folder of the cache inside the dataset's state folder. */
export const THUMBS_SUBDIR = 'thumbs';
/** Longest side of a thumbnail: a grid tile shows 96 CSS px, ×1.33 for sharpness on HiDPI without much weight. */
export const THUMB_MAX_SIDE = 128;
/** Decodes in flight: libvips is multi-threaded itself; more mostly adds memory. */
export const DEFAULT_THUMB_CONCURRENCY = 4;

const HASH_RE = /^[0-9a-f]{16,128}$/;

/**
 * Absolute path of a dataset-relative `/`-separated path, or null when its text could leave the root (absolute, `..`,
 * empty segments, backslashes). The one check in `safePath.ts`; by path text only: the scanner never follows links
 * out of the root, and only paths from the result reach here.
 */
export function resolveInsideRoot(root: string, rel: string): string | null {
  return resolveRelative(root, rel);
}

/**
 * The folder the thumbnails of `root` are in (or will be), found without creating anything: `<state>/thumbs`.
 * Throws `StateDirError` when the dataset's `.labellint` is a link or not a folder.
 */
export function thumbDir(root: string): string {
  return join(locateStateDir(root).dir, THUMBS_SUBDIR);
}

/** `<hash>.webp`. Throws on anything but a lowercase hex hash (it becomes a file name). */
function thumbName(hash: string): string {
  if (!HASH_RE.test(hash)) throw new Error(`not a content hash: ${JSON.stringify(hash.slice(0, 80))}`);
  return `${hash}.webp`;
}

/** Absolute path of a hash's thumbnail (in `thumbDir`). Throws on anything but a lowercase hex hash. */
export function thumbPath(root: string, hash: string): string {
  return join(thumbDir(root), thumbName(hash));
}

export interface ThumbnailCacheOptions {
  readonly maxSide?: number;
  readonly concurrency?: number;
  /** Injected for tests; defaults to `decodeThumbnail`. */
  readonly decode?: (bytes: Buffer, maxSide: number) => Promise<Buffer>;
}

export interface ThumbRequest {
  /** Absolute path of the image file. */
  readonly absPath: string;
  readonly hash: string;
}

export class ThumbnailCache {
  private readonly maxSide: number;
  private readonly concurrency: number;
  private readonly decode: (bytes: Buffer, maxSide: number) => Promise<Buffer>;
  private readonly inFlight = new Map<string, Promise<string | null>>();
  private readonly failed = new Set<string>();
  private readonly queue: (() => void)[] = [];
  private running = 0;
  /** Decodes actually run (not cache hits); for tests and logs. */
  generated = 0;
  /** The dataset's `.labellint/.gitignore` lists `thumbs/` (checked once per cache). */
  private gitignored = false;

  constructor(readonly root: string, opts: ThumbnailCacheOptions = {}) {
    this.maxSide = opts.maxSide ?? THUMB_MAX_SIDE;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_THUMB_CONCURRENCY));
    this.decode = opts.decode ?? (async (bytes, side) => (await import('./decode')).decodeThumbnail(bytes, side));
  }

  /** The folder the thumbnails are in (or will be), created by nothing; see `thumbDir`. */
  get dir(): string {
    return thumbDir(this.root);
  }

  /**
   * The thumbnail's absolute path once it exists, or null when the image cannot be decoded. Rejects (never throws)
   * on a hash that is not one and when the state folder is refused (a `.labellint` link).
   */
  ensure(req: ThumbRequest): Promise<string | null> {
    let found: string;
    try {
      found = thumbPath(this.root, req.hash);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.failed.has(req.hash)) return Promise.resolve(null);
    let p = this.inFlight.get(req.hash);
    if (!p) {
      p = this.make(req.absPath, req.hash, found).finally(() => this.inFlight.delete(req.hash));
      this.inFlight.set(req.hash, p);
    }
    return p;
  }

  /** `ensure` for many; results in the order asked. */
  ensureMany(reqs: readonly ThumbRequest[]): Promise<(string | null)[]> {
    return Promise.all(reqs.map((r) => this.ensure(r)));
  }

  /** The thumbnail bytes without touching the cache folder; null when the image cannot be decoded. */
  render(absPath: string): Promise<Buffer | null> {
    return this.limited(async () => {
      try {
        return await this.decode(await readFile(absPath), this.maxSide);
      } catch {
        return null;
      }
    });
  }

  private async make(absPath: string, hash: string, found: string): Promise<string | null> {
    if (await exists(found)) return found;
    return this.limited(async () => {
      if (await exists(found)) return found; // made meanwhile by another cache or process
      let webp: Buffer;
      try {
        webp = await this.decode(await readFile(absPath), this.maxSide);
      } catch {
        this.failed.add(hash);
        return null;
      }
      // The store's rule creates the state folder (the per-user one for a read-only dataset); then the one safe
      // write: no folder on the way (`.labellint`, `thumbs`) may be a link, exclusive random temp name.
      const state = resolveStateDir(this.root);
      if (state.inDataset && !this.gitignored) {
        ensureStateGitignore(this.root, state.dir);
        this.gitignored = true;
      }
      const target = join(state.dir, THUMBS_SUBDIR, thumbName(hash));
      await writeFileSafeAsync(target, webp, { root: state.inDataset ? this.root : state.dir });
      this.generated++;
      return target;
    });
  }

  private limited<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = (): void => {
        this.running++;
        fn()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.queue.shift()?.();
          });
      };
      if (this.running < this.concurrency) run();
      else this.queue.push(run);
    });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).size > 0;
  } catch {
    return false;
  }
}
