#!/usr/bin/env node
'use strict';
// V8's code cache for the CLI bundle, for Node < 22.1 (22.1+ keeps its own
// compile cache, enabled in bin/taskdaemon.js). Compiling dist/cli/main.js is
// the largest part of what a command costs over `node -e 0` on Node 20
// (bench/RESULTS.md); with the cache V8 deserializes instead of compiling.
// Written at build time, next to the bundle and as trusted as it, named for the
// node that made it (version and architecture: V8 checks its version but not
// the CPU, and an x64 cache loaded by an arm64 node crashes it); any other node
// compiles the bundle as usual. See: https://v8.dev/blog/code-caching-for-devs
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire, wrap } = require('node:module');

const file = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
const script = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file });
// Running the module body compiles what every command runs at load, so the cache holds it too.
const m = { exports: {} };
script.runInThisContext().call(m.exports, m.exports, createRequire(file), m, file, path.dirname(file));
fs.writeFileSync(`${file}.${process.version}-${process.arch}.cache`, script.createCachedData());
