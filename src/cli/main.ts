// CLI entry: parse, run one command, map every failure to one line, an
// optional hint, and its LSB exit code (stack traces only with --debug).
import { CommanderError } from 'commander';
import { EXIT } from '../exit-codes';
import { exitCodeFor, TaskdaemonError } from '../errors';
import { packageVersion } from '../version';
import { err } from './output';
import { commandsFor, createProgram, type Action } from './program';


function report(e: unknown, debug: boolean): number {
  const code = exitCodeFor(e);
  const message = e instanceof Error ? e.message : String(e);
  err(`taskdaemon: ${message}`);
  if (e instanceof TaskdaemonError && e.hint) err(e.hint);
  if (debug && e instanceof Error && e.stack) err(e.stack);
  return code;
}

export function main(argv: string[] = process.argv): void {
  const debug = argv.includes('--debug');
  const runner = (action: () => Action): void => {
    Promise.resolve()
      .then(action)
      .then(
        (code) => {
          if (code !== null) process.exit(code);
        },
        (e: unknown) => process.exit(report(e, debug)),
      );
  };
  const program = createProgram(runner, packageVersion(), commandsFor(argv.slice(2)));
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      process.exit(ok ? EXIT.OK : EXIT.INVALID_ARGS);
    }
    process.exit(report(e, debug));
  }
}
