/**
 * Plans for relabels and quarantine moves. Pure: the file system is reached only through `exists`,
 * and the plan is applied by the extension as one WorkspaceEdit (so Undo works).
 *
 * Every request is validated here: a path must be one of the analysed images and stay inside the root,
 * a label must be one of the dataset's classes. Anything else is refused with a reason, never guessed.
 */
import * as path from 'node:path';
import type { AnalysisResult, ImageResult } from '../../protocol/results';
import type { EditPlan, PlannedEdit, Refusal, RelabelItem } from '../../protocol/lsp';
import { collisionFreePath } from './naming';
import { csvEditRefusal, fieldText, type CsvTable } from './csv';
import { fileUri, toAbs, toRel } from './uris';
import { lexicallyInside, realInsideSync } from '../engine/dataset/safePath';

/** Visible folder (under the dataset root) that quarantined files move into. The server excludes it from analysis. */
export const QUARANTINE_DIR = '_quarantine';

export interface PlanContext {
  readonly root: string;
  readonly result: AnalysisResult;
  /** True when a file or folder exists at this absolute path. */
  readonly exists: (abs: string) => boolean;
  /**
   * True when `abs`, links resolved, lies inside the root; defaults to `realInsideSync(root, abs)`. Every move's
   * source and target are checked with it, so a class folder that is a link to elsewhere is never written.
   */
  readonly insideRoot?: (abs: string) => boolean;
  /** For CSV datasets: the labels table (from the open document when there is one). */
  readonly csv: CsvTable | null;
  /** URI of the CSV document (as the client knows it). */
  readonly csvUri?: string;
}

function imageIndex(result: AnalysisResult): Map<string, ImageResult> {
  return new Map(result.images.map((im) => [im.path, im]));
}

/** Why `rel` cannot be acted on, or null when it names a known image inside the root. */
export function checkPath(root: string, rel: unknown, images: ReadonlyMap<string, ImageResult>): string | null {
  if (typeof rel !== 'string' || rel === '') return 'not a path';
  if (rel.includes('\0')) return 'path contains a NUL character';
  if (path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || rel.startsWith('/') || rel.startsWith('\\')) return 'path must be relative to the dataset root';
  const segs = rel.split(/[\\/]/);
  if (segs.some((s) => s === '..')) return 'path leaves the dataset root';
  if (!lexicallyInside(root, toAbs(root, rel))) return 'path leaves the dataset root';
  if (!images.has(rel)) return 'not an analysed image of this dataset';
  return null;
}

const OUTSIDE = 'the file or its target folder is outside the dataset root (a symbolic link leads elsewhere); not moved';

/** Why a move from `from` to `to` must not happen (either end's real path leaves the root), or null. */
function moveRefusal(ctx: PlanContext, from: string, to: string): string | null {
  const inside = ctx.insideRoot ?? ((abs: string) => realInsideSync(ctx.root, abs));
  return inside(from) && inside(path.dirname(to)) && inside(to) ? null : OUTSIDE;
}

/** Why `label` cannot be used as a class, or null. */
export function checkLabel(label: unknown, classes: readonly string[], layout: AnalysisResult['layout']): string | null {
  if (typeof label !== 'string' || label === '') return 'no label given';
  if (!classes.includes(label)) return `unknown class '${label}' (classes: ${classes.join(', ')})`;
  if (layout === 'imagefolder' && (/[\\/\0]/.test(label) || label === '.' || label === '..')) {
    return `class '${label}' cannot be a folder name`;
  }
  return null;
}

/** Index of the class folder in an ImageFolder path: `class/x.png` → 0, `train/class/x.png` → 1. */
function classSegment(im: ImageResult): number {
  const segs = im.path.split('/');
  const i = im.split !== null && segs.length >= 3 && segs[1] === im.givenLabel ? 1 : 0;
  return segs[i] === im.givenLabel ? i : -1;
}

class Reserver {
  private readonly reserved = new Set<string>();
  constructor(private readonly exists: (abs: string) => boolean) {}
  take(dir: string, name: string): string {
    const abs = collisionFreePath(dir, name, (p) => this.reserved.has(p) || this.exists(p));
    this.reserved.add(abs);
    return abs;
  }
}

