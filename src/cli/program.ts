// The command-line program (DESIGN.md §5), built in a factory so tests can
// drive it. Each command's module loads only when that command runs: every
// module imported at start-up is paid by every command (DESIGN.md §7).
/* eslint-disable @typescript-eslint/no-require-imports */
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { addDaemonOptions } from './shared';

export type Action = Promise<number | null> | number | null;
export type Runner = (action: () => Action) => void;

const EXAMPLES: { [cmd: string]: string } = {
  start: `
Examples:
  taskdaemon start examples/http-server.js
  taskdaemon start app.js --name api --user nobody --group nogroup -- --port 8080
  taskdaemon start app.js --pidfile /run/api.pid --stdout /var/log/api.log --oknodo`,
  stop: `
Examples:
  taskdaemon stop api
  taskdaemon stop --pidfile /run/api.pid --timeout 10`,
  status: `
Examples:
  taskdaemon status api          # exit 0 running, 1 dead with pidfile, 3 not running
  taskdaemon status api --json`,
  run: `
Examples:
  taskdaemon run app.js          # foreground: systemd Type=notify, containers
  taskdaemon run app.js --no-pidfile --user nobody`,
};

export function createProgram(run: Runner, version: string): Command {
  const program = new Command('taskdaemon')
    .description('Run a Node.js program as a well-behaved Unix daemon, and control it.')
    .version(version, '-V, --version')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    // Set before the subcommands exist: they copy these settings when created.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => fs.writeSync(1, s),
      writeErr: (s) => fs.writeSync(2, s),
      outputError: (s, write) => write(`taskdaemon: ${s.replace(/^error: /, '')}`),
    });

  addDaemonOptions(
    program
      .command('start')
      .summary('start a daemon and wait until it is ready')
      .description('Daemonize ENTRY (double fork, setsid, privilege drop, locked pidfile) and wait for its readiness.')
      .argument('[entry]', 'the program: a module exporting defineDaemon(...), or a plain script')
      .argument('[args...]', 'arguments for the program, after --'),
  )
    .option('--oknodo', 'exit 0 when it is already running')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', EXAMPLES.start!)
    .action((entry: string | undefined, args: string[], flags) =>
      run(() => (require('./commands/start') as typeof import('./commands/start')).startCommand(entry, args, flags)),
    );

  program
    .command('stop')
    .summary('stop a daemon: SIGTERM, wait, then SIGKILL')
    .argument('[name]', 'the daemon name (or use --name / --pidfile)')
    .option('--name <name>', 'daemon name')
    .option('--pidfile <file>', 'PID file')
    .option('--timeout <seconds>', 'seconds to wait after SIGTERM before SIGKILL', '30')
    .option('--oknodo', 'exit 0 when it is not running')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', EXAMPLES.stop!)
    .action((name: string | undefined, flags) => run(() => (require('./commands/stop') as typeof import('./commands/stop')).stopCommand(name, flags)));

  program
    .command('status')
    .summary('tell whether a daemon runs (LSB status codes)')
    .argument('[name]', 'the daemon name (or use --name / --pidfile)')
    .option('--name <name>', 'daemon name')
    .option('--pidfile <file>', 'PID file')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', EXAMPLES.status!)
    .action((name: string | undefined, flags) => run(() => (require('./commands/status') as typeof import('./commands/status')).statusCommand(name, flags)));

  addDaemonOptions(
    program
      .command('run')
      .summary('run a daemon in the foreground (no fork)')
      .description('Run ENTRY with the daemon runtime in this process: for systemd Type=notify and containers.')
      .argument('[entry]', 'the program')
      .argument('[args...]', 'arguments for the program, after --'),
  )
    .addOption(new Option('--no-pidfile', 'do not take a pidfile'))
    .addHelpText('after', EXAMPLES.run!)
    .action((entry: string | undefined, args: string[], flags) =>
      run(() => (require('./commands/run') as typeof import('./commands/run')).runCommand(entry, args, flags)),
    );

  return program;
}
