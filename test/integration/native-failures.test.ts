// Native failure paths the happy path never takes (issue 8, defect 16), each
// reached for real: capabilities kept across setuid (securebits), a short
// pwrite (RLIMIT_FSIZE), syscall faults injected by strace, a dup2 that fails
// inside a running daemon, socket activation naming fds that are not open.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, isRoot, nobodyReadable, td } from '../helpers/cli';
import { alive, pidsWith, procFds, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
const hasStrace = spawnSync('strace', ['-V']).status === 0;
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
if (!hasStrace) console.warn('native-failures.test: strace cases skipped, strace is not installed');

// strace following the CLI and its children, detaching from each at execve,
// with one syscall fault injected (man 1 strace, -e inject).
const inject = (spec: string): string[] => ['strace', '-f', '-qq', '-b', 'execve', '-o', '/dev/null', '-e', `trace=${spec.split(':')[0]}`, '-e', `inject=${spec}`];

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

// A failed start leaves nothing: no process with the tag, no pidfile.
function nothingLeft(s: Sandbox): void {
  expect(pidsWith(s.tag)).toEqual([]);
  expect(fs.existsSync(s.pidfile)).toBe(false);
}

describe('privilege drop that does not hold', () => {
  it.skipIf(!isRoot)('a setuid(0) that succeeds after the drop is reported as such, not as EPERM', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    // no_setuid_fixup: capabilities survive setuid(65534), so setuid(0) really succeeds.
    const r = await td(['start', path.join(pkg.fixtures, 'probe.js'), ...sb.flags, '--user', 'nobody', '--', sb.tag], {
      wrap: ['setpriv', '--securebits', '+no_setuid_fixup'],
      bin: pkg.bin,
      node: pkg.node,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^taskdaemon: privilege drop did not hold: setuid\(0\) succeeded after dropping to nobody, so the daemon could regain root; it was not started\n/);
    expect(r.stderr).not.toMatch(/EPERM/);
    nothingLeft(sb);
  });

  it.skipIf(!isRoot || !hasStrace)('a setgid(0) that succeeds after the drop is reported as such', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    // The daemon's second setgid is the check setgid(0): make it succeed.
    const r = await td(['start', path.join(pkg.fixtures, 'probe.js'), ...sb.flags, '--user', 'nobody', '--', sb.tag], {
      wrap: inject('setgid:retval=0:when=2'),
      bin: pkg.bin,
      node: pkg.node,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^taskdaemon: privilege drop did not hold: setgid\(0\) succeeded after dropping to nobody/);
    nothingLeft(sb);
  });
});

describe('writing the pidfile', () => {
  it.skipIf(!hasPrlimit)('a short pwrite reports why the rest could not be written, not a stale errno', async () => {
    sb = sandbox();
    // RLIMIT_FSIZE 2: pwrite of "PID\n" writes 2 bytes; the rest is EFBIG.
    const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag], { wrap: ['prlimit', '--fsize=2'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^taskdaemon: daemon setup failed at pwrite: EFBIG \(file too large\)\n/);
    nothingLeft(sb);
  });
});

describe('closing inherited fds', () => {
  it.skipIf(!hasStrace)('close_range failing with anything but ENOSYS fails the start', async () => {
    sb = sandbox();
    const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag], { wrap: inject('close_range:error=EPERM') });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^taskdaemon: daemon setup failed at close_range: EPERM \(operation not permitted\)\n/);
    nothingLeft(sb);
  });

  it.skipIf(!hasStrace)('close_range missing (ENOSYS): the close loop runs and nothing inherited reaches the daemon', async () => {
    sb = sandbox();
    const leak = path.join(sb.dir, 'leaked-file');
    const leakFd = fs.openSync(leak, 'w');
    try {
      const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag], { wrap: inject('close_range:error=ENOSYS'), extraFds: [leakFd] });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      fs.closeSync(leakFd);
    }
    const pid = sb.readPid()!;
    expect([...procFds(pid).values()]).not.toContain(leak);
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
  });
});

describe('log reopening', () => {
  it.skipIf(!hasStrace)('a dup2 that fails on SIGUSR2 is a warning, never followed by "log-reopened"', async () => {
    sb = sandbox();
    expect((await td(['start', PROBE, ...sb.flags, '--', sb.tag])).code).toBe(0);
    const pid = sb.readPid()!;
    // Attach to the running daemon and make every dup2 fail with EBUSY (man 2 dup2).
    const tracer = spawn('strace', ['-f', '-qq', '-p', String(pid), '-o', '/dev/null', '-e', 'trace=dup2', '-e', 'inject=dup2:error=EBUSY'], { stdio: 'ignore' });
    try {
      const traced = (): boolean => /^TracerPid:\s+[1-9]/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      await waitFor(traced, 10_000, 'strace to attach');
      process.kill(pid, 'SIGUSR2');
      await waitFor(() => sb.readLog().includes('log-reopen-failed'), 10_000, 'the warning');
    } finally {
      tracer.kill('SIGTERM'); // strace detaches and leaves the daemon running
      await waitFor(() => tracer.exitCode !== null || tracer.signalCode !== null, 10_000, 'strace to detach');
    }
    expect(sb.readLog()).not.toContain('log-reopened');
    expect(sb.readLog()).toMatch(/log-reopen-failed .*: fd 1 keeps the old file: EBUSY: resource busy or locked, dup2$/m);
    // Nor later: whatever the runtime writes after the warning, it never claims the reopen happened.
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => sb.readLog().includes(' status {'), 10_000, 'a later line');
    expect(sb.readLog()).not.toContain('log-reopened');
    expect(alive(pid)).toBe(true);
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
  });
});

describe('socket activation', () => {
  it('LISTEN_FDS naming fds that are not open fails `run` with one line', async () => {
    sb = sandbox();
    // exec keeps the shell's pid, so LISTEN_PID=$$ names the node that runs.
    // Node's own fds take the lowest numbers; fd 202 is past them and not open.
    const run = await td(['run', PROBE, '--name', sb.name, '--no-pidfile', '--no-state-file', '--', sb.tag], {
      wrap: ['sh', '-c', 'LISTEN_PID=$$ LISTEN_FDS=200 exec "$@"', 'sh'],
      timeoutMs: 15_000,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^taskdaemon: socket activation: LISTEN_FDS=200 names fd \d+, which cannot be used: EBADF: bad file descriptor, fcntl\n/);
    expect(pidsWith(sb.tag)).toEqual([]);
  });
});
