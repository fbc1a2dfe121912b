#!/usr/bin/env -S node --
'use strict';
// (The -- ends node's own options: node scans its whole command line for
// --env-file, even after the script, and exits when that file is missing;
// `taskdaemon start app.js --env-file FILE` is ours.)
// Node >= 22.1 caches compiled code between runs: every command starts faster.
require('node:module').enableCompileCache?.();
// dist/cli/main.js is one minified bundle: with --debug, stack traces map back to src/.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
require('../dist/cli/main.js').main(process.argv);
