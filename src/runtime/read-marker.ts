// The boot marker (markers.ts): read the options from the pipe the marker
// variable names, then delete the variable and close the fd, so the program
// and its children never see either. Shared by the boot script, a program that
// daemonized itself, and the supervisor (which must not load the lifecycle).
import * as fs from 'node:fs';
import { BOOT_ENV, type BootMarker } from './markers';

/** The marker `start` left, or null when this process was not started by it. Deletes the variable either way. */
export function readMarker(): BootMarker | null {
  const raw = process.env[BOOT_ENV];
  delete process.env[BOOT_ENV];
  if (raw === undefined) return null;
  if (!/^\d+$/.test(raw)) throw new Error(`${BOOT_ENV}=${raw}: not an fd number`);
  const fd = Number(raw);
  let m: BootMarker;
  try {
    m = JSON.parse(fs.readFileSync(fd, 'utf8')) as BootMarker;
  } catch (e) {
    throw new Error(`unreadable marker on fd ${fd}: ${(e as Error).message}`);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      /* never opened */
    }
  }
  if (m.v !== 2) throw new Error(`marker version ${String(m.v)}: the CLI and this runtime are different taskdaemon versions`);
  return m;
}

/**
 * The first step of an exec'd script (boot.js, the supervisor): the marker, or
 * one line on stderr and exit 2 when it is missing or unreadable (`who` names
 * the script, `hint` says how it is meant to be started).
 */
export function takeMarker(who: string, hint: string): BootMarker {
  let m: BootMarker | null;
  let why: string;
  try {
    m = readMarker();
    why = `not started by taskdaemon (no marker); ${hint}`;
  } catch (e) {
    m = null;
    why = (e as Error).message;
  }
  if (m) return m;
  fs.writeSync(2, `taskdaemon ${who}: ${why}\n`);
  process.exit(2);
}
