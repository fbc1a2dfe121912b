// The program's require('taskdaemon') gets the library this runtime has
// already loaded, when it resolves to this very package: one copy in the
// daemon instead of two (the same defineDaemon, DaemonManager, EXIT...), and
// nothing more to read and compile before the program's own code runs
// (bench/RESULTS.md). A program whose 'taskdaemon' is another copy (its own
// node_modules, another version) loads that one, as before.
// The library's lazy parts (startDaemon, DaemonManager's calls...) are tsc's
// files, loaded when called (scripts/bundle.js); they find the same errors
// module as the rest here, so `instanceof TaskdaemonError` holds for every
// error of the library, whichever part threw it.
// The program's require('taskdaemon') by name, from its own node_modules,
// also finds its answer ready when node would resolve it to this very package
// (seedOwnResolution): node then skips the ES module resolver that reads the
// package's "exports" (about 3 ms of a daemon's start, bench/RESULTS.md).
// See: https://nodejs.org/api/modules.html#caching (require.cache)
// See: https://nodejs.org/api/modules.html#all-together (LOAD_NODE_MODULES)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFlags } from '../node-flags';

interface ModuleInternals {
  new (id: string): NodeJS.Module;
  _cache: { [file: string]: NodeJS.Module | undefined };
  _pathCache: { [key: string]: string | undefined };
  _extensions: object;
  _nodeModulePaths(dir: string): string[];
  createRequire(file: string): NodeJS.Require;
}

const NAME = 'taskdaemon';

// Where node's require(NAME) from `entry` lands, found as node's _findPath does:
// the first lookup directory that holds NAME as a directory or a file (with
// any extension node knows). Its real path, or null if none holds it.
function whereRequireLands(Module: ModuleInternals, entry: string): { dir: string; paths: string[] } | null {
  const paths = Module.createRequire(entry).resolve.paths(NAME) ?? [];
  for (const dir of paths) {
    const base = path.join(dir, NAME);
    if (fs.existsSync(base)) return { dir: fs.realpathSync(base), paths };
    if (Object.keys(Module._extensions).some((ext) => fs.existsSync(base + ext))) return null;
  }
  return null;
}

// Node's own cache of resolutions (request and lookup directories -> file),
// filled in with what node would find itself, and only for this package:
// `index` is its dist/index.js, a real path.
function seedOwnResolution(Module: ModuleInternals, entry: string, index: string): void {
  // Node keeps symlinked paths as they are then: its answer would not be our real path.
  if (/--preserve-symlinks(?!-)/.test(nodeFlags()) || process.env.NODE_PRESERVE_SYMLINKS === '1') return;
  try {
    const lands = whereRequireLands(Module, fs.realpathSync(entry));
    if (lands === null || lands.dir !== path.dirname(path.dirname(index))) return;
    Module._pathCache[`${NAME}\x00${lands.paths.join('\x00')}`] = index;
  } catch {
    /* an entry or directory that vanished: node resolves it itself, as without this */
  }
}

// The file the package's "exports" names: what require('taskdaemon') resolves to.
const INDEX = '../index.js';
// dist/ files (relative to dist/runtime/) and the bundled modules that stand for them.
const OWN: [string, () => unknown][] = [
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ['../errors.js', () => require('../errors')],
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  [INDEX, () => require('../index')],
];

export function offerOwnApi(entry: string): void {
  // This module's own Module class: require('node:module') would load node's ES module loader too.
  // (A loader that ran this file with a plain object for `module` gets node's.)
  const own = module.constructor as unknown as Partial<ModuleInternals>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = (typeof own._nodeModulePaths === 'function' ? own : require('node:module')) as ModuleInternals;
  let index = '';
  for (const [rel, load] of OWN) {
    let file: string;
    try {
      file = fs.realpathSync(path.join(__dirname, rel)); // require.cache keys are real paths
    } catch {
      return; // a bundle without the library beside it: the program loads its own
    }
    if (rel === INDEX) index = file;
    if (Module._cache[file]) continue;
    const m = new Module(file);
    m.filename = file;
    m.paths = Module._nodeModulePaths(path.dirname(file));
    m.exports = load();
    m.loaded = true;
    Module._cache[file] = m;
  }
  seedOwnResolution(Module, entry, index);
}