export function planRelabel(ctx: PlanContext, items: readonly RelabelItem[]): EditPlan {
  const { root, result } = ctx;
  const images = imageIndex(result);
  const edits: PlannedEdit[] = [];
  const refused: Refusal[] = [];
  const reserver = new Reserver(ctx.exists);
  const seen = new Set<string>();
  for (const item of items) {
    const p = String(item?.path ?? '');
    const bad = checkPath(root, item?.path, images) ?? checkLabel(item?.newLabel, result.classes, result.layout);
    if (bad) {
      refused.push({ path: p, reason: bad });
      continue;
    }
    if (seen.has(p)) {
      refused.push({ path: p, reason: 'named twice in one request' });
      continue;
    }
    seen.add(p);
    const im = images.get(p)!;
    if (im.givenLabel === item.newLabel) {
      refused.push({ path: p, reason: `already labelled '${item.newLabel}'` });
      continue;
    }
    if (result.layout === 'csv') {
      const row = ctx.csv?.rows.get(p);
      if (!row || !ctx.csvUri) {
        refused.push({ path: p, reason: 'no row for this image in the labels CSV' });
        continue;
      }
      const noEdit = csvEditRefusal(ctx.csv!);
      if (noEdit) {
        refused.push({ path: p, reason: noEdit });
        continue;
      }
      edits.push({
        kind: 'text',
        path: p,
        uri: ctx.csvUri,
        range: row.labelRange,
        newText: fieldText(item.newLabel, row.labelField.quoted, ctx.csv!.delimiter),
      });
      continue;
    }
    const ci = classSegment(im);
    if (ci < 0) {
      refused.push({ path: p, reason: `cannot find the class folder '${im.givenLabel}' in the path` });
      continue;
    }
    const segs = p.split('/');
    const dir = toAbs(root, [...segs.slice(0, ci), item.newLabel, ...segs.slice(ci + 1, -1)].join('/'));
    const from = toAbs(root, p);
    const outside = moveRefusal(ctx, from, path.join(dir, segs[segs.length - 1]));
    if (outside) {
      refused.push({ path: p, reason: outside });
      continue;
    }
    const to = reserver.take(dir, segs[segs.length - 1]);
    edits.push({ kind: 'move', path: p, fromUri: fileUri(from), toUri: fileUri(to), newPath: toRel(root, to) });
  }
  return { root, edits, refused };
}

/** Moves files into `<root>/_quarantine/<their folder>/`; for CSV datasets also rewrites the row's path cell. */
export function planQuarantine(ctx: PlanContext, paths: readonly string[]): EditPlan {
  const { root, result } = ctx;
  const images = imageIndex(result);
  const edits: PlannedEdit[] = [];
  const refused: Refusal[] = [];
  const reserver = new Reserver(ctx.exists);
  const seen = new Set<string>();
  for (const p of paths) {
    const bad = checkPath(root, p, images);
    if (bad) {
      refused.push({ path: String(p), reason: bad });
      continue;
    }
    if (seen.has(p)) continue;
    seen.add(p);
    if (p.split('/')[0] === QUARANTINE_DIR) {
      refused.push({ path: p, reason: 'already in quarantine' });
      continue;
    }
    const segs = p.split('/');
    const dir = toAbs(root, [QUARANTINE_DIR, ...segs.slice(0, -1)].join('/'));
    const outside = moveRefusal(ctx, toAbs(root, p), path.join(dir, segs[segs.length - 1]));
    if (outside) {
      refused.push({ path: p, reason: outside });
      continue;
    }
    const to = reserver.take(dir, segs[segs.length - 1]);
    const newPath = toRel(root, to);
    if (result.layout === 'csv') {
      const row = ctx.csv?.rows.get(p);
      if (!row || !ctx.csvUri) {
        refused.push({ path: p, reason: 'no row for this image in the labels CSV' });
        continue;
      }
      const noEdit = csvEditRefusal(ctx.csv!);
      if (noEdit) {
        refused.push({ path: p, reason: noEdit });
        continue;
      }
      const cell = path.relative(path.dirname(ctx.csv!.csvPath), to).split(path.sep).join('/');
      edits.push({
        kind: 'text',
        path: p,
        uri: ctx.csvUri,
        range: row.pathRange,
        newText: fieldText(cell, row.pathField.quoted, ctx.csv!.delimiter),
      });
    }
    edits.push({ kind: 'move', path: p, fromUri: fileUri(toAbs(root, p)), toUri: fileUri(to), newPath });
  }
  return { root, edits, refused };
}
