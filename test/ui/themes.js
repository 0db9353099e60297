'use strict';
// The --vscode-* variables the report uses, with VS Code's Dark Modern / Light Modern values, so the
// browser test page looks like the webview inside VS Code. VS Code sets them on <html style>.
const common = {
  '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
};
const dark = {
  ...common,
  '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-editor-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d', '--vscode-panel-border': '#2b2b2b', '--vscode-focusBorder': '#0078d4',
  '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc', '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  '--vscode-button-border': '#ffffff12', '--vscode-editorWidget-background': '#202020', '--vscode-widget-border': '#313131',
  '--vscode-editorWarning-foreground': '#cca700', '--vscode-editorError-foreground': '#f85149', '--vscode-editor-inactiveSelectionBackground': '#3a3d41',
  '--vscode-sideBar-background': '#181818', '--vscode-charts-green': '#89d185', '--vscode-charts-red': '#f14c4c',
  '--vscode-editorHoverWidget-background': '#202020', '--vscode-editorHoverWidget-foreground': '#cccccc', '--vscode-editorHoverWidget-border': '#454545',
  '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)', '--vscode-badge-background': '#616161', '--vscode-badge-foreground': '#f8f8f8',
  '--vscode-list-hoverBackground': '#2a2d2e', '--vscode-dropdown-background': '#313131', '--vscode-dropdown-foreground': '#cccccc',
  '--vscode-dropdown-border': '#3c3c3c', '--vscode-icon-foreground': '#cccccc', '--vscode-toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
  '--vscode-textLink-foreground': '#4daafc', '--vscode-testing-iconPassed': '#73c991', '--vscode-errorForeground': '#f85149',
  '--vscode-editor-selectionBackground': '#264f78',
};
const light = {
  ...common,
  '--vscode-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#3b3b3b',
  '--vscode-descriptionForeground': '#717171', '--vscode-panel-border': '#e5e5e5', '--vscode-focusBorder': '#005fb8',
  '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-button-secondaryHoverBackground': '#cccccc',
  '--vscode-button-border': '#0000001a', '--vscode-editorWidget-background': '#f8f8f8', '--vscode-widget-border': '#e5e5e5',
  '--vscode-editorWarning-foreground': '#bf8803', '--vscode-editorError-foreground': '#e51400', '--vscode-editor-inactiveSelectionBackground': '#e5ebf1',
  '--vscode-sideBar-background': '#f8f8f8', '--vscode-charts-green': '#388a34', '--vscode-charts-red': '#e51400',
  '--vscode-editorHoverWidget-background': '#f8f8f8', '--vscode-editorHoverWidget-foreground': '#3b3b3b', '--vscode-editorHoverWidget-border': '#c8c8c8',
  '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)', '--vscode-badge-background': '#cccccc', '--vscode-badge-foreground': '#3b3b3b',
  '--vscode-list-hoverBackground': '#f2f2f2', '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-foreground': '#3b3b3b',
  '--vscode-dropdown-border': '#cecece', '--vscode-icon-foreground': '#3b3b3b', '--vscode-toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
  '--vscode-textLink-foreground': '#005fb8', '--vscode-testing-iconPassed': '#388a34', '--vscode-errorForeground': '#f85149',
  '--vscode-editor-selectionBackground': '#add6ff',
};
module.exports = { dark, light };
