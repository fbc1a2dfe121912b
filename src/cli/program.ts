// The command-line program (DESIGN.md §5), built in a factory so tests can
// drive it. Each command's module loads only when that command runs: every
// module imported at start-up is paid by every command (DESIGN.md §7).
import { Command, Option } from 'commander';
import { COMMANDS, OPERANDS, optionsOf, type CommandName } from '../option-table';
import type { Action, Flags, Operand } from './actions';
import { writeAll } from './output';

export type { Action };
/** Runs the command commander parsed (main.ts: through cli/actions.ts), given its operands and flags. */
export type Runner = (command: CommandName, operands: Operand[], flags: Flags) => void;

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

// Each command's line in the help's list, and the longer text of its own help.
const ABOUT: { [c in CommandName]: { summary: string; description?: string } } = {
  start: { summary: 'start a daemon and wait until it is ready', description: 'Daemonize ENTRY (double fork, setsid, privilege drop, locked pidfile) and wait for its readiness.' },
  stop: { summary: 'stop a daemon: SIGTERM, wait, then SIGKILL' },
  restart: { summary: 'stop the daemon if it runs, then start it' },
  reload: { summary: 'reload: SIGHUP, then wait for the result' },
  status: { summary: 'tell whether a daemon runs (LSB status codes)' },
  health: { summary: "ask the daemon's health hook" },
  run: { summary: 'run a daemon in the foreground (no fork)', description: 'Run ENTRY with the daemon runtime in this process: for systemd Type=notify and containers.' },
  logs: { summary: "print or follow a daemon's log" },
  'reopen-logs': { summary: 'make the daemon reopen its log files (after logrotate moved them)' },
  install: { summary: 'render a systemd unit, an init.d script, a socket unit or a logrotate snippet' },
  config: { summary: 'check or show the effective configuration' },
  list: { summary: 'list every daemon in the pid directory: state, pid, uptime, memory, CPU' },
  call: { summary: "call one of the daemon's own control methods", description: "Call METHOD, one of the daemon's defineDaemon({ methods }), with JSON params; print its JSON result." },
};

// One command: its operands (OPERANDS), its flags (the option table); `run` runs it.
// Only the invoked one is built (commandsFor): building all of them with their
// options costs every command ~7% of its CPU (bench/RESULTS.md).
function addCommand(program: Command, name: CommandName, run: Runner): void {
  const cmd = program.command(name).summary(ABOUT[name].summary);
  if (ABOUT[name].description) cmd.description(ABOUT[name].description);
  for (const o of OPERANDS[name]) (o.help === undefined ? cmd.argument(`[${o.name}]`) : cmd.argument(`[${o.name}]`, o.help));
  // commander calls the action with the operands, then the flags, then the command itself.
  withOptions(cmd, name).action((...a: unknown[]) => run(name, a.slice(0, -2) as Operand[], a[a.length - 2] as Flags));
}

// Which subcommands the program needs for these arguments: the one named,
// none for a bare --version, all of them otherwise (help, an unknown command
// and its did-you-mean).
export function commandsFor(args: string[]): string[] {
  const named = args.find((a) => !a.startsWith('-'));
  if (named !== undefined) return (COMMANDS as readonly string[]).includes(named) ? [named] : [...COMMANDS];
  const versionOnly = args.some((a) => a === '-V' || a === '--version') && !args.some((a) => a === '-h' || a === '--help');
  return versionOnly ? [] : [...COMMANDS];
}

/** The program with the subcommands named in `only` (default: all). */
export function createProgram(run: Runner, version: string, only: string[] = [...COMMANDS]): Command {
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

  for (const name of only) addCommand(program, name as CommandName, run);
  return program;
}
