// What `install logrotate NAME` needs, from the config file, the environment
// and the flags like `start` would see them: the log paths, the pidfile, and
// the names of the daemon's user and group (the new log's owner).
import * as path from 'node:path';
import { EXIT } from '../exit-codes';
import { check, TaskdaemonError } from '../errors';
import { native } from '../native';
import { nameFromEntry, validateName } from '../paths';
import type { ConfigOptions } from '../config/load';
import { systemPaths } from './input';
import type { Ids, LogrotateInput } from './logrotate';

function invalid(message: string, key: string): TaskdaemonError {
  return new TaskdaemonError(message, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE', key });
}

function userName(uid: number): string {
  const pw = check(native().lookupUser(String(uid)), 'getpwuid_r');
  return pw ? pw.name : String(uid);
}

function groupName(gid: number): string {
  const gr = check(native().lookupGroup(String(gid)), 'getgrgid_r');
  return gr ? gr.name : String(gid);
}

// Names, not ids, like the other rendered files; the group defaults to the user's primary one.
function ownerOf(user: string | undefined, group: string | undefined): Ids {
  let uid = 0;
  let gid = 0;
  if (user) {
    const pw = check(native().lookupUser(user), 'getpwnam_r');
    if (!pw) throw invalid(`unknown user '${user}'`, 'user');
    uid = pw.uid;
    gid = pw.gid;
  }
  if (group) {
    const gr = check(native().lookupGroup(group), 'getgrnam_r');
    if (!gr) throw invalid(`unknown group '${group}'`, 'group');
    gid = gr.gid;
  }
  return { user: userName(uid), group: groupName(gid) };
}

export function logrotateInputFrom(nameArg: string | undefined, merged: ConfigOptions): LogrotateInput {
  const raw = nameArg ?? merged.name ?? (merged.entry ? nameFromEntry(merged.entry) : undefined);
  if (!raw) throw new TaskdaemonError('which daemon? give its name: taskdaemon install logrotate NAME', { exitCode: EXIT.INVALID_ARGS, code: 'ERR_NO_TARGET' });
  const name = validateName(raw);
  const sys = systemPaths(name);
  const stdout = path.resolve(merged.stdout ?? sys.log);
  return {
    name,
    stdout,
    stderr: path.resolve(merged.stderr ?? stdout),
    pidfile: path.resolve(merged.pidfile || sys.pidfile),
    node: process.execPath,
    bin: path.join(__dirname, '..', '..', 'bin', 'taskdaemon.js'),
    owner: ownerOf(merged.user, merged.group),
    nameOf: (uid, gid) => ({ user: userName(uid), group: groupName(gid) }),
  };
}
