#!/usr/bin/env node
// Runs every compiled unit test (out/test/unit/**/*.test.js) with node:test.
// Usage: node scripts/run-tests.js [substring-filter]
'use strict';
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const filter = process.argv[2];
const files = walk(join(__dirname, '..', 'out', 'test', 'unit')).filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) { console.error('no test files found; did the build run?'); process.exit(1); }
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
