#!/usr/bin/env node
'use strict';
// Node >= 22.1 caches compiled code between runs: every command starts faster.
require('node:module').enableCompileCache?.();
require('../dist/cli/main.js').main(process.argv);
