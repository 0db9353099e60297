#!/usr/bin/env node
'use strict';
require('../out/server/cli.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`labellint: ${err && err.message ? err.message : err}`); process.exitCode = 2; },
);
