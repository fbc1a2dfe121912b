// Resolves --user/--group into numeric ids and the supplementary group list,
// in the parent, before any fork (NSS lookups are not async-signal-safe).
import { EXIT } from './exit-codes';
import { check, TaskdaemonError } from './errors';
import { native } from './native';

export interface Credentials {
  uid: number; // -1: unchanged
  gid: number; // -1: unchanged
  groups: number[] | null; // null: unchanged
  user?: string;
  home?: string;
  shell?: string;
}

const NUMERIC = /^\d{1,10}$/;

function invalid(message: string, hint: string, key: 'user' | 'group'): TaskdaemonError {
  return new TaskdaemonError(message, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE', hint, key });
}

export function resolveCredentials(user?: string, group?: string, opts: { needRoot?: boolean } = {}): Credentials | null {
  // `--user "$UNSET"` in a script must never mean "stay root".
  if (user !== undefined && user.trim() === '') throw invalid('invalid --user \'\': a user name or uid is required', 'leave --user out to keep the caller\'s user', 'user');
  if (group !== undefined && group.trim() === '') throw invalid('invalid --group \'\': a group name or gid is required', "leave --group out to use the user's primary group", 'group');
  if (!user && !group) return null;
  const n = native();
  let uid = -1;
  let gid = -1;
  let name: string | undefined;
  let home: string | undefined;
  let shell: string | undefined;

  if (user) {
    const pw = check(n.lookupUser(user), 'getpwnam_r');
    if (pw) {
      ({ uid, gid, name, home, shell } = pw);
    } else if (NUMERIC.test(user)) {
      uid = Number(user);
    } else {
      throw invalid(`unknown user '${user}'`, 'check the name with: getent passwd ' + user, 'user');
    }
  }
  if (group) {
    const gr = check(n.lookupGroup(group), 'getgrnam_r');
    if (gr) gid = gr.gid;
    else if (NUMERIC.test(group)) gid = Number(group);
    else throw invalid(`unknown group '${group}'`, 'check the name with: getent group ' + group, 'group');
  }
  if (uid >= 0 && gid < 0) {
    throw invalid(`user id ${uid} has no passwd entry, so no primary group`, 'give one with --group', 'group');
  }

  // Supplementary groups the way initgroups(3) builds them; a bare --group keeps just that group.
  const groups = name !== undefined ? check(n.groupList(name, gid), 'getgrouplist') : [gid];

  const euid = process.geteuid!();
  const egid = process.getegid!();
  const changes = (uid >= 0 && uid !== euid) || gid !== egid;
  if (changes && euid !== 0 && opts.needRoot !== false) {
    throw new TaskdaemonError(`changing to ${user ? `user '${user}'` : `group '${group}'`} needs root`, {
      exitCode: EXIT.NO_PRIVILEGE,
      code: 'ERR_NEEDS_ROOT',
      hint: 'run as root, or leave out --user/--group',
    });
  }
  if (euid !== 0) return null; // already those ids: nothing to drop
  const creds: Credentials = { uid, gid, groups };
  if (name !== undefined) creds.user = name;
  if (home !== undefined) creds.home = home;
  if (shell !== undefined) creds.shell = shell;
  return creds;
}

/** Who the daemon runs as, for its HOME, USER, LOGNAME and SHELL: the user it drops to, else the caller. */
export function daemonIdentity(c: Credentials | null): { user?: string; home?: string; shell?: string } {
  if (c?.user) return { user: c.user, home: c.home, shell: c.shell };
  const uid = c && c.uid >= 0 ? c.uid : process.geteuid!();
  const pw = native().lookupUser(String(uid));
  return typeof pw === 'object' && pw !== null ? { user: pw.name, home: pw.home, shell: pw.shell } : {};
}
