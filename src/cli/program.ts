// The command-line program (DESIGN.md §5), built in a factory so tests can
// drive it. Each command's module loads only when that command runs: every
// module imported at start-up is paid by every command (DESIGN.md §7).
/* eslint-disable @typescript-eslint/no-require-imports */
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { addDaemonOptions, addTargetOptions } from './shared';

export type Action = Promise<number | null> | number | null;
export type Runner = (action: () => Action) => void;

const EXAMPLES: { [cmd: string]: string } = {
  start: `
Examples:
  taskdaemon start examples/http-server.js
  taskdaemon start app.js --name api --user nobody --group nogroup -- --port 8080
  taskdaemon start --config /etc/taskdaemon/api.toml --oknodo`,
  stop: `
Examples:
  taskdaemon stop api
  taskdaemon stop --pidfile /run/api.pid --retry TERM/10/KILL/5`,
  restart: `
Examples:
  taskdaemon restart app.js --name api
  taskdaemon restart --config /etc/taskdaemon/api.toml`,
  reload: `
Examples:
  taskdaemon reload api          # exit 0 applied, 1 rejected (the old config keeps running), 7 not running
  taskdaemon reload api --json`,
  status: `
Examples:
  taskdaemon status api          # exit 0 running, 1 dead with pidfile, 3 not running, 4 unknown
  taskdaemon status api --json`,
  health: `
Examples:
  taskdaemon health api          # exit 0 healthy, 1 unhealthy, 3 not running
  taskdaemon health api --json`,
  run: `
Examples:
  taskdaemon run app.js          # foreground: systemd Type=notify, containers
  taskdaemon run app.js --no-pidfile --user nobody`,
  logs: `
Examples:
  taskdaemon logs api -n 50
  taskdaemon logs api -f         # follows across logrotate`,
  'reopen-logs': `
Examples:
  mv /var/log/taskdaemon/api.log /var/log/taskdaemon/api.log.1 && taskdaemon reopen-logs api
  taskdaemon reopen-logs --pidfile /run/taskdaemon/api.pid --oknodo   # logrotate postrotate`,
  install: `
Examples:
  taskdaemon install systemd app.js --name api --user api > /etc/systemd/system/api.service
  taskdaemon install logrotate api --user api --output /etc/logrotate.d/api
  taskdaemon install systemd app.js --type notify --output /etc/systemd/system/api.service
  taskdaemon install initd app.js --name api --output /etc/init.d/api`,
  config: `
Examples:
  taskdaemon config check --config /etc/taskdaemon/api.toml
  TASKDAEMON_NICE=5 taskdaemon config show --json`,
};

