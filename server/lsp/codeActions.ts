/**
 * Quick fixes for LabelLint diagnostics. Pure: diagnostics (with their recorded data) and the last
 * result in, CodeActions out. Every action runs a client command, which asks the server for a plan and
 * applies it as a WorkspaceEdit, so the edit lands in VS Code's undo stack.
 */
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import type { AnalysisResult } from '../../protocol/results';
import * as lsp from '../../protocol/lsp';
import { isDiagnosticData, type DiagnosticData } from './diagnostics';

/** At most this many "Relabel as …" actions for other classes (besides the suggested one). */
export const MAX_OTHER_CLASSES = 30;

export interface CodeActionInput {
  readonly result: AnalysisResult;
  /** Diagnostics in the request's context that belong to LabelLint. */
  readonly diagnostics: readonly Diagnostic[];
  /** Resolves a diagnostic's recorded data (from `data`, else the server's record). */
  readonly dataOf: (d: Diagnostic) => DiagnosticData | undefined;
  /** Untrusted workspaces get no actions that write. */
  readonly trusted: boolean;
  /** Paths fixed or confirmed since the last run (left out of "relabel all"). */
  readonly suppressed?: ReadonlySet<string>;
}

function command(title: string, id: string, arg: unknown): CodeAction['command'] {
  return { title, command: id, arguments: [arg] };
}

function action(title: string, diagnostic: Diagnostic, cmd: CodeAction['command'], preferred = false): CodeAction {
  const a: CodeAction = { title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], command: cmd };
  if (preferred) a.isPreferred = true;
  return a;
}

export function codeActionsFor(input: CodeActionInput): CodeAction[] {
  const { result } = input;
  if (!input.trusted) return [];
  const out: CodeAction[] = [];
  for (const d of input.diagnostics) {
    const data = input.dataOf(d);
    if (!data || data.root !== result.root) continue;
    const root = result.root;
    if (data.kind === 'label') {
      const given = data.givenLabel;
      const suggested = data.suggestedLabel;
      if (suggested && suggested !== given) {
        const args: lsp.ApplyRelabelArgs = { root, items: [{ path: data.path, newLabel: suggested }] };
        out.push(action(`Relabel as '${suggested}'`, d, command('Relabel', lsp.Commands.applyRelabel, args), true));
      }
      const others = result.classes.filter((c) => c !== given && c !== suggested).slice(0, MAX_OTHER_CLASSES);
      for (const c of others) {
        const args: lsp.ApplyRelabelArgs = { root, items: [{ path: data.path, newLabel: c }] };
        out.push(action(`Relabel as '${c}'`, d, command('Relabel', lsp.Commands.applyRelabel, args)));
      }
      const correct: lsp.PathsArgs = { root, paths: [data.path] };
      out.push(action("Label is correct — don't flag again", d, command('Mark correct', lsp.Commands.markCorrect, correct)));
      if (suggested) {
        const given_ = new Map(result.images.map((im) => [im.path, im.givenLabel]));
        const same = result.issues.filter(
          (i) =>
            i.kind === 'label' &&
            i.suggestedLabel === suggested &&
            given_.get(i.path) === given &&
            !input.suppressed?.has(i.path),
        );
        if (same.length > 1) {
          const args: lsp.ApplyRelabelArgs = { root, items: same.map((i) => ({ path: i.path, newLabel: suggested })) };
          out.push(
            action(
              `Relabel all ${same.length} issues suggested as '${suggested}' in class '${given ?? '?'}'`,
              d,
              command('Relabel all', lsp.Commands.applyRelabel, args),
            ),
          );
        }
      }
    }
    const q: lsp.PathsArgs = { root, paths: [data.path] };
    out.push(action('Move to quarantine (_quarantine/)', d, command('Quarantine', lsp.Commands.applyQuarantine, q)));
  }
  return out;
}
