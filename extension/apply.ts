/**
 * Applies a server-made EditPlan as one WorkspaceEdit, so one Undo reverts it: moves are
 * `renameFile` with `overwrite: false, ignoreIfExists: true` (never overwrite), CSV changes are text edits.
 */
import * as vscode from 'vscode';
import type { EditPlan } from '../protocol/lsp';
import * as lsp from '../protocol/lsp';
import type { Ctx } from './ctx';

/** Above this many files a batch asks for confirmation first. */
const CONFIRM_ABOVE = 1;

export interface ApplyOutcome {
  /** Paths (as in the result) whose edits all landed. */
  readonly applied: string[];
  readonly planned: EditPlan;
}

function untrustedRefusal(): void {
  void vscode.window.showWarningMessage('LabelLint changes nothing in an untrusted workspace. Trust the folder to relabel or move files.');
}

/**
 * The paths whose edits landed: every move's source is gone. Text edits count as landed only when the
 * whole WorkspaceEdit was applied (VS Code applies text edits of one edit together).
 */
async function landedPaths(plan: EditPlan, paths: readonly string[], editApplied: boolean): Promise<string[]> {
  const applied: string[] = [];
  for (const p of paths) {
    const edits = plan.edits.filter((e) => e.path === p);
    let landed = edits.every((e) => e.kind === 'move') || editApplied;
    for (const m of edits) {
      if (m.kind !== 'move' || !landed) continue;
      try {
        await vscode.workspace.fs.stat(vscode.Uri.parse(m.fromUri));
        landed = false; // still there
      } catch {
        // gone: moved
      }
    }
    if (landed) applied.push(p);
  }
  return applied;
}

export async function applyPlan(ctx: Ctx, plan: EditPlan, verb: string): Promise<ApplyOutcome | undefined> {
  if (!vscode.workspace.isTrusted) {
    untrustedRefusal();
    return undefined;
  }
  for (const r of plan.refused.slice(0, 3)) void vscode.window.showWarningMessage(`LabelLint: not changed ${r.path}: ${r.reason}`);
  if (plan.refused.length > 3) ctx.log(`${plan.refused.length} items refused: ${plan.refused.map((r) => `${r.path} (${r.reason})`).join('; ')}`);
  const paths = [...new Set(plan.edits.map((e) => e.path))];
  if (paths.length === 0) return { applied: [], planned: plan };
  if (paths.length > CONFIRM_ABOVE) {
    const ok = await vscode.window.showWarningMessage(`${verb} ${paths.length} files? (One Undo reverts it.)`, { modal: true }, 'Yes');
    if (ok !== 'Yes') return undefined;
  }
  const edit = new vscode.WorkspaceEdit();
  const cleanCsv = new Set<string>();
  for (const e of plan.edits) {
    if (e.kind === 'move') {
      edit.renameFile(vscode.Uri.parse(e.fromUri), vscode.Uri.parse(e.toUri), { overwrite: false, ignoreIfExists: true });
    } else {
      const uri = vscode.Uri.parse(e.uri);
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (!open || !open.isDirty) cleanCsv.add(uri.toString());
      const r = e.range;
      edit.replace(uri, new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character), e.newText);
    }
  }
  const ok = await vscode.workspace.applyEdit(edit);
  if (ok) {
    // Save CSVs that had no unsaved changes before, so the next analysis reads the new labels.
    for (const d of vscode.workspace.textDocuments) if (cleanCsv.has(d.uri.toString())) await d.save();
  }
  // A move skipped by ignoreIfExists, or a failed edit part-way through a batch, leaves sources in
  // place: report exactly what moved, whether or not the edit as a whole succeeded.
  const applied = await landedPaths(plan, paths, ok);
  if (applied.length > 0) {
    void ctx.requireClient().sendNotification(lsp.didApplyEdits, { root: plan.root, paths: applied });
  }
  if (!ok) {
    const notMoved = paths.filter((p) => !applied.includes(p));
    ctx.log(`${verb} failed part-way: ${applied.length} changed (${applied.join(', ') || 'none'}); not changed: ${notMoved.join(', ')}`);
    void vscode.window.showErrorMessage(
      `LabelLint: the edit could not be completed (${verb.toLowerCase()}): ${applied.length} of ${paths.length} file(s) changed, ` +
        `${notMoved.length} left where they were. Nothing was overwritten; see the LabelLint output for the list.`,
    );
    return { applied, planned: plan };
  }
  if (applied.length < paths.length) {
    void vscode.window.showWarningMessage(`LabelLint: ${paths.length - applied.length} file(s) were not moved because the target appeared meanwhile. Nothing was overwritten.`);
  }
  return { applied, planned: plan };
}
