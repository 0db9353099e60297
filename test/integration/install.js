#!/usr/bin/env node
// Installs what the integration tests need, OUTSIDE the repository (see /work/shared/testing.md):
// Debian chromium + ripgrep, then code-server@4.100.3 and playwright-core into a cache dir.
// Idempotent. Usage: node test/integration/install.js   (env LABELLINT_IT_CACHE overrides the cache dir)
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CODE_SERVER = 'code-server@4.100.3';
const PLAYWRIGHT = 'playwright-core@1.52.0';
const RG_TARBALL = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

function cacheDir() {
  return process.env.LABELLINT_IT_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'labellint-it');
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function sh(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', ...opts });
}

function install() {
  const cache = cacheDir();
  fs.mkdirSync(cache, { recursive: true });
  if (!has('chromium') || !has('rg')) {
    sh('apt-get', ['update']);
    sh('apt-get', ['install', '-y', 'chromium', 'libkrb5-dev', 'ripgrep'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const bin = path.join(cache, 'node_modules', '.bin', 'code-server');
  if (fs.existsSync(bin) && fs.existsSync(path.join(cache, 'node_modules', 'playwright-core'))) return cache;
  const tmp = path.join(cache, 'tmp');
  const rgCache = path.join(tmp, 'vscode-ripgrep-cache-1.15.11');
  fs.mkdirSync(rgCache, { recursive: true });
  if (!fs.existsSync(path.join(rgCache, RG_TARBALL))) {
    const stage = fs.mkdtempSync(path.join(tmp, 'rg-'));
    fs.copyFileSync('/usr/bin/rg', path.join(stage, 'rg'));
    sh('tar', ['-czf', path.join(rgCache, RG_TARBALL), '-C', stage, 'rg']);
  }
  // npm ≥ 11 skips dependency install scripts unless package.json allows them (older npm ignores the field);
  // code-server's postinstall refuses to run as root without unsafe-perm, which npm 11 only takes from the env.
  const pkg = path.join(cache, 'package.json');
  const manifest = fs.existsSync(pkg) ? JSON.parse(fs.readFileSync(pkg, 'utf8')) : { private: true };
  manifest.allowScripts = { ...(manifest.allowScripts || {}), 'code-server': true, argon2: true };
  fs.writeFileSync(pkg, JSON.stringify(manifest, null, 2) + '\n');
  const env = { ...process.env, npm_config_yes: 'true', npm_config_nodedir: '/usr', npm_config_unsafe_perm: 'true', TMPDIR: tmp };
  sh('npm', ['install', '--no-audit', '--no-fund', '--unsafe-perm', CODE_SERVER, PLAYWRIGHT], { cwd: cache, env });
  if (!fs.existsSync(path.join(cache, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules'))) {
    sh('npm', ['rebuild', 'code-server', 'argon2'], { cwd: cache, env });
  }
  return cache;
}

module.exports = { install, cacheDir };
if (require.main === module) console.log(`installed in ${install()}`);
