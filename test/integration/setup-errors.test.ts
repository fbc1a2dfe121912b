// A setup step that fails for real between fork and execve reaches `start
// --json` as data: the SystemError fields (code, errno, syscall, path) and the
// step, as native/steps.h names it, next to the one line on stderr.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AS_NOBODY, FIXTURES, isRoot, nobodyReadable, td, type CliResult } from '../helpers/cli';
import { pidsWith } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { setupStep } from '../../src/setup-steps';

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

// The one --json object of a failed start; its step is one of the list, with the list's syscall.
function failure(r: CliResult): { exitCode: number; error: { [k: string]: unknown } } {
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const out = JSON.parse(lines[0]!) as { ok: boolean; exitCode: number; error: { [k: string]: unknown } };
  expect(out.ok).toBe(false);
  expect(out.exitCode).toBe(r.code);
  expect(setupStep(String(out.error.step))?.syscall).toBe(out.error.syscall);
  return out;
}

describe('start --json: a failed setup step is a SystemError with its step', () => {
  it.skipIf(!isRoot)('a directory the daemon cannot enter: chdir, EACCES, the directory, exit 4', async () => {
    sb = sandbox();
    const closed = path.join(sb.dir, 'closed');
    fs.mkdirSync(closed, { mode: 0o700 }); // root's: nobody sees a directory there, but cannot enter it
    const home = fs.mkdtempSync(path.join(sb.dir, 'home-'));
    fs.chownSync(home, 65534, 65534);
    const pidfile = path.join(home, 'x.pid');
    // The CLI itself runs as nobody, so the daemon-to-be is nobody when it calls chdir(2).
    const pkg = nobodyReadable();
    const r = await td(['start', path.join(pkg.fixtures, 'probe.js'), '--name', sb.name, '--pidfile', pidfile, '--stdout', path.join(home, 'x.log'), '--chdir', closed, '--json', '--', sb.tag], {
      wrap: AS_NOBODY,
      bin: pkg.bin,
      node: pkg.node,
      env: { HOME: home },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('taskdaemon: daemon setup failed at chdir: EACCES (permission denied)\n');
    expect(failure(r).error).toEqual({
      message: 'daemon setup failed at chdir: EACCES (permission denied)',
      code: 'EACCES',
      errno: -13,
      syscall: 'chdir',
      step: 'chdir',
      path: closed,
    });
    expect(pidsWith(sb.tag)).toEqual([]);
    expect(fs.existsSync(pidfile)).toBe(false);
  });

  it.skipIf(!isRoot)('an entry the dropped user cannot read: open(entry), EACCES, the entry, the hint, exit 4', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    const hidden = fs.mkdtempSync(path.join(sb.dir, 'private-')); // 0700, root's
    const entry = path.join(hidden, 'app.js');
    fs.copyFileSync(path.join(pkg.fixtures, 'probe.js'), entry);
    const r = await td(['start', entry, ...sb.flags, '--user', 'nobody', '--json', '--', sb.tag], { bin: pkg.bin, node: pkg.node });
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toBe(`taskdaemon: nobody cannot read ${entry}: EACCES (permission denied)`);
    expect(failure(r).error).toEqual({
      message: `nobody cannot read ${entry}: EACCES (permission denied)`,
      code: 'EACCES',
      errno: -13,
      syscall: 'open',
      step: 'open(entry)',
      path: entry,
      hint: expect.stringMatching(/^the daemon runs as nobody: the file and every directory above it must be open to that user/),
    });
    expect(pidsWith(sb.tag)).toEqual([]);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it.skipIf(!hasPrlimit)('a pidfile the daemon cannot finish writing: pwrite, EFBIG, the pidfile, exit 1', async () => {
    sb = sandbox();
    // RLIMIT_FSIZE 2: pwrite of "PID\n" writes 2 bytes; the rest is EFBIG.
    const r = await td(['start', path.join(FIXTURES, 'probe.js'), ...sb.flags, '--json', '--', sb.tag], { wrap: ['prlimit', '--fsize=2'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('taskdaemon: daemon setup failed at pwrite: EFBIG (file too large)\n');
    expect(failure(r).error).toEqual({
      message: 'daemon setup failed at pwrite: EFBIG (file too large)',
      code: 'EFBIG',
      errno: -27,
      syscall: 'pwrite',
      step: 'pwrite',
      path: sb.pidfile,
    });
    expect(pidsWith(sb.tag)).toEqual([]);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });
});
