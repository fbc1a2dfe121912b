// Terminal output without building process.stdout (the first console.log
// costs ~8 ms; DESIGN.md §7). Color only on a TTY and never with NO_COLOR.
import * as fs from 'node:fs';
import * as tty from 'node:tty';

export function out(text: string): void {
  fs.writeSync(1, text.endsWith('\n') ? text : text + '\n');
}

export function err(text: string): void {
  fs.writeSync(2, text.endsWith('\n') ? text : text + '\n');
}

export function color(fd: 1 | 2, code: number, text: string): string {
  if (process.env.NO_COLOR !== undefined || !tty.isatty(fd)) return text;
  return `\x1b[${code}m${text}\x1b[0m`;
}

export function json(value: unknown): void {
  out(JSON.stringify(value));
}
