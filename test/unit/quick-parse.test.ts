// The quick parser (src/cli/quick-parse.ts) runs a plain command line without
// commander. It must never read a command line differently: on thousands of
// generated lines for every command (good and bad flags, values, repeats,
// negations, choices, operands, `--`, --debug anywhere, short flags and
// clusters), whatever it accepts commander parses to the very same command,
// operands and flags; whatever commander rejects it leaves to commander.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

/* eslint-disable @typescript-eslint/no-require-imports */
const table = require(path.join(ROOT, 'dist', 'option-table.js')) as typeof import('../../src/option-table');
const { quickParse } = require(path.join(ROOT, 'dist', 'cli', 'quick-parse.js')) as typeof import('../../src/cli/quick-parse');
const { createProgram } = require(path.join(ROOT, 'dist', 'cli', 'program.js')) as typeof import('../../src/cli/program');
/* eslint-enable @typescript-eslint/no-require-imports */

type Parsed = { command: string; operands: unknown[]; flags: { [k: string]: unknown } };
const silent = { writeOut: () => {}, writeErr: () => {}, outputError: () => {} };

// What commander makes of the line: the command it would run, with what; null for help, version or an error.
function viaCommander(args: string[]): Parsed | null {
  let got: Parsed | null = null;
  try {
    const program = createProgram((command, operands, flags) => void (got = { command, operands, flags: { ...flags } }), '0').configureOutput(silent);
    for (const c of program.commands) c.configureOutput(silent);
    program.parse(['node', 'taskdaemon', ...args]);
  } catch {
    return null; // commander's exit: help, version, or an error
  }
  return got;
}

// A small seeded generator: the same lines on every run.
function rng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
}

const VALUES = ['api', '5', '0.5', '500ms', 'json', 'text', 'debug', 'always', 'notify', 'K=V', '/tmp/x.pid', '', '-x', '--json', 'tcp:127.0.0.1:80', 'on-failure', 'TERM/5/KILL/1', '--'];
const NOISE = ['--', '--debug', '-h', '--help', '-V', '--version', '--bogus', '-z', '-fn', '-n5', '-', 'extra', '--json=1', '--name=', '--no-json', 'app.js', '-1'];

function lineFor(command: string, r: () => number): string[] {
  const specs = table.optionsOf(command as import('../../src/option-table').CommandName);
  const out: string[] = [];
  if (r() < 0.1) out.push('--debug');
  out.push(command);
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const pick = r();
    if (pick < 0.55 && specs.length > 0) {
      const o = specs[Math.floor(r() * specs.length)]!;
      const m = /^(?:-(\w), )?(--[\w-]+)( <.+>)?$/.exec(o.flag!)!;
      const name = m[1] && r() < 0.5 ? `-${m[1]}` : m[2]!;
      const value = o.choices && r() < 0.7 ? o.choices[Math.floor(r() * o.choices.length)]! : VALUES[Math.floor(r() * VALUES.length)]!;
      if (!m[3]) out.push(name);
      else if (r() < 0.3 && name.startsWith('--')) out.push(`${name}=${value}`);
      else out.push(name, value);
    } else if (pick < 0.85) out.push(['api', 'app.js', 'show', 'x', 'systemd', 'flush', '{"a":1}'][Math.floor(r() * 7)]!);
    else out.push(NOISE[Math.floor(r() * NOISE.length)]!);
  }
  return out;
}

describe('the quick parser', () => {
  it('reads the common command lines itself', () => {
    for (const args of [
      ['status', 'api'],
      ['status', '--pidfile', '/run/x.pid', '--json'],
      ['stop', 'api', '--retry', 'TERM/30/KILL/5'],
      ['start', 'app.js', '--name', 'api', '--user', 'nobody', '--', '--port', '8080'],
      ['reload', 'api', '--json'],
      ['logs', 'api', '-n', '50', '-f'],
      ['list', '--json'],
      ['--debug', 'call', 'api', 'flush', '{"a":1}'],
      ['run', 'app.js', '--no-pidfile'],
    ]) {
      const q = quickParse(args);
      expect(q, args.join(' ')).not.toBeNull();
      expect(q, args.join(' ')).toEqual(viaCommander(args));
    }
  });

  it('leaves help, version and errors to commander', () => {
    for (const args of [[], ['status', '--help'], ['stop', '-h'], ['--version'], ['status', '--bogus'], ['stop', 'a', 'b'], ['start', '--restart', 'sometimes'], ['logs', '-fn', '5'], ['help', 'status'], ['stauts']]) {
      expect(quickParse(args), args.join(' ')).toBeNull();
    }
  });

  it('never reads a line differently from commander (6,000 generated lines)', () => {
    const r = rng(20261202);
    let accepted = 0;
    for (let i = 0; i < 6000; i++) {
      const command = table.COMMANDS[i % table.COMMANDS.length]!;
      const args = lineFor(command, r);
      const q = quickParse(args);
      if (q === null) continue;
      accepted++;
      expect(q, args.join(' ')).toEqual(viaCommander(args));
    }
    // Most generated lines are plain enough for the quick parser: the comparison is not empty.
    expect(accepted).toBeGreaterThan(2000);
  });
});
