/** What the editor asks of a session: the issues document's text, hovers on issue lines and CSV rows, quick fixes. */
import * as path from 'node:path';
import type { CodeAction, CodeActionParams, Diagnostic } from 'vscode-languageserver/node';
import { formatPLabelWrong } from '../../protocol/format';
import { emptyMessage, UNTRUSTED_ANALYSIS } from './analysisRun';
import { codeActionsFor } from './codeActions';
import { diagnosticKey, isDiagnosticData, SOURCE } from './diagnostics';
import { issueAtLine } from './issuesDocument';
import type { ServerContext, Session } from './session';
import { thumbDataUri } from './thumbnails';

/** Width of the thumbnail in a hover (CSS px): small images are scaled up so a 28 px digit is visible. */
const HOVER_THUMB_PX = 160;

/** The text of the issues document of `s` (undefined: no dataset is open for it); a placeholder until a result. */
export function issuesDocumentText(s: Session | undefined, trusted: boolean): { text: string } {
  if (!s) return { text: '# LabelLint: no dataset is open for this document.\n' };
  if (!s.doc) {
    const what = !trusted
      ? UNTRUSTED_ANALYSIS
      : s.empty
        ? emptyMessage(s.root)
        : s.run
        ? 'Analysis is running…'
        : 'No analysis yet. Run "LabelLint: Analyze Dataset".';
    return { text: `# LabelLint: ${what}\n# Dataset: ${s.root}\n` };
  }
  return { text: s.doc.text };
}

/** The quick fixes for LabelLint's diagnostics in a document of `s` (the issues document or the labels CSV). */
export function codeActions(s: Session | undefined, params: CodeActionParams, trusted: boolean): CodeAction[] {
  if (!s?.result) return [];
  const uri = params.textDocument.uri === s.issuesUri ? s.issuesUri : (s.csvUri ?? params.textDocument.uri);
  const ours = params.context.diagnostics.filter((d) => d.source === SOURCE);
  return codeActionsFor({
    result: s.result,
    diagnostics: ours,
    trusted,
    suppressed: s.suppressed,
    dataOf: (d: Diagnostic) => (isDiagnosticData(d.data) ? d.data : s.records.get(diagnosticKey(uri, d))),
  });
}

/** Hover on an issue line (issues document) or a flagged CSV row: the image's thumbnail, name, labels and issues. */
export async function hover(ctx: ServerContext, s: Session | undefined, uri: string, line: number): Promise<{ contents: { kind: 'markdown'; value: string } } | null> {
  if (!s?.result || !s.doc) return null;
  let p: string | undefined;
  if (uri === s.issuesUri) {
    // The line as the editor shows it (a newer run may have shifted the server's lines since): its first token is the path.
    const shown = ctx.documents.get(uri)?.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
    const token = shown?.trim().split(/\s+/)[0];
    p = token && !token.startsWith('#') && s.result.images.some((x) => x.path === token) ? token : shown === undefined ? issueAtLine(s.doc, line)?.issue.path : undefined;
  }
  else {
    const csv = await ctx.csvTable(s);
    for (const [rel, row] of csv?.rows ?? []) {
      if (row.range.start.line <= line && line <= row.range.end.line) {
        p = rel;
        break;
      }
    }
  }
  const im = p ? s.result.images.find((x) => x.path === p) : undefined;
  if (!im) return null;
  const issues = s.doc.lines.filter((l) => l.issue.path === im.path).map((l) => l.issue);
  const md: string[] = [];
  const thumb = await thumbDataUri(ctx, s, im.path);
  const name = path.posix.basename(im.path);
  if (thumb) md.push(`![${name.replace(/[[\]]/g, '')}](${thumb}|width=${HOVER_THUMB_PX})`, '');
  const sug = im.suggestedLabel && im.suggestedLabel !== im.givenLabel ? ` · suggested **${im.suggestedLabel}** (${Math.round(im.suggestedProb * 100)}% likely given the image and its label; P(label wrong) ${formatPLabelWrong(im.pLabelWrong)})` : '';
  md.push(`**${name}** — labelled **${im.givenLabel}**${sug}`, '', `\`${im.path}\``);
  for (const i of issues) md.push('', `- ${i.kind}: ${i.message.replace(/\s+/g, ' ').slice(0, 200)}`);
  return { contents: { kind: 'markdown', value: md.join('\n') } };
}
