/**
 * Commands as a table of factories keyed by name (rust-analyzer `main.ts`). Each entry has an enabled
 * variant and may have a disabled one; while the server is not running the disabled variant explains why
 * nothing happens (the default one says to restart the server).
 */
import { ReportPanel } from './panel';
import * as vscode from 'vscode';
import * as path from 'node:path';
import * as lsp from '../protocol/lsp';
import type { Issue } from '../protocol/results';
import { applyPlan } from './apply';
import type { Ctx } from './ctx';
import { cleanedLabelsCsv, totalIssues } from './format';

type Cmd = (...args: unknown[]) => unknown;
interface CommandFactory {
  readonly enabled: (ctx: Ctx) => Cmd;
  readonly disabled?: (ctx: Ctx) => Cmd;
}

function notRunning(): Cmd {
  return () => {
    void vscode.window
      .showWarningMessage('The LabelLint server is not running.', 'Restart Server', 'Show Output')
      .then((c) => {
        if (c === 'Restart Server') void vscode.commands.executeCommand('labelLint.restartServer');
        if (c === 'Show Output') void vscode.commands.executeCommand('workbench.action.output.toggleOutput');
      });
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function openIssues(ctx: Ctx, root?: string): Promise<void> {
  const r = root ?? (await ctx.pickRoot());
  if (!r) {
    void vscode.window.showInformationMessage('LabelLint: open a dataset folder first.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(lsp.issuesUriFor(r)));
  await vscode.window.showTextDocument(doc, { preview: false });
}

function analyzeCommand(ctx: Ctx): Cmd {
  return async () => {
    const root = await ctx.pickRoot();
    if (!root) {
      void vscode.window.showInformationMessage('LabelLint: open a dataset folder first.');
      return;
    }
    try {
      const s = await ctx.analyze(root);
      if (!s) return; // cancelled
      const n = totalIssues(s);
      const pick = await vscode.window.showInformationMessage(
        `LabelLint: ${n} issue${n === 1 ? '' : 's'} in ${s.images} images (${(s.elapsedMs / 1000).toFixed(1)} s, ${s.backend}).`,
        ...(n > 0 ? ['Show Issues', 'Fix Next'] : []),
      );
      if (pick === 'Show Issues') await openIssues(ctx, root);
      if (pick === 'Fix Next') await vscode.commands.executeCommand('labelLint.fixNextIssue');
    } catch (err) {
      void vscode.window.showErrorMessage(`LabelLint: analysis failed: ${errorText(err)}`);
    }
  };
}

async function relabel(ctx: Ctx, args: lsp.ApplyRelabelArgs): Promise<void> {
  const plan = await ctx.requireClient().sendRequest(lsp.relabel, args);
  const out = await applyPlan(ctx, plan, 'Relabel');
  if (!out) return;
  const e = ctx.sessionEdits(plan.root);
  for (const p of out.applied) {
    const item = args.items.find((i) => i.path === p);
    const move = plan.edits.find((x) => x.path === p && x.kind === 'move');
    if (item) e.relabelled.set(p, { label: item.newLabel, newPath: move?.kind === 'move' ? move.newPath : undefined });
  }
}

async function quarantine(ctx: Ctx, args: lsp.PathsArgs): Promise<void> {
  const plan = await ctx.requireClient().sendRequest(lsp.quarantine, args);
  const out = await applyPlan(ctx, plan, 'Move to quarantine');
  if (out) for (const p of out.applied) ctx.sessionEdits(plan.root).quarantined.add(p);
}

async function markCorrect(ctx: Ctx, args: lsp.PathsArgs): Promise<void> {
  const r = await ctx.requireClient().sendRequest(lsp.markCorrect, args);
  for (const p of r.accepted) ctx.sessionEdits(args.root).confirmed.add(p);
  if (r.message) void vscode.window.showInformationMessage(`LabelLint: ${r.message}`);
  for (const f of r.refused) void vscode.window.showWarningMessage(`LabelLint: ${f.path}: ${f.reason}`);
}

/** One issue at a time: the image opens beside, a QuickPick offers the labels (suggested first). */
function fixNextIssue(ctx: Ctx): Cmd {
  return async () => {
    const root = await ctx.pickRoot();
    if (!root) return;
    const result = await ctx.getResult(root);
    if (!result) {
      void vscode.window.showInformationMessage('LabelLint: no analysis yet. Run "LabelLint: Analyze Dataset" first.');
      return;
    }
    const edits = ctx.sessionEdits(root);
    const given = new Map(result.images.map((im) => [im.path, im.givenLabel]));
    const todo: Issue[] = result.issues
      .filter((i) => i.kind === 'label' && !edits.relabelled.has(i.path) && !edits.quarantined.has(i.path) && !edits.confirmed.has(i.path))
      .sort((a, b) => b.score - a.score);
    if (todo.length === 0) {
      void vscode.window.showInformationMessage('LabelLint: no label issues left.');
      return;
    }
    type Pick = vscode.QuickPickItem & { action: 'relabel' | 'correct' | 'quarantine' | 'skip'; label_?: string };
    for (let n = 0; n < todo.length; n++) {
      const issue = todo[n];
      const g = given.get(issue.path) ?? '?';
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path.join(root, ...issue.path.split('/'))), {
        preview: true,
        preserveFocus: true,
        viewColumn: vscode.ViewColumn.Beside,
      });
      const sug = issue.suggestedLabel;
      const items: Pick[] = [];
      if (sug) items.push({ label: `$(lightbulb) ${sug}`, description: `suggested, ${Math.round((issue.suggestedProb ?? 0) * 100)}%`, action: 'relabel', label_: sug });
      for (const c of result.classes) if (c !== sug && c !== g) items.push({ label: c, action: 'relabel', label_: c });
      items.push(
        { label: '', kind: vscode.QuickPickItemKind.Separator, action: 'skip' },
        { label: `$(pass) '${g}' is correct`, description: "don't flag again", action: 'correct' },
        { label: '$(archive) Move to quarantine', action: 'quarantine' },
        { label: '$(arrow-right) Skip', action: 'skip' },
      );
      const pick = await vscode.window.showQuickPick(items, {
        title: `LabelLint ${n + 1}/${todo.length}: ${issue.path} — labelled '${g}'`,
        placeHolder: 'Choose the right label (Esc stops)',
        ignoreFocusOut: true,
      });
      if (!pick) return;
      try {
        if (pick.action === 'relabel' && pick.label_) await relabel(ctx, { root, items: [{ path: issue.path, newLabel: pick.label_ }] });
        else if (pick.action === 'correct') await markCorrect(ctx, { root, paths: [issue.path] });
        else if (pick.action === 'quarantine') await quarantine(ctx, { root, paths: [issue.path] });
      } catch (err) {
        void vscode.window.showErrorMessage(`LabelLint: ${errorText(err)}`);
      }
    }
  };
}

function exportCleanedLabels(ctx: Ctx): Cmd {
  return async () => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('LabelLint writes nothing in an untrusted workspace. Trust the folder to export.');
      return;
    }
    const root = await ctx.pickRoot();
    if (!root) return;
    const result = await ctx.getResult(root);
    if (!result) {
      void vscode.window.showInformationMessage('LabelLint: no analysis yet.');
      return;
    }
    const e = ctx.sessionEdits(root);
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(root, 'labels.cleaned.csv')),
      filters: { CSV: ['csv'] },
      title: 'Export cleaned labels (path,label)',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(cleanedLabelsCsv(result.images, e.relabelled, e.quarantined), 'utf8'));
    void vscode.window.showInformationMessage(`LabelLint: wrote ${target.fsPath} (${e.relabelled.size} relabels applied).`);
  };
}