const help = (cmd: Command, name: string): Command => cmd.addHelpText('after', EXAMPLES[name]!);

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

  help(
    addDaemonOptions(
      program
        .command('start')
        .summary('start a daemon and wait until it is ready')
        .description('Daemonize ENTRY (double fork, setsid, privilege drop, locked pidfile) and wait for its readiness.')
        .argument('[entry]', 'the program: a module exporting defineDaemon(...), or a plain script')
        .argument('[args...]', 'arguments for the program, after --'),
    )
      .option('--oknodo', 'exit 0 when it is already running')
      .option('--json', 'print the result as JSON'),
    'start',
  ).action((entry: string | undefined, args: string[], flags) => run(() => (require('./commands/start') as typeof import('./commands/start')).startCommand(entry, args, flags)));

  help(
    addTargetOptions(program.command('stop').summary('stop a daemon: SIGTERM, wait, then SIGKILL'))
      .option('--timeout <seconds>', 'seconds to wait after SIGTERM before SIGKILL (default: 30)')
      .option('--retry <schedule>', 'start-stop-daemon schedule, e.g. TERM/30/KILL/5 (wins over --timeout)')
      .option('--oknodo', 'exit 0 when it is not running')
      .option('--json', 'print the result as JSON'),
    'stop',
  ).action((name: string | undefined, flags) => run(() => (require('./commands/stop') as typeof import('./commands/stop')).stopCommand(name, flags)));

  help(
    addDaemonOptions(
      program
        .command('restart')
        .summary('stop the daemon if it runs, then start it')
        .argument('[entry]', 'the program')
        .argument('[args...]', 'arguments for the program, after --'),
    )
      .option('--timeout <seconds>', 'seconds to wait after SIGTERM before SIGKILL (default: 30)')
      .option('--retry <schedule>', 'start-stop-daemon schedule for the stop')
      .option('--json', 'print the result as JSON'),
    'restart',
  ).action((entry: string | undefined, args: string[], flags) =>
    run(() => (require('./commands/restart') as typeof import('./commands/restart')).restartCommand(entry, args, flags)),
  );

  help(
    addTargetOptions(program.command('reload').summary('reload: SIGHUP, then wait for the result'))
      .option('--timeout <seconds>', 'how long to wait for the result (default: 60)')
      .option('--json', 'print the result as JSON'),
    'reload',
  ).action((name: string | undefined, flags) => run(() => (require('./commands/reload') as typeof import('./commands/reload')).reloadCommand(name, flags)));

  help(
    addTargetOptions(program.command('status').summary('tell whether a daemon runs (LSB status codes)')).option('--json', 'print the status as JSON'),
    'status',
  ).action((name: string | undefined, flags) => run(() => (require('./commands/status') as typeof import('./commands/status')).statusCommand(name, flags)));

  help(
    addTargetOptions(program.command('health').summary("ask the daemon's health hook")).option('--json', 'print the result as JSON'),
    'health',
  ).action((name: string | undefined, flags) => run(() => (require('./commands/health') as typeof import('./commands/health')).healthCommand(name, flags)));

  help(
    addDaemonOptions(
      program
        .command('run')
        .summary('run a daemon in the foreground (no fork)')
        .description('Run ENTRY with the daemon runtime in this process: for systemd Type=notify and containers.')
        .argument('[entry]', 'the program')
        .argument('[args...]', 'arguments for the program, after --'),
    ).addOption(new Option('--no-pidfile', 'do not take a pidfile (and no control socket)')),
    'run',
  ).action((entry: string | undefined, args: string[], flags) => run(() => (require('./commands/run') as typeof import('./commands/run')).runCommand(entry, args, flags)));

  help(
    program
      .command('logs')
      .summary("print or follow a daemon's log")
      .argument('[name]')
      .option('--config <file>', 'taskdaemon.toml to read')
      .option('--name <name>')
      .option('--stdout <file>', "the log file (default: the name's default log)")
      .option('-n, --lines <n>', 'how many lines from the end', '10')
      .option('-f, --follow', 'keep printing new lines, across rotation')
      .option('--json', 'one JSON object per line'),
    'logs',
  ).action((name: string | undefined, flags) => run(() => (require('./commands/logs') as typeof import('./commands/logs')).logsCommand(name, flags)));

  help(
    addTargetOptions(program.command('reopen-logs').summary('make the daemon reopen its log files (after logrotate moved them)'))
      .option('--stdout <file>', "the stdout log (default: the config's, else the name's default log)")
      .option('--stderr <file>', 'the stderr log (default: same as --stdout)')
      .option('--timeout <seconds>', 'how long to wait for the reopen (default: 10)')
      .option('--oknodo', 'exit 0 when it is not running'),
    'reopen-logs',
  ).action((name: string | undefined, flags) =>
    run(() => (require('./commands/reopen-logs') as typeof import('./commands/reopen-logs')).reopenLogsCommand(name, flags)),
  );

  help(
    addDaemonOptions(
      program
        .command('install')
        .summary('render a systemd unit, an init.d script or a logrotate snippet')
        .argument('[kind]', 'systemd, initd or logrotate')
        .argument('[entry]', 'the program (logrotate: the daemon name)')
        .argument('[args...]', 'arguments for the program, after --'),
    )
      .option('--output <file>', 'write here instead of stdout')
      .option('--force', 'overwrite --output')
      .addOption(new Option('--type <type>', 'systemd unit type').choices(['forking', 'notify']).default('forking'))
      .option('--watchdog <seconds>', 'WatchdogSec= for --type notify', '30'),
    'install',
  ).action((kind: string | undefined, entry: string | undefined, args: string[], flags) =>
    run(() => (require('./commands/install') as typeof import('./commands/install')).installCommand(kind, entry, args, flags)),
  );

  help(
    addDaemonOptions(
      program
        .command('config')
        .summary('check or show the effective configuration')
        .argument('[action]', 'check or show')
        .argument('[entry]', 'the program, if the config file does not name it')
        .argument('[args...]', 'arguments for the program, after --'),
    ).option('--json', 'print as JSON'),
    'config',
  ).action((action: string | undefined, entry: string | undefined, args: string[], flags) =>
    run(() => (require('./commands/config') as typeof import('./commands/config')).configCommand(action, entry, args, flags)),
  );

  return program;
}
