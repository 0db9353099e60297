/**
 * Turns a planned fix (server/lsp/plan.ts: moves and CSV field edits in editor positions) into journal
 * operations on bytes, and words the decision for people. Pure except for reading the CSV bytes given.
 */
import * as path from 'node:path';
import type { EditPlan, Position } from '../../protocol/lsp';
import type { DecisionAction, JournalOp, PathDecision, Splice } from './journalFormat';
import { sha256, applySplices } from './journalOps';
import { lineStarts } from './csv';
import { uriToPath } from './uris';
import { bomLength, decodeCsv } from '../engine/dataset/csvCodec';

/** The labels CSV as it is on disk: the bytes every CSV edit applies to. */
export interface CsvBytes {
  readonly abs: string;
  readonly bytes: Buffer;
}

/**
 * Text of CSV bytes as the editor sees it (BOM dropped) and the encoding used to map positions back to bytes,
 * through the one CSV codec. UTF-16 files are read but not patched here (the plan refuses to edit them).
 */
export function decodeForPatch(bytes: Buffer): { text: string; bom: number; encoding: 'utf8' | 'latin1' } {
  const d = decodeCsv(bytes);
  if (d.encoding === 'utf16le' || d.encoding === 'utf16be') throw new Error(`the labels CSV is ${d.encoding.toUpperCase()}: LabelLint patches UTF-8 and Latin-1 CSVs only`);
  return { text: d.text, bom: bomLength(d.encoding), encoding: d.encoding === 'latin1' ? 'latin1' : 'utf8' };
}

function byteOffset(text: string, starts: readonly number[], pos: Position, bom: number, encoding: 'utf8' | 'latin1'): number {
  const ch = (starts[pos.line] ?? text.length) + pos.character;
  return bom + Buffer.byteLength(text.slice(0, ch), encoding);
}

function encode(s: string, encoding: 'utf8' | 'latin1'): Buffer {
  const b = Buffer.from(s, encoding);
  if (encoding === 'latin1' && b.toString('latin1') !== s) throw new Error(`'${s}' cannot be written into a Latin-1 CSV`);
  return b;
}

/** Root-relative path for the journal, or the absolute path when the file lies outside the root. */
function journalPath(root: string, abs: string): string {
  const rel = path.relative(root, abs);
  return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel.split(path.sep).join('/');
}

/**
 * Journal operations for a plan: one `patch` per CSV (all its field edits), then the moves.
 * `csv` must be the bytes the plan's positions were computed from (plan from the same text).
 */
export function opsFromPlan(root: string, plan: EditPlan, csv: CsvBytes | null): JournalOp[] {
  const ops: JournalOp[] = [];
  const text = plan.edits.filter((e) => e.kind === 'text');
  if (text.length > 0) {
    if (!csv) throw new Error('no labels CSV to edit');
    for (const e of text) {
      if (e.kind === 'text' && path.resolve(uriToPath(e.uri) ?? '') !== path.resolve(csv.abs)) throw new Error(`edit of an unexpected file: ${e.uri}`);
    }
    const { text: t, bom, encoding } = decodeForPatch(csv.bytes);
    const starts = lineStarts(t);
    const splices: Splice[] = [];
    for (const e of text) {
      if (e.kind !== 'text') continue;
      const a = byteOffset(t, starts, e.range.start, bom, encoding);
      const b = byteOffset(t, starts, e.range.end, bom, encoding);
      splices.push({ offset: a, remove: csv.bytes.subarray(a, b).toString('base64'), insert: encode(e.newText, encoding).toString('base64') });
    }
    splices.sort((x, y) => x.offset - y.offset);
    const after = applySplices(csv.bytes, splices);
    ops.push({ op: 'patch', file: journalPath(root, csv.abs), splices, sha256Before: sha256(csv.bytes), sha256After: sha256(after) });
  }
  for (const e of plan.edits) {
    if (e.kind !== 'move') continue;
    const from = uriToPath(e.fromUri);
    const to = uriToPath(e.toUri);
    if (!from || !to) throw new Error(`not a file URI: ${e.fromUri} / ${e.toUri}`);
    ops.push({ op: 'move', from: journalPath(root, from), to: journalPath(root, to) });
  }
  return ops;
}

/** The per-path decisions a plan carries out. */
export function decisionsFromPlan(action: DecisionAction, plan: EditPlan, labelOf: (p: string) => string | undefined): PathDecision[] {
  const paths = [...new Set(plan.edits.map((e) => e.path))];
  return paths.map((p) => {
    const move = plan.edits.find((e) => e.path === p && e.kind === 'move');
    const newPath = move?.kind === 'move' ? move.newPath : undefined;
    return action === 'relabel' ? { path: p, action, label: labelOf(p), newPath } : { path: p, action, newPath };
  });
}

/** "Relabelled 00131.png → trouser", "Relabelled 12 images → trouser", "Quarantined 3 images", … */
export function decisionMessage(action: DecisionAction, decisions: readonly PathDecision[], given?: (p: string) => string | undefined): string {
  const n = decisions.length;
  const one = n === 1 ? path.posix.basename(decisions[0].path) : `${n} images`;
  if (action === 'relabel') {
    const labels = [...new Set(decisions.map((d) => d.label ?? '?'))];
    return `Relabelled ${one} → ${labels.length === 1 ? labels[0] : labels.join('/')}`;
  }
  if (action === 'quarantine') return `Quarantined ${one}`;
  const g = n === 1 ? given?.(decisions[0].path) : undefined;
  return `Marked ${one} correct${g ? ` ('${g}')` : ''}`;
}

/** What undo/redo says it did: "Undid: Relabelled 00131.png → trouser (file back in shirt/)". */
export function undoMessage(verb: 'Undid' | 'Redid', message: string, ops: readonly JournalOp[]): string {
  const moves = ops.filter((o) => o.op === 'move');
  const patches = ops.filter((o) => o.op === 'patch');
  const parts: string[] = [];
  if (moves.length === 1 && moves[0].op === 'move') {
    parts.push(verb === 'Undid' ? `file back at ${moves[0].from}` : `file at ${moves[0].to}`);
  } else if (moves.length > 1) parts.push(`${moves.length} files ${verb === 'Undid' ? 'moved back' : 'moved'}`);
  for (const p of patches) if (p.op === 'patch') parts.push(`${path.basename(p.file)} ${verb === 'Undid' ? 'restored byte for byte' : 're-edited'}`);
  return `${verb}: ${message}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
