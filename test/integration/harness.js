// Shared pieces of the real-VS-Code tests (code-server 4.100.3 + Debian Chromium, offline; see /work/shared/testing.md):
// scratch run folders with their own HOME/XDG/TMPDIR, the staged extension, the sample copy, code-server
// started in its own process group, and Chromium through playwright-core from the install.js cache dir.
// Used by test/integration/run.js (extension-host tests) and test/ui/vscode.ui.js (UI test).
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const SAMPLE = path.join(REPO, 'sample', 'fashion-mnist-mini');
/** Chromium flags from testing.md (`--user-data-dir` must not be here: launchPersistentContext sets it). */
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

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

/** The extension folder as VS Code loads it: package.json, with out/ and node_modules symlinked to the repository's. */
function stageExtension(dir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  fs.symlinkSync(path.join(REPO, 'out'), path.join(dir, 'out'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/**
 * The extension under test. Without LABELLINT_IT_VSIX: the repository staged as the development extension.
 * With LABELLINT_IT_VSIX=<file.vsix>: that VSIX installed into the run's extensions dir with
 * `code-server --install-extension` (as a user installs it), and a stub with no code as the development
 * extension, which VS Code needs to run extension tests; LabelLint itself then loads from the installed copy.
 * Returns the development extension's folder and, when installed, the installed copy's folder.
 */
function prepareExtension(cache, run, dirs, env) {
  const vsix = process.env.LABELLINT_IT_VSIX;
  if (!vsix) return { ext: stageExtension(path.join(run, 'ext')), installed: null };
  const bin = path.join(cache, 'node_modules', '.bin', 'code-server');
  console.log(`$ code-server --install-extension ${vsix}`);
  execFileSync(bin, ['--extensions-dir', dirs.exts, '--user-data-dir', dirs.ud, '--install-extension', path.resolve(vsix)], { env, stdio: 'inherit' });
  const installed = fs.readdirSync(dirs.exts).find((d) => d.startsWith('labellint.labellint-'));
  if (!installed) throw new Error(`${vsix} did not install into ${dirs.exts}`);
  const stub = path.join(run, 'test-runner');
  fs.mkdirSync(stub, { recursive: true });
  fs.writeFileSync(
    path.join(stub, 'package.json'),
    JSON.stringify({ name: 'labellint-test-runner', publisher: 'labellint-test', version: '0.0.0', engines: { vscode: '*' } }, null, 2),
  );
  return { ext: stub, installed: path.join(dirs.exts, installed) };
}

/**
 * Copies sample/fashion-mnist-mini to `dest` without any dot folder (no .labellint/ a previous run left).
 * `embeddingCache`: a cache.db to seed <dest>/.labellint/ with (the engine's embedding cache; only the
 * embeddings are reused, the analysis itself still runs). Returns `dest`.
 */
function copySample(dest, embeddingCache) {
  fs.cpSync(SAMPLE, dest, { recursive: true, filter: (p) => !path.basename(p).startsWith('.') });
  if (embeddingCache && fs.existsSync(embeddingCache)) {
    fs.mkdirSync(path.join(dest, '.labellint'), { recursive: true });
    fs.copyFileSync(embeddingCache, path.join(dest, '.labellint', 'cache.db'));
  }
  return dest;
}

/** A fresh scratch folder under the cache dir with the sub-folders a run needs (0700). */
function makeRun(cache, names = ['home', 'config', 'data', 'cache', 'runtime', 'tmp', 'ud', 'exts', 'profile', 'artifacts']) {
  const run = fs.mkdtempSync(path.join(cache, 'run-'));
  const dirs = Object.fromEntries(names.map((d) => [d, path.join(run, d)]));
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  return { run, dirs };
}

/** The process environment with HOME, XDG_* and TMPDIR pointing into the run folder. */
function isolatedEnv(dirs, extra = {}) {
  return {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_RUNTIME_DIR: dirs.runtime,
    TMPDIR: dirs.tmp,
    ...extra,
  };
}

/**
 * Starts code-server (auth none, no telemetry/update check/workspace trust prompt) in its own process
 * group, logging to <run>/code-server.log, and waits for /healthz. `stop()` kills the whole group
 * (killing only the main pid leaves the extension host running); it is also called on process exit.
 */
async function startCodeServer({ cache, run, dirs, env, port }) {
  const p = port ?? (await freePort());
  const bin = path.join(cache, 'node_modules', '.bin', 'code-server');
  const log = path.join(run, 'code-server.log');
  const server = spawn(bin, [
    '--auth', 'none', '--bind-addr', `127.0.0.1:${p}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--user-data-dir', dirs.ud, '--extensions-dir', dirs.exts,
  ], { env, detached: true, stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')] });
  const stop = () => {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', stop);
  try {
    await waitHealthy(p, 60_000);
  } catch (err) {
    stop();
    throw err;
  }
  return { port: p, pid: server.pid, log, stop, remote: (abs) => `vscode-remote://127.0.0.1:${p}${abs}` };
}

/** Debian Chromium via the cache dir's playwright-core, in a persistent (fresh) profile. */
async function launchBrowser(cache, profile, env, opts = {}) {
  const { chromium } = require(path.join(cache, 'node_modules', 'playwright-core'));
  return chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    env,
    args: BROWSER_ARGS,
    ...opts,
  });
}

/** The workbench URL for `folder`, with `payload` entries (e.g. extensionDevelopmentPath) when given. */
function workbenchUrl(port, folder, payload) {
  const q = `folder=${encodeURIComponent(folder)}`;
  return `http://127.0.0.1:${port}/?${q}${payload ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;
}

module.exports = { REPO, SAMPLE, BROWSER_ARGS, freePort, waitHealthy, stageExtension, prepareExtension, copySample, makeRun, isolatedEnv, startCodeServer, launchBrowser, workbenchUrl };
