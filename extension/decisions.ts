/**
 * Decisions from every entry point (quick fix, Fix Next, report) and LabelLint: Undo / Redo. The server
 * carries a decision out and records it in the dataset's journal (`.labellint/journal.jsonl`, the one
 * record of decisions); this module confirms bulk actions and says what happened, with an Undo button.
 */
import * as vscode from 'vscode';
import * as lsp from '../protocol/lsp';
import type { Ctx } from './ctx';

type Cmd = (...args: unknown[]) => unknown;

function untrustedRefusal(): void {
  void vscode.window.showWarningMessage('LabelLint changes nothing in an untrusted workspace. Trust the folder to relabel or move files.');
}

/** Above this many images a decision asks for confirmation first. */
const CONFIRM_ABOVE = 1;

/**
 * Carries out a decision through the server (which records it in the journal) and says what happened:
 * "Relabelled 00131.png → trouser" with an Undo button, and the same in the status bar.
 */
export async function decide(ctx: Ctx, params: lsp.DecideParams & { readonly root: string }): Promise<lsp.DecideResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    untrustedRefusal();
    return undefined;
  }
  const n = params.action === 'relabel' ? (params.items?.length ?? 0) : (params.paths?.length ?? 0);
  if (n > CONFIRM_ABOVE) {
    const verb = params.action === 'relabel' ? `Relabel ${n} images as '${params.items?.[0]?.newLabel ?? '?'}'` : params.action === 'quarantine' ? `Move ${n} images to _quarantine/` : `Mark ${n} labels correct`;
    const ok = await vscode.window.showWarningMessage(`${verb}? It is one step in the LabelLint journal: one Undo (Ctrl+Z in LabelLint) reverts it.`, { modal: true }, 'Yes');
    if (ok !== 'Yes') return undefined;
  }
  const r = await ctx.requireClient().sendRequest(lsp.decide, params);
  ctx.onJournal(r.state);
  for (const f of r.refused.slice(0, 3)) void vscode.window.showWarningMessage(`LabelLint: not changed ${f.path}: ${f.reason}`);
  if (r.refused.length > 3) ctx.log(`${r.refused.length} items refused: ${r.refused.map((f) => `${f.path} (${f.reason})`).join('; ')}`);
  if (r.applied.length === 0) {
    if (r.refused.length === 0) void vscode.window.showWarningMessage(`LabelLint: ${r.message}`);
    return r;
  }
  ctx.log(r.message);
  vscode.window.setStatusBarMessage(`$(history) LabelLint: ${r.message} · Undo: Ctrl+Z in LabelLint`, 8000);
  void vscode.window.showInformationMessage(`LabelLint: ${r.message}`, 'Undo').then((pick) => {
    if (pick === 'Undo') void vscode.commands.executeCommand(lsp.Commands.undo, { root: params.root });
  });
  return r;
}

/** `LabelLint: Undo` / `Redo`: the journal's last step, reverted or carried out again; says what it did. */
export function undoRedo(which: 'undo' | 'redo'): (ctx: Ctx) => Cmd {
  return (ctx) => async (arg?: unknown) => {
    const given = typeof arg === 'object' && arg !== null && typeof (arg as { root?: unknown }).root === 'string' ? (arg as { root: string }).root : undefined;
    const root = given ?? (await ctx.pickRoot());
    if (!root) return undefined;
    const r = await ctx.requireClient().sendRequest(which === 'undo' ? lsp.undo : lsp.redo, { root });
    ctx.onJournal(r.state);
    if (!r.done) {
      void vscode.window.showInformationMessage(`LabelLint: ${r.message}`);
      return r;
    }
    ctx.log(r.message);
    vscode.window.setStatusBarMessage(`$(history) LabelLint: ${r.message}`, 8000);
    const other = which === 'undo' ? 'Redo' : 'Undo';
    void vscode.window.showInformationMessage(`LabelLint: ${r.message}`, other).then((pick) => {
      if (pick) void vscode.commands.executeCommand(which === 'undo' ? lsp.Commands.redo : lsp.Commands.undo, { root });
    });
    return r;
  };
}

