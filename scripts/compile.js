#!/usr/bin/env node
'use strict';
// Every build step, in order: `npm run compile` (with --write-schema) and the
// tests' global setup run this one list.
//   generated/steps.js   from native/steps.h (src imports it, so before tsc)
//   dist/                tsc, one file per module
//   generated/config-validator.js  from the option table (--write-schema: schema/ too)
//   dist/cli/main.js (+ main-NAME.js per command), dist/runtime/boot.js  bundled over tsc's
//   the CLI bundles' code caches (Node < 22.1), man/taskdaemon.1
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const writeSchema = process.argv.includes('--write-schema');
const STEPS = [
  ['scripts/compile-steps.js'],
  ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
  ['scripts/compile-schema.js', ...(writeSchema ? ['--write-schema'] : [])],
  ['scripts/bundle.js'],
  ['scripts/code-cache.js'],
  ['scripts/man.js'],
];
for (const [script, ...args] of STEPS) {
  execFileSync(process.execPath, [path.join(ROOT, script), ...args], { cwd: ROOT, stdio: 'inherit' });
}
