#!/usr/bin/env node
// The extension-host suite (test/integration/suite) in desktop VS Code (Electron), via @vscode/test-electron.
// Needs internet: it downloads VS Code into .vscode-test/ on first use. Not run in CI here (offline); CI runs the
// same suite in code-server (test/integration/run.js).
//
//   npm run test:electron                               the repository as the development extension
//   LABELLINT_IT_VSIX=dist/vsix/….vsix npm run test:electron   the packaged VSIX installed into that VS Code
//   env VSCODE_VERSION=1.90.0 (default 'stable')        the VS Code to download
'use strict';
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath, runTests } = require('@vscode/test-electron');

const REPO = path.resolve(__dirname, '..', '..');

async function main() {
  const version = process.env.VSCODE_VERSION || 'stable';
  const vscodeExecutablePath = await downloadAndUnzipVSCode(version);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-electron-'));
  const dataset = path.join(scratch, 'fashion-mnist-mini');
  fs.cpSync(path.join(REPO, 'sample', 'fashion-mnist-mini'), dataset, { recursive: true, filter: (p) => !path.basename(p).startsWith('.') });
  const extensionsDir = path.join(scratch, 'exts');
  const userDataDir = path.join(scratch, 'ud');
  let extensionDevelopmentPath = REPO;
  const extensionTestsEnv = { LABELLINT_IT_INSTALLED: '' };
  const vsix = process.env.LABELLINT_IT_VSIX;
  if (vsix) {
    // Install the VSIX as a user would, and give VS Code a code-less stub as the development extension.
    const [cli, ...args] = resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath);
    cp.execFileSync(cli, [...args, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', path.resolve(vsix)], { stdio: 'inherit', shell: process.platform === 'win32' });
    const installed = fs.readdirSync(extensionsDir).find((d) => d.startsWith('labellint.labellint-'));
    extensionTestsEnv.LABELLINT_IT_INSTALLED = path.join(extensionsDir, installed);
    extensionDevelopmentPath = path.join(scratch, 'test-runner');
    fs.mkdirSync(extensionDevelopmentPath);
    fs.writeFileSync(path.join(extensionDevelopmentPath, 'package.json'), JSON.stringify({ name: 'labellint-test-runner', publisher: 'labellint-test', version: '0.0.0', engines: { vscode: '*' } }));
  }
  const code = await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath,
    extensionTestsPath: path.join(REPO, 'test', 'integration', 'suite', 'index.js'),
    extensionTestsEnv,
    launchArgs: [dataset, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--disable-workspace-trust', '--skip-welcome'],
  });
  fs.rmSync(scratch, { recursive: true, force: true });
  process.exitCode = code;
}

main().catch((e) => {
  console.error(`test:electron: ${e && e.message ? e.message : e}`);
  process.exitCode = 1;
});
