/**
 * Where reports go and whether they may: every output path is checked before the analysis starts (so a typo costs
 * seconds, not a whole run), an existing file is replaced only when it is a LabelLint report (or with `--force`),
 * and the write itself is the one safe write (exclusive random temp file, fsync, rename, no link followed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureRealDirs, targetRefusal, writeFileSafe, type SafeWriteData } from '../engine/dataset/safeWrite';
import { relativeInside } from '../engine/dataset/safePath';
import { CSV_COLUMNS } from './text';

/** Bytes read from an existing file to recognise a report. */
const HEAD_BYTES = 4096;

/** True when `head` (the first bytes of a file) is a report LabelLint wrote: JSON, CSV or HTML. */
export function isLabelLintReport(head: Uint8Array): boolean {
  const s = Buffer.from(head.buffer, head.byteOffset, head.byteLength).subarray(0, HEAD_BYTES).toString('utf8');
  if (/^\s*\{\s*"schemaVersion"\s*:\s*\d+\s*,\s*"tool"\s*:\s*"labellint"/.test(s)) return true;
  // The CSV report's first columns (later columns may be added without making old reports unrecognisable).
  if (s.startsWith(CSV_COLUMNS.slice(0, 4).join(',') + ',')) return true;
  return /^<!doctype html>\s*<html[^>]*>\s*<head>\s*<meta charset="utf-8">\s*<meta name="generator" content="LabelLint">/i.test(s);
}

function readHead(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    return buf.subarray(0, fs.readSync(fd, buf, 0, HEAD_BYTES, 0));
  } finally {
    fs.closeSync(fd);
  }
}

export interface OutputCheck {
  /** The dataset root; outputs below it must not pass through a link (`.labellint` a link is refused). */
  readonly root: string;
  /** Replace files that are not LabelLint reports. */
  readonly force: boolean;
}

/**
 * Why `target` cannot take a report, or null when it can. Creates the missing folders on the way (inside the root:
 * as real folders, refusing links) and proves the folder writable by creating and removing an exclusive temp file.
 */
export function outputRefusal(target: string, opts: OutputCheck): string | null {
  const abs = path.resolve(target);
  const dir = path.dirname(abs);
  const insideRoot = relativeInside(opts.root, abs) !== null;
  try {
    if (insideRoot) ensureRealDirs(opts.root, dir);
    else fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    return `${dir}: ${(e as Error).message}`;
  }
  const refused = targetRefusal(abs);
  if (refused) return refused;
  if (fs.existsSync(abs) && !opts.force) {
    let head: Buffer;
    try {
      head = readHead(abs);
    } catch (e) {
      return `${abs} exists and cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
    }
    if (!isLabelLintReport(head)) return `${abs} exists and is not a LabelLint report; not replaced (use --force to replace it)`;
  }
  const probe = path.join(dir, `.labellint-probe-${process.pid}-${Date.now()}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.unlinkSync(probe);
  } catch (e) {
    return `${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  return null;
}

/** Writes one report through the safe write; inside the root no folder on the way may be a link. */
export function writeReport(target: string, data: SafeWriteData, root: string): void {
  const abs = path.resolve(target);
  const insideRoot = relativeInside(root, abs) !== null;
  writeFileSafe(abs, data, insideRoot ? { root } : {});
}
