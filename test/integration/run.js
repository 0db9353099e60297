#!/usr/bin/env node
// Extension-host integration tests in a real VS Code (code-server 4.100.3, offline; see /work/shared/testing.md).
//
//   npx tsc -p . && node test/integration/run.js [--expect-failure]
//
// Installs code-server + playwright-core into a cache dir outside the repo (install.js), stages the extension
// (package.json, out/ and node_modules symlinked), copies
// sample/fashion-mnist-mini to a scratch folder (the tests move files), starts code-server, opens the folder
// in headless Chromium with the extension-tests payload, and exits with the tests' exit code.
// `--expect-failure` sets LABELLINT_IT_FAIL=1 (the suite adds a failing test) and inverts the exit code,
// proving that a failing test turns the run red. Not part of `npm test` yet.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { install } = require('./install');

const REPO = path.resolve(__dirname, '..', '..');
const TIMEOUT_MS = Number(process.env.LABELLINT_IT_TIMEOUT_MS || 600_000);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The sample as a labels-CSV dataset: images flat in images/, labels.csv with CRLF line endings. */
function makeCsvDataset(dir) {
  const src = path.join(REPO, 'sample', 'fashion-mnist-mini');
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  const rows = ['path,label'];
  for (const cls of fs.readdirSync(src).sort()) {
    if (cls.startsWith('.') || !fs.statSync(path.join(src, cls)).isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(src, cls)).sort()) {
      if (!f.endsWith('.png')) continue;
      fs.copyFileSync(path.join(src, cls, f), path.join(dir, 'images', f));
      rows.push(`images/${f},${cls}`);
    }
  }
  fs.writeFileSync(path.join(dir, 'labels.csv'), rows.join('\r\n') + '\r\n');
  return dir;
}

function stageExtension(dir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  fs.symlinkSync(path.join(REPO, 'out'), path.join(dir, 'out'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
}

async function waitHealthy(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not become healthy on port ${port}`);
}

async function main() {
  const expectFailure = process.argv.includes('--expect-failure');
  if (!fs.existsSync(path.join(REPO, 'out', 'extension', 'main.js'))) throw new Error('build first: npx tsc -p .');
  const cache = install();
  const run = fs.mkdtempSync(path.join(cache, 'run-'));
  const dirs = Object.fromEntries(['home', 'config', 'data', 'cache', 'runtime', 'tmp', 'ud', 'exts', 'profile', 'artifacts'].map((d) => [d, path.join(run, d)]));
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  const ext = path.join(run, 'ext');
  stageExtension(ext);
  const datasets = [path.join(run, 'fashion-mnist-mini'), makeCsvDataset(path.join(run, 'fashion-csv'))];
  // Without any .labellint/ cache a colleague's run left in the sample: every run starts cold.
  fs.cpSync(path.join(REPO, 'sample', 'fashion-mnist-mini'), datasets[0], { recursive: true, filter: (p) => !path.basename(p).startsWith('.') });
  const suite = path.join(__dirname, 'suite');
  const port = await freePort();
  const env = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_RUNTIME_DIR: dirs.runtime,
    TMPDIR: dirs.tmp,
    LABELLINT_IT_FAIL: expectFailure ? '1' : '',
  };
  const bin = path.join(cache, 'node_modules', '.bin', 'code-server');
  const server = spawn(bin, [
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--user-data-dir', dirs.ud, '--extensions-dir', dirs.exts,
  ], { env, detached: true, stdio: ['ignore', fs.openSync(path.join(run, 'code-server.log'), 'a'), fs.openSync(path.join(run, 'code-server.log'), 'a')] });
  const stop = () => {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', stop);
  let code = 1;
  let context;
  try {
    await waitHealthy(port, 60_000);
    const { chromium } = require(path.join(cache, 'node_modules', 'playwright-core'));
    context = await chromium.launchPersistentContext(dirs.profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      env,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    for (const dataset of datasets) {
      code = await runSuite(context, port, ext, suite, dataset, dirs.artifacts);
      console.log(`${path.basename(dataset)}: extension tests exit code ${code}`);
      if (code !== 0) break;
    }
    console.log(`artefacts: ${dirs.artifacts}, log: ${path.join(run, 'code-server.log')}`);
  } finally {
    await context?.close().catch(() => undefined);
    stop();
  }
  if (expectFailure) {
    console.log(code !== 0 ? 'OK: the deliberately failing test turned the run red' : 'BAD: a failing test did not change the exit code');
    process.exitCode = code !== 0 ? 0 : 1;
  } else process.exitCode = typeof code === 'number' ? code : 1;
}

/** Opens `dataset` in a fresh page with the extension-tests payload; resolves with the tests' exit code (124 on timeout). */
async function runSuite(context, port, ext, suite, dataset, artifacts) {
  const page = await context.newPage();
  let resolveExit;
  const exited = new Promise((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationLog', (type, args) => console.log(`[host ${type}]`, ...(Array.isArray(args) ? args : [args])));
  await page.exposeFunction('codeAutomationExit', (c) => resolveExit(c));
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [['extensionDevelopmentPath', remote(ext)], ['extensionTestsPath', remote(suite)], ['skipWelcome', 'true']];
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dataset)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(url);
  const name = path.basename(dataset);
  const shot = (tag) => page.screenshot({ path: path.join(artifacts, `${name}-${tag}.png`) }).catch(() => undefined);
  const timer = setInterval(() => void shot(String(Date.now())), 15_000);
  let code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
  clearInterval(timer);
  await shot('final');
  await page.close().catch(() => undefined);
  return code === 'timeout' ? 124 : code;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
