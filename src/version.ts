// This package's version, from package.json (one level above src/ and dist/),
// read when first asked: the CLI's --version and status, the daemon's reports.
import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

export function packageVersion(): string {
  cached ??= (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
