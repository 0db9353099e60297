/**
 * Opt-in download of a `url` model (registry entry with `source.kind === 'url'`). Runs only when asked
 * (`labellint models download <id>`, or the extension's command); nothing downloads at install or by default.
 *
 * For each file, into `<destDir>/<id>/<URL base name>`:
 * - an existing file with the right sha256 is kept (nothing fetched);
 * - bytes go to `<name>.part`; a `.part` left by an interrupted run is resumed with an HTTP `Range` request
 *   (a server that ignores Range answers 200 and the file restarts from zero); a connection dropped mid-file is
 *   resumed the same way up to `retries` times;
 * - the complete `.part` is hashed: a mismatch deletes the `.part` (never the verified files) and fails, naming
 *   the URL and both hashes; a match is fsynced and renamed into place (atomic on one file system), so a model
 *   file that exists is always a verified one.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ModelSpec, modelFilesDir, urlFileName } from './registry';

/** Resumptions per file after a dropped connection, by default. */
export const DEFAULT_DOWNLOAD_RETRIES = 3;

export interface DownloadProgress {
  /** Local file name. */
  readonly file: string;
  readonly fileIndex: number;
  readonly fileCount: number;
  /** Bytes of this file on disk so far (including a resumed prefix). */
  readonly received: number;
  /** Size of this file when the server says, else null. */
  readonly total: number | null;
}

export interface DownloadOptions {
  readonly onProgress?: (p: DownloadProgress) => void;
  /** Defaults to the global `fetch` (Node ≥ 18). Injected by tests. */
  readonly fetchImpl?: typeof fetch;
  readonly retries?: number;
  readonly signal?: AbortSignal;
}

export interface DownloadedFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Already present and verified: nothing fetched. */
  readonly reused: boolean;
  /** Byte offset the first request of this run resumed from (0 = from the start). */
  readonly resumedFrom: number;
  /** Requests made for this file. */
  readonly requests: number;
}

export interface DownloadResult {
  /** `<destDir>/<id>`: pass `destDir` as `modelDir` to `resolveModel`. */
  readonly dir: string;
  readonly files: readonly DownloadedFile[];
}

export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

export async function downloadModel(spec: ModelSpec, destDir: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  if (spec.source.kind !== 'url') {
    throw new DownloadError(`${spec.id} is not a downloadable model (its files come from ${spec.source.kind === 'npm' ? `the npm package ${spec.source.package}` : 'a local path'}).`);
  }
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new DownloadError('No fetch implementation (Node 18 or later is needed).');
  const retries = opts.retries ?? DEFAULT_DOWNLOAD_RETRIES;
  const dir = modelFilesDir(spec, destDir);
  fs.mkdirSync(dir, { recursive: true });
  const files: DownloadedFile[] = [];
  const { files: sources } = spec.source;
  for (let i = 0; i < sources.length; i++) {
    const { url, sha256 } = sources[i];
    const expected = sha256.toLowerCase();
    const name = urlFileName(url);
    const final = path.join(dir, name);
    const progress = (received: number, total: number | null): void =>
      opts.onProgress?.({ file: name, fileIndex: i, fileCount: sources.length, received, total });
    if (fs.existsSync(final) && (await sha256File(final)) === expected) {
      const bytes = fs.statSync(final).size;
      progress(bytes, bytes);
      files.push({ path: final, sha256: expected, bytes, reused: true, resumedFrom: 0, requests: 0 });
      continue;
    }
    const part = `${final}.part`;
    const { resumedFrom, requests } = await fetchToPart(fetchImpl, url, part, retries, progress, opts.signal);
    const actual = await sha256File(part);
    if (actual !== expected) {
      fs.rmSync(part, { force: true });
      throw new DownloadError(
        `${spec.id}: ${url} has sha256 ${actual}, the registry says ${expected}. The download was deleted and ` +
          'nothing was installed; the file may have changed on the server or been tampered with.',
      );
    }
    const fd = fs.openSync(part, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(part, final);
    files.push({ path: final, sha256: expected, bytes: fs.statSync(final).size, reused: false, resumedFrom, requests });
  }
  return { dir, files };
}

/** Fetches `url` into `part`, resuming from its current size; retries after dropped connections. */
async function fetchToPart(
  fetchImpl: typeof fetch,
  url: string,
  part: string,
  retries: number,
  progress: (received: number, total: number | null) => void,
  signal: AbortSignal | undefined,
): Promise<{ resumedFrom: number; requests: number }> {
  let resumedFrom = -1;
  let requests = 0;
  for (let attempt = 0; ; attempt++) {
    const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
    if (resumedFrom < 0) resumedFrom = have;
    requests++;
    let res: Response;
    try {
      res = await fetchImpl(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, redirect: 'follow', signal });
    } catch (e) {
      if (signal?.aborted || attempt >= retries) throw new DownloadError(`${url}: ${(e as Error).message}. Run the download again to resume.`);
      continue;
    }
    // 416: the part already holds the whole file (or more); the hash check decides.
    if (res.status === 416 && have > 0) {
      await res.body?.cancel();
      return { resumedFrom, requests };
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new DownloadError(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
    }
    let offset = 0;
    let total: number | null = null;
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== have) {
        // A range we did not ask for: start over rather than splice bytes at the wrong place.
        await res.body?.cancel();
        fs.rmSync(part, { force: true });
        if (attempt >= retries) throw new DownloadError(`${url}: the server answered an unexpected range (${res.headers.get('content-range')}).`);
        continue;
      }
      offset = have;
      total = m[3] === '*' ? null : Number(m[3]);
    } else {
      const len = res.headers.get('content-length');
      total = len !== null ? Number(len) : null;
    }
    if (!res.body) throw new DownloadError(`${url}: empty response body`);
    const fd = fs.openSync(part, offset > 0 ? 'a' : 'w');
    let received = offset;
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        fs.writeSync(fd, value);
        received += value.byteLength;
        progress(received, total);
      }
    } catch (e) {
      fs.closeSync(fd);
      if (signal?.aborted || attempt >= retries) {
        throw new DownloadError(`${url}: connection lost after ${received} bytes (${(e as Error).message}). Run the download again to resume.`);
      }
      continue;
    }
    fs.closeSync(fd);
    if (total !== null && received < total) {
      if (attempt >= retries) throw new DownloadError(`${url}: got ${received} of ${total} bytes. Run the download again to resume.`);
      continue;
    }
    return { resumedFrom, requests };
  }
}

export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
