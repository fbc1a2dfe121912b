// Every option, described once: its flag, the commands that take it, its key
// in taskdaemon.toml (and so its TASKDAEMON_* variable), its schema, its help
// and default, how `config show` prints it and how `install` renders it.
// Derived from this table: the commander flags (cli/program.ts), the config
// schema and its environment mapping (config/schema.ts, config/load.ts), the
// flags `install` renders, `config show`, the README's option table and the
// man page (scripts/man.js reads the commander program). Adding an option is
// an entry here, the code that uses it, and its test.
//
// This module is loaded by every CLI command: it holds data and small
// functions only, and imports nothing at run time.
import type { ConfigOptions, ResolvedOptions } from './options';
import type * as ReadySpec from './ready-spec';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const readySpec = (): typeof ReadySpec => require('./ready-spec') as typeof ReadySpec;
/** What --ready takes (ready-spec.ts parses the same forms). */
const READY_PATTERN = '^(exec|notify|tcp:(\\[[0-9A-Fa-f:.]+\\]|[^:\\s\\[\\]]+):\\d{1,5}|unix:[/@].+)$';

export const COMMANDS = ['start', 'stop', 'restart', 'reload', 'status', 'health', 'run', 'logs', 'reopen-logs', 'install', 'config', 'list', 'call'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** A command's operand, as commander's `.argument('[name]', help)`; a name ending in `...` takes the rest. */
export interface OperandSpec {
  name: string;
  help?: string;
}
const TARGET_OPERAND: readonly OperandSpec[] = [{ name: 'name', help: 'the daemon name (or use --name / --pidfile / --config)' }];
const PROGRAM_ARGS: OperandSpec = { name: 'args...', help: 'arguments for the program, after --' };

/** Each command's operands, in order: commander's arguments and the quick parser's (cli/quick-parse.ts). */
export const OPERANDS: { readonly [c in CommandName]: readonly OperandSpec[] } = {
  start: [{ name: 'entry', help: 'the program: a module exporting defineDaemon(...), or a plain script' }, PROGRAM_ARGS],
  stop: TARGET_OPERAND,
  restart: [{ name: 'entry', help: 'the program, or the name of a running daemon (restarted as it was started)' }, PROGRAM_ARGS],
  reload: TARGET_OPERAND,
  status: TARGET_OPERAND,
  health: TARGET_OPERAND,
  run: [{ name: 'entry', help: 'the program' }, PROGRAM_ARGS],
  logs: [{ name: 'name' }],
  'reopen-logs': TARGET_OPERAND,
  install: [{ name: 'kind', help: 'systemd, initd, socket or logrotate' }, { name: 'entry', help: 'the program (socket, logrotate: the daemon name)' }, PROGRAM_ARGS],
  config: [{ name: 'action', help: 'check or show' }, { name: 'entry', help: 'the program, if the config file does not name it' }, PROGRAM_ARGS],
  list: [],
  call: [{ name: 'args...', help: 'NAME METHOD [JSON] (METHOD [JSON] when --name, --pidfile or --config names the daemon)' }],
};

/** A JSON Schema fragment (draft-07) for a taskdaemon.toml value. */
export type SchemaNode = { [key: string]: unknown };

export interface OptionSpec {
  /** The property in DaemonOptions / ConfigOptions, and commander's attribute name. */
  key: string;
  /** Commander's flag syntax; absent: a config-file key only (entry, args). */
  flag?: string;
  help: string;
  /** The default, in words, for help, the README and the man page. */
  default?: string;
  /** Commands that take the flag. */
  commands: readonly CommandName[];
  /** Key in taskdaemon.toml ("ready_timeout", "stop.timeout"); also gives TASKDAEMON_READY_TIMEOUT. */
  toml?: string;
  schema?: SchemaNode;
  /** What a wrong value should have been, in words, for config errors. */
  expected?: string;
  /** Paths in the config file are relative to it ('envFiles': a path or paths, each may be written -FILE). */
  relative?: 'path' | 'envFiles';
  repeatable?: boolean;
  choices?: readonly string[];
  /** The TOML value `config show` prints (undefined: leave the key out). */
  show?: (o: ResolvedOptions, m: ConfigOptions) => unknown;
  /** The flags a rendered service file passes for it (empty: the service's default is right). */
  render?: (o: ResolvedOptions) => string[];
}

const DURATION = { $ref: '#/definitions/duration' };
const PATH = { $ref: '#/definitions/path' };
const DURATION_WORDS = 'seconds (a positive number) or a string like "500ms" or "1m"';
const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const DAEMON: readonly CommandName[] = ['start', 'run', 'restart', 'install', 'config'];
const STARTING: readonly CommandName[] = ['start', 'restart', 'install', 'config'];
const TARGET: readonly CommandName[] = ['stop', 'reload', 'status', 'health', 'reopen-logs', 'call'];

const seconds = (ms: number): string => (ms % 1000 === 0 ? String(ms / 1000) : `${ms}ms`);
const octal = (n: number): string => n.toString(8).padStart(3, '0');
const limit = (o: ResolvedOptions, r: 'nofile' | 'core'): number | undefined => o.rlimits.find((l) => l.resource === r)?.hard;
const limitText = (l: { burst: number; intervalMs: number } | null): string => (l ? `${l.burst}/${l.intervalMs % 1000 === 0 ? `${l.intervalMs / 1000}s` : `${l.intervalMs}ms`}` : 'off');
const LISTEN = { type: 'string', pattern: '^([A-Za-z0-9_.@-]+=)?(tcp|tcp6|unix):.+$' };

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'entry',
    help: 'The program: a module exporting defineDaemon(...), or a plain script. Relative to this file.',
    commands: [],
    toml: 'entry',
    schema: PATH,
    expected: 'a path to the program',
    relative: 'path',
    show: (o) => o.entry,
  },
  {
    key: 'args',
    help: 'Arguments for the program.',
    commands: [],
    toml: 'args',
    schema: { type: 'array', items: { type: 'string' } },
    expected: 'an array of strings',
    show: (o) => (o.args.length ? o.args : undefined),
  },
  {
    key: 'config',
    flag: '--config <file>',
    help: 'taskdaemon.toml to read',
    default: '$TASKDAEMON_CONFIG, else ./taskdaemon.toml if present',
    commands: [...DAEMON, ...TARGET, 'logs'],
  },
  {
    key: 'name',
    flag: '--name <name>',
    help: 'daemon name; picks the default pidfile and log',
    default: 'the entry file name (app/index.js: app)',
    commands: [...DAEMON, ...TARGET, 'logs'],
    toml: 'name',
    schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$' },
    expected: 'a name of 1-64 letters, digits or . _ @ -',
    show: (o) => o.name,
  },
  {
    key: 'pidfile',
    flag: '--pidfile <file>',
    help: 'the PID file',
    default: 'root: /run/taskdaemon/NAME.pid; others: $XDG_RUNTIME_DIR/taskdaemon/NAME.pid, else /tmp/taskdaemon-UID/NAME.pid (a private dir)',
    commands: [...DAEMON, ...TARGET],
    toml: 'pidfile',
    schema: PATH,
    expected: 'a path',
    relative: 'path',
    show: (o) => o.pidfile ?? undefined,
  },
  {
    key: 'pidfile',
    flag: '--no-pidfile',
    help: 'take no pidfile (and so no control socket)',
    commands: ['run'],
  },
  {
    key: 'init',
    flag: '--init',
    help: "act as init, as a container's PID 1 must: run the program in a child process, forward signals to it, reap orphans (as a subreaper when not PID 1), exit with its code (128+N for signal N)",
    default: 'on when taskdaemon is PID 1 (a program that is not Node always runs in a child under run)',
    commands: ['run'],
  },
  {
    key: 'user',
    flag: '--user <user>',
    help: 'run as this user (name or uid); needs root',
    default: 'unchanged',
    commands: DAEMON,
    toml: 'user',
    schema: { type: 'string', minLength: 1 },
    expected: 'a user name or uid',
    show: (_o, m) => m.user,
  },
  {
    key: 'group',
    flag: '--group <group>',
    help: 'run as this group',
    default: "the user's primary group",
    commands: DAEMON,
    toml: 'group',
    schema: { type: 'string', minLength: 1 },
    expected: 'a group name or gid',
    show: (_o, m) => m.group,
  },
  {
    key: 'umask',
    flag: '--umask <mode>',
    help: 'octal umask, 000-777',
    default: '022',
    commands: DAEMON,
    toml: 'umask',
    schema: { type: 'string', pattern: '^0?[0-7]{1,3}$' },
    expected: 'an octal umask as a string, like "027"',
    show: (o) => octal(o.umask),
    render: (o) => (o.umask !== 0o022 ? ['--umask', octal(o.umask)] : []),
  },
  {
    key: 'chdir',
    flag: '--chdir <dir>',
    help: 'working directory',
    default: '/',
    commands: DAEMON,
    toml: 'chdir',
    schema: PATH,
    expected: 'a path',
    relative: 'path',
    show: (o) => o.cwd,
    render: (o) => (o.cwd !== '/' ? ['--chdir', o.cwd] : []),
  },
  {
    key: 'stdout',
    flag: '--stdout <file>',
    help: 'append stdout here',
    default: 'start: root /var/log/taskdaemon/NAME.log, others $XDG_STATE_HOME/taskdaemon/NAME.log or ~/.local/state/taskdaemon/NAME.log; run: inherited',
    commands: [...DAEMON, 'logs', 'reopen-logs'],
    toml: 'stdout',
    schema: PATH,
    expected: 'a path',
    relative: 'path',
    show: (o) => o.stdout,
  },
  {
    key: 'stderr',
    flag: '--stderr <file>',
    help: 'append stderr here',
    default: 'same as --stdout',
    commands: [...DAEMON, 'reopen-logs'],
    toml: 'stderr',
    schema: PATH,
    expected: 'a path',
    relative: 'path',
    show: (o) => o.stderr,
  },
  {
    key: 'env',
    flag: '--env <KEY=VALUE>',
    help: 'set a variable (repeatable)',
    commands: DAEMON,
    toml: 'env',
    schema: { type: 'object', propertyNames: { pattern: NAME_PATTERN }, additionalProperties: { type: 'string' } },
    expected: 'a table of NAME = "value" strings',
    repeatable: true,
    show: (o) => (Object.keys(o.env).length ? o.env : undefined),
    render: (o) => Object.entries(o.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
  },
  {
    key: 'envFile',
    flag: '--env-file <file>',
    help: "read variables from a file in systemd's EnvironmentFile= format; -FILE may be missing (repeatable)",
    commands: DAEMON,
    toml: 'env_file',
    schema: { oneOf: [PATH, { type: 'array', items: PATH }] },
    expected: 'a path, or an array of paths',
    relative: 'envFiles',
    repeatable: true,
    show: (o) => (o.envFiles.length ? o.envFiles : undefined),
    render: (o) => o.envFiles.flatMap((f) => ['--env-file', f]),
  },
  {
    key: 'passEnv',
    flag: '--pass-env <name>',
    help: "take this variable from the caller's environment (repeatable)",
    commands: ['start', 'restart', 'install', 'config'],
    toml: 'pass_env',
    schema: { type: 'array', items: { type: 'string', pattern: NAME_PATTERN } },
    expected: 'an array of variable names',
    repeatable: true,
    show: (o) => (o.passEnv.length ? o.passEnv : undefined),
    render: (o) => o.passEnv.flatMap((n) => ['--pass-env', n]),
  },
  {
    key: 'inheritEnv',
    flag: '--inherit-env',
    help: "give the daemon the caller's whole environment",
    default: 'a clean one (see "The daemon\'s environment")',
    commands: ['start', 'restart', 'install', 'config'],
    toml: 'inherit_env',
    schema: { type: 'boolean' },
    expected: 'true or false',
    show: (o) => (o.inheritEnv ? true : undefined),
    render: (o) => (o.inheritEnv ? ['--inherit-env'] : []),
  },
  {
    key: 'readyTimeout',
    flag: '--ready-timeout <seconds>',
    help: 'how long start waits for readiness, then stops it and fails',
    default: '60',
    commands: STARTING,
    toml: 'ready_timeout',
    schema: DURATION,
    expected: DURATION_WORDS,
    show: (o) => o.readyTimeoutMs / 1000,
    render: (o) => (o.readyTimeoutMs !== 60_000 ? ['--ready-timeout', seconds(o.readyTimeoutMs)] : []),
  },
  {
    key: 'ready',
    flag: '--ready <how>',
    help: 'when the daemon counts as ready: exec (its execve succeeded), notify (it sent READY=1 to $NOTIFY_SOCKET, as sd_notify does), tcp:HOST:PORT or unix:PATH (the address accepts a connection)',
    default: 'a Node entry: when its init has finished (or it called ready()); any other program: exec',
    commands: DAEMON,
    toml: 'ready',
    schema: { type: 'string', pattern: READY_PATTERN },
    expected: '"exec", "notify", "tcp:HOST:PORT" or "unix:PATH"',
    show: (o) => readySpec().formatReady(o.ready) ?? undefined,
    render: (o) => (readySpec().isDefaultReady(o.ready, o.kind) ? [] : ['--ready', readySpec().formatReady(o.ready)!]),
  },
  {
    key: 'grace',
    flag: '--grace <seconds>',
    help: 'how long shutdown waits for tracked work',
    default: '30',
    commands: DAEMON,
    toml: 'grace',
    schema: DURATION,
    expected: DURATION_WORDS,
    show: (o) => o.graceMs / 1000,
    render: (o) => (o.graceMs !== 30_000 ? ['--grace', seconds(o.graceMs)] : []),
  },
  {
    key: 'logFormat',
    flag: '--log-format <format>',
    help: 'lifecycle log lines as text or json',
    default: 'text',
    commands: DAEMON,
    toml: 'log_format',
    schema: { enum: ['text', 'json'] },
    expected: '"text" or "json"',
    choices: ['text', 'json'],
    show: (o) => o.logFormat,
    render: (o) => (o.logFormat !== 'text' ? ['--log-format', o.logFormat] : []),
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    help: "lifecycle and ctx.log lines at this level and above; a reload re-reads it from the config file",
    default: 'info',
    commands: DAEMON,
    toml: 'log_level',
    schema: { enum: ['debug', 'info', 'warn', 'error'] },
    expected: '"debug", "info", "warn" or "error"',
    choices: ['debug', 'info', 'warn', 'error'],
    show: (o) => o.logLevel,
    render: (o) => (o.logLevel !== 'info' ? ['--log-level', o.logLevel] : []),
  },
  {
    key: 'stateFile',
    flag: '--state-file <file>',
    help: 'where ctx.state is kept',
    default: 'root: /var/lib/taskdaemon/NAME/state.json; others under $XDG_STATE_HOME or ~/.local/state',
    commands: DAEMON,
    toml: 'state_file',
    schema: { oneOf: [PATH, { const: false }] },
    expected: 'a path, or false',
    relative: 'path',
    show: (o) => o.stateFile ?? false,
  },
  {
    key: 'stateFile',
    flag: '--no-state-file',
    help: 'keep no ctx.state',
    commands: DAEMON,
  },
  {
    key: 'watchConfig',
    flag: '--watch-config <file>',
    help: 'reload when this file changes (inotify; polling once a second where the directory cannot be watched)',
    commands: DAEMON,
    toml: 'watch_config',
    schema: PATH,
    expected: 'a path',
    relative: 'path',
    show: (o) => o.watchConfig ?? undefined,
    render: (o) => (o.watchConfig ? ['--watch-config', o.watchConfig] : []),
  },
  {
    key: 'nofile',
    flag: '--nofile <n>',
    help: 'RLIMIT_NOFILE, soft and hard',
    default: 'unchanged',
    commands: DAEMON,
    toml: 'nofile',
    schema: { type: 'integer', minimum: 1, maximum: 1073741824 },
    expected: 'an integer from 1 to 1073741824',
    show: (o) => limit(o, 'nofile'),
    render: (o) => (limit(o, 'nofile') !== undefined ? ['--nofile', String(limit(o, 'nofile'))] : []),
  },
  {
    key: 'core',
    flag: '--core <bytes>',
    help: "RLIMIT_CORE in bytes, or 'unlimited'",
    default: 'unchanged',
    commands: DAEMON,
    toml: 'core',
    schema: { oneOf: [{ type: 'integer', minimum: 0 }, { const: 'unlimited' }] },
    expected: 'a number of bytes, or "unlimited"',
    show: (o) => {
      const c = limit(o, 'core');
      return c === undefined || c === 0 ? undefined : c < 0 ? 'unlimited' : c;
    },
    render: (o) => {
      const c = limit(o, 'core');
      return c === undefined || c === 0 ? [] : ['--core', c < 0 ? 'unlimited' : String(c)];
    },
  },
  {
    key: 'preventCore',
    flag: '--prevent-core',
    help: 'no core dumps (RLIMIT_CORE 0)',
    commands: DAEMON,
    toml: 'prevent_core',
    schema: { type: 'boolean' },
    expected: 'true or false',
    show: (o) => (limit(o, 'core') === 0 ? true : undefined),
    render: (o) => (limit(o, 'core') === 0 ? ['--prevent-core'] : []),
  },
  {
    key: 'nice',
    flag: '--nice <n>',
    help: 'scheduling priority, -20 to 19',
    default: 'unchanged',
    commands: DAEMON,
    toml: 'nice',
    schema: { type: 'integer', minimum: -20, maximum: 19 },
    expected: 'an integer from -20 to 19',
    show: (o) => o.nice ?? undefined,
    render: (o) => (o.nice !== null ? ['--nice', String(o.nice)] : []),
  },
  {
    key: 'healthPort',
    flag: '--health-port <port>',
    help: 'serve GET /health and GET /ready over HTTP on this port',
    default: 'off',
    commands: DAEMON,
    toml: 'health.port',
    schema: { type: 'integer', minimum: 1, maximum: 65535 },
    expected: 'a port number from 1 to 65535',
    show: (o) => o.healthPort ?? undefined,
    render: (o) => (o.healthPort !== null ? ['--health-port', String(o.healthPort)] : []),
  },
  {
    key: 'healthHost',
    flag: '--health-host <addr>',
    help: 'address for --health-port',
    default: '127.0.0.1',
    commands: DAEMON,
    toml: 'health.host',
    schema: { type: 'string', minLength: 1 },
    expected: 'a host name or address',
    show: (o) => (o.healthPort !== null ? o.healthHost : undefined),
    render: (o) => (o.healthHost !== '127.0.0.1' ? ['--health-host', o.healthHost] : []),
  },
  // Supervision (DESIGN.md §8, src/supervisor/): any of --restart on-failure|always,
  // --listen or --instances > 1 makes the daemon a supervisor of the program.
  {
    key: 'restart',
    flag: '--restart <policy>',
    help: 'supervise the program and restart it: on-failure (non-zero exit or signal) or always (any end not asked for)',
    default: 'no',
    commands: STARTING,
    toml: 'restart',
    schema: { enum: ['no', 'on-failure', 'always'] },
    expected: '"no", "on-failure" or "always"',
    choices: ['no', 'on-failure', 'always'],
    show: (o) => o.supervise?.restart,
    render: (o) => (o.supervise && o.supervise.restart !== 'no' ? ['--restart', o.supervise.restart] : []),
  },
  {
    key: 'restartDelay',
    flag: '--restart-delay <seconds>',
    help: 'wait before a restart; doubled after each quick failure (up less than 10 s), reset once an instance stayed up 10 s',
    default: '100ms',
    commands: STARTING,
    toml: 'restart_delay',
    schema: DURATION,
    expected: DURATION_WORDS,
    show: (o) => (o.supervise ? o.supervise.restartDelayMs / 1000 : undefined),
    render: (o) => (o.supervise && o.supervise.restartDelayMs !== 100 ? ['--restart-delay', seconds(o.supervise.restartDelayMs)] : []),
  },
  {
    key: 'restartDelayMax',
    flag: '--restart-delay-max <seconds>',
    help: 'the longest --restart-delay grows to',
    default: '30',
    commands: STARTING,
    toml: 'restart_delay_max',
    schema: DURATION,
    expected: DURATION_WORDS,
    show: (o) => (o.supervise ? o.supervise.restartDelayMaxMs / 1000 : undefined),
    render: (o) => (o.supervise && o.supervise.restartDelayMaxMs !== 30_000 ? ['--restart-delay-max', seconds(o.supervise.restartDelayMaxMs)] : []),
  },
  {
    key: 'restartLimit',
    flag: '--restart-limit <burst/interval>',
    help: "give up after more than BURST restarts within INTERVAL (systemd's StartLimitBurst=, StartLimitIntervalSec=); off: never",
    default: '5/10s',
    commands: STARTING,
    toml: 'restart_limit',
    schema: { type: 'string', pattern: '^(off|0|[0-9]+/[0-9]+(\\.[0-9]+)?(ms|s|m)?)$' },
    expected: 'BURST/INTERVAL like "5/10s", or "off"',
    show: (o) => (o.supervise ? limitText(o.supervise.restartLimit) : undefined),
    render: (o) => (o.supervise && limitText(o.supervise.restartLimit) !== '5/10s' ? ['--restart-limit', limitText(o.supervise.restartLimit)] : []),
  },
  {
    key: 'listen',
    flag: '--listen <spec>',
    help: 'a socket held by the supervisor, given to instances as LISTEN_FDS: tcp:HOST:PORT, tcp6:[ADDR]:PORT, unix:/PATH, [NAME=]SPEC (repeatable)',
    commands: ['start', 'restart', 'config'],
    toml: 'listen',
    schema: { oneOf: [LISTEN, { type: 'array', items: LISTEN }] },
    expected: 'a socket like "tcp:127.0.0.1:8080", "tcp6:[::1]:8080" or "unix:/run/app.sock" (NAME= in front names it), or an array of them',
    repeatable: true,
    show: (o) => (o.supervise?.listen.length ? o.supervise.listen.map((l) => l.text) : undefined),
    render: (o) => (o.supervise?.listen ?? []).flatMap((l) => ['--listen', l.text]),
  },
  {
    key: 'instances',
    flag: '--instances <n>',
    help: 'run N instances of the program under one supervisor, sharing the --listen sockets',
    default: '1',
    commands: STARTING,
    toml: 'instances',
    schema: { type: 'integer', minimum: 1, maximum: 256 },
    expected: 'an integer from 1 to 256',
    show: (o) => (o.supervise && o.supervise.instances > 1 ? o.supervise.instances : undefined),
    render: (o) => (o.supervise && o.supervise.instances > 1 ? ['--instances', String(o.supervise.instances)] : []),
  },
  {
    key: 'graceful',
    flag: '--graceful',
    help: 'supervised daemon: replace its instances one at a time (a new one ready, then an old one drained); the sockets stay',
    commands: ['restart'],
  },
  {
    key: 'oknodo',
    flag: '--oknodo',
    help: 'exit 0 when already running (once it is ready: a start in progress is waited for) / not running',
    commands: ['start', 'stop', 'reopen-logs'],
    toml: 'oknodo',
    schema: { type: 'boolean', description: 'start: exit 0 when already running; stop: exit 0 when not running.' },
    expected: 'true or false',
    show: (_o, m) => m.oknodo ?? false,
  },
  {
    key: 'stopTimeout',
    flag: '--timeout <seconds>',
    help: 'seconds between SIGTERM and SIGKILL',
    default: '30',
    commands: ['stop', 'restart'],
    toml: 'stop.timeout',
    schema: DURATION,
    expected: DURATION_WORDS,
    show: (_o, m) => m.stopTimeout ?? 30,
  },
  {
    key: 'retry',
    flag: '--retry <schedule>',
    help: "start-stop-daemon's schedule: TERM/30/KILL/5, or N for TERM/N/KILL/N; forever repeats (wins over --timeout)",
    commands: ['stop', 'restart'],
    toml: 'stop.retry',
    schema: { type: 'string', pattern: '^(\\d+|([A-Z0-9]+/\\d+(\\.\\d+)?)(/[A-Z0-9]+/\\d+(\\.\\d+)?)*(/forever)?)$' },
    expected: 'a schedule like "TERM/30/KILL/5", or a number of seconds',
    show: (_o, m) => m.retry,
  },
  {
    key: 'reloadTimeout',
    flag: '--timeout <seconds>',
    help: "how long to wait for the reload's result",
    default: '60',
    commands: ['reload'],
  },
  {
    key: 'reopenTimeout',
    flag: '--timeout <seconds>',
    help: 'how long to wait for the reopen',
    default: '10',
    commands: ['reopen-logs'],
  },
  {
    key: 'callTimeout',
    flag: '--timeout <seconds>',
    help: "how long to wait for the method's answer",
    default: '60',
    commands: ['call'],
  },
  { key: 'dir', flag: '--dir <dir>', help: 'list the daemons whose pidfiles are in this directory', default: 'root: /run/taskdaemon; others: their own run directory', commands: ['list'] },
  {
    key: 'listTimeout',
    flag: '--timeout <seconds>',
    help: 'how long each daemon may take to answer (all are asked at once); one that does not is listed as not answering',
    default: '1',
    commands: ['list'],
  },
  { key: 'lines', flag: '-n, --lines <n>', help: 'how many lines from the end', default: '10', commands: ['logs'] },
  { key: 'follow', flag: '-f, --follow', help: 'keep printing new lines, across rotation and truncation', commands: ['logs'] },
  { key: 'output', flag: '--output <file>', help: 'write the file (atomically) instead of printing it', commands: ['install'] },
  { key: 'force', flag: '--force', help: 'overwrite --output', commands: ['install'] },
  { key: 'type', flag: '--type <type>', help: 'systemd unit type', default: 'forking', commands: ['install'], choices: ['forking', 'notify'] },
  { key: 'watchdog', flag: '--watchdog <seconds>', help: 'WatchdogSec= for --type notify', default: '30', commands: ['install'] },
  { key: 'listen', flag: '--listen <address>', help: 'install socket: ListenStream=, a port, IP:PORT, [IPv6]:PORT, /path or @abstract (repeatable)', default: '127.0.0.1:8080', commands: ['install'], repeatable: true },
  {
    key: 'json',
    flag: '--json',
    help: 'print the result as one JSON object (logs: one per line); a failure too',
    commands: ['start', 'stop', 'restart', 'reload', 'status', 'health', 'logs', 'config', 'list'],
  },
];

/** The options a command takes, in table order. */
export function optionsOf(command: CommandName): OptionSpec[] {
  return OPTIONS.filter((o) => o.flag && o.commands.includes(command));
}

/** Options that are keys of taskdaemon.toml. */
export function tomlOptions(): (OptionSpec & { toml: string })[] {
  return OPTIONS.filter((o): o is OptionSpec & { toml: string } => o.toml !== undefined && o.schema !== undefined);
}

/** The option keys a daemon command hands on from its flags to the options it resolves (`config` takes them all). */
export function daemonOptionKeys(): string[] {
  return [...new Set(OPTIONS.filter((o) => o.flag && o.toml && o.commands.includes('config')).map((o) => o.key))];
}
