// The service files this package ships (systemd/, initd/) as the one source of
// every file `install` renders: a rendered file is a shipped one with named
// lines replaced, so both get the same directives and the same hardening. An
// edit whose line is not in the shipped file fails loudly rather than render
// a file that silently lacks it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';

export type ShippedName = 'systemd/taskdaemon@.service' | 'systemd/taskdaemon-notify@.service' | 'systemd/taskdaemon-notify@.socket' | 'initd/taskdaemon';

/** A line: its exact text, or a pattern that must select exactly one. */
export type LineMatch = string | RegExp;

// dist/install/ (or src/install/ under the tests) is two levels below the package root.
export function shippedPath(name: ShippedName): string {
  return path.join(__dirname, '..', '..', name);
}

function broken(message: string, cause?: unknown): TaskdaemonError {
  return new TaskdaemonError(message, {
    exitCode: EXIT.NOT_INSTALLED,
    code: 'ERR_SHIPPED_FILE',
    hint: 'reinstall taskdaemon: install renders its files from the ones it ships',
    ...(cause !== undefined ? { cause } : {}),
  });
}

export function readShipped(name: ShippedName): ShippedFile {
  const file = shippedPath(name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw broken(`cannot read ${file}: ${(e as Error).message}`, e);
  }
  return new ShippedFile(file, text);
}

export class ShippedFile {
  private lines: string[];

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.lines = text.split('\n');
  }

  private indexOf(match: LineMatch): number {
    const hits: number[] = [];
    this.lines.forEach((l, i) => {
      if (typeof match === 'string' ? l === match : match.test(l)) hits.push(i);
    });
    if (hits.length !== 1) {
      const what = typeof match === 'string' ? JSON.stringify(match) : String(match);
      throw broken(`${this.file}: expected one line ${what}, found ${hits.length}`);
    }
    return hits[0]!;
  }

  line(match: LineMatch): string {
    return this.lines[this.indexOf(match)]!;
  }

  /** Put `by` in place of the one line `match` selects (no lines: delete it). */
  replace(match: LineMatch, by: string[]): this {
    this.lines.splice(this.indexOf(match), 1, ...by);
    return this;
  }

  /** Delete the line and the comment lines right above it, which speak of it. */
  remove(match: LineMatch): this {
    const i = this.indexOf(match);
    let from = i;
    while (from > 0 && this.lines[from - 1]!.startsWith('#')) from--;
    this.lines.splice(from, i - from + 1);
    return this;
  }

  /** Put `by` in place of the lines from `first` through `last`. */
  replaceRange(first: LineMatch, last: LineMatch, by: string[]): this {
    const a = this.indexOf(first);
    const b = this.indexOf(last);
    if (b < a) throw broken(`${this.file}: ${String(last)} comes before ${String(first)}`);
    this.lines.splice(a, b - a + 1, ...by);
    return this;
  }

  /** Put `by` in place of the comment lines the file starts with. */
  replaceLeadingComment(by: string[]): this {
    let n = 0;
    while (n < this.lines.length && this.lines[n]!.startsWith('#')) n++;
    this.lines.splice(0, n, ...by);
    return this;
  }

  /** Fail when a line that the rendering should have replaced is still there. */
  refuseLeft(match: RegExp, what: string): this {
    const left = this.lines.find((l) => match.test(l));
    if (left !== undefined) throw broken(`${this.file}: ${what} is left after rendering: ${left}`);
    return this;
  }

  text(): string {
    return this.lines.join('\n');
  }
}
