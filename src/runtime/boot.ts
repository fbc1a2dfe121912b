// First JavaScript of the daemon: the fresh node that native code exec'd
// (DESIGN.md §3). argv: [node, boot.js, entry, ...args]. It takes over the
// inherited fds named in the marker variable, removes the variable, and hands
// the program to the lifecycle.
import * as fs from 'node:fs';
import { check } from '../errors';
import { native } from '../native';
import type { LockedPidfile } from '../pidfile';
import { Lifecycle } from './lifecycle';
import { BOOT_ENV, type BootMarker } from './markers';

function die(message: string): never {
  fs.writeSync(2, `taskdaemon boot: ${message}\n`);
  process.exit(2);
}

function main(): void {
  const raw = process.env[BOOT_ENV];
  delete process.env[BOOT_ENV];
  if (!raw) die('not started by taskdaemon (no marker); use `taskdaemon start` or `taskdaemon run`');
  let m: BootMarker;
  try {
    m = JSON.parse(raw) as BootMarker;
  } catch {
    die('unreadable marker');
  }
  const n = native();
  // Inherited without CLOEXEC for the exec; the program's own children must not get them.
  if (m.readyFd >= 0) check(n.setCloexec(m.readyFd, true), 'fcntl');
  if (m.controlFd >= 0) check(n.setCloexec(m.controlFd, true), 'fcntl');
  let lock: LockedPidfile | null = null;
  if (m.lockFd >= 0 && m.pidfile) {
    check(n.setCloexec(m.lockFd, true), 'fcntl');
    const st = fs.fstatSync(m.lockFd);
    lock = { fd: m.lockFd, path: m.pidfile, dev: st.dev, ino: st.ino };
  }
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) die('no entry given');
  // The program sees itself as if run directly: process.argv[1] is its own file.
  process.argv.splice(1, process.argv.length - 1, entry, ...args);
  const life = new Lifecycle({
    name: m.name,
    mode: 'daemon',
    entry,
    args,
    readyFd: m.readyFd,
    lock,
    graceMs: m.graceMs,
    logFormat: m.logFormat,
    stateFile: m.stateFile,
    watchConfig: m.watchConfig,
    stdoutPath: m.stdout,
    stderrPath: m.stderr,
    controlFd: m.controlFd,
    healthPort: m.healthPort,
    healthHost: m.healthHost,
  });
  void life.start();
}

main();
