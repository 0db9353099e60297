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
import type { Ctx } from './ctx';
import { cleanedLabelsCsv, doneMessage, totalIssues } from './format';
import { ImagePreview } from './preview';
import { fixQueue } from '../protocol/summary';
import { Config } from './config';
import { decide, undoRedo } from './decisions';

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
    ctx.explicitRuns++;
    let s: Awaited<ReturnType<Ctx['analyze']>>;
    try {
      s = await ctx.analyze(root);
    } catch {
      return; // the state notification already said why, with Show Output
    } finally {
      ctx.explicitRuns--;
    }
    if (!s) return; // cancelled, or an empty folder (said by the state notification)
    const n = totalIssues(s);
    const pick = await vscode.window.showInformationMessage(doneMessage(s), ...(n > 0 ? ['Show Report', 'Show Issues', 'Fix Next'] : ['Show Report']));
    if (pick === 'Show Report') await vscode.commands.executeCommand('labelLint.showReport');
    if (pick === 'Show Issues') await openIssues(ctx, root);
    if (pick === 'Fix Next') await vscode.commands.executeCommand('labelLint.fixNextIssue');
  };
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
    // The same filter as every count (protocol/summary): kinds off, decisions in force.
    const decided = (await ctx.journalState(root)).decisions.map((d) => d.path);
    const given = new Map(result.images.map((im) => [im.path, im.givenLabel]));
    const todo: Issue[] = fixQueue(result, { off: new Config().offKinds, decided });
    if (todo.length === 0) {
      void vscode.window.showInformationMessage('LabelLint: no label issues left.');
      return;
    }
    type Pick = vscode.QuickPickItem & { action: 'relabel' | 'correct' | 'quarantine' | 'skip'; label_?: string };
    for (let n = 0; n < todo.length; n++) {
      const issue = todo[n];
      const g = given.get(issue.path) ?? '?';
      const sug = issue.suggestedLabel;
      ImagePreview.show(ctx, root, { path: issue.path, given: g, suggested: sug, caption: `${n + 1} of ${todo.length} label issues` });
      const items: Pick[] = [];
      if (sug) items.push({ label: `$(lightbulb) ${sug}`, description: `suggested: classifier probability ${Math.round((issue.suggestedProb ?? 0) * 100)}%`, action: 'relabel', label_: sug });
      for (const c of result.classes) if (c !== sug && c !== g) items.push({ label: c, action: 'relabel', label_: c });
      items.push(
        { label: '', kind: vscode.QuickPickItemKind.Separator, action: 'skip' },
        { label: `$(pass) '${g}' is correct`, description: "don't flag again", action: 'correct' },
        { label: '$(archive) Move to quarantine', action: 'quarantine' },
        { label: '$(arrow-right) Skip', action: 'skip' },
      );
      const pick = await vscode.window.showQuickPick(items, {
        title: `LabelLint ${n + 1}/${todo.length}: ${path.posix.basename(issue.path)} — labelled '${g}' (${issue.path})`,
        placeHolder: 'Choose the right label (Esc stops)',
        ignoreFocusOut: true,
      });
      if (!pick) {
        ImagePreview.close();
        return;
      }
      try {
        if (pick.action === 'relabel' && pick.label_) await decide(ctx, { root, action: 'relabel', items: [{ path: issue.path, newLabel: pick.label_ }] });
        else if (pick.action === 'correct') await decide(ctx, { root, action: 'correct', paths: [issue.path] });
        else if (pick.action === 'quarantine') await decide(ctx, { root, action: 'quarantine', paths: [issue.path] });
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
    const decisions = (await ctx.journalState(root)).decisions;
    const relabelled = new Map(decisions.filter((d) => d.action === 'relabel' && d.label).map((d) => [d.path, { label: d.label!, newPath: d.newPath }]));
    const quarantined = new Set(decisions.filter((d) => d.action === 'quarantine').map((d) => d.path));
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(root, 'labels.cleaned.csv')),
      filters: { CSV: ['csv'] },
      title: 'Export cleaned labels (path,label)',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(cleanedLabelsCsv(result.images, relabelled, quarantined), 'utf8'));
    void vscode.window.showInformationMessage(
      `LabelLint: wrote ${target.fsPath} (${relabelled.size} relabel${relabelled.size === 1 ? '' : 's'} and ${quarantined.size} quarantined image${quarantined.size === 1 ? '' : 's'} from the journal, undone ones excluded).`,
    );
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
  [lsp.Commands.applyRelabel]: { enabled: (ctx) => (a) => decide(ctx, { ...(a as lsp.ApplyRelabelArgs), action: 'relabel' }) },
  [lsp.Commands.applyQuarantine]: { enabled: (ctx) => (a) => decide(ctx, { ...(a as lsp.PathsArgs), action: 'quarantine' }) },
  [lsp.Commands.markCorrect]: { enabled: (ctx) => (a) => decide(ctx, { ...(a as lsp.PathsArgs), action: 'correct' }) },
  [lsp.Commands.undo]: { enabled: undoRedo('undo') },
  [lsp.Commands.redo]: { enabled: undoRedo('redo') },
};

/** Registers every command once; each call picks the enabled or disabled variant by the server's state now. */
export function registerCommands(ctx: Ctx): void {
  for (const [name, f] of Object.entries(COMMANDS)) {
    const enabled = f.enabled(ctx);
    const disabled = f.disabled ? f.disabled(ctx) : notRunning();
    ctx.extDisposables.push(
      vscode.commands.registerCommand(name, async (...args: unknown[]) => {
        try {
          if (!ctx.isRunning) await ctx.whenStarted(); // a command right after activation waits for the server
          return await (ctx.isRunning ? enabled : disabled)(...args);
        } catch (err) {
          void vscode.window.showErrorMessage(`LabelLint: ${errorText(err)}`);
          return undefined;
        }
      }),
    );
  }
}
