#!/usr/bin/env node
'use strict';
// Node >= 22.1 caches compiled code between runs: every command starts faster.
require('node:module').enableCompileCache?.();
// dist/cli/main.js is one minified bundle: with --debug, stack traces map back to src/.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
require('../dist/cli/main.js').main(process.argv);
