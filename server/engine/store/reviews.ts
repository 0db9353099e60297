/**
 * Review decisions as people make them: the `reviews` table of `cache.db` (keyed by content hash, so decisions
 * survive moves and renames) and its git-friendly mirror `<state dir>/reviews.json`, read leniently (malformed
 * entries skipped, an unparsable file moved aside) and written atomically, sorted so diffs stay small.
 * `AnalysisCache` (cache.ts) is the API; these functions take its open database.
 */
import * as fs from 'node:fs';
import { resolveRelative } from '../dataset/safePath';
import { writeFileSafe } from '../dataset/safeWrite';
import type { SqliteDb } from './sqlite';
import { asideName } from './cacheDb';

/** Version of the reviews.json format. */
const REVIEWS_FORMAT_VERSION = 1;

/** A person's decision about one image's label. */
export type ReviewDecision = { readonly kind: 'correct' } | { readonly kind: 'relabelled'; readonly to: string };

/** A stored review: the decision, the path the image had when it was reviewed, and when. */
export interface ReviewRecord {
  readonly decision: ReviewDecision;
  /** Path relative to the dataset root when the decision was made (informative; the key is the hash). */
  readonly path: string;
  /** When the decision was made, ms since the epoch. */
  readonly updatedMs: number;
}

/** Shape check of a decision from outside (API callers, reviews.json). */
export function isReviewDecision(x: unknown): x is ReviewDecision {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as { kind?: unknown; to?: unknown };
  return o.kind === 'correct' || (o.kind === 'relabelled' && typeof o.to === 'string' && o.to.length > 0);
}

/** The on-disk shape of reviews.json (sorted by path, then hash, so diffs stay small). */
interface ReviewsFile {
  version: number;
  note: string;
  reviews: Array<{ hash: string; path: string; decision: 'correct' | 'relabelled'; to?: string; updatedAt: string }>;
}

/** True when both hold the same hashes with the same decisions made at the same times. */
function sameReviews(a: ReadonlyMap<string, ReviewRecord>, b: ReadonlyMap<string, ReviewRecord>): boolean {
  return (
    a.size === b.size &&
    [...b].every(([h, r]) => {
      const f = a.get(h);
      return f !== undefined && f.updatedMs === r.updatedMs && JSON.stringify(f.decision) === JSON.stringify(r.decision);
    })
  );
}

/** Rewrite `file` (reviews.json) from `reviews`, atomically and safely (the one safe write). */
function writeReviewsFile(file: string, reviews: ReadonlyMap<string, ReviewRecord>): void {
  const list = [...reviews].map(([hash, r]) => ({
    hash,
    path: r.path,
    decision: r.decision.kind,
    ...(r.decision.kind === 'relabelled' ? { to: r.decision.to } : {}),
    updatedAt: new Date(r.updatedMs).toISOString(),
  }));
  list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  const content: ReviewsFile = {
    version: REVIEWS_FORMAT_VERSION,
    note: 'LabelLint review decisions, keyed by the sha256 of the image bytes. Safe to commit.',
    reviews: list,
  };
  writeFileSafe(file, JSON.stringify(content, null, 2) + '\n');
}

/**
 * The reviews in `file` (reviews.json) of the dataset at `root`, keyed by content hash; empty when there is no file.
 * Malformed entries are skipped, an unparsable file is moved aside (never deleted); `log` is told either. A path that
 * is not a plain relative path inside the root (absolute, `..`: a file shipped with a dataset is input like any
 * other) is dropped from its review, which stays (it is keyed by content hash; the path only says where the image was).
 */
