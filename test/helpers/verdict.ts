// What every CLI answer must be, whatever went wrong: a documented exit code,
// no stack trace, and a first line that says what happened (DESIGN.md §5).
import type { CliResult } from './cli';

/** Exit codes DESIGN.md §5 documents for actions and for status. */
export const DOCUMENTED_CODES = [0, 1, 2, 3, 4, 5, 6, 7];

// "    at fn (file.js:1:2)", "    at node:internal/...", "    at file.js:1:2"
const STACK_LINE = /^\s+at (?:.+ \()?(?:node:|file:|\/|<anonymous>).*\)?$/m;

// (A caret under a line of a config file is the TOML parser's pointer, not a stack.)
export function hasStackTrace(text: string): boolean {
  return STACK_LINE.test(text) || /^Node\.js v\d+/m.test(text);
}

/** Why this result breaks the contract, or null when it keeps it. */
export function contractBreach(r: CliResult): string | null {
  if (r.signal) return `killed by ${r.signal}`;
  if (r.code === null || !DOCUMENTED_CODES.includes(r.code)) return `undocumented exit code ${r.code}`;
  if (hasStackTrace(r.stderr) || hasStackTrace(r.stdout)) return 'printed a stack trace';
  if (r.code !== 0 && !r.stderr.startsWith('taskdaemon: ') && !r.stdout.trim()) return `exit ${r.code} without a message`;
  return null;
}
