// The native boundary: results or -errno, turned into Node-style SystemErrors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, systemError } from '../../src/errors';
import { native } from '../../src/native';

describe('native errors', () => {
  it('builds a SystemError like Node does', () => {
    const e = systemError(-13, 'open', '/run/x.pid');
    expect(e.code).toBe('EACCES');
    expect(e.errno).toBe(-13);
    expect(e.syscall).toBe('open');
    expect(e.path).toBe('/run/x.pid');
    expect(e.message).toBe("EACCES: permission denied, open '/run/x.pid'");
  });

  it('check() passes results through and throws on -errno and failure records', () => {
    expect(check(5, 'x')).toBe(5);
    expect(() => check(-9, 'flock')).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'flock' }));
    expect(() => check({ errno: -1, syscall: 'setuid' }, 'fork')).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'setuid' }));
  });

  it('flock on a bad fd is EBADF, not "already locked"', () => {
    const n = native();
    expect(n.flock(987654, n.LOCK_EX | n.LOCK_NB)).toBe(-os.constants.errno.EBADF);
  });

  it('two open file descriptions of one file exclude each other', () => {
    const n = native();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-unit-'));
    const file = path.join(dir, 'lock');
    const a = fs.openSync(file, 'w');
    const b = fs.openSync(file, 'r');
    try {
      expect(n.flock(a, n.LOCK_EX | n.LOCK_NB)).toBe(0);
      expect(n.flock(b, n.LOCK_SH | n.LOCK_NB)).toBe(-os.constants.errno.EWOULDBLOCK);
      expect(n.flock(a, n.LOCK_UN)).toBe(0);
      expect(n.flock(b, n.LOCK_SH | n.LOCK_NB)).toBe(0);
    } finally {
      fs.closeSync(a);
      fs.closeSync(b);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pipe() gives a close-on-exec pair, and setCloexec toggles the flag', () => {
    const n = native();
    const p = n.pipe();
    expect(Array.isArray(p)).toBe(true);
    const [r, w] = p as [number, number];
    const flags = (fd: number) => fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/flags:\s+(\d+)/)![1]!;
    const O_CLOEXEC = 0o2000000;
    expect(parseInt(flags(r), 8) & O_CLOEXEC).toBe(O_CLOEXEC);
    expect(n.setCloexec(w, false)).toBe(0);
    expect(parseInt(flags(w), 8) & O_CLOEXEC).toBe(0);
    expect(n.setCloexec(-1, true)).toBe(-os.constants.errno.EBADF);
    fs.closeSync(r);
    fs.closeSync(w);
  });

  it('pidfd: opens for a live pid, ESRCH for none, and waits with a timeout', async () => {
    const n = native();
    const fd = n.pidfdOpen(process.pid);
    expect(fd).toBeGreaterThan(2);
    expect(await n.pidfdWait(fd, 10)).toBe(0); // we are alive: times out
    expect(n.pidfdSendSignal(fd, 0)).toBe(0);
    fs.closeSync(fd);
    expect(n.pidfdOpen(0x3ffffff0)).toBe(-os.constants.errno.ESRCH);
  });

  it('looks up users and groups by name and id', () => {
    const n = native();
    expect(n.lookupUser('root')).toMatchObject({ name: 'root', uid: 0, gid: 0 });
    expect(n.lookupUser('0')).toMatchObject({ name: 'root', uid: 0 });
    expect(n.lookupUser('no-such-user-x')).toBe(null);
    expect(n.lookupGroup('root')).toMatchObject({ name: 'root', gid: 0 });
    expect(n.lookupGroup('no-such-group-x')).toBe(null);
    expect(n.groupList('root', 0)).toContain(0);
  });
});
