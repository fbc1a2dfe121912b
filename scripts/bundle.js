#!/usr/bin/env node
'use strict';
// Replaces two of tsc's outputs with one-file bundles of the same code (esbuild):
//   dist/cli/main.js      what bin/taskdaemon.js loads on every command
//   dist/runtime/boot.js  what every daemon execs (`node dist/runtime/boot.js`)
// (A supervised daemon execs native code, taskdaemon-supervisor: native/supervisor/.)
// A command or a daemon then reads and compiles one file instead of resolving,
// reading and wrapping ~25 (plus commander's); that is most of what the CLI
// cost over a bare `node -e 0` (bench/RESULTS.md). Same paths, same exports:
// without this step (tsc alone) everything still works, only slower.
// The rest of dist/ (the library, index.js) stays tsc's output, file per file.
//
// Modules loaded with require() inside a function stay lazy in the bundle
// (esbuild runs a module's body on its first require), but every byte of a
// bundle is parsed by every command. Kept outside: the native addon and
// node-gyp-build (found at run time), the generated config validator and the
// user's entry (required by computed paths), and the two dependencies only a
// config file or a typo needs.
const fs = require('node:fs');
const path = require('node:path');

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  // A dev dependency: an install without dev dependencies keeps tsc's files, which work the same.
  process.stderr.write('bundle: esbuild is not installed; dist/ keeps one file per module (slower to start)\n');
  process.exit(0);
}

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');

// Two rewrites of our own sources on their way into a bundle:
// - they find their files relative to where tsc puts them (dist/<dir>/x.js):
//   in a bundle at another depth, __dirname must still mean that directory;
// - `import * as fs from 'node:fs'` would become a copy of every export of the
//   built-in, once per importing file (esbuild's namespace interop, ~6% of a
//   command's CPU): a plain require() gives the same object.
function sourcesAsCompiled(outfile) {
  return {
    name: 'sources-as-compiled',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(SRC + path.sep)) return undefined;
        let text = fs.readFileSync(args.path, 'utf8');
        const compiledDir = path.join(DIST, path.relative(SRC, path.dirname(args.path)));
        const rel = path.relative(path.dirname(outfile), compiledDir);
        if (rel) text = text.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(rel)})`);
        text = text.replace(/^import \* as (\w+) from '(node:[\w/]+)';$/gm, "const $1 = require('$2');");
        return { contents: text, loader: 'ts' };
      });
    },
  };
}

// commander requires node:child_process at load for executable subcommands,
// which taskdaemon has none of; loading it (and net, stream, dgram with it)
// cost every command ~8 ms. Load it on first use instead.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}commander${path.sep}`) ? { path: 'lazy-child-process', namespace: 'lazy' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, key) => (m ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

// Some relative require()s of a bundle stay tsc's files (dist/**/*.js), loaded
// only when called: `leave(args)` picks them, by the importing source and the
// path it asks for. The bundle then requires that file relative to itself.
function leaveToTsc(outfile, leave) {
  return {
    name: 'leave-to-tsc',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'require-call' || !leave(args)) return undefined;
        const compiled = path.join(DIST, path.relative(SRC, args.resolveDir), `${args.path}.js`);
        return { path: `./${path.relative(path.dirname(outfile), compiled)}`, external: true };
      });
    },
  };
}

// One CLI bundle per command (dist/cli/main-NAME.js), which bin/taskdaemon.js
// loads when the command line names NAME: the same main(), without the other
// commands' modules, so a command reads and compiles less than half of
// main.js (bench/RESULTS.md). The other commands stay reachable, from tsc's
// files (dist/cli/commands/*.js), though neither parser ever runs them there.
// Commander stays out too (program.ts and node_modules, required on use): a
// plain command line never needs it (cli/quick-parse.ts); help and errors do.
const ACTIONS = path.join(SRC, 'cli', 'actions.ts');
const MAIN = path.join(SRC, 'cli', 'main.ts');
const onlyCommand = (outfile, name) =>
  leaveToTsc(outfile, (args) => (args.importer === ACTIONS && args.path.startsWith('./commands/') && args.path !== `./commands/${name}`) || (args.importer === MAIN && args.path === './program'));

// The library's lazy parts (index.ts and manager.ts require them inside
// functions: DaemonManager's calls, startDaemon, daemonize...) stay tsc's files
// when a daemon's bundle holds the library (runtime/own-api.ts): a program that
// calls them loads them then, and every other daemon never reads them.
const LIBRARY = new Set([path.join(SRC, 'index.ts'), path.join(SRC, 'manager.ts')]);
const lazyLibraryFromTsc = (outfile) => leaveToTsc(outfile, (args) => LIBRARY.has(args.importer));

async function bundle(entry, outfile, extra = {}) {
  // A new bundle makes every code cache of the old one stale, whichever node made it
  // (V8 checks a cache against the source's length only): scripts/code-cache.js remakes them.
  const dir = path.dirname(outfile);
  if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (f.startsWith(`${path.basename(outfile)}.`) && f.endsWith('.cache')) fs.rmSync(path.join(dir, f));
  await esbuild.build({
    entryPoints: [path.join(SRC, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // smol-toml and fastest-levenshtein serve only a config file or a typo: read from node_modules when used.
    external: ['node-gyp-build', '*.node', 'smol-toml', 'fastest-levenshtein'],
    logLevel: 'warning',
    legalComments: 'none',
    ...extra,
    plugins: [sourcesAsCompiled(outfile), lazyChildProcess, ...(extra.plugins ?? [])],
  });
}

// The CLI's bytes are read and parsed by every command: whitespace and comments out
// (names stay); its stack traces (--debug) map back to the sources through main.js.map.
const CLI = { minifyWhitespace: true, minifySyntax: true, sourcemap: 'linked', sourcesContent: false };
// tsc has just written the option table: its list of commands is the one commander knows.
const { COMMANDS } = require(path.join(DIST, 'option-table.js'));

Promise.all([
  bundle('cli/main.ts', path.join(DIST, 'cli', 'main.js'), CLI),
  ...COMMANDS.map((name) => {
    const outfile = path.join(DIST, 'cli', `main-${name}.js`);
    return bundle('cli/main.ts', outfile, { ...CLI, plugins: [onlyCommand(outfile, name)] });
  }),
  // A daemon's own stack traces land in its log as they are: left readable.
  bundle('runtime/boot.ts', path.join(DIST, 'runtime', 'boot.js'), { plugins: [lazyLibraryFromTsc(path.join(DIST, 'runtime', 'boot.js'))] }),
]).catch((err) => {
  process.stderr.write(`bundle: ${err.message}\n`);
  process.exit(1);
});
