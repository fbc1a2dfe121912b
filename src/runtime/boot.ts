// First JavaScript of the daemon: the fresh node that native code exec'd
// (DESIGN.md §3). argv: [node, boot.js, entry, ...args]. It reads its options
// from the pipe the marker variable names (markers.ts), takes over the
// inherited fds, and hands the program to the lifecycle.
import * as fs from 'node:fs';
import { check } from '../errors';
import { native } from '../native';
import type { LockedPidfile } from '../pidfile';
import { Lifecycle } from './lifecycle';
import { lifecycleOptions } from './lifecycle-options';
import { BOOT_ENV, type BootMarker } from './markers';

function die(message: string): never {
  fs.writeSync(2, `taskdaemon boot: ${message}\n`);
  process.exit(2);
}

function readMarker(): BootMarker {
  const raw = process.env[BOOT_ENV];
  delete process.env[BOOT_ENV];
  if (!raw || !/^\d+$/.test(raw)) die('not started by taskdaemon (no marker); use `taskdaemon start` or `taskdaemon run`');
  const fd = Number(raw);
  try {
    const m = JSON.parse(fs.readFileSync(fd, 'utf8')) as BootMarker;
    if (m.v !== 2) die(`marker version ${String(m.v)}: the CLI and this runtime are different taskdaemon versions`);
    return m;
  } catch (e) {
    return die(`unreadable marker on fd ${fd}: ${(e as Error).message}`);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      /* never opened */
    }
  }
}

function main(): void {
  const m = readMarker();
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
  // The program sees itself as if run directly: process.argv[1] is its own file.
  process.argv.splice(1, process.argv.length - 1, o.entry, ...o.args);
  const life = new Lifecycle(lifecycleOptions(o, 'daemon', { readyFd: m.readyFd, lock, controlFd: m.controlFd, stdoutPath: o.stdout, stderrPath: o.stderr }));
  void life.finished.then((code) => process.exit(code));
  void life.start();
}

main();
