// Loading the user's entry module.
import { pathToFileURL } from 'node:url';

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
  return import(pathToFileURL(entry).href);
}

