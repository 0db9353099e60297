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
const fs = require('node:fs');
const path = require('node:path');
const { install } = require('./install');
const { REPO, copySample, isolatedEnv, launchBrowser, makeRun, prepareExtension, startCodeServer, workbenchUrl } = require('./harness');

const TIMEOUT_MS = Number(process.env.LABELLINT_IT_TIMEOUT_MS || 600_000);

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

async function main() {
  const expectFailure = process.argv.includes('--expect-failure');
  if (!process.env.LABELLINT_IT_VSIX && !fs.existsSync(path.join(REPO, 'out', 'extension', 'main.js'))) throw new Error('build first: npx tsc -p .');
  const cache = install();
  const { run, dirs } = makeRun(cache);
  // Without any .labellint/ cache a colleague's run left in the sample: every run starts cold.
  const datasets = [copySample(path.join(run, 'fashion-mnist-mini')), makeCsvDataset(path.join(run, 'fashion-csv'))];
  const suite = path.join(__dirname, 'suite');
  const env = isolatedEnv(dirs, { LABELLINT_IT_FAIL: expectFailure ? '1' : '' });
  // LABELLINT_IT_VSIX=<file>: test the installed VSIX, not the source folder (harness.prepareExtension).
  const { ext, installed } = prepareExtension(cache, run, dirs, env);
  env.LABELLINT_IT_INSTALLED = installed ?? '';
  if (installed) console.log(`testing the installed extension ${installed}`);
  const server = await startCodeServer({ cache, run, dirs, env });
  const { port, stop } = server;
  let code = 1;
  let context;
  try {
    context = await launchBrowser(cache, dirs.profile, env);
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
  const url = workbenchUrl(port, dataset, payload);
  await page.goto(url);
  const name = path.basename(dataset);
  const shot = (tag) => page.screenshot({ path: path.join(artifacts, `${name}-${tag}.png`) }).catch(() => undefined);
  const timer = setInterval(() => void shot(String(Date.now())), 15_000);
  let deadline;
  let code = await Promise.race([exited, new Promise((r) => (deadline = setTimeout(() => r('timeout'), TIMEOUT_MS)))]);
  clearTimeout(deadline); // a pending timer would keep Node (and CI) waiting for the whole TIMEOUT_MS
  clearInterval(timer);
  await shot('final');
  await page.close().catch(() => undefined);
  return code === 'timeout' ? 124 : code;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
