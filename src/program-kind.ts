// What an entry is, and how to exec it. A Node entry (JavaScript, or a
// script whose shebang names node) runs under taskdaemon's runtime: node
// execs boot.js, which loads it. Anything else (an ELF binary, a script for
// sh, python, ...) is exec'd itself, with no runtime inside it, after the same
// set-up (DESIGN.md §9). The daemon's start, the supervisor's instances and
// `run` all exec an entry through execPlan(), so they agree on what runs.
// See: man 2 execve (interpreter scripts), man 5 elf
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SetupStepName } from './setup-steps';

export type EntryKind = 'node' | 'program';

/** The runtime's first module: what node runs for a Node entry. */
export function bootScript(): string {
  return path.join(__dirname, 'runtime', 'boot.js');
}

// The interpreter a "#!" line names, as execve would run it; through
// /usr/bin/env (with -S and VAR=value words) the command env runs.
function interpreter(line: string): string {
  const words = line.slice(2).trim().split(/\s+/);
  const first = words[0] ?? '';
  if (path.basename(first) !== 'env') return path.basename(first);
  const cmd = words.slice(1).find((w) => !w.startsWith('-') && !w.includes('='));
  return cmd ? path.basename(cmd) : 'env';
}

/**
 * 'program' for an ELF binary or a script whose shebang names something other
 * than node; 'node' for everything else (JavaScript with or without a shebang).
 * A file the caller cannot read but may execute is a program too.
 */
export function entryKind(file: string): EntryKind {
  let head: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      head = Buffer.alloc(256);
      head = head.subarray(0, fs.readSync(fd, head, 0, head.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return 'program';
    } catch {
      return 'node';
    }
  }
  if (head.length >= 4 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return 'program';
  if (head.toString('latin1', 0, 2) !== '#!') return 'node';
  const line = head.toString('latin1').split('\n')[0]!;
  return /^node(js)?[\d.]*$/.test(interpreter(line)) ? 'node' : 'program';
}

export interface ExecPlan {
  /** What execve runs. */
  file: string;
  argv: string[];
  /** Files the process must be able to read after the privilege drop, with the step a failure reports. */
  readable: { path: string; step: SetupStepName }[];
  /** Whether taskdaemon's runtime runs inside: it then takes the boot marker, control socket and ready pipe. */
  runtime: boolean;
}

/** How to exec `entry`: node with the boot script and the entry, or the program itself. */
export function execPlan(o: { entry: string; args: readonly string[]; kind: EntryKind }, node: string = process.execPath): ExecPlan {
  if (o.kind === 'program') return { file: o.entry, argv: [o.entry, ...o.args], readable: [], runtime: false };
  const boot = bootScript();
  return {
    file: node,
    // '--': node would take an --env-file among the program's arguments for its own.
    argv: [node, '--', boot, o.entry, ...o.args],
    readable: [
      { path: boot, step: 'open(boot script)' },
      { path: o.entry, step: 'open(entry)' },
    ],
    runtime: true,
  };
}