/** The command table. Internal commands (code actions) take their typed argument. */
export const COMMANDS: Record<string, CommandFactory> = {
  'labelLint.analyze': { enabled: analyzeCommand },
  'labelLint.reanalyze': { enabled: analyzeCommand },
  'labelLint.cancel': {
    enabled: (ctx) => () => void ctx.requireClient().sendNotification(lsp.cancel, {}),
    disabled: () => () => undefined,
  },
  // The panel shows its own "server not running" state, so it serves the disabled variant too.
  'labelLint.showReport': { enabled: (ctx) => () => ReportPanel.createOrShow(ctx), disabled: (ctx) => () => ReportPanel.createOrShow(ctx) },
  'labelLint.showIssues': { enabled: (ctx) => () => openIssues(ctx) },
  'labelLint.fixNextIssue': { enabled: fixNextIssue },
  'labelLint.exportCleanedLabels': { enabled: exportCleanedLabels },
  'labelLint.restartServer': {
    enabled: (ctx) => async () => {
      await ctx.restart();
      void vscode.window.showInformationMessage('LabelLint: server restarted.');
    },
    disabled: (ctx) => async () => {
      try {
        await ctx.restart();
      } catch (err) {
        void vscode.window.showErrorMessage(`LabelLint: the server did not start: ${errorText(err)}`);
      }
    },
  },
  [lsp.Commands.applyRelabel]: { enabled: (ctx) => (a) => relabel(ctx, a as lsp.ApplyRelabelArgs) },
  [lsp.Commands.applyQuarantine]: { enabled: (ctx) => (a) => quarantine(ctx, a as lsp.PathsArgs) },
  [lsp.Commands.markCorrect]: { enabled: (ctx) => (a) => markCorrect(ctx, a as lsp.PathsArgs) },
};

/** Registers every command once; each call picks the enabled or disabled variant by the server's state now. */
export function registerCommands(ctx: Ctx): void {
  for (const [name, f] of Object.entries(COMMANDS)) {
    const enabled = f.enabled(ctx);
    const disabled = f.disabled ? f.disabled(ctx) : notRunning();
    ctx.extDisposables.push(
      vscode.commands.registerCommand(name, async (...args: unknown[]) => {
        try {
          return await (ctx.isRunning ? enabled : disabled)(...args);
        } catch (err) {
          void vscode.window.showErrorMessage(`LabelLint: ${errorText(err)}`);
          return undefined;
        }
      }),
    );
  }
}
