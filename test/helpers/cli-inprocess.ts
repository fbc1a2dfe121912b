// The CLI run inside the test process, for fuzzing at volume: the built
// program (dist/, what bin/taskdaemon.js runs) from createProgram() with
// exitOverride, its fds 1 and 2 pointed at a file for the duration, and the
// same error-to-exit-code mapping as src/cli/main.ts. Commands that only read
// (config, install, status, stop, reload, health, logs) run for real; start,
// restart and run stop after resolving their options, the step that checks
// every value, so nothing is forked.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Command } from 'commander';
import type * as Errors from '../../src/errors';
import type * as Native from '../../src/native';
import type * as Actions from '../../src/cli/actions';
import type * as Program from '../../src/cli/program';
import type * as Shared from '../../src/cli/shared';
import { ROOT } from './cli';

const load = createRequire(path.join(ROOT, 'package.json'));
const dist = <T>(file: string): T => load(path.join(ROOT, 'dist', file)) as T;

export interface InProcessResult {
  code: number;
  output: string;
  /** Set when a failure was not a TaskdaemonError nor a system error: an unhandled path. */
  crash: string | null;
  command: string | null;
}

const RUNS = new Set(['config', 'install', 'status', 'stop', 'reload', 'health', 'logs']);
const RESOLVES = new Set(['start', 'restart', 'run']);

// Errors the CLI turns into one clear line: its own, and system errors (ENOENT, EACCES, ...).
function crashOf(e: unknown, errors: typeof Errors): string | null {
  if (e instanceof errors.TaskdaemonError) return null; // main.ts prints its message on one line (oneLine)
  const err = e as { code?: unknown; syscall?: unknown; message?: unknown; stack?: unknown };
  if (typeof err?.code === 'string' && /^E[A-Z0-9]+$/.test(err.code) && typeof err.syscall === 'string') return null;
  return String(err?.stack ?? err?.message ?? e);
}

export class InProcessCli {
  private readonly errors = dist<typeof Errors>('errors.js');
  private readonly program = dist<typeof Program>('cli/program.js');
  private readonly actions = dist<typeof Actions>('cli/actions.js').ACTIONS;
  private readonly shared = dist<typeof Shared>('cli/shared.js');
  private readonly native = dist<typeof Native>('native.js').native();
  private readonly capture: string;
  private readonly saved: [number, number];

  constructor(private readonly dir: string) {
    this.capture = path.join(dir, 'captured-output');
    // Our own copies of fds 1 and 2 (which may be sockets), to put back after each run:
    // take a free fd number, then dup2(2) the original over it.
    this.saved = [fs.openSync('/dev/null', 'r'), fs.openSync('/dev/null', 'r')];
    this.native.dup2(1, this.saved[0]);
    this.native.dup2(2, this.saved[1]);
  }

  close(): void {
    for (const fd of this.saved) fs.closeSync(fd);
  }

  /** Runs one command line; `timeoutMs` bounds an asynchronous command (a hang is reported as a crash). */
  async run(argv: string[], env: { [k: string]: string }, timeoutMs = 10_000): Promise<InProcessResult> {
    const out = fs.openSync(this.capture, 'w');
    const cwd = process.cwd();
    const envBefore = { ...process.env };
    let command: string | null = null;
    let code = 0;
    let crash: string | null = null;
    try {
      Object.assign(process.env, env);
      process.chdir(this.dir); // relative paths in the fuzzed argv land in the sandbox
      this.native.dup2(out, 1);
      this.native.dup2(out, 2);
      let action: (() => Program.Action) | null = null;
      const program: Command = this.program.createProgram((c, operands, flags) => void (action = () => this.actions[c](operands, flags)), '0.0.0-fuzz');
      program.hook('preAction', (_self, actionCommand) => void (command = actionCommand.name()));
      try {
        program.parse(argv, { from: 'user' });
        code = await this.act(program, command, action, timeoutMs);
      } catch (e) {
        const commander = e as { code?: string; exitCode?: number };
        if (typeof commander.code === 'string' && commander.code.startsWith('commander.')) {
          code = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(commander.code) ? 0 : 2;
        } else {
          code = this.errors.exitCodeFor(e);
          crash = crashOf(e, this.errors);
        }
      }
    } finally {
      this.native.dup2(this.saved[0], 1);
      this.native.dup2(this.saved[1], 2);
      fs.closeSync(out);
      process.chdir(cwd);
      for (const k of Object.keys(process.env)) if (!(k in envBefore)) delete process.env[k];
      Object.assign(process.env, envBefore);
    }
    return { code, output: fs.readFileSync(this.capture, 'utf8'), crash, command };
  }

  private async act(program: Command, command: string | null, action: (() => Program.Action) | null, timeoutMs: number): Promise<number> {
    if (!action || !command) return 0;
    if (RESOLVES.has(command)) {
      const cmd = program.commands.find((c) => c.name() === command)!;
      const [entry, args] = cmd.processedArgs as [string | undefined, string[] | undefined];
      this.shared.resolveDaemon(entry, args ?? [], cmd.opts());
      return 0;
    }
    if (!RUNS.has(command)) return 0;
    // `logs -f` follows until interrupted, by design: parsed, not run.
    if (command === 'logs' && program.commands.find((c) => c.name() === 'logs')!.opts().follow) return 0;
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      Promise.resolve().then(action),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang: no result within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return result ?? 0;
  }
}
