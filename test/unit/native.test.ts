// The native boundary: results or -errno, turned into Node-style SystemErrors.
import { describe, expect, it } from 'vitest';
import { check, systemError } from '../../src/errors';
import { native, type NativeBinding } from '../../src/native';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cases = require('./native-cases.cjs') as [string, (n: NativeBinding) => void | Promise<void>][];

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
});

describe('the addon', () => {
  for (const [name, run] of cases) it(name, () => run(native()));
});
