/**
 * "Fix Next" shows the image being decided scaled up to fill its editor column (nearest-neighbour, so a
 * 28 px image stays crisp), with its file name, given and suggested label. One panel, reused; no script;
 * CSP `default-src 'none'`; the only resource root is the dataset root.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Ctx } from './ctx';

export interface PreviewItem {
  /** Root-relative image path. */
  readonly path: string;
  readonly given: string;
  readonly suggested?: string;
  /** e.g. "3 of 17 label issues". */
  readonly caption?: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class ImagePreview {
  static readonly viewType = 'labelLint.preview';
  private static panel: vscode.WebviewPanel | undefined;
  private static root: string | undefined;

  static show(_ctx: Ctx, root: string, item: PreviewItem): void {
    if (!ImagePreview.panel || ImagePreview.root !== root) {
      ImagePreview.panel?.dispose();
      ImagePreview.root = root;
      ImagePreview.panel = vscode.window.createWebviewPanel(
        ImagePreview.viewType,
        'LabelLint: image',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: false, localResourceRoots: [vscode.Uri.file(root)] },
      );
      ImagePreview.panel.onDidDispose(() => {
        ImagePreview.panel = undefined;
        ImagePreview.root = undefined;
      });
    }
    const p = ImagePreview.panel;
    const w = p.webview;
    const nonce = randomBytes(16).toString('hex');
    const src = w.asWebviewUri(vscode.Uri.file(path.join(root, ...item.path.split('/')))).toString();
    const name = path.posix.basename(item.path);
    p.title = `LabelLint: ${name}`;
    p.reveal(vscode.ViewColumn.Beside, true);
    w.html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${w.cspSource}; style-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body{margin:0;padding:12px;font-family:var(--vscode-font-family);color:var(--vscode-foreground);display:flex;flex-direction:column;align-items:center;gap:8px;height:100vh;box-sizing:border-box}
.img{flex:1;min-height:0;width:100%;display:flex;justify-content:center;align-items:center}
img{image-rendering:pixelated;width:min(100%,calc(100vh - 110px));height:auto;max-height:100%;object-fit:contain;border:1px solid var(--vscode-panel-border)}
h2{margin:0;font-size:1.1em}.meta{opacity:.85}
</style></head><body>
<h2>${esc(name)}</h2>
<div class="meta">labelled <b>${esc(item.given)}</b>${item.suggested ? ` · suggested <b>${esc(item.suggested)}</b>` : ''}${item.caption ? ` · ${esc(item.caption)}` : ''}</div>
<div class="img"><img src="${esc(src)}" alt="${esc(item.path)}"></div>
<div class="meta">${esc(item.path)}</div>
</body></html>`;
  }

  static close(): void {
    ImagePreview.panel?.dispose();
  }
}
