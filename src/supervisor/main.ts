// First JavaScript of a supervisor (DESIGN.md §8): the fresh node that
// `start` exec'd instead of the boot script. argv: [node, main.js, entry,
// ...args] (for ps; the options come from the marker). It takes over what
// `start` handed down (the readiness pipe, the pidfile lock, the control
// socket, the --listen sockets) and runs the instances (supervisor.ts).
import * as fs from 'node:fs';
import { check } from '../errors';
import { exitAfterListeners } from '../exit-now';
import { native } from '../native';
import type { LockedPidfile } from '../pidfile';
import { startRpcServer } from '../control/server/rpc-server';
import { takeMarker } from '../runtime/read-marker';
import { supervisorMethods } from './control';
import { Supervisor } from './supervisor';

function die(message: string): never {
  fs.writeSync(2, `taskdaemon supervisor: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const m = takeMarker('supervisor', 'use `taskdaemon start --restart ...`');
  if (!m.options.supervise) die('started without supervision options');
  const n = native();
  const o = m.options;
  // Inherited for the exec; an instance gets only what spawnChild gives it, and nothing else of ours.
  for (const fd of [m.readyFd, m.controlFd, ...(m.listen ?? []).map((l) => l.fd)]) if (fd >= 0) check(n.setCloexec(fd, true), 'fcntl');
  let lock: LockedPidfile | null = null;
  if (m.lockFd >= 0 && o.pidfile) {
    check(n.setCloexec(m.lockFd, true), 'fcntl');
    const st = fs.fstatSync(m.lockFd);
    lock = { fd: m.lockFd, path: o.pidfile, dev: st.dev, ino: st.ino };
  }
  const sup = new Supervisor({ options: o, readyFd: m.readyFd, lock, listen: m.listen ?? [] });
  void sup.finished.then((code) => exitAfterListeners(code));
  // Both answer from the first moment, so `status` and /ready see "starting".
  if (m.controlFd >= 0) startRpcServer(m.controlFd, supervisorMethods(sup), sup.log);
  await sup.start();
}

void main();
