// CLI entry: parse, run one command, map every failure to one line, an
// optional hint, and its LSB exit code (stack traces only with --debug).
// A plain command line skips commander (quick-parse.ts); anything else loads it.
import type { CommanderError } from 'commander';
import { EXIT, STATUS_EXIT } from '../exit-codes';
import { errorFacts, exitCodeFor, TaskdaemonError } from '../errors';
import { exitAfterListeners } from '../exit-now';
import { native } from '../native';
import { packageVersion } from '../version';
import { ACTIONS, type Action } from './actions';
import { err, json, oneLine, stdoutUsed } from './output';
import type * as Program from './program';
import { quickParse } from './quick-parse';
import { waitOnMainThread } from '../blocking-waits';

// Commands that make one control call or wait at a time and have nothing else
// to do meanwhile: they wait on the main thread (blocking-waits.ts). Not `list`
// (every daemon at once) nor `start`/`restart` (SIGINT handlers while they wait).
const WAIT_ON_MAIN_THREAD: ReadonlySet<string> = new Set(['status', 'stop', 'reload', 'health', 'call']);


function report(e: unknown, debug: boolean, asJson: boolean): number {
  const code = exitCodeFor(e);
  const message = e instanceof Error ? e.message : String(e);
  err(`taskdaemon: ${oneLine(message)}`);
  const hint = e instanceof TaskdaemonError ? e.hint : undefined;
  if (hint) err(hint);
  if (debug && e instanceof Error && e.stack) err(e.stack);
  // With --json a failure is data too: one object on stdout, unless the command already printed its own.
  if (asJson && !stdoutUsed()) {
    json({ ok: false, exitCode: code, error: errorFacts(e) });
  }
  return code;
}

// `taskdaemon start app.js --port 8080`: the program's flag was taken for ours.
function dashDashHint(e: CommanderError, argv: string[]): void {
  const m = /unknown option '([^']+)'/.exec(e.message);
  const args = argv.slice(2);
  const cmd = args.find((a) => !a.startsWith('-'));
  if (!m || !cmd || !['start', 'run', 'restart', 'install'].includes(cmd) || args.includes('--')) return;
  const at = args.indexOf(m[1]!);
  if (at < 0) return;
  const fixed = [...args.slice(0, at), '--', ...args.slice(at)];
  err(`if ${m[1]} is for your program, put it after '--': taskdaemon ${fixed.join(' ')}`);
}

// Before any command touches anything: an unsupported machine gets one ERR_UNSUPPORTED_PLATFORM
// line and exit 5 (LSB "not installed"), or 4 from status (LSB "unknown"), never a half-done action.
function requireSupportedPlatform(command: string): void {
  try {
    native();
  } catch (e) {
    if (command !== 'status' || !(e instanceof TaskdaemonError)) throw e;
    throw new TaskdaemonError(e.message, { code: e.code, exitCode: STATUS_EXIT.UNKNOWN, ...(e.hint && { hint: e.hint }) });
  }
}

export function main(argv: string[] = process.argv): void {
  const debug = argv.includes('--debug');
  const asJson = argv.includes('--json') && !argv.slice(0, argv.indexOf('--json')).includes('--');
  const runner = (action: () => Action): void => {
    Promise.resolve()
      .then(action)
      .then(
        (code) => {
          if (code !== null) exitAfterListeners(code);
        },
        (e: unknown) => exitAfterListeners(report(e, debug, asJson)),
      );
  };
  // One way to run a command, whichever parser read the line: from this bundle's ACTIONS, never program.ts's own imports.
  const run: Program.Runner = (command, operands, flags) =>
    runner(() => {
      requireSupportedPlatform(command);
      if (WAIT_ON_MAIN_THREAD.has(command)) waitOnMainThread();
      return ACTIONS[command](operands, flags);
    });
  const quick = quickParse(argv.slice(2));
  if (quick) return run(quick.command, quick.operands, quick.flags);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { commandsFor, createProgram } = require('./program') as typeof Program;
  const program = createProgram(run, packageVersion(), commandsFor(argv.slice(2)));
  try {
    program.parse(argv);
  } catch (e) {
    if (isCommanderError(e)) {
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      if (e.code === 'commander.unknownOption') dashDashHint(e, argv);
      if (!ok && asJson) json({ ok: false, exitCode: EXIT.INVALID_ARGS, error: { message: e.message.replace(/^error: /, ''), code: e.code } });
      exitAfterListeners(ok ? EXIT.OK : EXIT.INVALID_ARGS);
    }
    exitAfterListeners(report(e, debug, asJson));
  }
}

// By its code, not its class: the per-command bundles leave commander to node_modules (scripts/bundle.js).
function isCommanderError(e: unknown): e is CommanderError {
  return e instanceof Error && typeof (e as CommanderError).code === 'string' && (e as CommanderError).code.startsWith('commander.');
}
