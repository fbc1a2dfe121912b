// The command-line program (DESIGN.md §5), built in a factory so tests can
// drive it. Each command's module loads only when that command runs: every
// module imported at start-up is paid by every command (DESIGN.md §7).
/* eslint-disable @typescript-eslint/no-require-imports */
import { Command, Option } from 'commander';
import { optionsOf, type CommandName } from '../option-table';
import { writeAll } from './output';

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
  taskdaemon install initd app.js --name api --output /etc/init.d/api
  taskdaemon install socket api --listen 127.0.0.1:8080 --output /etc/systemd/system/api.socket`,
  list: `
Examples:
  taskdaemon list                # every daemon in the default pid directory
  taskdaemon list --json --dir /run/myapps`,
  call: `
Examples:
  taskdaemon call api flush                 # prints the method's JSON result
  taskdaemon call api resize '{"size": 8}' --timeout 5
  taskdaemon call --pidfile /run/api.pid flush`,
  config: `
Examples:
  taskdaemon config check --config /etc/taskdaemon/api.toml
  TASKDAEMON_NICE=5 taskdaemon config show --json`,
};

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

// The command's flags, from the option table (src/option-table.ts), then its examples.
function withOptions(cmd: Command, name: CommandName): Command {
  for (const o of optionsOf(name)) {
    const opt = new Option(o.flag!, o.help + (o.default && !o.flag!.startsWith('--no-') ? ` (default: ${o.default})` : ''));
    if (o.choices) opt.choices(o.choices);
    if (o.repeatable) opt.argParser(collect);
    cmd.addOption(opt);
  }
  return cmd.addHelpText('after', EXAMPLES[name]!);
}

// stop, reload, status, ...: the daemon is named by an argument or the options.
const target = (cmd: Command): Command => cmd.argument('[name]', 'the daemon name (or use --name / --pidfile / --config)');

// One builder per command: only the invoked one is built (commandsFor), since
// building all of them with their options costs every command ~7% of its CPU
// (bench/RESULTS.md).
const COMMANDS: { [name: string]: (program: Command, run: Runner) => unknown } = {
  'start': (program, run) =>
    withOptions(
      program
        .command('start')
        .summary('start a daemon and wait until it is ready')
        .description('Daemonize ENTRY (double fork, setsid, privilege drop, locked pidfile) and wait for its readiness.')
        .argument('[entry]', 'the program: a module exporting defineDaemon(...), or a plain script')
        .argument('[args...]', 'arguments for the program, after --'),
      'start',
    ).action((entry: string | undefined, args: string[], flags) => run(() => (require('./commands/start') as typeof import('./commands/start')).startCommand(entry, args, flags))),
  'stop': (program, run) =>
    withOptions(target(program.command('stop').summary('stop a daemon: SIGTERM, wait, then SIGKILL')), 'stop').action((name: string | undefined, flags) => run(() => (require('./commands/stop') as typeof import('./commands/stop')).stopCommand(name, flags))),
  'restart': (program, run) =>
    withOptions(
      program
        .command('restart')
        .summary('stop the daemon if it runs, then start it')
        .argument('[entry]', 'the program, or the name of a running daemon (restarted as it was started)')
        .argument('[args...]', 'arguments for the program, after --'),
      'restart',
    ).action((entry: string | undefined, args: string[], flags) =>
      run(() => (require('./commands/restart') as typeof import('./commands/restart')).restartCommand(entry, args, flags)),
    ),
  'reload': (program, run) =>
    withOptions(target(program.command('reload').summary('reload: SIGHUP, then wait for the result')), 'reload').action((name: string | undefined, flags) => run(() => (require('./commands/reload') as typeof import('./commands/reload')).reloadCommand(name, flags))),
  'status': (program, run) =>
    withOptions(target(program.command('status').summary('tell whether a daemon runs (LSB status codes)')), 'status').action((name: string | undefined, flags) => run(() => (require('./commands/status') as typeof import('./commands/status')).statusCommand(name, flags))),
  'health': (program, run) =>
    withOptions(target(program.command('health').summary("ask the daemon's health hook")), 'health').action((name: string | undefined, flags) => run(() => (require('./commands/health') as typeof import('./commands/health')).healthCommand(name, flags))),
  'run': (program, run) =>
    withOptions(
      program
        .command('run')
        .summary('run a daemon in the foreground (no fork)')
        .description('Run ENTRY with the daemon runtime in this process: for systemd Type=notify and containers.')
        .argument('[entry]', 'the program')
        .argument('[args...]', 'arguments for the program, after --'),
      'run',
    ).action((entry: string | undefined, args: string[], flags) => run(() => (require('./commands/run') as typeof import('./commands/run')).runCommand(entry, args, flags))),
  'logs': (program, run) =>
    withOptions(program.command('logs').summary("print or follow a daemon's log").argument('[name]'), 'logs').action((name: string | undefined, flags) => run(() => (require('./commands/logs') as typeof import('./commands/logs')).logsCommand(name, flags))),
  'reopen-logs': (program, run) =>
    withOptions(target(program.command('reopen-logs').summary('make the daemon reopen its log files (after logrotate moved them)')), 'reopen-logs').action((name: string | undefined, flags) =>
      run(() => (require('./commands/reopen-logs') as typeof import('./commands/reopen-logs')).reopenLogsCommand(name, flags)),
    ),
  'list': (program, run) =>
    withOptions(program.command('list').summary('list every daemon in the pid directory: state, pid, uptime, memory, CPU'), 'list').action((flags) =>
      run(() => (require('./commands/list') as typeof import('./commands/list')).listCommand(flags)),
    ),
  'call': (program, run) =>
    withOptions(
      program
        .command('call')
        .summary("call one of the daemon's own control methods")
        .description("Call METHOD, one of the daemon's defineDaemon({ methods }), with JSON params; print its JSON result.")
        .argument('[args...]', 'NAME METHOD [JSON] (METHOD [JSON] when --name, --pidfile or --config names the daemon)'),
      'call',
    ).action((args: string[], flags) => run(() => (require('./commands/call') as typeof import('./commands/call')).callCommand(args, flags))),
  'install': (program, run) =>
    withOptions(
      program
        .command('install')
        .summary('render a systemd unit, an init.d script, a socket unit or a logrotate snippet')
        .argument('[kind]', 'systemd, initd, socket or logrotate')
        .argument('[entry]', 'the program (socket, logrotate: the daemon name)')
        .argument('[args...]', 'arguments for the program, after --'),
      'install',
    ).action((kind: string | undefined, entry: string | undefined, args: string[], flags) =>
      run(() => (require('./commands/install') as typeof import('./commands/install')).installCommand(kind, entry, args, flags)),
    ),
  'config': (program, run) =>
    withOptions(
      program
        .command('config')
        .summary('check or show the effective configuration')
        .argument('[action]', 'check or show')
        .argument('[entry]', 'the program, if the config file does not name it')
        .argument('[args...]', 'arguments for the program, after --'),
      'config',
    ).action((action: string | undefined, entry: string | undefined, args: string[], flags) =>
      run(() => (require('./commands/config') as typeof import('./commands/config')).configCommand(action, entry, args, flags)),
    ),
};

// Which subcommands the program needs for these arguments: the one named,
// none for a bare --version, all of them otherwise (help, an unknown command
// and its did-you-mean).
export function commandsFor(args: string[]): string[] {
  const named = args.find((a) => !a.startsWith('-'));
  if (named !== undefined) return Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  const versionOnly = args.some((a) => a === '-V' || a === '--version') && !args.some((a) => a === '-h' || a === '--help');
  return versionOnly ? [] : Object.keys(COMMANDS);
}

/** The program with the subcommands named in `only` (default: all). */
export function createProgram(run: Runner, version: string, only: string[] = Object.keys(COMMANDS)): Command {
  const program = new Command('taskdaemon')
    .description('Run a Node.js program as a well-behaved Unix daemon, and control it.')
    .version(version, '-V, --version')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    // Set before the subcommands exist: they copy these settings when created.
    .exitOverride()
    .configureOutput({
      // Through the one writer: `taskdaemon --help | head` ends the output, not in an EPIPE error.
      writeOut: (s) => writeAll(1, s),
      writeErr: (s) => writeAll(2, s),
      outputError: (s, write) => write(`taskdaemon: ${s.replace(/^error: /, '')}`),
    });

  for (const name of only) COMMANDS[name]!(program, run);
  return program;
}
