// Renders a logrotate(8) snippet for a daemon's log files (/etc/logrotate.d/NAME).
//
// The rules (README "Log files and rotation"): the log belongs to the daemon's
// user, mode 0640, in a directory only root can write. logrotate, as root,
// renames the file and `create`s the new one with that owner before
// `postrotate`, which runs `taskdaemon reopen-logs`: SIGUSR2 to the lock
// holder, then a wait until the daemon writes to the new file. Where the
// directory is writable by someone other than root, root must not work in it
// (a planted symlink, a renamed file): `su` makes logrotate act as the
// directory's owner there, as logrotate itself demands.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';
import { shWord } from './initd';

export interface Ids {
  user: string;
  group: string;
}

export interface LogrotateInput {
  name: string;
  stdout: string;
  stderr: string;
  pidfile: string;
  /** node and bin/taskdaemon.js, for postrotate. */
  node: string;
  bin: string;
  /** Owner of the new file: the daemon's user and group (root root for a root daemon). */
  owner: Ids;
  /** The owner of a directory, by uid and gid, as names (see rotationUser). */
  nameOf: (uid: number, gid: number) => Ids;
}

// logrotate reads a file list as glob patterns separated by blanks, and a
// quote, brace, # or backslash would change what it means: such paths are refused.
const PLAIN_PATH = /^\/[A-Za-z0-9_@+=:,./-]+$/;

function checkLogPath(file: string): string {
  if (!PLAIN_PATH.test(file)) {
    throw new TaskdaemonError(`cannot write ${JSON.stringify(file)} into a logrotate file: only letters, digits and _ @ + = : , . / - are safe there`, {
      exitCode: EXIT.INVALID_ARGS,
      code: 'ERR_INVALID_ARG_VALUE',
      hint: 'choose a log path without blanks, quotes or glob characters',
    });
  }
  return file;
}

// Who logrotate must act as in the log's directory: null for a directory only
// root can change (the default /var/log/taskdaemon), else its owner. A
// directory that does not exist yet is made by the starter, as root, 0755.
export function rotationUser(dir: string, nameOf: LogrotateInput['nameOf']): Ids | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const othersWrite = (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== 0);
  return st.uid === 0 && !othersWrite ? null : nameOf(st.uid, st.gid);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

export function renderLogrotate(o: LogrotateInput): string {
  const files = [...new Set([o.stdout, o.stderr])].map(checkLogPath);
  for (const v of [o.node, o.bin, o.pidfile]) {
    if (CONTROL.test(v)) throw new TaskdaemonError(`cannot write ${JSON.stringify(v)} into a logrotate file: it holds a control character`, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE' });
  }
  // One block per distinct `su`: logrotate takes one per block.
  const blocks = new Map<string, { su: Ids | null; files: string[] }>();
  for (const file of files) {
    const su = rotationUser(path.dirname(file), o.nameOf);
    const key = su ? `${su.user} ${su.group}` : '';
    const block = blocks.get(key) ?? { su, files: [] };
    block.files.push(file);
    blocks.set(key, block);
  }
  const reopen = [o.node, o.bin, 'reopen-logs', '--pidfile', o.pidfile, '--stdout', o.stdout];
  if (o.stderr !== o.stdout) reopen.push('--stderr', o.stderr);
  reopen.push('--oknodo');

  const lines = [
    `# Rendered by \`taskdaemon install logrotate\` for ${o.name}.`,
    "# The new log is created for the daemon's user before postrotate, which has",
    '# the daemon reopen it (SIGUSR2) and waits until it writes there. A daemon',
    '# that is not running is skipped (--oknodo): its next start opens the new file.',
  ];
  for (const { su, files: group } of blocks.values()) {
    lines.push(`${group.join(' ')} {`, '\tweekly', '\trotate 8', '\tmissingok', '\tnotifempty', '\tcompress');
    // The daemon may write to the old file until it has reopened: compress it one round later.
    lines.push('\tdelaycompress');
    lines.push(`\tcreate 0640 ${o.owner.user} ${o.owner.group}`);
    if (su) {
      lines.push(`\t# ${path.dirname(group[0]!)} is writable by others than root: rotate as its owner.`);
      lines.push(`\tsu ${su.user} ${su.group}`);
    }
    lines.push('\tsharedscripts', '\tpostrotate', `\t\t${reopen.map(shWord).join(' ')} >/dev/null`, '\tendscript', '}');
  }
  return lines.join('\n') + '\n';
}