function readReviewsFile(root: string, file: string, log: (msg: string) => void): Map<string, ReviewRecord> {
  const out = new Map<string, ReviewRecord>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const aside = asideName(file, 'invalid');
    fs.renameSync(file, aside);
    log(`LabelLint could not parse ${file} (${(err as Error).message}); moved it to ${aside}.`);
    return out;
  }
  const list = (parsed as { reviews?: unknown } | null)?.reviews;
  if (!Array.isArray(list)) return out;
  let skipped = 0;
  let cleared = 0;
  for (const e of list as unknown[]) {
    const o = e as { hash?: unknown; path?: unknown; decision?: unknown; to?: unknown; updatedAt?: unknown } | null;
    const decision = { kind: o?.decision, ...(o?.decision === 'relabelled' ? { to: o?.to } : {}) };
    const updatedMs = typeof o?.updatedAt === 'string' ? Date.parse(o.updatedAt) : 0;
    if (typeof o?.hash !== 'string' || !/^[0-9a-f]{64}$/.test(o.hash) || !isReviewDecision(decision)) {
      skipped++;
      continue;
    }
    const inside = typeof o.path === 'string' && resolveRelative(root, o.path) !== null;
    if (typeof o.path === 'string' && o.path !== '' && !inside) cleared++;
    out.set(o.hash, {
      decision,
      path: inside ? (o.path as string) : '',
      updatedMs: Number.isFinite(updatedMs) ? updatedMs : 0,
    });
  }
  if (skipped > 0) log(`LabelLint skipped ${skipped} malformed entr(y/ies) in ${file}.`);
  if (cleared > 0) log(`LabelLint ignored ${cleared} path(s) in ${file} that are not inside the dataset root (the reviews are kept: they are keyed by content hash).`);
  return out;
}

/** Every review in the database, keyed by content hash. */
export function reviewsInDb(db: SqliteDb): Map<string, ReviewRecord> {
  const rows = db.prepare('SELECT hash, kind, relabel_to, path, updated_ms FROM reviews').all() as Array<{
    hash: string;
    kind: string;
    relabel_to: string | null;
    path: string;
    updated_ms: number;
  }>;
  const out = new Map<string, ReviewRecord>();
  for (const r of rows) {
    const decision: ReviewDecision =
      r.kind === 'relabelled' ? { kind: 'relabelled', to: r.relabel_to ?? '' } : { kind: 'correct' };
    out.set(r.hash, { decision, path: r.path, updatedMs: r.updated_ms });
  }
  return out;
}

/** Insert or replace reviews, in one transaction (the mirror is not rewritten: `writeReviewsMirror`). */
export function upsertReviews(db: SqliteDb, entries: ReadonlyArray<readonly [string, ReviewRecord]>): void {
  const stmt = db.prepare('INSERT OR REPLACE INTO reviews (hash, kind, relabel_to, path, updated_ms) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const [hash, r] of entries) {
      stmt.run(hash, r.decision.kind, r.decision.kind === 'relabelled' ? r.decision.to : null, r.path, r.updatedMs);
    }
  }, 'immediate');
}

/** Delete the review of `hash` (no-op when none). */
export function deleteReview(db: SqliteDb, hash: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM reviews WHERE hash = ?').run(hash);
  }, 'immediate');
}

/** Rewrite reviews.json (`file`) from the database, atomically. */
export function writeReviewsMirror(db: SqliteDb, file: string): void {
  writeReviewsFile(file, reviewsInDb(db));
}

/**
 * Import from reviews.json (`file`) every review the database lacks or holds an older version of, then rewrite
 * the file if it and the database disagree. An unreadable reviews.json is moved aside (never deleted).
 */
export function importReviewsFile(db: SqliteDb, root: string, file: string, log: (msg: string) => void): void {
  const fromFile = readReviewsFile(root, file, log);
  const inDb = reviewsInDb(db);
  const toImport: Array<[string, ReviewRecord]> = [];
  for (const [hash, rec] of fromFile) {
    const cur = inDb.get(hash);
    if (cur === undefined || cur.updatedMs < rec.updatedMs) toImport.push([hash, rec]);
  }
  if (toImport.length > 0) {
    upsertReviews(db, toImport);
    log(`LabelLint imported ${toImport.length} review decision(s) from ${file}.`);
  }
  const merged = reviewsInDb(db);
  if (!sameReviews(fromFile, merged) && (merged.size > 0 || fs.existsSync(file))) writeReviewsFile(file, merged);
}
