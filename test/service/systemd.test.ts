// The files users get, under a real systemd (PID 1 in fresh namespaces, see
// systemd-harness.ts): the shipped template units as they are, and units that
// `taskdaemon install systemd` rendered from them. Type=forking through
// start/reload/stop and a failing init; Type=notify with STATUS, reload,
// watchdog restart; socket activation (shipped, and rendered by `install socket`).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, td } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { pidAt } from '../helpers/http';
import { cannotBoot, SystemdHarness } from './systemd-harness';

const why = cannotBoot();
if (why) console.warn(`systemd.test: skipped, ${why}`);

const APP = path.join(FIXTURES, 'lifecycle.js');
const EXAMPLE = path.join(ROOT, 'examples', 'http-server.js');
const SERVED = path.join(FIXTURES, 'served.js');
let sd: SystemdHarness;

// The units hide /tmp (PrivateTmp) and /root, /home (ProtectHome); a checkout
// there must stay visible to the daemon, so only then a drop-in relaxes that.
function visibility(): string {
  const lines: string[] = [];
  if (/^\/(var\/)?tmp\//.test(ROOT + '/')) lines.push('PrivateTmp=no');
  if (/^\/(root|home|run\/user)\//.test(ROOT + '/')) lines.push('ProtectHome=read-only');
  return lines.join('\n');
}

// One systemd per describe block, with the shipped files as they are (tests add only drop-ins;
// rendered units are written by installRendered),
// powered off and cleaned up afterwards even when a test failed.
function bootWithShippedUnits(): void {
  beforeAll(async () => {
    sd = new SystemdHarness(process.execPath, BIN);
    await sd.boot();
    for (const f of fs.readdirSync(path.join(ROOT, 'systemd'))) sd.write(`/etc/systemd/system/${f}`, fs.readFileSync(path.join(ROOT, 'systemd', f), 'utf8'));
    expect(sd.systemctl('daemon-reload').code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await sd?.teardown();
    expect(fs.existsSync(sd.cgroupPath)).toBe(false); // no namespace, cgroup or process left
  }, 30_000);
}

function configure(unitTemplate: string, name: string, toml: string, extra = ''): void {
  sd.write(`/run/td-test/${name}.toml`, toml);
  sd.write(`/etc/systemd/system/${unitTemplate}@${name}.service.d/test.conf`, `[Service]\nEnvironment=TASKDAEMON_CONFIG=/run/td-test/${name}.toml\n${visibility()}\n${extra}\n`);
  expect(sd.systemctl('daemon-reload').code).toBe(0);
}

function appConfig(name: string, config: object): string {
  const file = `/run/td-test/${name}.json`;
  sd.write(file, JSON.stringify(config));
  return file;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const procCmdline = (pid: number): string => sd.sd(['cat', `/proc/${pid}/cmdline`]).stdout.replace(/\0/g, ' ');

// `taskdaemon install systemd` as a user runs it, the unit put where systemd finds it.
// No drop-in: the renderer itself must keep the checkout visible, wherever it lives.
async function installRendered(name: string, flags: string[], entry = APP): Promise<string> {
  const r = await td(['install', 'systemd', entry, '--name', name, ...flags]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  sd.write(`/etc/systemd/system/${name}.service`, r.stdout);
  expect(sd.systemctl('daemon-reload').code).toBe(0);
  return `${name}.service`;
}

// Type=forking: start, MainPID = pidfile = the daemon; reload reaches the hook; stop runs shutdown and leaves nothing.
function forkingLifecycle(unit: string, name: string, cfg: string, log: string): void {
  const start = sd.systemctl('start', unit);
  expect(start.stderr).toBe('');
  expect(start.code).toBe(0);
  expect(sd.show(unit, 'ActiveState')).toBe('active');
  const mainPid = Number(sd.show(unit, 'MainPID'));
  expect(Number(sd.sd(['cat', `/run/taskdaemon/${name}.pid`]).stdout.trim())).toBe(mainPid);
  expect(procCmdline(mainPid)).toContain(`runtime/boot.js ${APP}`);

  sd.write(cfg, JSON.stringify({ version: 2 }));
  expect(sd.systemctl('reload', unit).code).toBe(0);
  const text = (): string => sd.sd(['cat', log]).stdout;
  for (let i = 0; i < 100 && !text().includes('reloaded generation 1'); i++) spawnWait(20);
  expect(text()).toContain('app-reload version 1 -> 2');

  expect(sd.systemctl('stop', unit).code).toBe(0);
  expect(sd.show(unit, 'ActiveState')).toBe('inactive');
  expect(text()).toContain('app-shutdown closed');
  expect(text()).toContain('stopped exit 0');
  expect(sd.sd(['test', '-e', `/proc/${mainPid}`]).code).not.toBe(0);
  expect(sd.sd(['pgrep', '-f', `${name}.json`]).code).not.toBe(0); // no process of it anywhere
  expect(sd.sd(['test', '-e', `/run/taskdaemon/${name}.pid`]).code).not.toBe(0);
}

// Type=notify: READY after init, STATUS in systemctl show, reload with RELOADING=1 then READY=1, clean stop.
function notifyLifecycle(unit: string, cfg: string, cmdline: RegExp): void {
  const start = sd.systemctl('start', unit);
  expect(start.stderr).toBe('');
  expect(start.code).toBe(0);
  expect(sd.show(unit, 'ActiveState')).toBe('active');
  expect(sd.show(unit, 'StatusText')).toBe('ready');
  const mainPid = Number(sd.show(unit, 'MainPID'));
  expect(procCmdline(mainPid)).toMatch(cmdline); // no fork: the CLI is the daemon
  expect(sd.journal(unit)).toContain(`ready pid ${mainPid}`);

  sd.write(cfg, JSON.stringify({ version: 2 }));
  expect(sd.systemctl('reload', unit).code).toBe(0);
  // systemctl reload returned after READY=1: the result is already there.
  expect(sd.show(unit, 'StatusText')).toBe('ready (reload 1 applied)');
  expect(sd.journal(unit)).toContain('app-reload version 1 -> 2');
  sd.write(cfg, JSON.stringify({ version: 3, valid: false }));
  expect(sd.systemctl('reload', unit).code).toBe(0);
  expect(sd.show(unit, 'StatusText')).toBe('ready (reload 2 rejected: config rejected: version 3 is marked invalid)');
  expect(sd.show(unit, 'ActiveState')).toBe('active');

  expect(sd.systemctl('stop', unit).code).toBe(0);
  expect(sd.journal(unit)).toContain('stopped exit 0');
  expect(sd.show(unit, 'ActiveState')).toBe('inactive');
}

describe.skipIf(why !== null)('Type=forking units, shipped and rendered, under a real systemd', () => {
  bootWithShippedUnits();

  it('Type=forking, shipped: start, MainPID = pidfile = the daemon; reload reaches the hook; stop runs shutdown and leaves nothing', () => {
    const name = 'fork1';
    const cfg = appConfig(name, { version: 1 });
    configure('taskdaemon', name, `entry = "${APP}"\nargs = ["--config=${cfg}"]\nstdout = "/run/taskdaemon/${name}.log"\nstate_file = false\n`);
    forkingLifecycle(`taskdaemon@${name}.service`, name, cfg, `/run/taskdaemon/${name}.log`);
  });

  it('Type=forking, rendered by install from the shipped unit: the same, with its hardening as rendered', async () => {
    const name = 'fork3';
    const cfg = appConfig(name, { version: 1 });
    const unit = await installRendered(name, ['--stdout', `/run/taskdaemon/${name}.log`, '--no-state-file', '--', `--config=${cfg}`]);
    // The sandbox systemd applied is the shipped one.
    expect(sd.show(unit, 'ProtectSystem')).toBe('strict');
    expect(sd.show(unit, 'ProtectKernelTunables')).toBe('yes');
    expect(sd.show(unit, 'ProtectControlGroups')).toBe('yes');
    expect(sd.show(unit, 'NoNewPrivileges')).toBe('yes');
    forkingLifecycle(unit, name, cfg, `/run/taskdaemon/${name}.log`);
  });

  it('Type=forking with a program that daemonizes itself (daemonize()): ExecStart=node app.js, PIDFile=; status, reload and stop', () => {
    // The unit a user writes for such a program: no taskdaemon CLI in it.
    const pidfile = '/run/self.pid';
    const log = '/run/self.log';
    const options = JSON.stringify({ name: 'self', pidfile, stdout: log, stateFile: false }).replace(/"/g, '\\"');
    sd.write(
      '/etc/systemd/system/self.service',
      `[Unit]\nDescription=a self-daemonizing program\n[Service]\nType=forking\nPIDFile=${pidfile}\n` +
        `Environment="SELF_OPTIONS=${options}"\nExecStart=${process.execPath} ${path.join(FIXTURES, 'self.js')} self-tag\n` +
        'ExecReload=/bin/kill -HUP $MAINPID\nRestart=no\n',
    );
    expect(sd.systemctl('daemon-reload').code).toBe(0);
    const start = sd.systemctl('start', 'self.service');
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(sd.show('self.service', 'ActiveState')).toBe('active');
    const mainPid = Number(sd.show('self.service', 'MainPID'));
    expect(Number(sd.sd(['cat', pidfile]).stdout.trim())).toBe(mainPid);
    expect(procCmdline(mainPid)).toContain(`${path.join(FIXTURES, 'self.js')} self-tag`);
    // The CLI sees it like any daemon it started.
    const status = sd.sd([process.execPath, '--', BIN, 'status', '--pidfile', pidfile]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`running (pid ${mainPid})`);
    expect(sd.systemctl('reload', 'self.service').code).toBe(0);
    const text = (): string => sd.sd(['cat', log]).stdout;
    for (let i = 0; i < 100 && !text().includes('reloaded generation 1'); i++) spawnWait(20);
    expect(text()).toContain('reloaded generation 1');
    expect(sd.systemctl('stop', 'self.service').code).toBe(0);
    expect(sd.show('self.service', 'ActiveState')).toBe('inactive');
    expect(text()).toContain('stopped exit 0');
    expect(sd.sd(['test', '-e', pidfile]).code).not.toBe(0);
  });

  it("Type=forking: an init that throws fails the start, the unit is failed, the message is in the journal", () => {
    const name = 'fork2';
    const cfg = appConfig(name, { version: 1, valid: false });
    configure('taskdaemon', name, `entry = "${APP}"\nargs = ["--config=${cfg}"]\nstdout = "/run/taskdaemon/${name}.log"\nstate_file = false\n`, 'Restart=no');
    const unit = `taskdaemon@${name}.service`;
    expect(sd.systemctl('start', unit).code).not.toBe(0);
    expect(sd.show(unit, 'ActiveState')).toBe('failed');
    expect(sd.journal(unit)).toContain('invalid config: config rejected: version 1 is marked invalid');
    expect(sd.sd(['pgrep', '-f', `fork2.json`]).code).not.toBe(0); // no process left
  });

  it('supervised (--restart, --listen, --instances), rendered: Restart=no, MainPID is the supervisor; an instance killed is restarted by it; reload and stop through systemctl', async () => {
    const name = 'sup1';
    const port = await freePort();
    const log = `/run/taskdaemon/${name}.log`;
    // --listen comes from a config file: install's own --listen is the socket unit's.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-sup-unit-'));
    const toml = path.join(dir, 'sup.toml');
    fs.writeFileSync(toml, `listen = ["web=tcp:127.0.0.1:${port}"]\n`);
    let unit: string;
    try {
      unit = await installRendered(name, ['--config', toml, '--stdout', log, '--no-state-file', '--restart', 'on-failure', '--instances', '2', '--grace', '5', '--', `--refuse-reload-if=/run/${name}.refuse`], SERVED);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(sd.show(unit, 'Restart')).toBe('no'); // never both: the supervisor restarts the program
    const start = sd.systemctl('start', unit);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const mainPid = Number(sd.show(unit, 'MainPID'));
    expect(Number(sd.sd(['cat', `/run/taskdaemon/${name}.pid`]).stdout.trim())).toBe(mainPid);
    expect(procCmdline(mainPid)).toContain(`taskdaemon-supervisor ${SERVED}`);
    const instances = (): number[] => sd.sd(['pgrep', '-P', String(mainPid)]).stdout.split('\n').filter(Boolean).map(Number).sort();
    const first = instances();
    expect(first).toHaveLength(2);
    expect(first).toContain(await pidAt(port)); // the app's pid in the unit's pid namespace

    expect(sd.sd(['kill', '-9', String(first[0])]).code).toBe(0);
    await until(() => instances().length === 2 && !instances().includes(first[0]!), 'the supervisor to restart the instance');
    expect(Number(sd.show(unit, 'MainPID'))).toBe(mainPid);
    expect(sd.show(unit, 'ActiveState')).toBe('active');
    expect(sd.show(unit, 'NRestarts')).toBe('0');
    const text = (): string => sd.sd(['cat', log]).stdout;
    await until(() => text().includes('instance-ready'), 'the restarted instance to be ready');

    expect(sd.systemctl('reload', unit).code).toBe(0);
    await until(() => text().includes(`${mainPid} reloaded generation 1`), 'the reload of every instance');
    sd.write(`/run/${name}.refuse`, '');
    expect(sd.systemctl('reload', unit).code).toBe(0); // ExecReload is kill -HUP: the result is in the log and in status
    await until(() => text().includes(`${mainPid} reload-failed generation 2: 2 of 2 instances rejected it`), 'the rejected reload');

    const now = instances();
    expect(sd.systemctl('stop', unit).code).toBe(0);
    expect(sd.show(unit, 'ActiveState')).toBe('inactive');
    for (const pid of [mainPid, ...now]) expect(sd.sd(['test', '-e', `/proc/${pid}`]).code).not.toBe(0);
    for (const pid of now) expect(text()).toContain(`${pid} drained every connection closed`);
    expect(text()).toContain(`${mainPid} stopped exit 0`);
    expect(sd.sd(['test', '-e', `/run/taskdaemon/${name}.pid`]).code).not.toBe(0);
  });
});

function spawnWait(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

async function until(test: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


describe.skipIf(why !== null)('Type=notify units, shipped and rendered, and socket activation under a real systemd', () => {
  bootWithShippedUnits();

  it('shipped: READY after init, STATUS in systemctl show, reload with RELOADING=1 then READY=1, clean stop', () => {
    const name = 'notify1';
    const cfg = appConfig(name, { version: 1 });
    configure('taskdaemon-notify', name, `entry = "${APP}"\nargs = ["--config=${cfg}"]\nstate_file = false\n`);
    notifyLifecycle(`taskdaemon-notify@${name}.service`, cfg, /taskdaemon run --name notify1 --no-pidfile/);
  });

  it('rendered by install from the shipped notify unit: the same', async () => {
    const name = 'notify3';
    const cfg = appConfig(name, { version: 1 });
    const unit = await installRendered(name, ['--type', 'notify', '--no-state-file', '--', `--config=${cfg}`]);
    expect(sd.show(unit, 'ProtectKernelTunables')).toBe('yes');
    expect(sd.show(unit, 'ProtectControlGroups')).toBe('yes');
    notifyLifecycle(unit, cfg, new RegExp(`^${escapeRe(`${process.execPath} -- ${BIN} run ${APP} --name notify3 --no-pidfile`)}`));
  });

  it('watchdog: a daemon whose event loop blocks is killed and restarted by systemd', async () => {
    const name = 'notify2';
    const cfg = appConfig(name, { version: 1 });
    configure('taskdaemon-notify', name, `entry = "${APP}"\nargs = ["--config=${cfg}"]\nstate_file = false\n`, 'WatchdogSec=2s\nWatchdogSignal=SIGKILL');
    const unit = `taskdaemon-notify@${name}.service`;
    expect(sd.systemctl('start', unit).code).toBe(0);
    const first = Number(sd.show(unit, 'MainPID'));
    const port = Number(/listening port (\d+)/.exec(sd.journal(unit))![1]);
    // Healthy pings keep it alive well past the watchdog interval.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(Number(sd.show(unit, 'MainPID'))).toBe(first);
    // Now block the event loop for longer than WatchdogSec.
    fetch(`http://127.0.0.1:${port}/block?ms=20000`).catch(() => {});
    await until(() => sd.show(unit, 'NRestarts') === '1' && sd.show(unit, 'ActiveState') === 'active', 'the watchdog restart');
    expect(Number(sd.show(unit, 'MainPID'))).not.toBe(first);
    expect(sd.sd(['journalctl', '--no-pager', '-u', unit]).stdout).toMatch(/[Ww]atchdog timeout/);
    expect(sd.systemctl('stop', unit).code).toBe(0);
  });

  it('socket activation, shipped: the first connection starts the service and is served', async () => {
    const name = 'sock1';
    const port = await freePort();
    configure('taskdaemon-notify', name, `entry = "${EXAMPLE}"\nstate_file = false\n`);
    sd.write(`/etc/systemd/system/taskdaemon-notify@${name}.socket.d/test.conf`, `[Socket]\nListenStream=\nListenStream=127.0.0.1:${port}\n`);
    expect(sd.systemctl('daemon-reload').code).toBe(0);
    await socketActivation(name, `taskdaemon-notify@${name}.socket`, `taskdaemon-notify@${name}.service`, port);
  });

  it('socket activation, rendered by install socket and install systemd --type notify: the same', async () => {
    const name = 'sock2';
    const port = await freePort();
    const r = await td(['install', 'socket', name, '--listen', `127.0.0.1:${port}`]);
    expect(r.code).toBe(0);
    sd.write(`/etc/systemd/system/${name}.socket`, r.stdout);
    const unit = await installRendered(name, ['--type', 'notify', '--no-state-file'], EXAMPLE);
    await socketActivation(name, `${name}.socket`, unit, port);
  });
});

// The first connection starts the service, which serves it on the socket systemd passed.
async function socketActivation(name: string, socket: string, unit: string, port: number): Promise<void> {
  expect(sd.systemctl('start', socket).code).toBe(0);
  expect(sd.show(unit, 'ActiveState')).toBe('inactive');
  const body = JSON.parse(await (await fetch(`http://127.0.0.1:${port}/first`)).text());
  expect(body).toMatchObject({ name, url: '/first', requests: 1 });
  expect(sd.show(unit, 'ActiveState')).toBe('active');
  expect(body.pid).toBe(Number(sd.show(unit, 'MainPID')));
  expect(sd.journal(unit)).toContain('listening socket-activated fd 3 (http)');
  expect(sd.systemctl('stop', unit, socket).code).toBe(0);
}
