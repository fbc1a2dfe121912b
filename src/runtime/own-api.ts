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
// See: https://nodejs.org/api/modules.html#caching (require.cache)
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ModuleInternals {
  new (id: string): NodeJS.Module;
  _cache: { [file: string]: NodeJS.Module | undefined };
  _nodeModulePaths(dir: string): string[];
}

// dist/ files (relative to dist/runtime/) and the bundled modules that stand for them.
const OWN: [string, () => unknown][] = [
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ['../errors.js', () => require('../errors')],
  // The file the package's "exports" names: what require('taskdaemon') resolves to.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ['../index.js', () => require('../index')],
];

export function offerOwnApi(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('node:module') as ModuleInternals;
  for (const [rel, load] of OWN) {
    let file: string;
    try {
      file = fs.realpathSync(path.join(__dirname, rel)); // require.cache keys are real paths
    } catch {
      return; // a bundle without the library beside it: the program loads its own
    }
    if (Module._cache[file]) continue;
    const m = new Module(file);
    m.filename = file;
    m.paths = Module._nodeModulePaths(path.dirname(file));
    m.exports = load();
    m.loaded = true;
    Module._cache[file] = m;
  }
}
