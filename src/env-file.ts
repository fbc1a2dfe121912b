// Environment files in systemd's EnvironmentFile= format, so the file a unit
// already uses works here unchanged: KEY=VALUE lines; blank lines and lines
// starting with # or ; are comments; a line without '=' is ignored; values may
// be 'single-quoted' (literal) or "double-quoted" (\" \\ \` \$ escaped); an
// unquoted value loses its trailing blanks; a backslash at the end of a line
// continues it. No library parses this dialect (dotenv's differs on '#' inside
// values and on ';'), so this follows systemd's src/basic/env-file.c.
// See: man 5 systemd.exec (EnvironmentFile=)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from './exit-codes';
import { TaskdaemonError } from './errors';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BLANK = ' \t';

export function parseEnvFile(text: string): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  let i = 0;
  const n = text.length;
  const lineEnd = (c: string | undefined): boolean => c === undefined || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && (BLANK.includes(text[i]!) || text[i] === '\n' || text[i] === '\r')) i++;
    if (i >= n) break;
    if (text[i] === '#' || text[i] === ';') {
      // A comment runs to the end of the line; a backslash before the newline continues it.
      while (i < n && !lineEnd(text[i])) i += text[i] === '\\' ? 2 : 1;
      continue;
    }
    let key = '';
    while (i < n && text[i] !== '=' && !lineEnd(text[i])) key += text[i++];
    if (text[i] !== '=') continue; // no '=' on this line: ignored, as systemd does
    i++;
    key = key.trim();
    while (i < n && BLANK.includes(text[i]!)) i++;
    let value = '';
    let trailingBlanks = 0; // unquoted blanks at the end are dropped
    while (i < n && !lineEnd(text[i])) {
      const c = text[i]!;
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        const end = close === -1 ? n : close;
        value += text.slice(i + 1, end);
        i = end + 1;
        trailingBlanks = 0;
      } else if (c === '"') {
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) {
            const next = text[i + 1]!;
            if (next === '\n') i += 2; // continuation
            else if ('"\\`$'.includes(next)) (value += next), (i += 2);
            else (value += '\\'), i++;
          } else value += text[i++];
        }
        i++;
        trailingBlanks = 0;
      } else if (c === '\\') {
        const next = text[i + 1];
        if (next === '\n') i += 2; // continuation
        else if (next !== undefined) (value += next), (i += 2), (trailingBlanks = 0);
        else i++;
      } else {
        value += c;
        trailingBlanks = BLANK.includes(c) ? trailingBlanks + 1 : 0;
        i++;
      }
    }
    if (trailingBlanks) value = value.slice(0, -trailingBlanks);
    if (NAME.test(key)) out[key] = value;
  }
  return out;
}

/** An env file given as `FILE` or `-FILE`, made absolute against `base`; the '-' (may be missing) stays in front. */
export function resolveEnvFileSpec(spec: string, base = process.cwd()): string {
  return spec.startsWith('-') ? '-' + path.resolve(base, spec.slice(1)) : path.resolve(base, spec);
}

/**
 * Read an environment file; `-FILE` (as in systemd) may be missing. A file that
 * cannot be read is a configuration error (exit 6).
 */
export function readEnvFile(spec: string): { [key: string]: string } {
  const optional = spec.startsWith('-');
  const file = optional ? spec.slice(1) : spec;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return {};
    throw new TaskdaemonError(`cannot read env file ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      exitCode: EXIT.NOT_CONFIGURED,
      code: 'ERR_BAD_ENV_FILE',
      hint: code === 'ENOENT' ? `write it as --env-file -${file} if it may be missing` : undefined,
    });
  }
  return parseEnvFile(text);
}
