// A daemon's first steps after exec, for the boot script and for a program
// that daemonized itself: read the options from the pipe the marker variable
// names (markers.ts), take over the inherited fds (readiness pipe, pidfile
// lock, control socket) so the program's own children do not inherit them,
// and build the lifecycle.
import * as fs from 'node:fs';
import { check } from '../errors';
import { native } from '../native';
import type { LockedPidfile } from '../pidfile';
import { Lifecycle } from './lifecycle';
import type { BootMarker } from './markers';

// In its own module so a supervisor reads its marker without loading the lifecycle.
export { readMarker } from './read-marker';

/** The lifecycle of a started daemon: `entry` loads the program (boot.js); `self` is the program already running (daemonize()). */
export function daemonLifecycle(m: BootMarker, program: 'entry' | 'self'): Lifecycle {
  const o = m.options;
  const n = native();
  // Inherited without CLOEXEC for the exec; the program's own children must not get them.
  if (m.readyFd >= 0) check(n.setCloexec(m.readyFd, true), 'fcntl');
  if (m.controlFd >= 0) check(n.setCloexec(m.controlFd, true), 'fcntl');
  let lock: LockedPidfile | null = null;
  if (m.lockFd >= 0 && o.pidfile) {
    check(n.setCloexec(m.lockFd, true), 'fcntl');
    const st = fs.fstatSync(m.lockFd);
    lock = { fd: m.lockFd, path: o.pidfile, dev: st.dev, ino: st.ino };
  }
  return new Lifecycle({
    options: o,
    mode: m.mode ?? 'daemon',
    program,
    readyFd: m.readyFd,
    lock,
    controlFd: m.controlFd,
    stdoutPath: m.logs ? m.logs.stdout : o.stdout,
    stderrPath: m.logs ? m.logs.stderr : o.stderr,
    ...(m.supervised && { supervised: true }),
  });
}
