/**
 * Thumbnail cache for the report view: `<root>/.labellint/thumbs/<hash>.webp`, one WebP per image
 * content hash (sha256 of the file bytes, as in `ImageResult.hash`), made with `decodeThumbnail`.
 *
 * - Idempotent: an existing thumbnail is reused (the name is the content hash, so it cannot be stale);
 *   concurrent asks for the same hash share one promise.
 * - Concurrency-limited: at most `concurrency` decodes run at once, the rest queue in order.
 * - Atomic: written to a temporary name and renamed, so a reader never sees half a file.
 * - A file that cannot be decoded resolves to null and is remembered (per hash) for this cache's life.
 * - Loads sharp (via `decode.ts`) only on the first decode, so importing this module is cheap (the
 *   extension host imports it at activation).
 * - `render` makes the same WebP in memory without writing anything (untrusted workspaces).
 */
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

/** Folder of the cache, relative to the dataset root. */
export const THUMB_DIR = ['.labellint', 'thumbs'] as const;
/** Longest side of a thumbnail: a grid tile shows 96 CSS px, ×1.33 for sharpness on HiDPI without much weight. */
export const THUMB_MAX_SIDE = 128;
/** Decodes in flight: libvips is multi-threaded itself; more mostly adds memory. */
export const DEFAULT_THUMB_CONCURRENCY = 4;

const HASH_RE = /^[0-9a-f]{16,128}$/;

/**
 * Absolute path of a dataset-relative `/`-separated path, or null when it would leave the root
 * (absolute, `..`, empty segments, backslashes). Symlinks are not resolved: the scanner never follows
 * links out of the root, and only paths from the result reach here.
 */
export function resolveInsideRoot(root: string, rel: string): string | null {
  if (rel.length === 0 || rel.includes('\\') || rel.includes('\0') || rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return null;
  const segs = rel.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return null;
  const base = resolve(root);
  const abs = resolve(base, ...segs);
  return abs.startsWith(base.endsWith(sep) ? base : base + sep) ? abs : null;
}

export function thumbDir(root: string): string {
  return join(root, ...THUMB_DIR);
}

/** Absolute path of a hash's thumbnail. Throws on anything but a lowercase hex hash (it becomes a file name). */
export function thumbPath(root: string, hash: string): string {
  if (!HASH_RE.test(hash)) throw new Error(`not a content hash: ${JSON.stringify(hash.slice(0, 80))}`);
  return join(thumbDir(root), `${hash}.webp`);
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
  private dirReady: Promise<unknown> | undefined;
  /** Decodes actually run (not cache hits); for tests and logs. */
  generated = 0;

  constructor(readonly root: string, opts: ThumbnailCacheOptions = {}) {
    this.maxSide = opts.maxSide ?? THUMB_MAX_SIDE;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_THUMB_CONCURRENCY));
    this.decode = opts.decode ?? (async (bytes, side) => (await import('./decode')).decodeThumbnail(bytes, side));
  }

  get dir(): string {
    return thumbDir(this.root);
  }

  /** The thumbnail's absolute path once it exists, or null when the image cannot be decoded. */
  ensure(req: ThumbRequest): Promise<string | null> {
    const target = thumbPath(this.root, req.hash);
    if (this.failed.has(req.hash)) return Promise.resolve(null);
    let p = this.inFlight.get(req.hash);
    if (!p) {
      p = this.make(req.absPath, req.hash, target).finally(() => this.inFlight.delete(req.hash));
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

  private async make(absPath: string, hash: string, target: string): Promise<string | null> {
    if (await exists(target)) return target;
    return this.limited(async () => {
      if (await exists(target)) return target; // made meanwhile by another cache or process
      let webp: Buffer;
      try {
        webp = await this.decode(await readFile(absPath), this.maxSide);
      } catch {
        this.failed.add(hash);
        return null;
      }
      this.dirReady ??= mkdir(this.dir, { recursive: true });
      await this.dirReady;
      const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        await writeFile(tmp, webp);
        await rename(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
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
