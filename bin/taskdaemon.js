#!/usr/bin/env -S node --
'use strict';
// (The -- ends node's own options: node scans its whole command line for
// --env-file, even after the script, and exits when that file is missing;
// `taskdaemon start app.js --env-file FILE` is ours.)
const args = process.argv.slice(2);
// `taskdaemon --version` alone needs none of the CLI: loading the bundle would
// be most of its cost (bench/RESULTS.md). The version comes from the same code
// as commander's (src/version.ts); any other form goes through the CLI.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  try {
    // Not process.stdout: building that stream costs more than the rest.
    require('node:fs').writeSync(1, `${require('../dist/version.js').packageVersion()}\n`);
  } catch (e) {
    if (e.code !== 'EPIPE') throw e; // a reader that went away (| head -0) is no error
  }
  return;
}
// node's Module class without node:module, which would load its ES module loader (0.5 ms).
const Module = module.constructor;
const fs = require('node:fs');
const path = require('node:path');
// dist/cli/main.js is one minified bundle: with --debug, stack traces map back to src/.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
// The command named (the first word, as src/cli/program.ts's commandsFor finds it)
// has a bundle of its own without the other commands (scripts/bundle.js): less to
// read and compile. A word that is not a plain command name (`../x`, a typo)
// never becomes a path: it goes to the whole CLI, which reports it.
const named = args.find((a) => !a.startsWith('-'));
let main = '../dist/cli/main.js';
if (named !== undefined && /^[a-z]+(-[a-z]+)*$/.test(named) && fs.existsSync(path.join(__dirname, `../dist/cli/main-${named}.js`))) {
  main = `../dist/cli/main-${named}.js`;
}
// The V8 code cache made for this very node (its version and CPU) when the
// package was built or installed (scripts/code-cache.js): it holds what the
// command runs, not just its load. Any other node compiles, with node's own
// compile cache on Node >= 22.1.
const file = path.join(__dirname, main);
let cachedData;
try {
  cachedData = fs.readFileSync(`${file}.${process.version}-${process.arch}.cache`);
} catch {
  /* not made for this node */
}
if (cachedData) {
  const vm = require('node:vm');
  const m = { exports: {} };
  // Code from a cache cannot import() (node loses its callback): `run app.mjs` imports from here (src/runtime/load-entry.ts).
  globalThis[Symbol.for('taskdaemon.import')] = (url) => import(url);
  new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData })
    .runInThisContext()
    .call(m.exports, m.exports, Module.createRequire(file), m, file, path.dirname(file));
  m.exports.main(process.argv);
} else {
  // In the package's own dist/, as trusted as the code it caches: not node's
  // default under /tmp, where another user could have made the directory first
  // and left code for root's next command. A user who cannot write here runs
  // without the cache (enableCompileCache never throws). Written at exit (src/exit-now.ts).
  require('node:module').enableCompileCache?.(path.join(__dirname, '..', 'dist', '.compile-cache'));
  require(main).main(process.argv);
}
