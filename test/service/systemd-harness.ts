// A real systemd 252 as PID 1 in fresh pid, mount, cgroup and uts namespaces,
// for testing the project's units (after ../shared/reference/systemd-in-namespace.sh).
// Host-safety: systemd sees only a tiny private unit set (never the host's),
// /dev, /run, /etc/systemd/system and the journal are private tmpfs, mounts
// are private, and container= makes shutdown skip real file systems. Teardown
// powers it off, kills what is left, and removes the cgroup, also on failure.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SYSTEMD = '/lib/systemd/systemd';

/** Why this machine cannot boot the harness, or null when it can. */
export function cannotBoot(): string | null {
  if (process.geteuid?.() !== 0) return 'needs root';
  if (!fs.existsSync(SYSTEMD)) return `no ${SYSTEMD}`;
  for (const tool of ['unshare', 'nsenter', 'script']) if (spawnSync(tool, ['--version']).status !== 0) return `no ${tool}`;
  if (!cgroup2Mount()) return 'no cgroup2 mount';
  return null;
}

function cgroup2Mount(): string | null {
  const r = spawnSync('findmnt', ['-rn', '-t', 'cgroup2', '-o', 'TARGET'], { encoding: 'utf8' });
  return r.stdout.split('\n')[0]?.trim() || null;
}

const STUB_UNITS = [
  'shutdown.target', 'poweroff.target', 'systemd-poweroff.service', 'exit.target', 'systemd-exit.service', 'final.target',
  'umount.target', 'halt.target', 'systemd-halt.service', 'reboot.target', 'systemd-reboot.service', 'sockets.target',
  'paths.target', 'timers.target', 'multi-user.target', 'systemd-journald.socket',
];

