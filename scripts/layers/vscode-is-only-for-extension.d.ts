// Layer rule (ARCHITECTURE.md): only extension/ may import 'vscode'. The protocol, server and webview
// tsconfigs map 'vscode' to this file, which is not a module, so such an import fails to compile:
// "File '.../vscode-is-only-for-extension.d.ts' is not a module."
