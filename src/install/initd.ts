// Renders an LSB init script (POSIX sh) for a daemon, built on
// start-stop-daemon: `start` execs the taskdaemon CLI, which forks the daemon,
// writes and locks the pidfile, and returns once the daemon is ready; stop and
// reload signal the node process named in the pidfile.
import { optionFlags, stopSeconds, type InstallInput } from './input';

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

// One shell word: bare when plainly safe, else single-quoted (nothing expands inside).
export function shWord(value: string): string {
  return SAFE_WORD.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function renderInitScript(o: InstallInput): string {
  const words = [
    '--', // node's: our --env-file must not be taken for node's own
    '"$TASKDAEMON"',
    'start',
    shWord(o.entry),
    '--name',
    '"$NAME"',
    '--pidfile',
    '"$PIDFILE"',
    ...optionFlags(o, 'start').map(shWord),
    // LSB: starting a running service succeeds, even when it won a race with the check.
    '--oknodo',
    '$DAEMON_OPTS',
    ...(o.args.length ? ['--', ...o.args.map(shWord)] : []),
  ];
  return `#!/bin/sh
# Rendered by \`taskdaemon install initd\`.
### BEGIN INIT INFO
# Provides:          ${o.name}
# Required-Start:    $remote_fs $syslog $network
# Required-Stop:     $remote_fs $syslog $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ${o.name} (taskdaemon)
# Description:       ${o.name}, a Node.js daemon run by taskdaemon.
### END INIT INFO

PATH=/sbin:/usr/sbin:/bin:/usr/bin
# A taskdaemon.toml in the caller's directory must not apply to the service.
cd / || exit 1
NAME=${o.name}
NODE=${shWord(o.node)}
TASKDAEMON=${shWord(o.bin)}
PIDFILE=${shWord(o.pidfile)}
# More \`taskdaemon start\` options, split into words (for example "--nofile 4096").
DAEMON_OPTS=
# The grace period for tracked work, a margin, then SIGKILL.
STOP_RETRY=TERM/${stopSeconds(o)}/KILL/5

# Local settings (any of the above) override these.
# shellcheck source=/dev/null
if [ -r "/etc/default/$NAME" ]; then . "/etc/default/$NAME"; fi

# Messages: plain ones, replaced by /lib/lsb/init-functions where it is installed.
log_daemon_msg() { printf '%s: %s' "$1" "$2"; }
log_progress_msg() { printf ' %s' "$1"; }
log_end_msg() { if [ "$1" -eq 0 ]; then echo "."; else echo " failed!"; fi; return "$1"; }
log_failure_msg() { echo "$*" >&2; }
# shellcheck source=/dev/null
if [ -r /lib/lsb/init-functions ]; then . /lib/lsb/init-functions; fi

installed() {
	[ -x "$NODE" ] && [ -r "$TASKDAEMON" ]
}

# 0: started, or already running; else the LSB code of \`taskdaemon start\`.
do_start() {
	start-stop-daemon --start --quiet --test --pidfile "$PIDFILE" --exec "$NODE" >/dev/null
	case $? in
	0) ;;
	1) log_progress_msg "already running"; return 0 ;;
	*) return 1 ;;
	esac
	# No --background: start-stop-daemon execs the CLI, whose exit code is ours.
	# shellcheck disable=SC2086,SC2016 # DAEMON_OPTS is a list of words; a $ in the arguments is literal
	start-stop-daemon --start --quiet --pidfile "$PIDFILE" --exec "$NODE" -- \\
		${words.join(' ')} >/dev/null
}

# 0: stopped, or was not running; 1: still running after $STOP_RETRY, or trouble.
do_stop() {
	# Without node nothing can match --exec: there is nothing of ours to stop.
	[ -x "$NODE" ] || return 0
	# No --remove-pidfile: the daemon removes (or, having dropped root, empties) its own,
	# and it would also delete the pidfile of a daemon that --exec failed to recognise.
	start-stop-daemon --stop --quiet --oknodo --retry "$STOP_RETRY" --pidfile "$PIDFILE" --exec "$NODE" || return 1
}

# 0: SIGHUP sent (the daemon validates the new config and keeps the old one on error); 7: not running.
do_reload() {
	start-stop-daemon --stop --signal HUP --quiet --pidfile "$PIDFILE" --exec "$NODE"
	case $? in
	0) return 0 ;;
	1) return 7 ;;
	*) return 1 ;;
	esac
}

case "$1" in
start)
	installed || { log_failure_msg "$NAME: $NODE or $TASKDAEMON is missing"; exit 5; }
	log_daemon_msg "Starting taskdaemon service" "$NAME"
	do_start
	log_end_msg $?
	;;
stop)
	log_daemon_msg "Stopping taskdaemon service" "$NAME"
	do_stop
	log_end_msg $?
	;;
restart)
	installed || { log_failure_msg "$NAME: $NODE or $TASKDAEMON is missing"; exit 5; }
	log_daemon_msg "Restarting taskdaemon service" "$NAME"
	if do_stop; then do_start; else false; fi
	log_end_msg $?
	;;
reload|force-reload)
	log_daemon_msg "Reloading taskdaemon service" "$NAME"
	do_reload
	log_end_msg $?
	;;
status)
	# The pidfile's lock, not its pid, says whether it runs: 0 running, 1 dead, 3 stopped, 4 unknown.
	installed || exit 4
	"$NODE" -- "$TASKDAEMON" status "$NAME" --pidfile "$PIDFILE"
	;;
*)
	echo "Usage: /etc/init.d/$NAME {start|stop|restart|reload|force-reload|status}" >&2
	exit 3
	;;
esac
`;
}
