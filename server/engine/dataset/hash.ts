/**
 * Content hashing and cheap file fingerprints.
 *
 * The content hash (hex sha256 of the file bytes) is the key every cached analysis artefact and every
 * review decision is stored under, so it survives moves and renames. Hashing a whole dataset on every
 * run is wasteful, so the cache also keeps a file index `path → {size, mtimeMs, hash}`; when a file's
 * size and mtime are unchanged its stored hash is reused (the same trade-off git's index makes).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';

/** What the file index stores per path. */
export interface FileFingerprint {
  /** File size in bytes. */
  readonly size: number;
  /** Modification time in ms since the epoch (may carry a fractional part). */
  readonly mtimeMs: number;
  /** Hex sha256 of the file bytes. */
  readonly hash: string;
}

/** The stat fields a fingerprint is compared on. */
export interface StatLike {
  readonly size: number;
  readonly mtimeMs: number;
}

/** Hex sha256 of a byte buffer (64 lowercase hex characters). */
export function hashBytes(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Hex sha256 of a file's bytes, streamed (constant memory). */
export function hashFile(absPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    const s = createReadStream(absPath);
    s.on('error', reject);
    s.on('data', (chunk) => h.update(chunk));
    s.on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * True when a stored fingerprint can be reused for a file whose current stat is `stat`:
 * same size and same mtime. Content changes that keep both (rare; e.g. a tool that restores mtimes)
 * are not detected — the same limitation as git's index.
 */
export function fingerprintMatches(stored: StatLike | undefined, stat: StatLike): boolean {
  return stored !== undefined && stored.size === stat.size && stored.mtimeMs === stat.mtimeMs;
}

/** Result of `fileFingerprint`: the fingerprint, and whether the file bytes had to be hashed. */
export interface FingerprintResult extends FileFingerprint {
  readonly rehashed: boolean;
}

/** How many times `fileFingerprint` re-reads a file that changes while it is being hashed. */
const MAX_HASH_ATTEMPTS = 3;

/**
 * Fingerprint one file, reusing `stored.hash` when size and mtime are unchanged.
 * When the file is hashed, its stat is taken before and after reading; if it changed in between
 * (being written right now) the file is hashed again, up to `MAX_HASH_ATTEMPTS` times, so the
 * fingerprint never pairs a new mtime with old bytes (if it keeps changing, the returned stat is
 * one the file no longer has, so the next run re-hashes it). Throws the fs error when the file is unreadable.
 */
export async function fileFingerprint(absPath: string, stored?: FileFingerprint): Promise<FingerprintResult> {
  let before = await fsp.stat(absPath);
  if (stored !== undefined && fingerprintMatches(stored, before)) {
    return { size: stored.size, mtimeMs: stored.mtimeMs, hash: stored.hash, rehashed: false };
  }
  for (let attempt = 1; ; attempt++) {
    const hash = await hashFile(absPath);
    const after = await fsp.stat(absPath);
    if (fingerprintMatches(before, after)) {
      return { size: after.size, mtimeMs: after.mtimeMs, hash, rehashed: true };
    }
    if (attempt >= MAX_HASH_ATTEMPTS) {
      // Still changing: pair the hash with the stat from before the read, which will not match the
      // file's final stat, so the next run hashes it again instead of trusting these bytes.
      return { size: before.size, mtimeMs: before.mtimeMs, hash, rehashed: true };
    }
    before = after;
  }
}
