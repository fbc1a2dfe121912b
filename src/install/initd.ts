// Renders an LSB init script for a daemon from the shipped generic one,
// initd/taskdaemon: the same start-stop-daemon logic, LSB codes and
// /etc/default handling, with this daemon's settings as the defaults and its
// entry, options and arguments on the start line instead of a config file.
import { optionFlags, stopSeconds, type InstallInput } from './input';
import { readShipped } from './shipped';

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

// One shell word: bare when plainly safe, else single-quoted (nothing expands inside).
export function shWord(value: string): string {
  return SAFE_WORD.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

// The shipped start line; the rendered one adds the entry, the flags and the arguments.
const START_LINE = '\t"$NODE" -- "$TASKDAEMON" start ${CONFIG:+--config "$CONFIG"} --name "$NAME" --pidfile "$PIDFILE" --oknodo $DAEMON_OPTS >/dev/null';

function intro(name: string): string[] {
  return [
    `# ${name}: rendered by \`taskdaemon install initd\` from the shipped generic`,
    '# initd/taskdaemon. The daemon\'s entry, options and arguments are on the',
    '# start line in do_start below, as the config file, environment and flags',
    '# gave them when it was rendered: render it again after changing them.',
    `# Install it as /etc/init.d/${name}, then \`update-rc.d ${name} defaults\`.`,
    '#',
    '# Settings, set below; change any of them in /etc/default/<the script\'s name>:',
    '#',
    "#   NAME         the daemon's name",
    '#   NODE         the node binary the daemon runs as: stop, reload and the',
    '#                running check match it with --exec',
    "#   TASKDAEMON   taskdaemon's CLI (bin/taskdaemon.js)",
    '#   PIDFILE      the pidfile',
    '#   STOP_RETRY   start-stop-daemon --retry schedule (the grace period plus a margin)',
    '#   DAEMON_OPTS  more `taskdaemon start` options, split into words',
    '#   CONFIG       a taskdaemon.toml to read as well (none by default); the',
    '#                options on the start line win over it',
  ];
}

export function renderInitScript(o: InstallInput): string {
  const flags = optionFlags(o, 'start').map(shWord);
  const start = [
    '\t"$NODE" -- "$TASKDAEMON" start',
    shWord(o.entry),
    '${CONFIG:+--config "$CONFIG"} --name "$NAME" --pidfile "$PIDFILE"',
    ...flags,
    '--oknodo $DAEMON_OPTS',
    ...(o.args.length ? ['--', ...o.args.map(shWord)] : []),
    '>/dev/null',
  ].join(' ');

  const script = readShipped('initd/taskdaemon');
  script
    .replace('# Provides:          taskdaemon', [`# Provides:          ${o.name}`])
    .replace('# Short-Description: Node.js daemon run by taskdaemon', [`# Short-Description: ${o.name} (taskdaemon)`])
    .replaceRange(/^# Description: /, '#                    start-stop-daemon, with LSB exit codes.', [
      `# Description:       ${o.name}, a Node.js daemon run by taskdaemon.`,
    ])
    .replaceRange('# A generic init script for any daemon that a taskdaemon.toml describes.', '# agree on the pidfile.', intro(o.name))
    .replace('# Not inherited either: empty until the defaults file or the defaults below set them.', [
      "# Not inherited either: this daemon's settings, which the defaults file may change.",
    ])
    .replace('NAME=$SCRIPTNAME', [`NAME=${o.name}`])
    .replace('NODE=', [`NODE=${shWord(o.node)}`])
    .replace('TASKDAEMON=', [`TASKDAEMON=${shWord(o.bin)}`])
    .replace('PIDFILE=', [`PIDFILE=${shWord(o.pidfile)}`])
    // The grace period for tracked work, a margin, then SIGKILL.
    .replace('STOP_RETRY=', [`STOP_RETRY=TERM/${stopSeconds(o)}/KILL/5`])
    .replace(': "${NAME:=$SCRIPTNAME}"', [`: "\${NAME:=${o.name}}"`])
    // No config file by default: the options are on the start line.
    .replace(': "${CONFIG:=/etc/taskdaemon/$NAME.toml}"', [])
    .replace('\t# shellcheck disable=SC2086 # DAEMON_OPTS is a list of words', [
      '\t# shellcheck disable=SC2086,SC2016 # DAEMON_OPTS is a list of words; a $ in the options is literal',
    ])
    .replace(START_LINE, [start]);
  return script.text();
}
