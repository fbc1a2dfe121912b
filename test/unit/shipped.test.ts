// The line editor `install` renders with: every edit names lines that must be
// in the shipped file exactly once, so a shipped file that changed under the
// renderer fails the rendering (ERR_SHIPPED_FILE, exit 5) instead of
// producing a file without the line.
import { describe, expect, it } from 'vitest';
import { TaskdaemonError } from '../../src/errors';
import { readShipped, ShippedFile, type ShippedName } from '../../src/install/shipped';

const UNIT = ['# header', '# more', '[Service]', 'Type=forking', '# why', 'Environment=A=%i', 'ExecStart=/bin/true', ''].join('\n');

function failure(f: () => unknown): TaskdaemonError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TaskdaemonError);
    return e as TaskdaemonError;
  }
  throw new Error('did not throw');
}

describe('ShippedFile', () => {
  it('replaces one line in place, removes one with the comment above it, replaces the leading comment and a range', () => {
    const f = new ShippedFile('u', UNIT)
      .replaceLeadingComment(['# mine'])
      .replace(/^ExecStart=/, ['ExecStart=/bin/a', 'ExecStart=/bin/b'])
      .remove(/^Environment=/);
    expect(f.text()).toBe(['# mine', '[Service]', 'Type=forking', 'ExecStart=/bin/a', 'ExecStart=/bin/b', ''].join('\n'));
    expect(new ShippedFile('u', UNIT).replaceRange('Type=forking', 'ExecStart=/bin/true', ['Type=notify']).text()).toBe('# header\n# more\n[Service]\nType=notify\n');
    expect(new ShippedFile('u', UNIT).line(/^Type=/)).toBe('Type=forking');
  });

  it('a line that is missing, or there twice, is ERR_SHIPPED_FILE with exit 5 and the file named', () => {
    for (const edit of [
      (f: ShippedFile) => f.replace('PIDFile=/run/x.pid', []),
      (f: ShippedFile) => f.remove(/^#/),
      (f: ShippedFile) => f.replaceRange('ExecStart=/bin/true', 'Type=forking', []),
    ]) {
      const e = failure(() => edit(new ShippedFile('/pkg/systemd/x@.service', UNIT)));
      expect(e.code).toBe('ERR_SHIPPED_FILE');
      expect(e.exitCode).toBe(5);
      expect(e.message).toMatch(/^\/pkg\/systemd\/x@\.service: /);
    }
    const left = failure(() => new ShippedFile('u', UNIT).refuseLeft(/%i/, 'a template line'));
    expect(left.message).toBe('u: a template line is left after rendering: Environment=A=%i');
  });

  it('reads the shipped files from the package; a missing one is ERR_SHIPPED_FILE with exit 5', () => {
    for (const name of ['systemd/taskdaemon@.service', 'systemd/taskdaemon-notify@.service', 'systemd/taskdaemon-notify@.socket', 'initd/taskdaemon'] as const) {
      expect(readShipped(name).text().length).toBeGreaterThan(100);
    }
    const e = failure(() => readShipped('systemd/nope.service' as ShippedName));
    expect(e.code).toBe('ERR_SHIPPED_FILE');
    expect(e.exitCode).toBe(5);
    expect(e.message).toMatch(/^cannot read .*\/systemd\/nope\.service: ENOENT/);
  });
});
