/**
 * Theme reading for canvas drawing: colours come from the `--vscode-*` CSS variables VS Code sets
 * on the webview, and `onThemeChange` fires when VS Code switches theme (it rewrites the body class
 * and the variables on <html>).
 */
import { classColours, themeKindOf, type ThemeKind } from './palette.js';

export interface Theme {
  readonly kind: ThemeKind;
  readonly fg: string;
  readonly muted: string;
  readonly bg: string;
  readonly border: string;
  readonly focus: string;
  readonly warning: string;
  readonly error: string;
  readonly selection: string;
  readonly font: string;
  readonly classes: readonly string[];
}

function v(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const s = style.getPropertyValue(name).trim();
  return s === '' ? fallback : s;
}

export function readTheme(k: number): Theme {
  const style = getComputedStyle(document.body);
  const kind = themeKindOf(document.body.className);
  const dark = kind === 'dark' || kind === 'high-contrast';
  return {
    kind,
    fg: v(style, '--vscode-editor-foreground', dark ? '#cccccc' : '#333333'),
    muted: v(style, '--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    bg: v(style, '--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff'),
    border: v(style, '--vscode-panel-border', dark ? '#444444' : '#cccccc'),
    focus: v(style, '--vscode-focusBorder', '#0078d4'),
    warning: v(style, '--vscode-editorWarning-foreground', '#cca700'),
    error: v(style, '--vscode-editorError-foreground', '#f14c4c'),
    selection: v(style, '--vscode-editor-selectionBackground', dark ? '#264f78' : '#add6ff'),
    font: v(style, '--vscode-font-family', 'system-ui, sans-serif'),
    classes: classColours(k, kind),
  };
}

/** Calls `cb` after VS Code changes the theme (body class or the variables on <html>). */
export function onThemeChange(cb: () => void): () => void {
  let queued = false;
  const fire = (): void => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      cb();
    });
  };
  const mo = new MutationObserver(fire);
  mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => mo.disconnect();
}
