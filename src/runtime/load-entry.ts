// Loading the user's entry module.
import { pathToFileURL } from 'node:url';

/** Where a loader that runs this code from a code cache leaves an import() of its own. */
const IMPORT_FROM_LOADER = Symbol.for('taskdaemon.import');

// require() first: it keeps the ES module loader (about 2 MB) out of CommonJS
// daemons, and on Node >= 20.19 it loads synchronous ES modules too. Only an
// ES module that require() cannot load (top-level await, or an older Node)
// goes through import().
export async function loadEntry(entry: string): Promise<unknown> {
  if (!entry.endsWith('.mjs')) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(entry) as unknown;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    }
  }
  const url = pathToFileURL(entry).href;
  // Code V8 took from a code cache (the CLI's bundles on Node < 22.1, which
  // `run` runs this from) has lost what node's import() needs
  // (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): bin/taskdaemon.js lends its own.
  const lent = (globalThis as { [k: symbol]: unknown })[IMPORT_FROM_LOADER];
  return typeof lent === 'function' ? (lent as (u: string) => Promise<unknown>)(url) : import(url);
}
