/**
 * The report page shell: CSP (`default-src 'none'`, nonce'd style and module script, images only
 * from the webview resource origin), the stylesheet, an empty #app and one module script.
 * Pure string building with no data in it (data arrive by postMessage), so it is safe and testable;
 * the host (`panel.ts`) and the browser test both use it. Host code: it runs in the extension host,
 * which sets `webview.html`; the page's scripts are `webview/` (they never see this module).
 */
import { REPORT_CSS } from './pageStyles';

export interface PageOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** Fresh random per page load, [A-Za-z0-9]. */
  readonly nonce: string;
  /** URI of the compiled `webview/main.js` (asWebviewUri). */
  readonly scriptUri: string;
}

export function renderPage(o: PageOptions): string {
  if (!/^[A-Za-z0-9]{16,}$/.test(o.nonce)) throw new Error('nonce must be ≥16 alphanumeric characters');
  const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src 'nonce-${o.nonce}'`,
    `script-src 'nonce-${o.nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>LabelLint Report</title>
<style nonce="${o.nonce}">${REPORT_CSS}</style>
</head>
<body>
<div id="app"></div>
<script type="module" nonce="${o.nonce}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
