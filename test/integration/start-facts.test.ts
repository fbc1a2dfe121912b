// The daemon that `start` leaves behind, checked from /proc like an operator
// would: detached, not a session leader, no tty, umask, cwd, stdio, ids,
// capabilities, the locked pidfile, and no inherited fd.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, isRoot, nobodyReadable, td } from '../helpers/cli';
import { flockFree, procFds, procStat, procStatus, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

describe('start: the daemon process', () => {
  it('is detached, not a session leader, has no tty, and uses the umask, cwd and stdio asked for', async () => {
    sb = sandbox();
    const cwd = fs.mkdtempSync(path.join(sb.dir, 'cwd-'));
    const r = await td(['start', PROBE, ...sb.flags, '--umask', '027', '--chdir', cwd, '--', sb.tag]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pid = Number(/\(pid (\d+)\)/.exec(r.stdout)?.[1]);
    expect(r.stdout).toBe(`started ${sb.name} (pid ${pid})\n`);

    // The pidfile was complete and locked when start returned.
    expect(sb.readPid()).toBe(pid);
    expect(flockFree(sb.pidfile)).toBe(false);

    const st = procStat(pid);
    expect(st.ppid).not.toBe(r.pid); // its parent is not the starter
    expect(st.pid).not.toBe(st.session); // not a session leader: can never get a controlling tty
    expect(st.session).toBe(st.pgrp); // in the session and group the first child created
    expect(st.ttyNr).toBe(0); // no controlling terminal

    const status = procStatus(pid);
    expect(status.Umask).toBe('0027');
    expect(fs.readlinkSync(`/proc/${pid}/cwd`)).toBe(cwd);

    const fds = procFds(pid);
    expect(fds.get(0)).toBe('/dev/null');
    expect(fds.get(1)).toBe(sb.log);
    expect(fds.get(2)).toBe(sb.log);
    expect([...fds.values()]).toContain(sb.pidfile); // the lock is held through this fd

    // The program sees itself as if run directly.
    expect(sb.readLog()).toContain(`"argv1":"${PROBE}"`);
    expect(sb.readLog()).toContain(`"args":["${sb.tag}"]`);
  });

  it('does not inherit any fd the starter had open', async () => {
    sb = sandbox();
    const leak = path.join(sb.dir, 'leaked-file');
    const leakFd = fs.openSync(leak, 'w');
    try {
      // spawn passes it to the CLI as fd 3 without CLOEXEC, like a careless parent would.
      const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag], { extraFds: [leakFd] });
      expect(r.code).toBe(0);
    } finally {
      fs.closeSync(leakFd);
    }
    const pid = sb.readPid()!;
    const targets = [...procFds(pid).values()];
    expect(targets).not.toContain(leak);
    // The fds start handed over on purpose: the lock stays, the readiness pipe
    // is closed after READY=1, the boot pipe at boot. Node's own pipes are self-pipes (both ends in the
    // daemon); the readiness pipe's reader was the starter, so its end would be alone.
    const fds = procFds(pid);
    expect([...fds.values()].filter((t) => t === sb.pidfile)).toHaveLength(1);
    // The boot options' pipe is read and closed at boot: its write end was the starter's, so
    // left open it would be a lone pipe, which the check below rules out.
    // The daemon closes it right after writing READY=1, which `start` may see first: allow it a moment.
    const lonePipes = (): string[] => {
      const pipes = [...procFds(pid).values()].filter((t) => t.startsWith('pipe:'));
      return pipes.filter((p) => pipes.indexOf(p) === pipes.lastIndexOf(p));
    };
    await waitFor(() => lonePipes().length === 0, 5_000, 'the readiness pipe to close');
    // The marker variable is gone from the program's environment.
    expect(sb.readLog()).not.toContain('__TASKDAEMON_BOOT');
  });

  it.skipIf(!isRoot)('drops to nobody:nogroup with no way back', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    const r = await td(['start', path.join(pkg.fixtures, 'probe.js'), ...sb.flags, '--user', 'nobody', '--group', 'nogroup', '--', sb.tag], { bin: pkg.bin, node: pkg.node });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pid = sb.readPid()!;
    const s = procStatus(pid);
    expect(s.Uid!.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(s.Gid!.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    const groups = s.Groups!.split(/\s+/).filter(Boolean);
    expect(groups).not.toContain('0');
    expect(groups).toEqual(['65534']);
    expect(s.CapEff).toBe('0000000000000000');
    expect(s.CapPrm).toBe('0000000000000000');
    // The pidfile stays owned by root, the caller.
    expect(fs.statSync(sb.pidfile).uid).toBe(0);
    expect(flockFree(sb.pidfile)).toBe(false);
  });
});
