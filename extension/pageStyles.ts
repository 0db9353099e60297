/**
 * The report's stylesheet. Every colour is a `--vscode-*` variable (with a fallback for the
 * browser test page), so the view follows the theme. Served inline in a nonce'd <style> by `page.ts`; the class
 * names are the ones `webview/` builds its DOM with.
 */
export const REPORT_CSS = String.raw`
:root { color-scheme: light dark; }
* { box-sizing: border-box; }
body { margin: 0; padding: 0 16px 24px; color: var(--vscode-foreground, #ccc); background: var(--vscode-editor-background, #1e1e1e);
  font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 13px); }
[hidden] { display: none !important; }
h1 { font-size: 1.45em; font-weight: 600; margin: 0; }
h2 { font-size: 1.05em; font-weight: 600; margin: 0; }
.muted { color: var(--vscode-descriptionForeground, #9d9d9d); }
button { font: inherit; color: inherit; }
button.secondary { background: var(--vscode-button-secondaryBackground, #3a3d41); color: var(--vscode-button-secondaryForeground, #fff);
  border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 3px 10px; cursor: pointer; }
button.secondary:hover { background: var(--vscode-button-secondaryHoverBackground, #45494e); }
button:focus-visible, select:focus-visible, td.cell:focus-visible, .grid-scroll:focus-visible { outline: 1px solid var(--vscode-focusBorder, #007fd4); outline-offset: -1px; }
button.link { background: none; border: none; color: var(--vscode-textLink-foreground, #3794ff); cursor: pointer; padding: 6px 0; }
.placeholder { padding: 48px 0; font-size: 1.1em; }
.banner { position: sticky; top: 0; z-index: 5; margin: 0 -16px; padding: 6px 16px; background: var(--vscode-editorInfo-background, var(--vscode-badge-background, #4d4d4d));
  color: var(--vscode-badge-foreground, #fff); }

.health-header { padding: 16px 0 8px; }
.title-row { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.health { display: grid; grid-template-columns: minmax(0, 1fr) minmax(240px, 340px); gap: 16px; align-items: start; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; }
.stat { background: var(--vscode-editorWidget-background, #252526); border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, #454545));
  border-radius: 4px; padding: 8px 12px; min-width: 110px; max-width: 100%; }
.stat-value { font-size: 1.6em; font-weight: 600; line-height: 1.2; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.stat.small .stat-value { font-size: 1.05em; line-height: 1.9; max-width: 260px; }
.stat.accent .stat-value { color: var(--vscode-editorWarning-foreground, #cca700); }
.stat-label { color: var(--vscode-descriptionForeground, #9d9d9d); font-size: 0.88em; margin-top: 2px; }
.stat.issues { flex: 1 1 100%; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { border: 1px solid var(--vscode-panel-border, #454545); background: transparent; border-radius: 11px; padding: 2px 10px; cursor: pointer; }
.chip:hover:not([disabled]) { background: var(--vscode-list-hoverBackground, #2a2d2e); }
.chip.zero { opacity: 0.55; cursor: default; }
.chip-count { font-weight: 700; }
.rates-box { background: var(--vscode-editorWidget-background, #252526); border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, #454545)); border-radius: 4px; padding: 8px 12px; }
.box-title { font-weight: 600; margin-bottom: 6px; }
.class-rates { max-height: 32em; overflow-y: auto; } /* 20 classes fit; more scroll */
.rate-row { display: grid; grid-template-columns: minmax(60px, 110px) 1fr 48px; gap: 8px; align-items: center; font-size: 0.92em; line-height: 1.55; }
.rate-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rate-track { height: 7px; background: var(--vscode-editor-inactiveSelectionBackground, rgba(128,128,128,0.2)); border-radius: 3px; overflow: hidden; }
.rate-bar { display: block; height: 100%; background: var(--vscode-editorWarning-foreground, #cca700); }
.rate-value { text-align: right; font-variant-numeric: tabular-nums; }

.row.two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; margin-top: 16px; }
@media (max-width: 1000px) { .row.two, .health { grid-template-columns: minmax(0, 1fr); } }
.panel { border: 1px solid var(--vscode-panel-border, #454545); border-radius: 4px; padding: 10px 12px; min-width: 0;
  background: var(--vscode-sideBar-background, var(--vscode-editor-background, #1e1e1e)); }
.workspace { display: grid; grid-template-columns: minmax(0, 3fr) minmax(340px, 2fr); gap: 16px; margin-top: 16px; align-items: start; }
.side { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
@media (max-width: 1000px) { .workspace { grid-template-columns: minmax(0, 1fr); } }
.strictness-box { display: inline-flex; align-items: center; gap: 6px; }
.strictness { width: 110px; }
.strictness-text { font-variant-numeric: tabular-nums; min-width: 3ch; }
.no-relabel { flex: 1; font-size: 0.85em; }
.chip.kind-possible { border-style: dashed; }
.panel-head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; margin-bottom: 8px; }
.panel-head .spacer { flex: 1; }
.hint { font-size: 0.88em; }

.matrix-scroll { overflow: auto; max-height: 520px; }
table.matrix { border-collapse: separate; border-spacing: 1px; font-variant-numeric: tabular-nums; }
table.matrix th { font-weight: normal; color: var(--vscode-foreground, #ccc); background: var(--vscode-sideBar-background, var(--vscode-editor-background, #1e1e1e)); }
table.matrix thead th { position: sticky; top: 0; z-index: 2; height: var(--col-head); vertical-align: bottom; }
table.matrix th.corner { left: 0; z-index: 3; width: var(--row-head); min-width: var(--row-head); text-align: left; font-size: 0.85em; }
.corner .axis-col, .corner .axis-row { display: block; color: var(--vscode-descriptionForeground, #9d9d9d); }
table.matrix th.col-head { width: var(--cell); min-width: var(--cell); max-width: var(--cell); padding: 0 0 4px; position: sticky; }
table.matrix th.col-head span { display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; text-align: center; font-size: 0.9em; }
table.matrix.rotated th.col-head span { writing-mode: vertical-rl; transform: rotate(180deg); margin: 0 auto; text-align: left;
  max-height: calc(var(--col-head) - 8px); }
table.matrix th.row-head { position: sticky; left: 0; z-index: 1; text-align: right; padding: 0 8px 0 0; white-space: nowrap; max-width: var(--row-head);
  overflow: hidden; text-overflow: ellipsis; font-size: 0.9em; }
table.matrix td.cell { width: var(--cell); height: var(--cell); min-width: var(--cell); text-align: center; font-size: var(--cell-font); padding: 0;
  border-radius: 2px; }
table.matrix td.cell.empty { box-shadow: inset 0 0 0 1px color-mix(in srgb, var(--vscode-foreground, #ccc) 7%, transparent); }
table.matrix td.cell.diag { font-weight: 600; }
table.matrix.clickable td.cell:not(.empty) { cursor: pointer; }
table.matrix.clickable td.cell:not(.empty):hover { outline: 1px solid var(--vscode-foreground, #ccc); outline-offset: -1px; }
table.matrix td.cell.selected { outline: 2px solid var(--vscode-focusBorder, #007fd4) !important; outline-offset: -2px; }

.map-panel { display: flex; flex-direction: column; }
.map-wrap { position: relative; flex: 1; min-height: 320px; border: 1px solid var(--vscode-panel-border, #454545); border-radius: 2px; overflow: hidden; }
.map-canvas { position: absolute; inset: 0; touch-action: none; cursor: grab; }
.map-box { position: absolute; border: 1px dashed var(--vscode-focusBorder, #007fd4); background: color-mix(in srgb, var(--vscode-focusBorder, #007fd4) 12%, transparent); pointer-events: none; }
.map-tooltip { position: absolute; z-index: 4; display: flex; gap: 10px; padding: 8px; max-width: 340px; pointer-events: none;
  background: var(--vscode-editorHoverWidget-background, #252526); color: var(--vscode-editorHoverWidget-foreground, #ccc);
  border: 1px solid var(--vscode-editorHoverWidget-border, #454545); border-radius: 3px; box-shadow: 0 2px 8px var(--vscode-widget-shadow, rgba(0,0,0,0.36)); }
.tt-thumb-box { width: 84px; height: 84px; flex: none; display: flex; align-items: center; justify-content: center; background: var(--vscode-editor-background, #1e1e1e); border-radius: 2px; }
.tt-thumb { max-width: 84px; max-height: 84px; width: 84px; height: 84px; object-fit: contain; }
.tt-body { min-width: 0; line-height: 1.5; }
.tt-name { font-weight: 600; overflow-wrap: anywhere; }
.tt-path { font-size: 0.85em; overflow-wrap: anywhere; }
.tt-kinds { color: var(--vscode-editorWarning-foreground, #cca700); font-size: 0.9em; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin-top: 8px; font-size: 0.9em; max-height: 72px; overflow-y: auto; }
.legend-item { display: inline-flex; align-items: center; gap: 5px; }
.swatch { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
.swatch.ring { border: 1.5px solid var(--vscode-editor-foreground, #ccc); }
img.pixelated { image-rendering: pixelated; }

.key-hints { display: flex; flex-direction: column; gap: 2px; font-size: 0.85em; margin: -2px 0 8px; }
.typing { font-family: var(--vscode-editor-font-family, monospace); }
.grid-scroll { position: relative; height: max(420px, calc(100vh - 200px)); min-height: 120px; overflow-y: auto; overflow-x: hidden; border: 1px solid var(--vscode-panel-border, #454545); border-radius: 2px;
  background: var(--vscode-editor-background, #1e1e1e); }
.grid-spacer { position: relative; }
.grid-empty { padding: 24px; }
.tile { position: absolute; left: 0; top: 0; width: 172px; height: 226px; padding: 6px; display: flex; flex-direction: column; gap: 3px;
  border: 1px solid var(--vscode-panel-border, #454545); border-radius: 4px; background: var(--vscode-editorWidget-background, #252526); contain: strict; }
.tile.has-label-issue { border-color: color-mix(in srgb, var(--vscode-editorWarning-foreground, #cca700) 55%, var(--vscode-panel-border, #454545)); }
.tile.cursor { outline: 2px solid var(--vscode-focusBorder, #007fd4); outline-offset: 1px; }
.tile.decided.done { opacity: 0.6; }
.thumb { height: 112px; display: flex; align-items: center; justify-content: center; background: var(--vscode-editor-background, #1e1e1e); border-radius: 2px; flex: none; }
.thumb img { width: 104px; height: 104px; object-fit: contain; }
.no-thumb { font-size: 0.85em; }
.tile .name { font-size: 0.88em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.labels { line-height: 1.3; max-height: 2.6em; overflow: hidden; overflow-wrap: anywhere; }
.label-given { font-weight: 600; }
.label-suggested { font-weight: 600; color: var(--vscode-editorWarning-foreground, #cca700); }
.arrow { color: var(--vscode-descriptionForeground, #9d9d9d); }
.quality { font-size: 0.85em; }
.kinds { display: flex; flex-wrap: wrap; gap: 3px; min-height: 18px; overflow: hidden; max-height: 20px; }
.kind { font-size: 0.78em; padding: 0 5px; border-radius: 8px; line-height: 16px; background: var(--vscode-badge-background, #4d4d4d); color: var(--vscode-badge-foreground, #fff); }
.kind.kind-label { background: var(--vscode-editorWarning-foreground, #cca700); color: var(--vscode-editor-background, #1e1e1e); }
.kind.kind-broken, .kind.kind-conflicting-duplicate, .kind.kind-leakage { background: var(--vscode-editorError-foreground, #f14c4c); color: var(--vscode-editor-background, #1e1e1e); }
.decision { font-size: 0.82em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.decision.done { color: var(--vscode-testing-iconPassed, #73c991); }
.decision.failed { color: var(--vscode-errorForeground, #f48771); }
.decision.pending { color: var(--vscode-descriptionForeground, #9d9d9d); }
.actions { margin-top: auto; display: flex; gap: 2px; align-items: center; }
.actions select { flex: 1; min-width: 0; font: inherit; font-size: 0.9em; color: var(--vscode-dropdown-foreground, #ccc); background: var(--vscode-dropdown-background, #3c3c3c);
  border: 1px solid var(--vscode-dropdown-border, #3c3c3c); border-radius: 2px; padding: 2px 0 2px 2px; }
button.tool { width: 22px; height: 22px; padding: 0; border-radius: 2px; background: transparent; border: 1px solid transparent; cursor: pointer; color: var(--vscode-icon-foreground, #c5c5c5); }
button.tool:hover { background: var(--vscode-toolbar-hoverBackground, rgba(90,93,94,0.31)); }

.dup-scroll { max-height: 520px; overflow: auto; }
.dup-list { display: flex; flex-direction: column; gap: 6px; }
.dup { text-align: left; background: var(--vscode-editorWidget-background, #252526); border: 1px solid var(--vscode-panel-border, #454545); border-radius: 4px; padding: 6px 8px; cursor: pointer; }
.dup:hover { background: var(--vscode-list-hoverBackground, #2a2d2e); }
.dup.conflicting { border-left: 3px solid var(--vscode-editorError-foreground, #f14c4c); }
.dup-head { font-size: 0.92em; margin-bottom: 4px; }
.dup-thumbs { display: flex; gap: 4px; align-items: flex-end; flex-wrap: wrap; }
.dup-thumbs figure { margin: 0; text-align: center; }
.dup-thumbs img { width: 48px; height: 48px; object-fit: contain; background: var(--vscode-editor-background, #1e1e1e); display: block; }
.dup-thumbs figcaption { font-size: 0.75em; max-width: 56px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.dup-thumbs figcaption.conflict { color: var(--vscode-editorError-foreground, #f14c4c); }
.dup-names { font-size: 0.8em; margin-top: 3px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.pad { padding: 8px 0; }
`;
