// This package's version, read once from package.json (one level above src/ and dist/).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const VERSION: string = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
