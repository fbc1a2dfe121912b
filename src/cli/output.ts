// Terminal output without building process.stdout (the first console.log
// costs ~8 ms; DESIGN.md §7). Color only on a TTY and never with NO_COLOR.
import * as fs from 'node:fs';
import type * as Tty from 'node:tty';
import { native } from '../native';

const pause = new Int32Array(new SharedArrayBuffer(4));
let readerGone = false;

// Writes all of `text` to fd 1 or 2. The fd may be a non-blocking pipe (another
// process sharing it made it so): a big write then goes out in parts or fails
// with EAGAIN until the reader catches up. A reader that went away (EPIPE, as
// in `taskdaemon status | head -1`) ends the output, not the command: its exit
// code still tells what happened.
export function writeAll(fd: 1 | 2, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0 && !readerGone) {
    try {
      rest = rest.subarray(fs.writeSync(fd, rest));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') readerGone = true;
      else if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 10);
      else throw e;
    }
  }
}

/** True once stdout's reader has gone (EPIPE): followers can stop. */
export function outputClosed(): boolean {
  return readerGone;
}

let wroteStdout = false;

/** True once anything went to stdout: a --json failure then adds no second object. */
export function stdoutUsed(): boolean {
  return wroteStdout;
}

export function out(text: string): void {
  wroteStdout = true;
  writeAll(1, text.endsWith('\n') ? text : text + '\n');
}

export function err(text: string): void {
  writeAll(2, text.endsWith('\n') ? text : text + '\n');
}

// node:tty brings net and the stream classes with it (~3 ms): the addon, which
// a command has loaded anyway, answers instead; node:tty only where it cannot load.
export function isatty(fd: number): boolean {
  try {
    return native().isatty(fd);
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:tty') as typeof Tty).isatty(fd);
  }
}

export function color(fd: 1 | 2, code: number, text: string): string {
  if (process.env.NO_COLOR !== undefined || !isatty(fd)) return text;
  return `\x1b[${code}m${text}\x1b[0m`;
}

export function json(value: unknown): void {
  out(JSON.stringify(value));
}

// A value from the user (a path, a name) may hold a newline or a terminal
// escape: inside a message it is shown escaped, so the message stays one line
// and cannot write on the operator's terminal.
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