// PID 1 of the new namespaces until it execs systemd; stdin is the pty of `script`.
const INIT_SH = `#!/bin/bash
set -e
NS=$1; NODE=$2; TASKDAEMON=$3
mount --make-rprivate /
mkdir -p "$NS/.stage"; mount -t tmpfs -o size=4k sdstage "$NS/.stage"
touch "$NS/.stage/console"; mount --bind "$(tty)" "$NS/.stage/console"
mount -t tmpfs -o mode=755,nosuid,size=1m sddev /dev
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n; mknod -m 666 /dev/$1 c $2 $3
done
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
for i in 0:stdin 1:stdout 2:stderr; do ln -s /proc/self/fd/\${i%%:*} /dev/\${i#*:}; done
touch /dev/console; mount --bind "$NS/.stage/console" /dev/console
umount "$NS/.stage/console" "$NS/.stage"
exec </dev/console >/dev/console 2>&1
umount -R /sys/fs/cgroup
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /etc/systemd/system
[ -d /var/log/journal ] && mount -t tmpfs -o mode=2755 tmpfs /var/log/journal
# "Installed" for the units' /usr/bin/env: this checkout's CLI and the node running the tests.
mount -t tmpfs -o mode=755 tmpfs /usr/local/bin
ln -s "$NODE" /usr/local/bin/node
ln -s "$TASKDAEMON" /usr/local/bin/taskdaemon
exec env -i container=tdtest TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
  SYSTEMD_UNIT_PATH=/etc/systemd/system:/run/systemd/system:/run/systemd/transient:$NS/units \\
  ${SYSTEMD} --show-status=no --log-level=info --unit=tdtest.target systemd.journald.forward_to_console=0
`;

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class SystemdHarness {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-systemd-'));
  private cgroup = '';
  private script: ChildProcess | null = null;
  pid = 0;

  constructor(
    private readonly node: string,
    private readonly taskdaemonBin: string,
  ) {}

  private writeUnits(): void {
    const u = path.join(this.dir, 'units');
    fs.mkdirSync(u, { recursive: true });
    fs.writeFileSync(path.join(u, 'tdtest.target'), '[Unit]\nDescription=tdtest\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n');
    fs.writeFileSync(path.join(u, 'basic.target'), '[Unit]\nDescription=Basic System (tdtest)\nRequires=sysinit.target\nAfter=sysinit.target\n');
    fs.writeFileSync(path.join(u, 'sysinit.target'), '[Unit]\nDescription=System Initialization (tdtest)\nWants=systemd-journald.socket systemd-journald.service\n');
    fs.symlinkSync('tdtest.target', path.join(u, 'default.target'));
    for (const f of STUB_UNITS) fs.copyFileSync(path.join('/lib/systemd/system', f), path.join(u, f));
    // journald without the dev-log and audit sockets, which are not in this unit set
    const journald = fs.readFileSync('/lib/systemd/system/systemd-journald.service', 'utf8')
      .replace(/^After=.*$/m, 'After=systemd-journald.socket')
      .replace(/^Sockets=.*$/m, 'Sockets=systemd-journald.socket');
    fs.writeFileSync(path.join(u, 'systemd-journald.service'), journald);
    fs.writeFileSync(path.join(this.dir, 'init.sh'), INIT_SH, { mode: 0o755 });
  }

  async boot(): Promise<void> {
    this.writeUnits();
    const mount = cgroup2Mount()!;
    const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'))!.slice(3).replace(/\/$/, '');
    this.cgroup = path.join(mount, own, `tdtest-${process.pid}-${Date.now()}`);
    fs.mkdirSync(this.cgroup);
    const log = path.join(this.dir, 'console.log');
    const inner = `unshare --fork --pid --mount --cgroup --uts --mount-proc ${this.dir}/init.sh ${this.dir} ${this.node} ${this.taskdaemonBin}`;
    this.script = spawn('bash', ['-c', `echo $BASHPID > ${this.cgroup}/cgroup.procs; exec setsid script -qfec "${inner}" ${log}`], {
      stdio: 'ignore',
    });
    const until = Date.now() + 15_000;
    const procs = path.join(this.cgroup, 'init.scope', 'cgroup.procs');
    while (!this.pid) {
      try {
        this.pid = Number(fs.readFileSync(procs, 'utf8').split('\n')[0]) || 0;
      } catch {
        /* not yet */
      }
      if (Date.now() > until) throw new Error(`systemd did not start; console:\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`);
      if (!this.pid) await new Promise((r) => setTimeout(r, 20));
    }
    while (this.sd(['test', '-S', '/run/systemd/private']).code !== 0) {
      if (Date.now() > until) throw new Error('systemd never opened its private socket');
      await new Promise((r) => setTimeout(r, 20));
    }
    this.sd(['systemctl', 'is-system-running', '--wait']);
  }

  /** Run a command inside the namespaces. */
  sd(argv: string[], input?: string): Result {
    const r = spawnSync('nsenter', ['-t', String(this.pid), '-m', '-p', '-u', '-C', '--', ...argv], { encoding: 'utf8', input, timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Write a file inside (e.g. under /etc/systemd/system, a private tmpfs). */
  write(file: string, text: string): void {
    this.sd(['mkdir', '-p', path.dirname(file)]);
    const r = this.sd(['tee', file], text);
    if (r.code !== 0) throw new Error(`cannot write ${file}: ${r.stderr}`);
  }

  systemctl(...args: string[]): Result {
    return this.sd(['systemctl', '--no-pager', ...args]);
  }

  show(unit: string, prop: string): string {
    return this.systemctl('show', '-p', prop, '--value', unit).stdout.trim();
  }

  journal(unit: string): string {
    return this.sd(['journalctl', '--no-pager', '-o', 'cat', '-u', unit]).stdout;
  }

  async teardown(): Promise<void> {
    if (this.pid) {
      spawnSync('kill', ['-s', 'RTMIN+4', String(this.pid)]); // = systemctl poweroff
      const until = Date.now() + 10_000;
      while (Date.now() < until && fs.existsSync(`/proc/${this.pid}`)) await new Promise((r) => setTimeout(r, 20));
      // PID 1 of a pid namespace takes every process in it along.
      if (fs.existsSync(`/proc/${this.pid}`)) process.kill(this.pid, 'SIGKILL');
    }
    if (this.script && this.script.exitCode === null) {
      await new Promise((r) => {
        this.script!.once('exit', r);
        setTimeout(r, 5_000);
      });
    }
    if (this.cgroup) {
      // Child cgroups first: `find -depth` order.
      try {
        execFileSync('find', [this.cgroup, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', '+'], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  get cgroupPath(): string {
    return this.cgroup;
  }
}
