// Programs that are not Node, started with no runtime inside them (DESIGN.md
// §9): an ELF binary and scripts for python3 and sh, each exec'd itself after
// the same set-up. Readiness exec (execve succeeded, a failed execve reported
// as its step), notify (the sd_notify protocol: a python3 daemon using only
// its socket module, and systemd's own systemd-notify), tcp and unix; then
// status, list, reload and stop (pidfd, --retry) work on them like on any
// daemon, and a failed start leaves nothing behind.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, isRoot, nobodyReadable, td } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { alive, procFds, procStat, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROGRAM = path.join(FIXTURES, 'program.py');
const LATE = path.join(FIXTURES, 'late-listen.js');
const hasPython = spawnSync('python3', ['-V']).status === 0;
const hasSystemdNotify = spawnSync('systemd-notify', ['--version']).status === 0;
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

// The daemon's own first log line: where its NOTIFY_SOCKET was.
const notifyPath = (log: string): string => /notify=(\S+)/.exec(log)![1]!;

function connects(o: net.NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection(o);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

describe('any program', () => {
  it('an ELF binary runs itself: no node, a daemon by every fact, only its lock fd passed; status, list and stop', async () => {
    sb = sandbox();
    // A copy named with the tag: the sandbox cleans up by it, and sleep takes no extra argument.
    const sleep = path.join(sb.dir, `sleep-${sb.tag}`);
    fs.copyFileSync('/bin/sleep', sleep);
    fs.chmodSync(sleep, 0o755);
    const r = await td(['start', sleep, ...sb.flags, '--', '1000']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pid = sb.readPid()!;
    expect(r.stdout).toBe(`started ${sb.name} (pid ${pid})\n`);
    expect(fs.readlinkSync(`/proc/${pid}/exe`)).toBe(sleep);
    const st = procStat(pid);
    expect(st.session).not.toBe(pid); // setsid, then a second fork: not a session leader
    expect(st.ttyNr).toBe(0);
    const fds = procFds(pid);
    expect([...fds.keys()].sort((a, b) => a - b).slice(0, 3)).toEqual([0, 1, 2]);
    expect(fds.get(0)).toBe('/dev/null');
    expect(fds.get(1)).toBe(sb.log);
    // Beyond stdio: the locked pidfile alone (it must stay open in the program for the lock to hold).
    expect([...fds.entries()].filter(([fd]) => fd > 2).map(([, target]) => target)).toEqual([sb.pidfile]);
    expect(fs.existsSync(sb.pidfile.replace(/\.pid$/, '.sock'))).toBe(false); // no runtime, no control socket

    expect(await td(['status', '--pidfile', sb.pidfile])).toMatchObject({ code: 0, stdout: `${sb.name} is running (pid ${pid})\n` });
    const list = JSON.parse((await td(['list', '--dir', sb.dir, '--json'])).stdout) as { name: string; state: string; pid: number; answered: unknown; taskdaemon: unknown }[];
    expect(list).toEqual([expect.objectContaining({ name: sb.name, state: 'running', pid, answered: null, taskdaemon: null })]);

    expect(await td(['stop', '--pidfile', sb.pidfile])).toMatchObject({ code: 0, stdout: `stopped ${sb.name} (pid ${pid})\n` });
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(sb.pidfile)).toBe(false); // the program cannot remove it: stop does
  });

  it('a failed execve is reported as its step, and nothing is left', async () => {
    sb = sandbox();
    const script = path.join(sb.dir, 'gone-interpreter');
    fs.writeFileSync(script, '#!/nonexistent/interpreter\n', { mode: 0o755 });
    const r = await td(['start', script, ...sb.flags]);
    expect(r.code).toBe(5); // LSB: not installed
    expect(r.stderr).toMatch(/^taskdaemon: daemon setup failed at execve: ENOENT/);
    expect(fs.readdirSync(sb.dir).sort()).toEqual(['gone-interpreter']);

    fs.chmodSync(script, 0o644);
    const noExec = await td(['start', script, ...sb.flags]);
    expect([noExec.code, noExec.stderr.split('\n')[0]]).toEqual([4, `taskdaemon: entry ${script} is a program (not JavaScript), but it is not executable`]);
    // Node entries choose their readiness among what a runtime can tell.
    const nodeNotify = await td(['start', LATE, ...sb.flags, '--ready', 'notify']);
    expect([nodeNotify.code, nodeNotify.stderr.split('\n')[0]]).toEqual([2, "taskdaemon: invalid --ready 'notify': 'notify' is for programs that are not Node"]);
  });

  describe.skipIf(!hasPython)('python3', () => {
    it('--ready notify: ready at READY=1; reload is SIGHUP ("signal delivered"); stop; the socket directory is gone', async () => {
      sb = sandbox();
      const r = await td(['start', PROGRAM, ...sb.flags, '--ready', 'notify', '--', sb.tag, '--notify-after=300']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const pid = sb.readPid()!;
      expect(sb.readLog()).toContain('program-ready'); // said before READY=1, so before start returned
      expect(fs.existsSync(path.dirname(notifyPath(sb.readLog())))).toBe(false);

      const reload = await td(['reload', '--pidfile', sb.pidfile]);
      expect(reload).toMatchObject({ code: 0, stdout: `sent SIGHUP to ${sb.name} (pid ${pid}): signal delivered (it has no control socket to report the result)\n` });
      await waitFor(() => sb.readLog().includes('program-reloaded'), 5_000, 'the program to handle SIGHUP');
      expect(await td(['stop', '--pidfile', sb.pidfile])).toMatchObject({ code: 0 });
      expect(sb.readLog()).toContain('program-term');
      expect(fs.existsSync(sb.pidfile)).toBe(false);
    });

    it('--ready notify: STATUS= and ERRNO= of a program that gives up are the error; nothing is left', async () => {
      sb = sandbox();
      const r = await td(['start', PROGRAM, ...sb.flags, '--ready', 'notify', '--', sb.tag, '--fail']);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe('taskdaemon: program.py exited before it sent READY=1 to $NOTIFY_SOCKET; its last STATUS: cannot open /var/lib/db; ERRNO=2 (ENOENT: no such file or directory)');
      expect(fs.existsSync(sb.pidfile)).toBe(false);
      expect(fs.existsSync(path.dirname(notifyPath(sb.readLog())))).toBe(false);
    });

    it('--ready tcp: start returns once the port accepts; stop --retry kills one that ignores TERM', async () => {
      sb = sandbox();
      const port = await freePort();
      const r = await td(['start', PROGRAM, ...sb.flags, '--ready', `tcp:127.0.0.1:${port}`, '--', sb.tag, `--listen=tcp:127.0.0.1:${port}`, '--listen-after=300', '--ignore-term']);
      expect(r.stderr).toBe('');
      expect(await connects({ host: '127.0.0.1', port })).toBe(true);
      const pid = sb.readPid()!;
      const stop = await td(['stop', '--pidfile', sb.pidfile, '--retry', 'TERM/0.5/KILL/5']);
      expect(stop).toMatchObject({ code: 0, stdout: `stopped ${sb.name} (pid ${pid}, killed after timeout)\n` });
      expect(fs.existsSync(sb.pidfile)).toBe(false);
    });

    it.skipIf(!isRoot)('--user nobody with --ready notify: the dropped program can still reach its socket', async () => {
      sb = sandbox();
      const program = path.join(nobodyReadable().fixtures, 'program.py');
      const r = await td(['start', program, ...sb.flags, '--user', 'nobody', '--ready', 'notify', '--', sb.tag, '--notify-after=0']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(sb.readLog()).toMatch(/program-start pid=\d+ uid=65534 gid=65534/);
      expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    });
  });

  it.skipIf(!hasSystemdNotify)("--ready notify with systemd's own systemd-notify, from a shell script", async () => {
    sb = sandbox();
    const script = path.join(sb.dir, 'sd.sh');
    // exec -a: the sleep the script becomes still carries the tag the sandbox cleans up by.
    fs.writeFileSync(script, `#!/bin/bash\nsystemd-notify --ready --status=up\nexec -a sleep-${sb.tag} sleep 1000\n`, { mode: 0o755 });
    const r = await td(['start', script, ...sb.flags, '--ready', 'notify']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The script exec's in place after systemd-notify, so after READY=1: the daemon becomes the sleep.
    const pid = sb.readPid()!;
    await waitFor(() => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sleep'), 5_000, 'the script to exec sleep');
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
  });

  it('a Node entry can wait for its address: --ready unix:PATH', async () => {
    sb = sandbox();
    const sock = path.join(sb.dir, 'app.sock');
    const r = await td(['start', LATE, ...sb.flags, '--ready', `unix:${sock}`, '--', sb.tag, `--listen=unix:${sock}`, '--after=300']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await connects({ path: sock })).toBe(true);
    expect(sb.readLog()).toMatch(/late-listen listening[\s\S]* ready pid/); // the runtime counted it ready only after the server listened
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
  });
});
