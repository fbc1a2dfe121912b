// A setup step that failed between fork and execve becomes one SetupError,
// built by setupError() alone: a SystemError (code, errno, syscall, path) that
// names the step, with the LSB exit code and the hint the CLI prints.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorFacts, exitCodeFor, SetupError, setupError, systemError, TaskdaemonError } from '../../src/errors';
import { EXIT } from '../../src/exit-codes';

describe('setupError', () => {
  it('is a SystemError that names the step, with the wording `start` prints', () => {
    const e = setupError('pwrite', 27, { path: '/run/x.pid' });
    expect(e).toBeInstanceOf(SetupError);
    expect(e).toBeInstanceOf(TaskdaemonError);
    expect(e).toMatchObject({ name: 'SetupError', code: 'EFBIG', errno: -27, syscall: 'pwrite', step: 'pwrite', path: '/run/x.pid', exitCode: EXIT.FAILURE, hint: undefined });
    expect(e.message).toBe('daemon setup failed at pwrite: EFBIG (file too large)');
    // The same code, errno and syscall a SystemError of that call would carry.
    const plain = systemError(-27, 'pwrite', '/run/x.pid');
    expect({ code: e.code, errno: e.errno, syscall: e.syscall, path: e.path }).toEqual({ code: plain.code, errno: plain.errno, syscall: plain.syscall, path: plain.path });
  });

  it("takes the step's syscall from the list: open(entry) failed in open", () => {
    expect(setupError('open(entry)', -2, { path: '/srv/app.js' })).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', step: 'open(entry)' });
    expect(setupError('setuid(0)', 0, { user: 'nobody' }).syscall).toBe('setuid');
  });

  it('an errno either sign is the same error', () => {
    expect(setupError('chdir', 13)).toMatchObject({ code: 'EACCES', errno: -13 });
    expect(setupError('chdir', -13)).toMatchObject({ code: 'EACCES', errno: -13 });
  });

  it('LSB exit codes: EACCES and EPERM 4, ENOENT at execve 5, the rest 1', () => {
    const code = (step: string, errno: number): number => exitCodeFor(setupError(step, errno));
    expect(code('close_range', 1)).toBe(EXIT.NO_PRIVILEGE);
    expect(code('chdir', 13)).toBe(EXIT.NO_PRIVILEGE);
    expect(code('execve', 2)).toBe(EXIT.NOT_INSTALLED);
    expect(code('open(entry)', 2)).toBe(EXIT.FAILURE);
    expect(code('pwrite', 27)).toBe(EXIT.FAILURE);
    expect(code('setgid(0)', 0)).toBe(EXIT.FAILURE);
  });

  it('a file the dropped user cannot read or run is said plainly, with what to change', () => {
    const read = setupError('open(entry)', 13, { path: '/root/app.js', user: 'nobody' });
    expect(read.message).toBe('nobody cannot read /root/app.js: EACCES (permission denied)');
    expect(read.hint).toMatch(/^the daemon runs as nobody: the file and every directory above it must be open to that user/);
    expect(read).toMatchObject({ code: 'EACCES', syscall: 'open', step: 'open(entry)', path: '/root/app.js', exitCode: EXIT.NO_PRIVILEGE });
    expect(setupError('execve', 13, { path: '/root/node', user: 'uid 1000' }).message).toBe('uid 1000 cannot run /root/node: EACCES (permission denied)');
  });

  it('keeps the plain wording where the hint would not be true', () => {
    // No drop: nobody else to blame. A directory or the pidfile: not a file the user reads.
    expect(setupError('open(entry)', 13, { path: '/root/app.js' }).message).toBe('daemon setup failed at open(entry): EACCES (permission denied)');
    expect(setupError('chdir', 13, { path: '/srv', user: 'nobody' }).message).toBe('daemon setup failed at chdir: EACCES (permission denied)');
    expect(setupError('open(entry)', 2, { path: '/srv/app.js', user: 'nobody' }).message).toBe('daemon setup failed at open(entry): ENOENT (no such file or directory)');
  });

  it('ERRNO=0 is a check that had to fail and did not: the drop did not hold', () => {
    const e = setupError('setuid(0)', 0, { user: 'nobody' });
    expect(e.message).toBe('privilege drop did not hold: setuid(0) succeeded after dropping to nobody, so the daemon could regain root; it was not started');
    expect(e).toMatchObject({ code: 'ERR_PRIVILEGE_REGAINED', errno: 0, syscall: 'setuid', step: 'setuid(0)', exitCode: EXIT.FAILURE });
    expect(e.hint).toMatch(/securebits no_setuid_fixup/);
  });

  it("a note (the daemon's last log lines) comes after the step's own hint", () => {
    expect(setupError('open(entry)', 13, { path: '/a.js', user: 'nobody', note: 'last lines' }).hint).toMatch(/must be open to that user.*\nlast lines$/);
    expect(setupError('pwrite', 27, { note: 'last lines' }).hint).toBe('last lines');
  });

  it('a step the list does not have (an addon older than the list) still says what it can', () => {
    expect(setupError('mystery', 5)).toMatchObject({ code: 'EIO', syscall: 'mystery', step: 'mystery', message: 'daemon setup failed at mystery: EIO (i/o error)' });
  });
});

describe('errorFacts: a failure as the --json object', () => {
  it('a SetupError carries code, errno, syscall, step, path and hint', () => {
    const facts = errorFacts(setupError('open(entry)', 13, { path: '/root/app.js', user: 'nobody' }));
    expect(facts).toEqual({
      message: 'nobody cannot read /root/app.js: EACCES (permission denied)',
      code: 'EACCES',
      errno: -13,
      syscall: 'open',
      step: 'open(entry)',
      path: '/root/app.js',
      hint: expect.stringMatching(/^the daemon runs as nobody/),
    });
  });

  it('a SystemError from a native call or from node carries its own fields', () => {
    expect(errorFacts(systemError(-98, 'bind', '/run/x.sock'))).toEqual({ message: "EADDRINUSE: address already in use, bind '/run/x.sock'", code: 'EADDRINUSE', errno: -98, syscall: 'bind', path: '/run/x.sock' });
    let nodeErr: unknown;
    try {
      fs.readFileSync('/no/such/file');
    } catch (e) {
      nodeErr = e;
    }
    expect(errorFacts(nodeErr)).toEqual({ message: "ENOENT: no such file or directory, open '/no/such/file'", code: 'ENOENT', errno: -2, syscall: 'open', path: '/no/such/file' });
  });

  it('other failures: message, and code and hint when they have them', () => {
    expect(errorFacts(new TaskdaemonError('already running (pid 7)', { code: 'ERR_ALREADY_RUNNING', hint: 'stop it first' }))).toEqual({ message: 'already running (pid 7)', code: 'ERR_ALREADY_RUNNING', hint: 'stop it first' });
    expect(errorFacts(new Error('plain'))).toEqual({ message: 'plain' });
    expect(errorFacts('a string')).toEqual({ message: 'a string' });
  });
});
